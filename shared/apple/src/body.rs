//! Untrusted bodies into plist dictionaries: the size limit, the XML/binary choice and a nesting
//! limit, applied before any message-specific reading.

use std::io::Cursor;

use plist::stream::{BinaryReader, Event, OwnedEvent, XmlReader};
use plist::{Dictionary, Value};

use crate::FormatError;

/// How deep arrays and dictionaries may nest. Apple's deepest messages nest four or five levels;
/// the limit exists because dropping a value nested a million levels deep recurses once per level
/// and would overflow the stack, which aborts the process rather than failing the request.
const MAX_DEPTH: usize = 32;

/// How many values a body may hold per byte. A tree of values needs at least a byte per value
/// in either format; a binary plist may reference one object from many places, so without this
/// bound a few hundred bytes could expand into billions of values.
const MAX_VALUES_PER_BYTE: usize = 2;

/// The key named in errors about the body as a whole rather than one of its keys.
pub(crate) const TOP_LEVEL: &str = "(top level)";

/// Reads `body` (an XML or binary plist, at most `limit` bytes) whose top level must be a
/// dictionary.
pub(crate) fn read_dict(body: &[u8], limit: usize) -> Result<Dictionary, FormatError> {
    if body.len() > limit {
        return Err(FormatError::TooLarge { limit });
    }
    let value = if body.starts_with(b"bplist00") {
        build(BinaryReader::new(Cursor::new(body)), body.len())?
    } else {
        // Only XML besides binary: devices never send the old ASCII (OpenStep) format, and
        // accepting it would make almost any text "a plist".
        build(XmlReader::new(Cursor::new(body)), body.len())?
    };
    match value {
        Value::Dictionary(dict) => Ok(dict),
        _ => Err(FormatError::WrongType {
            key: TOP_LEVEL.to_owned(),
            expected: "a dictionary",
        }),
    }
}

enum Frame {
    Array(Vec<Value>),
    /// A dictionary being filled, and the key read whose value has not come yet.
    Dict(Dictionary, Option<String>),
}

/// Builds one value from the events of a body of `len` bytes, refusing nesting deeper than
/// [`MAX_DEPTH`] and more values than [`MAX_VALUES_PER_BYTE`] allows.
fn build(
    events: impl Iterator<Item = Result<OwnedEvent, plist::Error>>,
    len: usize,
) -> Result<Value, FormatError> {
    let malformed = |why: &str| FormatError::NotAPlist(why.to_owned());
    let max_values = len.saturating_mul(MAX_VALUES_PER_BYTE);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    for (count, event) in events.enumerate() {
        if count > max_values {
            return Err(malformed(
                "more values than its size allows (shared objects expanding)",
            ));
        }
        let event = event.map_err(|e| FormatError::NotAPlist(e.to_string()))?;
        let value = match event {
            Event::StartArray(_) | Event::StartDictionary(_) if stack.len() >= MAX_DEPTH => {
                return Err(malformed("nested more than 32 levels deep"));
            }
            Event::StartArray(_) => {
                stack.push(Frame::Array(Vec::new()));
                continue;
            }
            Event::StartDictionary(_) => {
                stack.push(Frame::Dict(Dictionary::new(), None));
                continue;
            }
            Event::EndCollection => match stack.pop() {
                Some(Frame::Array(items)) => Value::Array(items),
                Some(Frame::Dict(dict, None)) => Value::Dictionary(dict),
                Some(Frame::Dict(_, Some(key))) => {
                    return Err(FormatError::NotAPlist(format!("key `{key}` has no value")));
                }
                None => return Err(malformed("a collection closed that was never opened")),
            },
            Event::Boolean(b) => Value::Boolean(b),
            Event::Data(d) => Value::Data(d.into_owned()),
            Event::Date(d) => Value::Date(d),
            Event::Integer(i) => Value::Integer(i),
            Event::Real(r) => Value::Real(r),
            Event::String(s) => Value::String(s.into_owned()),
            Event::Uid(u) => Value::Uid(u),
            _ => return Err(malformed("an element this reader does not know")),
        };
        match stack.last_mut() {
            None if root.is_some() => return Err(malformed("more than one top-level value")),
            None => root = Some(value),
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Dict(dict, pending)) => match pending.take() {
                Some(key) => {
                    dict.insert(key, value);
                }
                None => match value {
                    Value::String(key) => *pending = Some(key),
                    _ => return Err(malformed("a dictionary key that is not a string")),
                },
            },
        }
    }
    if !stack.is_empty() {
        return Err(malformed("a collection was never closed"));
    }
    root.ok_or_else(|| malformed("empty body"))
}
