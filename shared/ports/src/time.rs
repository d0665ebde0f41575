//! Stored epoch-millisecond times as RFC 3339 for API readers, and RFC 3339 from them; and the
//! conversions between the milliseconds times are kept in and the seconds that TTLs, settings
//! and certificates count in, so no use case multiplies or divides by 1000 itself.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Seconds in a day, for retention and TTL arithmetic.
pub const DAY_SECS: i64 = 86_400;

/// Milliseconds (how times are stored and compared) from seconds.
pub const fn ms_from_secs(secs: i64) -> i64 {
    secs.saturating_mul(1000)
}

/// Whole seconds (DynamoDB TTLs, certificate validity) from milliseconds, rounded down.
pub const fn secs_from_ms(ms: i64) -> i64 {
    ms / 1000
}

/// RFC 3339 in UTC with exactly three fractional digits, e.g. "2026-11-30T09:00:00.120Z".
/// The fixed width is what lets a client compare two of our times as strings: the variable
/// width of the well-known format made ".8Z" sort after ".807Z".
pub fn rfc3339(ms: i64) -> String {
    let fixed =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&fixed).ok())
        .unwrap_or_default()
}

/// Parses an RFC 3339 time given by a caller (any offset) into epoch milliseconds.
pub fn parse_rfc3339(field: &str, s: &str) -> Result<i64, crate::error::Error> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| {
            crate::error::Error::invalid_field(
                field,
                "must be an RFC 3339 time such as 2026-11-30T09:00:00Z",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_read_back_is_the_time_written() {
        let ms = 1_764_493_200_123;
        assert_eq!(parse_rfc3339("t", &rfc3339(ms)).unwrap(), ms);
        assert_eq!(
            parse_rfc3339("t", "2026-11-30T10:00:00+01:00").unwrap(),
            parse_rfc3339("t", "2026-11-30T09:00:00Z").unwrap()
        );
    }

    #[test]
    fn our_times_sort_as_strings_in_time_order() {
        let base = 1_764_493_200_000;
        let written: Vec<String> = [800, 807, 0, 10, 999, 1_000]
            .iter()
            .map(|d| rfc3339(base + d))
            .collect();
        assert_eq!(written[0], "2025-11-30T09:00:00.800Z");
        let mut sorted = written.clone();
        sorted.sort();
        let mut by_time = written.clone();
        by_time.sort_by_key(|s| parse_rfc3339("t", s).unwrap());
        assert_eq!(sorted, by_time);
    }

    #[test]
    fn a_time_that_is_not_rfc_3339_names_its_field() {
        for bad in ["yesterday", "2026-11-30", "2026-11-30 09:00:00", ""] {
            assert!(
                matches!(parse_rfc3339("since", bad), Err(crate::error::Error::InvalidField { ref field, .. }) if field == "since"),
                "{bad}"
            );
        }
    }
}
