//! Apple's YAML device-management schemas (`spec/mdm/{checkin,commands,profiles}`) as a checker
//! of plists: what we render must use only keys Apple defines, with Apple's types and values, and
//! every key Apple requires. Behind the `schema` feature, for tests here and in other crates.

use std::path::{Path, PathBuf};

use plist::{Dictionary, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The conformance folder (`shared/conformance/apple`) beside the repository, located from this
/// crate's manifest so it resolves wherever the repository is cloned.
pub fn conformance_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/apple"
    ))
}

/// The folder of one kind of schema: `checkin`, `commands` or `profiles`.
fn spec_dir(kind: &str) -> PathBuf {
    conformance_dir().join("spec/mdm").join(kind)
}

/// One schema file: its request keys (`payloadkeys`) and response keys (`responsekeys`).
#[derive(Debug, Clone)]
pub struct Schema {
    title: String,
    /// `payload.requesttype` (check-in and commands) or `payload.payloadtype` (profiles).
    kind: Option<String>,
    payload_keys: Vec<KeySpec>,
    response_keys: Vec<KeySpec>,
    /// `payload.supportedOS.<os>.introduced` per OS (`iOS`, `macOS`, ...): a version, or `n/a`.
    introduced: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct KeySpec {
    name: String,
    ty: Ty,
    required: bool,
    range: Vec<Yaml>,
    subkeys: Vec<KeySpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    String,
    Integer,
    Boolean,
    Data,
    Date,
    Real,
    Dictionary,
    Array,
    Any,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "<string>" => Ty::String,
            "<integer>" => Ty::Integer,
            "<boolean>" => Ty::Boolean,
            "<data>" => Ty::Data,
            "<date>" => Ty::Date,
            "<real>" => Ty::Real,
            "<dictionary>" => Ty::Dictionary,
            "<array>" => Ty::Array,
            "<any>" => Ty::Any,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Ty::String => "<string>",
            Ty::Integer => "<integer>",
            Ty::Boolean => "<boolean>",
            Ty::Data => "<data>",
            Ty::Date => "<date>",
            Ty::Real => "<real>",
            Ty::Dictionary => "<dictionary>",
            Ty::Array => "<array>",
            Ty::Any => "<any>",
        }
    }

    fn matches(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (Ty::Any, _)
                | (Ty::String, Value::String(_))
                | (Ty::Integer, Value::Integer(_))
                | (Ty::Boolean, Value::Boolean(_))
                | (Ty::Data, Value::Data(_))
                | (Ty::Date, Value::Date(_))
                | (Ty::Real, Value::Real(_))
                | (Ty::Dictionary, Value::Dictionary(_))
                | (Ty::Array, Value::Array(_))
        )
    }
}

/// The plist type of `value`, in the schemas' spelling.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "<string>",
        Value::Integer(_) => "<integer>",
        Value::Boolean(_) => "<boolean>",
        Value::Data(_) => "<data>",
        Value::Date(_) => "<date>",
        Value::Real(_) => "<real>",
        Value::Dictionary(_) => "<dictionary>",
        Value::Array(_) => "<array>",
        _ => "an unknown plist type",
    }
}

/// The name under which the schemas declare "any key" at a level.
const WILDCARD: &str = "ANY";

/// A YAML scalar as text: key names are strings, but YAML may read one as a number or boolean.
fn scalar_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_keys(list: &Yaml, at: &str) -> Result<Vec<KeySpec>, String> {
    let items = match list {
        Yaml::BadValue | Yaml::Null => return Ok(Vec::new()),
        Yaml::Array(items) => items,
        _ => return Err(format!("{at}: expected a list of keys")),
    };
    items
        .iter()
        .map(|item| {
            let name =
                scalar_text(&item["key"]).ok_or_else(|| format!("{at}: a key without a name"))?;
            let at = format!("{at}.{name}");
            let ty = item["type"]
                .as_str()
                .and_then(Ty::parse)
                .ok_or_else(|| format!("{at}: unknown type {:?}", item["type"]))?;
            let range = match &item["rangelist"] {
                Yaml::Array(values) => values.clone(),
                _ => Vec::new(),
            };
            Ok(KeySpec {
                required: item["presence"].as_str() == Some("required"),
                subkeys: parse_keys(&item["subkeys"], &at)?,
                name,
                ty,
                range,
            })
        })
        .collect()
}

/// Whether a plist value is one of the values of a `rangelist`.
fn in_range(range: &[Yaml], value: &Value) -> bool {
    range.iter().any(|allowed| match (allowed, value) {
        (Yaml::String(a), Value::String(v)) => a == v,
        (Yaml::Integer(a), Value::Integer(v)) => v.as_signed() == Some(*a),
        (Yaml::Integer(a), Value::Real(v)) => (*a as f64) == *v,
        (Yaml::Real(a), Value::Real(v)) => a.parse::<f64>().ok() == Some(*v),
        (Yaml::Boolean(a), Value::Boolean(v)) => a == v,
        // Numbers the schema quotes ('1.0' for TLS versions) are compared as written.
        (Yaml::Real(a), Value::String(v)) => a == v,
        (Yaml::Integer(a), Value::String(v)) => a.to_string() == *v,
        _ => false,
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Checks every key of `dict` against `keys` and every required key's presence.
fn check_dict(keys: &[KeySpec], dict: &Dictionary, path: &str, out: &mut Vec<String>) {
    let wildcard = keys.iter().find(|k| k.name == WILDCARD);
    for (key, value) in dict.iter() {
        let at = join(path, key);
        match keys.iter().find(|k| k.name == *key).or(wildcard) {
            Some(spec) => check_value(spec, value, &at, out),
            None => out.push(format!(
                "`{at}`: unknown key (not in the schema at this level)"
            )),
        }
    }
    for spec in keys {
        if spec.required && spec.name != WILDCARD && !dict.contains_key(&spec.name) {
            out.push(format!(
                "`{}`: required key missing",
                join(path, &spec.name)
            ));
        }
    }
}

fn check_value(spec: &KeySpec, value: &Value, at: &str, out: &mut Vec<String>) {
    if !spec.ty.matches(value) {
        out.push(format!(
            "`{at}`: expected {}, found {}",
            spec.ty.name(),
            kind_of(value)
        ));
        return;
    }
    if !spec.range.is_empty() && !in_range(&spec.range, value) {
        out.push(format!(
            "`{at}`: {value:?} is not one of the allowed values {:?}",
            spec.range
        ));
    }
    match value {
        Value::Dictionary(dict) if spec.ty == Ty::Dictionary && !spec.subkeys.is_empty() => {
            check_dict(&spec.subkeys, dict, at, out);
        }
        Value::Array(items) if spec.ty == Ty::Array => check_items(&spec.subkeys, items, at, out),
        // A string whose "subkeys" are its allowed values: DeviceInformation's query names.
        Value::String(s)
            if spec.ty == Ty::String
                && !spec.subkeys.is_empty()
                && !spec.subkeys.iter().any(|k| k.name == *s) =>
        {
            out.push(format!(
                "`{at}`: `{s}` is not one of the {} values the schema names",
                spec.subkeys.len()
            ));
        }
        _ => {}
    }
}

/// Array items: one item shape is checked directly; with several (Settings), an item must fit
/// one of them.
fn check_items(shapes: &[KeySpec], items: &[Value], at: &str, out: &mut Vec<String>) {
    for (i, item) in items.iter().enumerate() {
        let at = format!("{at}[{i}]");
        match shapes {
            [] => {}
            [shape] => check_value(shape, item, &at, out),
            _ => {
                let fits = shapes.iter().any(|shape| {
                    let mut found = Vec::new();
                    check_value(shape, item, &at, &mut found);
                    found.is_empty()
                });
                if !fits {
                    out.push(format!(
                        "`{at}`: fits none of the {} item shapes",
                        shapes.len()
                    ));
                }
            }
        }
    }
}

impl Schema {
    /// Loads a check-in, command or profile schema file.
    pub fn load(path: &Path) -> Result<Schema, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let docs =
            YamlLoader::load_from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc = docs
            .first()
            .ok_or_else(|| format!("{}: empty YAML", path.display()))?;
        let at = path.display().to_string();
        Ok(Schema {
            title: doc["title"].as_str().unwrap_or_default().to_owned(),
            kind: scalar_text(&doc["payload"]["requesttype"])
                .or_else(|| scalar_text(&doc["payload"]["payloadtype"])),
            payload_keys: parse_keys(&doc["payloadkeys"], &at)?,
            response_keys: parse_keys(&doc["responsekeys"], &at)?,
            introduced: doc["payload"]["supportedOS"]
                .as_hash()
                .map(|oses| {
                    oses.iter()
                        .filter_map(|(os, v)| {
                            Some((os.as_str()?.to_owned(), scalar_text(&v["introduced"])?))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The version of `os` (`iOS`, `macOS`, `tvOS`, ...) that introduced the command or payload,
    /// per Apple's schema; None where Apple says `n/a` or does not name the OS.
    pub fn introduced_on(&self, os: &str) -> Option<&str> {
        self.introduced
            .iter()
            .find(|(name, _)| name == os)
            .map(|(_, v)| v.as_str())
            .filter(|v| *v != "n/a")
    }

    /// The command schema whose `requesttype` is `request_type`.
    pub fn for_request_type(request_type: &str) -> Result<Schema, String> {
        Self::find("commands", request_type)
    }

    /// The check-in schema whose `requesttype` is `message_type`.
    pub fn for_message_type(message_type: &str) -> Result<Schema, String> {
        Self::find("checkin", message_type)
    }

    /// The profile payload schema of `payload_type` (or `TopLevel`, `CommonPayloadKeys`).
    pub fn for_payload_type(payload_type: &str) -> Result<Schema, String> {
        // Payload types are reverse-DNS names: refuse anything that could leave the folder.
        if payload_type.is_empty()
            || payload_type.contains(['/', '\\'])
            || payload_type.starts_with('.')
        {
            return Err(format!("`{payload_type}` is not a payload type"));
        }
        Schema::load(&spec_dir("profiles").join(format!("{payload_type}.yaml")))
    }

    fn find(kind: &str, wanted: &str) -> Result<Schema, String> {
        let dir = spec_dir(kind);
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        {
            let schema = Schema::load(path)?;
            if schema.kind.as_deref() == Some(wanted) {
                return Ok(schema);
            }
        }
        Err(format!("no schema in {} for `{wanted}`", dir.display()))
    }

    /// The schema's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The request type or payload type the schema describes.
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// Every key in `dict` exists in the schema at that level with the right type and an allowed
    /// value (recursing into `<dictionary>` subkeys and `<array>` items), and every
    /// `presence: required` key is present. Returns every violation found. For command schemas
    /// `dict` is the `Command` dictionary (`RequestType` aside, which the schemas leave out).
    pub fn check(&self, dict: &Dictionary) -> Vec<String> {
        let mut out = Vec::new();
        let declares_request_type = self.payload_keys.iter().any(|k| k.name == "RequestType");
        match dict.get("RequestType") {
            Some(request_type) if !declares_request_type => {
                if request_type.as_string() != self.kind.as_deref() {
                    out.push(format!(
                        "`RequestType`: {request_type:?} is not this schema's {:?}",
                        self.kind
                    ));
                }
                let mut without = dict.clone();
                without.remove("RequestType");
                check_dict(&self.payload_keys, &without, "", &mut out);
            }
            _ => check_dict(&self.payload_keys, dict, "", &mut out),
        }
        out
    }

    /// Checks a device's response dictionary against `responsekeys`; the envelope every response
    /// carries (Status, CommandUUID, UDID, ...), which the command schemas leave out, is skipped.
    pub fn check_response(&self, dict: &Dictionary) -> Vec<String> {
        let mut own = dict.clone();
        for key in crate::response::ENVELOPE_KEYS {
            own.remove(key);
        }
        let mut out = Vec::new();
        check_dict(&self.response_keys, &own, "", &mut out);
        out
    }
}

/// Checks a rendered profile: its top level against TopLevel.yaml, and each payload against
/// CommonPayloadKeys.yaml together with its own PayloadType's schema. Returns every violation.
pub fn check_profile(profile_plist: &[u8]) -> Vec<String> {
    let dict = match Value::from_reader(std::io::Cursor::new(profile_plist)) {
        Ok(Value::Dictionary(dict)) => dict,
        Ok(other) => {
            return vec![format!(
                "profile: expected <dictionary>, found {}",
                kind_of(&other)
            )];
        }
        Err(e) => return vec![format!("profile: not a plist: {e}")],
    };
    let (top, common) = match (
        Schema::for_payload_type("TopLevel"),
        Schema::for_payload_type("CommonPayloadKeys"),
    ) {
        (Ok(top), Ok(common)) => (top, common),
        (Err(e), _) | (_, Err(e)) => return vec![e],
    };
    let mut out = top.check(&dict);
    let Some(Value::Array(payloads)) = dict.get("PayloadContent") else {
        return out;
    };
    for (i, payload) in payloads.iter().enumerate() {
        let at = format!("PayloadContent[{i}]");
        let Value::Dictionary(payload) = payload else {
            continue; // TopLevel's check already reported it
        };
        let Some(payload_type) = payload.get("PayloadType").and_then(Value::as_string) else {
            continue; // CommonPayloadKeys' required PayloadType: reported below
        };
        let mut keys = common.payload_keys.clone();
        match Schema::for_payload_type(payload_type) {
            Ok(own) => keys.extend(own.payload_keys),
            Err(e) => out.push(format!(
                "`{at}`: no schema for PayloadType `{payload_type}`: {e}"
            )),
        }
        check_dict(&keys, payload, &at, &mut out);
    }
    for (i, payload) in payloads.iter().enumerate() {
        if let Value::Dictionary(payload) = payload
            && !payload.contains_key("PayloadType")
        {
            out.push(format!(
                "`PayloadContent[{i}].PayloadType`: required key missing"
            ));
        }
    }
    out
}
