//! JSON attribute values to DynamoDB `AttributeValue`s and back, so the rest of the adapter
//! speaks the core's `Item` (a JSON map) and only this file knows the wire types.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use mdm_ports::error::StoreError;
use mdm_ports::{Item, Key};
use serde_json::{Map, Number, Value};

/// The table's key attribute names (strings).
pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub fn to_av(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(list) => AttributeValue::L(list.iter().map(to_av).collect()),
        Value::Object(map) => AttributeValue::M(
            map.iter()
                .map(|(name, v)| (name.clone(), to_av(v)))
                .collect(),
        ),
    }
}

pub fn from_av(av: &AttributeValue) -> Result<Value, StoreError> {
    Ok(match av {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => Value::Number(number(n)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(list) => {
            Value::Array(list.iter().map(from_av).collect::<Result<_, _>>()?)
        }
        AttributeValue::M(map) => Value::Object(
            map.iter()
                .map(|(name, v)| Ok((name.clone(), from_av(v)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        AttributeValue::Ss(set) => Value::Array(set.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(set) => Value::Array(
            set.iter()
                .map(|n| number(n).map(Value::Number))
                .collect::<Result<_, _>>()?,
        ),
        // This adapter never writes binary or future types; an item holding one was written by
        // something else and is not ours to interpret.
        other => {
            return Err(StoreError::Corrupt(format!(
                "unsupported attribute {other:?}"
            )));
        }
    })
}

/// DynamoDB numbers are decimal strings; integers stay integers so counters compare exactly.
fn number(n: &str) -> Result<Number, StoreError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| StoreError::Corrupt(format!("number {n:?} does not fit a JSON number")))
}

pub fn key_av(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// The wire form of an item: its attributes plus the two key attributes.
pub fn item_av(item: &Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    if item.attrs.contains_key(PK) || item.attrs.contains_key(SK) {
        return Err(StoreError::Invalid(format!(
            "attributes may not be named {PK:?} or {SK:?}: those are the key"
        )));
    }
    let mut out = key_av(&item.key);
    out.extend(item.attrs.iter().map(|(name, v)| (name.clone(), to_av(v))));
    Ok(out)
}

pub fn item_from(av: &HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    let key_part = |name: &str| match av.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(StoreError::Corrupt(format!("item without a string {name}"))),
    };
    let key = Key::new(key_part(PK)?, key_part(SK)?);
    let mut attrs = Map::new();
    for (name, v) in av {
        if name != PK && name != SK {
            attrs.insert(name.clone(), from_av(v)?);
        }
    }
    Ok(Item::new(key, attrs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_json_shape_survives_the_round_trip() {
        let value = json!({
            "s": "x", "empty": "", "i": -42, "big": u64::MAX, "f": 1.5, "b": true, "n": null,
            "list": [1, "two", {"three": [3]}], "map": {"nested": {"deep": false}}
        });
        assert_eq!(from_av(&to_av(&value)).unwrap(), value);
    }

    #[test]
    fn key_attributes_inside_an_item_are_refused() {
        let item = Item::new(
            Key::new("T#1", "A"),
            json!({"pk": "other"}).as_object().unwrap().clone(),
        );
        assert!(matches!(item_av(&item), Err(StoreError::Invalid(_))));
    }
}
