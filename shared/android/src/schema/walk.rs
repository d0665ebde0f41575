//! Walking a JSON value against a schema of the document: every field must be one the schema
//! defines, of its type, format and enum; objects recurse through `$ref`, arrays through
//! `items`, maps through `additionalProperties`.

use serde_json::{Map, Value};

use super::Violation;
use super::document::{Document, Property, Ty};

/// How strict to be: a request must also avoid what Google deprecates or fills in itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Shapes only: what Google sends may carry deprecated and read-only fields.
    Shape,
    /// Shapes, and no deprecated fields or enum values, and no read-only fields.
    Request,
}

pub(crate) struct Walker<'a> {
    pub doc: &'a Document,
    pub mode: Mode,
    pub out: Vec<Violation>,
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Walker<'_> {
    fn push(&mut self, path: &str, problem: String) {
        self.out.push(Violation {
            path: path.to_owned(),
            problem,
        });
    }

    /// Checks `value` as an object of the schema `name`.
    pub fn object_of(&mut self, name: &str, value: &Value, path: &str) {
        let Value::Object(fields) = value else {
            self.push(
                path,
                format!("expected a {name} object, found {}", kind_of(value)),
            );
            return;
        };
        self.fields(name, fields, path);
    }

    fn fields(&mut self, name: &str, fields: &Map<String, Value>, path: &str) {
        let Some(schema) = self.doc.schemas.get(name) else {
            self.push(path, format!("the document has no schema `{name}`"));
            return;
        };
        for (field, value) in fields {
            let at = join(path, field);
            let Some(property) = schema.properties.get(field) else {
                self.push(&at, format!("`{field}` is not a field of {name}"));
                continue;
            };
            if self.mode == Mode::Request {
                if property.deprecated {
                    self.push(&at, format!("{name}.{field} is deprecated"));
                }
                if property.read_only {
                    self.push(&at, format!("{name}.{field} is read-only: Google sets it"));
                }
            }
            self.value(property, value, &at);
        }
    }

    /// Checks one value against a property (a field, an array's items or a map's values).
    pub fn value(&mut self, property: &Property, value: &Value, path: &str) {
        if let Some(reference) = &property.reference {
            self.object_of(reference, value, path);
            return;
        }
        let Some(ty) = property.ty else {
            self.push(
                path,
                "the document gives this field neither a type nor a $ref".into(),
            );
            return;
        };
        match (ty, value) {
            (Ty::Any, _) => {}
            // Proto3 JSON reads null as "absent"; what we write should leave the field out.
            (_, Value::Null) => self.push(path, "null: leave the field out instead".into()),
            (Ty::String, Value::String(s)) => self.string(property, s, path),
            (Ty::Boolean, Value::Bool(_)) => {}
            (Ty::Integer, Value::Number(n)) if !n.is_f64() => {
                if let Some(problem) = property
                    .format
                    .as_deref()
                    .and_then(|f| super::format::check_integer(f, n))
                {
                    self.push(path, problem);
                }
            }
            (Ty::Number, Value::Number(_)) => {}
            (Ty::Array, Value::Array(items)) => {
                let Some(item) = &property.items else {
                    self.push(path, "the document gives this array no items".into());
                    return;
                };
                for (i, value) in items.iter().enumerate() {
                    self.value(item, value, &format!("{path}[{i}]"));
                }
            }
            (Ty::Object, Value::Object(map)) => match &property.additional_properties {
                Some(each) => {
                    for (key, value) in map {
                        self.value(each, value, &join(path, key));
                    }
                }
                None => self.push(path, "the document gives this object no shape".into()),
            },
            (ty, value) => self.push(
                path,
                format!(
                    "expected {}, found {}",
                    ty_name(ty, property),
                    kind_of(value)
                ),
            ),
        }
    }

    fn string(&mut self, property: &Property, s: &str, path: &str) {
        if let Some(values) = &property.enum_values {
            if !values.iter().any(|v| v == s) {
                self.push(path, format!("{s:?} is not one of {}", values.join(", ")));
            } else if self.mode == Mode::Request && property.is_deprecated_value(s) {
                self.push(path, format!("{s:?} is a deprecated value"));
            }
        }
        if let Some(problem) = property
            .format
            .as_deref()
            .and_then(|f| super::format::check_string(f, s))
        {
            self.push(path, problem);
        }
    }
}

fn ty_name(ty: Ty, property: &Property) -> String {
    let name = match ty {
        Ty::String => "a string",
        Ty::Boolean => "a boolean",
        Ty::Integer => "an integer",
        Ty::Number => "a number",
        Ty::Array => "an array",
        Ty::Object => "an object",
        Ty::Any => "anything",
    };
    match &property.format {
        Some(format) => format!("{name} ({format})"),
        None => name.to_owned(),
    }
}
