//! `google-datetime` values: RFC 3339 timestamps in UTC (`"2026-11-04T10:15:30.123Z"`), the proto3
//! JSON form of `google.protobuf.Timestamp`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time as AMAPI writes it. Parsed at the edge so callers compare instants, not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoogleTimestamp(OffsetDateTime);

impl GoogleTimestamp {
    pub fn get(self) -> OffsetDateTime {
        self.0
    }

    /// Parses an RFC 3339 timestamp (any offset; kept as the instant it names).
    pub fn parse(s: &str) -> Result<GoogleTimestamp, time::error::Parse> {
        OffsetDateTime::parse(s, &Rfc3339).map(GoogleTimestamp)
    }
}

impl From<OffsetDateTime> for GoogleTimestamp {
    fn from(t: OffsetDateTime) -> GoogleTimestamp {
        GoogleTimestamp(t)
    }
}

impl fmt::Display for GoogleTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // Google writes UTC with a `Z`; we do the same whatever offset the value was built with.
        // Formatting fails only for years outside 0..=9999, which no AMAPI timestamp reaches.
        let utc = self.0.to_offset(time::UtcOffset::UTC);
        match utc.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for GoogleTimestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoogleTimestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GoogleTimestamp, D::Error> {
        let s = String::deserialize(d)?;
        GoogleTimestamp::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("`{s}` is not an RFC 3339 time: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_with_an_offset_is_written_back_in_utc() {
        let t = GoogleTimestamp::parse("2026-11-04T12:15:30.5+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-04T10:15:30.5Z");
    }

    #[test]
    fn a_date_alone_or_a_time_without_its_offset_is_not_a_timestamp() {
        assert!(GoogleTimestamp::parse("2026-11-04").is_err());
        assert!(GoogleTimestamp::parse("2026-11-04T10:15:30").is_err());
    }
}
