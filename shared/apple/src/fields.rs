//! Typed reads of one dictionary's keys, so every parser refuses a wrong type or a missing key
//! with an error that names the key (as a path, for nested dictionaries).

use plist::{Dictionary, Value};

use crate::FormatError;

/// A dictionary from a device and the path that leads to it (empty at the top level).
pub(crate) struct Fields<'a> {
    dict: &'a Dictionary,
    prefix: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(dict: &'a Dictionary) -> Self {
        Fields {
            dict,
            prefix: String::new(),
        }
    }

    /// A nested dictionary, whose keys are named `path.Key` in errors.
    pub(crate) fn nested(dict: &'a Dictionary, path: &str) -> Self {
        Fields {
            dict,
            prefix: format!("{path}."),
        }
    }

    /// The full name of `key` for error messages.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn wrong(&self, key: &str, expected: &'static str) -> FormatError {
        FormatError::WrongType {
            key: self.name(key),
            expected,
        }
    }

    pub(crate) fn missing(&self, key: &str) -> FormatError {
        FormatError::MissingKey(self.name(key))
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.dict.get(key)
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    pub(crate) fn req_string(&self, key: &str) -> Result<String, FormatError> {
        self.string(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "a boolean")),
        }
    }

    pub(crate) fn data(&self, key: &str) -> Result<Option<Vec<u8>>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Data(d)) => Ok(Some(d.clone())),
            Some(_) => Err(self.wrong(key, "data")),
        }
    }

    pub(crate) fn req_data(&self, key: &str) -> Result<Vec<u8>, FormatError> {
        self.data(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn integer(&self, key: &str) -> Result<Option<i64>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => i
                .as_signed()
                .map(Some)
                .ok_or_else(|| self.invalid(key, "larger than a signed 64-bit integer")),
            Some(_) => Err(self.wrong(key, "an integer")),
        }
    }

    /// A `<real>`; an `<integer>` is accepted too, since a whole number of gigabytes or degrees
    /// is still a number and nothing is gained by refusing it.
    pub(crate) fn real(&self, key: &str) -> Result<Option<f64>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Real(r)) => Ok(Some(*r)),
            Some(Value::Integer(i)) => match (i.as_signed(), i.as_unsigned()) {
                (Some(n), _) => Ok(Some(n as f64)),
                (None, Some(n)) => Ok(Some(n as f64)),
                (None, None) => Err(self.wrong(key, "a real")),
            },
            Some(_) => Err(self.wrong(key, "a real")),
        }
    }

    pub(crate) fn req_real(&self, key: &str) -> Result<f64, FormatError> {
        self.real(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn dict(&self, key: &str) -> Result<Option<&'a Dictionary>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Dictionary(d)) => Ok(Some(d)),
            Some(_) => Err(self.wrong(key, "a dictionary")),
        }
    }

    pub(crate) fn req_dict(&self, key: &str) -> Result<&'a Dictionary, FormatError> {
        self.dict(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a [Value]>, FormatError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.wrong(key, "an array")),
        }
    }

    pub(crate) fn invalid(&self, key: &str, reason: &str) -> FormatError {
        FormatError::Invalid {
            key: self.name(key),
            reason: reason.to_owned(),
        }
    }
}

/// The dictionary at `index` of an array named `path`, for reading list items.
pub(crate) fn item<'a>(
    value: &'a Value,
    path: &str,
    index: usize,
) -> Result<Fields<'a>, FormatError> {
    let path = format!("{path}[{index}]");
    match value {
        Value::Dictionary(d) => Ok(Fields::nested(d, &path)),
        _ => Err(FormatError::WrongType {
            key: path,
            expected: "a dictionary",
        }),
    }
}
