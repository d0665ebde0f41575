//! One page of a listing as its reader asks for it: where to resume (the opaque cursor the
//! previous page returned) and how many items at most. Every listing takes this one type, so
//! every listing has the same default and the same ceiling, and clients learn one rule.

use crate::error::Error;

/// Items in a page when the reader does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// Most items in one page.
pub const MAX_LIMIT: usize = 200;

/// Where a page starts and how many items it holds at most (1 to `MAX_LIMIT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    cursor: Option<String>,
    limit: usize,
}

impl Page {
    /// The first page, with the default limit.
    pub fn first() -> Self {
        Self {
            cursor: None,
            limit: DEFAULT_LIMIT,
        }
    }

    /// A page as code of ours asks for it (a simulator, a check reading everything): the limit
    /// is clamped into 1 to `MAX_LIMIT`.
    pub fn new(cursor: Option<String>, limit: usize) -> Self {
        Self {
            cursor,
            limit: limit.clamp(1, MAX_LIMIT),
        }
    }

    /// A page as a client writes it (a query string's `cursor` and `limit`): no limit means the
    /// default; a limit that is not a whole number from 1 to `MAX_LIMIT` is refused, never
    /// quietly changed. An empty cursor is refused (no listing returns one); any other is
    /// judged by the listing it is given to.
    pub fn parse(cursor: Option<String>, limit: Option<&str>) -> Result<Self, Error> {
        if cursor.as_deref() == Some("") {
            return Err(Error::invalid_field(
                "cursor",
                "empty; pass the next_cursor of the previous page, or none for the first",
            ));
        }
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => {
                let digits =
                    (1..=10).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit());
                match raw.parse::<usize>() {
                    Ok(n) if digits && (1..=MAX_LIMIT).contains(&n) => n,
                    _ => {
                        return Err(Error::invalid_field(
                            "limit",
                            format!("must be a whole number from 1 to {MAX_LIMIT}"),
                        ));
                    }
                }
            }
        };
        Ok(Self { cursor, limit })
    }

    /// The `next_cursor` of the previous page, if this is not the first.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    pub fn into_cursor(self) -> Option<String> {
        self.cursor
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_without_a_limit_holds_the_default() {
        let page = Page::parse(None, None).unwrap();
        assert_eq!(page.limit(), DEFAULT_LIMIT);
        assert_eq!(page, Page::first());
    }

    #[test]
    fn a_client_limit_outside_one_to_the_maximum_is_refused_not_clamped() {
        for bad in [
            "0",
            "201",
            "1000",
            "-1",
            "+5",
            "abc",
            "",
            "1.0",
            " 5",
            "99999999999",
        ] {
            match Page::parse(None, Some(bad)) {
                Err(Error::InvalidField { field, .. }) => assert_eq!(field, "limit", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(Page::parse(None, Some("1")).unwrap().limit(), 1);
        assert_eq!(Page::parse(None, Some("200")).unwrap().limit(), MAX_LIMIT);
        assert_eq!(Page::parse(None, Some("0050")).unwrap().limit(), 50);
    }

    #[test]
    fn an_empty_cursor_is_refused() {
        match Page::parse(Some(String::new()), None) {
            Err(Error::InvalidField { field, .. }) => assert_eq!(field, "cursor"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn our_own_callers_limits_are_clamped() {
        assert_eq!(Page::new(None, 0).limit(), 1);
        assert_eq!(Page::new(None, 10_000).limit(), MAX_LIMIT);
        assert_eq!(Page::new(Some("c".into()), 7).cursor(), Some("c"));
    }
}
