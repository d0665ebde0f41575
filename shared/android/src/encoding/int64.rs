//! int64 fields as Google writes them: decimal strings, because JSON numbers lose precision past
//! 2^53 in the JavaScript clients the format was designed for.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// `#[serde(with = "crate::encoding::int64")]` for an `Option<i64>` field (with `default` and
/// `skip_serializing_if = "Option::is_none"`).
pub(crate) fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(n) => s.collect_str(n),
        None => s.serialize_none(),
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Int64Visitor).map(Some)
}

struct Int64Visitor;

impl Visitor<'_> for Int64Visitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an int64 as a decimal string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        // i64's parser also takes a leading `+`, which proto3 JSON does not write: refuse it so
        // what we accept is exactly what Google sends.
        if v.starts_with('+') {
            return Err(E::invalid_value(de::Unexpected::Str(v), &self));
        }
        v.parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    // Proto3 JSON parsers accept int64 as a number too; a sender that does so is not wrong.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
}
