//! Google's discovery document as a checker of JSON: what we send must use only fields AMAPI
//! defines, with AMAPI's types, formats and enum values, and nothing deprecated or read-only;
//! our samples of what Google sends must fit the same schemas. Behind the `schema` feature, for
//! tests here and in other crates.

mod document;
mod format;
mod walk;

use std::fmt;

use serde_json::Value;

pub use document::{conformance_dir, discovery_path};
use walk::{Mode, Walker};

/// One thing wrong with a value: where (`applications[0].installType`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The JSON path from the checked value; empty for the value itself.
    pub path: String,
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "`{}`: {}", self.path, self.problem)
    }
}

fn run(schema_name: &str, value: &Value, mode: Mode) -> Result<(), Vec<Violation>> {
    let doc = document::document().map_err(unreadable)?;
    let mut walker = Walker {
        doc,
        mode,
        out: Vec::new(),
    };
    walker.object_of(schema_name, value, "");
    if walker.out.is_empty() {
        Ok(())
    } else {
        Err(walker.out)
    }
}

fn unreadable(reason: &str) -> Vec<Violation> {
    vec![Violation {
        path: String::new(),
        problem: format!("the discovery document cannot be read: {reason}"),
    }]
}

/// Checks `value` against the schema `schema_name` (`"Policy"`, `"Device"`...): every field
/// exists in the schema, with the right type, format and enum value, recursively. Deprecated and
/// read-only fields pass: Google sends them.
pub fn check(schema_name: &str, value: &Value) -> Result<(), Vec<Violation>> {
    run(schema_name, value, Mode::Shape)
}

/// `check`, and also refuses deprecated fields, deprecated enum values and read-only fields:
/// for the bodies we send.
pub fn check_request(schema_name: &str, value: &Value) -> Result<(), Vec<Violation>> {
    run(schema_name, value, Mode::Request)
}

/// Checks query parameters against a method's (`androidmanagement.enterprises.devices.delete`):
/// each is a query parameter of the method, given once unless `repeated`, with an allowed value.
pub fn check_query(method_id: &str, pairs: &[(&str, &str)]) -> Result<(), Vec<Violation>> {
    let doc = document::document().map_err(unreadable)?;
    let Some(method) = doc.methods.get(method_id) else {
        return Err(vec![Violation {
            path: String::new(),
            problem: format!("the document has no method `{method_id}`"),
        }]);
    };
    let mut walker = Walker {
        doc,
        mode: Mode::Request,
        out: Vec::new(),
    };
    for (i, (name, value)) in pairs.iter().enumerate() {
        let at = format!("{name}[{i}]");
        let Some(parameter) = method.parameters.get(*name) else {
            walker.out.push(Violation {
                path: at,
                problem: format!("`{name}` is not a parameter of {method_id}"),
            });
            continue;
        };
        if parameter.location.as_deref() != Some("query") {
            walker.out.push(Violation {
                path: at.clone(),
                problem: format!("`{name}` is not a query parameter"),
            });
        }
        if !parameter.repeated && pairs.iter().filter(|(n, _)| n == name).count() > 1 {
            walker.out.push(Violation {
                path: at.clone(),
                problem: format!("`{name}` is not repeated, yet given more than once"),
            });
        }
        walker.value(parameter, &Value::String((*value).to_owned()), &at);
    }
    if walker.out.is_empty() {
        Ok(())
    } else {
        Err(walker.out)
    }
}

/// The enum of a string field, or of the items of an array field.
fn enum_property(schema_name: &str, field: &str) -> Option<&'static document::Property> {
    let property = document::document()
        .ok()?
        .schemas
        .get(schema_name)?
        .properties
        .get(field)?;
    Some(property.items.as_deref().unwrap_or(property))
}

/// The values the document allows for a string field (or the items of an array field), in its
/// order; None if the field is not an enum.
pub fn enum_values(schema_name: &str, field: &str) -> Option<Vec<String>> {
    enum_property(schema_name, field)?.enum_values.clone()
}

/// The values of that enum the document deprecates.
pub fn deprecated_enum_values(schema_name: &str, field: &str) -> Vec<String> {
    let Some(property) = enum_property(schema_name, field) else {
        return Vec::new();
    };
    property
        .enum_values
        .iter()
        .flatten()
        .filter(|v| property.is_deprecated_value(v))
        .cloned()
        .collect()
}

/// The document's revision (`"20261104"`), to say which one a test checked against.
pub fn revision() -> Option<&'static str> {
    document::document().ok().map(|d| d.revision.as_str())
}
