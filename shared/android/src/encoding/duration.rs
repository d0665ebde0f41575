//! `google-duration` values: seconds with up to nine fractional digits and an `s` suffix
//! (`"600s"`, `"3.5s"`), the proto3 JSON form of `google.protobuf.Duration`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest duration protobuf allows (10,000 years, in seconds).
const MAX_SECONDS: u64 = 315_576_000_000;

/// A non-negative duration in Google's JSON spelling. Negative durations exist in protobuf, but
/// no AMAPI field we use (token lifetimes, command validity, password expiry) takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoogleDuration(Duration);

/// Why a string is not a `google-duration`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a duration like \"600s\" or \"3.5s\"")]
pub struct DurationError(String);

impl GoogleDuration {
    /// A duration, if protobuf can carry it (at most 10,000 years).
    pub fn new(d: Duration) -> Option<GoogleDuration> {
        (d.as_secs() <= MAX_SECONDS).then_some(GoogleDuration(d))
    }

    pub fn from_secs(secs: u32) -> GoogleDuration {
        GoogleDuration(Duration::from_secs(secs.into()))
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

impl fmt::Display for GoogleDuration {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let nanos = self.0.subsec_nanos();
        if nanos == 0 {
            write!(f, "{}s", self.0.as_secs())
        } else {
            let frac = format!("{nanos:09}");
            write!(f, "{}.{}s", self.0.as_secs(), frac.trim_end_matches('0'))
        }
    }
}

impl FromStr for GoogleDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<GoogleDuration, DurationError> {
        let bad = || DurationError(s.to_owned());
        let number = s.strip_suffix('s').ok_or_else(bad)?;
        let (whole, frac) = match number.split_once('.') {
            Some((whole, frac)) => (whole, Some(frac)),
            None => (number, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || frac.is_some_and(|f| !digits(f) || f.len() > 9) {
            return Err(bad());
        }
        let secs: u64 = whole.parse().map_err(|_| bad())?;
        let nanos = match frac {
            // Right-padded to nine digits: ".5" is 500,000,000 ns.
            Some(f) => format!("{f:0<9}").parse::<u32>().map_err(|_| bad())?,
            None => 0,
        };
        GoogleDuration::new(Duration::new(secs, nanos)).ok_or_else(bad)
    }
}

impl Serialize for GoogleDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoogleDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GoogleDuration, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_fractional_seconds_are_written_as_google_writes_them() {
        assert_eq!(GoogleDuration::from_secs(600).to_string(), "600s");
        let d = GoogleDuration::new(Duration::from_millis(3500)).unwrap();
        assert_eq!(d.to_string(), "3.5s");
        let d = GoogleDuration::new(Duration::new(0, 1)).unwrap();
        assert_eq!(d.to_string(), "0.000000001s");
    }

    #[test]
    fn what_is_written_reads_back() {
        for text in ["0s", "600s", "3.5s", "2592000s", "1.000000001s"] {
            assert_eq!(text.parse::<GoogleDuration>().unwrap().to_string(), text);
        }
        assert_eq!(
            "1.50s".parse::<GoogleDuration>().unwrap().get(),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn strings_that_are_not_durations_are_refused() {
        for text in [
            "",
            "s",
            "600",
            "-5s",
            "+5s",
            "5.s",
            ".5s",
            "1.0000000001s",
            "5 s",
            "5m",
            "1e3s",
            "315576000001s",
        ] {
            assert!(text.parse::<GoogleDuration>().is_err(), "{text:?}");
        }
    }
}
