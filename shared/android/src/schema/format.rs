//! The string formats of the discovery document: int64 and uint64 as decimal strings,
//! `google-duration`, `google-datetime` and `byte` (base64). Each returns what is wrong, if
//! anything.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Checks a string field's `format`; formats that constrain nothing (`google-fieldmask`) pass.
pub(crate) fn check_string(format: &str, s: &str) -> Option<String> {
    let ok = match format {
        "int64" => is_decimal(s, true) && s.parse::<i64>().is_ok(),
        "uint64" => is_decimal(s, false) && s.parse::<u64>().is_ok(),
        "google-duration" => is_duration(s),
        "google-datetime" => OffsetDateTime::parse(s, &Rfc3339).is_ok(),
        // Google reads both alphabets.
        "byte" => STANDARD.decode(s).is_ok() || URL_SAFE.decode(s).is_ok(),
        _ => true,
    };
    (!ok).then(|| format!("{s:?} is not a valid {format} string"))
}

/// Checks an integer field's `format` (the range of int32 and uint32).
pub(crate) fn check_integer(format: &str, n: &serde_json::Number) -> Option<String> {
    let ok = match format {
        "int32" => n.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
        "uint32" => n.as_u64().is_some_and(|v| u32::try_from(v).is_ok()),
        _ => true,
    };
    (!ok).then(|| format!("{n} is out of the {format} range"))
}

/// Digits only (after an optional `-` when signed): no `+`, spaces, exponents or decimals.
fn is_decimal(s: &str, signed: bool) -> bool {
    let digits = match s.strip_prefix('-') {
        Some(rest) if signed => rest,
        _ => s,
    };
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `-?digits(.digits{1,9})?s`, as proto3 JSON writes a `google.protobuf.Duration`.
fn is_duration(s: &str) -> bool {
    let Some(number) = s.strip_suffix('s') else {
        return false;
    };
    let number = number.strip_prefix('-').unwrap_or(number);
    let (whole, frac) = match number.split_once('.') {
        Some((whole, frac)) => (whole, Some(frac)),
        None => (number, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && frac.is_none_or(|f| digits(f) && f.len() <= 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_strings_are_plain_decimal_integers_in_range() {
        for ok in ["0", "-1", "600000", "9223372036854775807"] {
            assert_eq!(check_string("int64", ok), None, "{ok}");
        }
        for bad in ["", "1.5", "+1", " 1", "1e3", "9223372036854775808", "-"] {
            assert!(check_string("int64", bad).is_some(), "{bad}");
        }
        assert!(check_string("uint64", "-1").is_some());
    }

    #[test]
    fn durations_and_times_are_checked_in_googles_spelling() {
        for ok in ["3.5s", "600s", "-1s", "0.000000001s"] {
            assert_eq!(check_string("google-duration", ok), None, "{ok}");
        }
        for bad in ["3.5", "10m", "1.0000000001s", "s", ".5s"] {
            assert!(check_string("google-duration", bad).is_some(), "{bad}");
        }
        assert_eq!(
            check_string("google-datetime", "2026-11-04T10:15:30.123Z"),
            None
        );
        assert!(check_string("google-datetime", "2026-11-04").is_some());
    }
}
