//! Query pages as redb key ranges: a sort-key prefix (after an optional cursor) becomes one
//! contiguous range, so a page reads only the items it returns plus one to see if more follow.

use std::ops::Bound;

use mdm_ports::Query;
use mdm_ports::error::StoreError;

pub(crate) type Bounds = (Bound<(String, String)>, Bound<(String, String)>);

/// The key range a query page reads, in ascending key order (a descending page reads it
/// backwards).
pub(crate) fn bounds(query: &Query) -> Result<Bounds, StoreError> {
    let pk = &query.pk;
    let first = Bound::Included((pk.clone(), query.sk_prefix.clone()));
    let end = match successor(&query.sk_prefix) {
        Some(sk) => Bound::Excluded((pk.clone(), sk)),
        // No string follows every extension of the prefix (it is empty): end just after the
        // partition, before the least greater partition key, which is `pk` plus a NUL.
        None => Bound::Excluded((format!("{pk}\0"), String::new())),
    };
    let Some(cursor) = &query.cursor else {
        return Ok((first, end));
    };
    // A cursor is the sort key of the last item returned, so it always carries the prefix; any
    // other value did not come from this query and would read outside it.
    if !cursor.starts_with(&query.sk_prefix) {
        return Err(StoreError::Invalid(format!(
            "cursor {cursor:?} does not belong to a query of prefix {:?}",
            query.sk_prefix
        )));
    }
    let after = Bound::Excluded((pk.clone(), cursor.clone()));
    Ok(if query.descending {
        (first, after)
    } else {
        (after, end)
    })
}

/// The least string greater than every string that starts with `prefix`, if there is one
/// (strings order by code point, as their UTF-8 bytes do).
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_successor_of_a_prefix_bumps_its_last_character() {
        assert_eq!(successor("cmd#"), Some("cmd$".to_owned()));
        assert_eq!(successor("a\u{10FFFF}"), Some("b".to_owned()));
        assert_eq!(successor("\u{D7FF}"), Some("\u{E000}".to_owned()));
        assert_eq!(successor(""), None);
        assert_eq!(successor("\u{10FFFF}"), None);
    }

    #[test]
    fn a_cursor_outside_the_prefix_is_refused() {
        let mut q = Query::prefix("T#1", "cmd#");
        q.cursor = Some("dev#9".into());
        assert!(matches!(bounds(&q), Err(StoreError::Invalid(_))));
    }
}
