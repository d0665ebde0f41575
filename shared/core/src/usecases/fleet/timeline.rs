//! Reading several time-keyed partitions (`<13-digit ms>#<id>` sort keys) as one log, newest
//! first under one cursor: the audit log and the alerts are each spread over shards so that no
//! partition takes a whole tenant's writes, and their readers want a single order.

use std::collections::VecDeque;

use crate::error::Error;
use crate::ports::{Item, Query};
use crate::services::Services;
use crate::usecases::fleet::views::Listing;

/// Most entries one request looks at while looking for matches; past it the page ends early
/// with a cursor, so a rare filter costs a bounded read per page rather than one huge one.
pub const MAX_SCANNED: usize = 1000;

/// What the reader makes of one entry.
pub enum Take<T> {
    Keep(T),
    Skip,
    /// Every entry from here on is too old for the reader.
    Stop,
}

/// One partition, read newest first a page at a time.
struct Source {
    pk: String,
    buffered: VecDeque<Item>,
    cursor: Option<String>,
    done: bool,
}

impl Source {
    fn head(&self) -> Option<&str> {
        self.buffered.front().map(|i| i.key.sk.as_str())
    }

    async fn refill(&mut self, svc: &Services, limit: usize) -> Result<(), Error> {
        let mut q = Query::prefix(self.pk.clone(), "");
        q.descending = true;
        q.cursor = self.cursor.take();
        q.limit = limit;
        let page = svc.table.query(q).await?;
        self.buffered.extend(page.items);
        self.done = page.cursor.is_none();
        self.cursor = page.cursor;
        Ok(())
    }
}

/// Merges the partitions newest first, starting after the sort key `start`. The ids in the
/// keys are unique across the partitions, so one cursor (the sort key of the last entry looked
/// at) resumes every one of them. The partitions are read lazily, a few entries each, so a page
/// costs about what it returns plus one small read per partition.
pub async fn newest_first<T>(
    svc: &Services,
    pks: Vec<String>,
    start: Option<String>,
    limit: usize,
    mut take: impl FnMut(&Item) -> Result<Take<T>, Error>,
) -> Result<Listing<T>, Error> {
    let mut sources: Vec<Source> = pks
        .into_iter()
        .map(|pk| Source {
            pk,
            buffered: VecDeque::new(),
            cursor: start.clone(),
            done: false,
        })
        .collect();
    let mut items = Vec::new();
    let mut looked_at = 0;
    loop {
        let per_source = (2 * (limit - items.len()))
            .div_ceil(sources.len().max(1))
            .clamp(8, limit.max(8));
        for source in sources.iter_mut() {
            if source.buffered.is_empty() && !source.done {
                source.refill(svc, per_source).await?;
            }
        }
        let newest = sources
            .iter_mut()
            .filter(|s| s.head().is_some())
            .max_by(|a, b| a.head().cmp(&b.head()));
        let Some(item) = newest.and_then(|s| s.buffered.pop_front()) else {
            return Ok(Listing {
                items,
                next_cursor: None,
            });
        };
        looked_at += 1;
        match take(&item)? {
            Take::Keep(v) => items.push(v),
            Take::Skip => {}
            Take::Stop => {
                return Ok(Listing {
                    items,
                    next_cursor: None,
                });
            }
        }
        if items.len() == limit || looked_at >= MAX_SCANNED {
            let more = sources.iter().any(|s| !s.buffered.is_empty() || !s.done);
            return Ok(Listing {
                items,
                next_cursor: more.then(|| cursor_of(&item.key.sk)),
            });
        }
    }
}

/// Where a descending read starts: after the cursor's entry, or just past `until`.
pub fn start_of(cursor: Option<&str>, until: Option<i64>) -> Result<Option<String>, Error> {
    Ok(match cursor {
        Some(c) => Some(sort_key_of(c)?),
        None => until.map(|u| format!("{:013}", u.saturating_add(1))),
    })
}

/// The cursor of a page that ended at this sort key: the key with its `#` as `-`, so the
/// cursor goes into a query string as it is (a raw `#` would start the URL's fragment and cut
/// the cursor short).
pub fn cursor_of(sk: &str) -> String {
    sk.replacen('#', "-", 1)
}

/// The sort key a cursor stands for, refusing what no listing returned: 13 digits of time, then
/// `-` (or `#`) and an id.
pub fn sort_key_of(cursor: &str) -> Result<String, Error> {
    let bad = || Error::invalid_field("cursor", "not a cursor this listing returned");
    let (time, id) = cursor.split_once(['-', '#']).ok_or_else(bad)?;
    let well_formed = time.len() == 13
        && time.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if well_formed {
        Ok(format!("{time}#{id}"))
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_sort_key_it_came_from() {
        let sk = "1796222529045#01M8VK9BGNX1ATPRTWQ7J1J2XB";
        let cursor = cursor_of(sk);
        assert!(!cursor.contains('#'), "{cursor}");
        assert_eq!(sort_key_of(&cursor).unwrap(), sk);
        assert_eq!(
            sort_key_of(sk).unwrap(),
            sk,
            "an escaped raw key is accepted too"
        );
    }

    #[test]
    fn a_cursor_no_listing_returned_is_refused() {
        for bad in [
            "",
            "yesterday",
            "179622252904-01M8",
            "1796222529045-",
            "1796222529045-a/b",
        ] {
            assert!(sort_key_of(bad).is_err(), "{bad:?}");
        }
    }
}
