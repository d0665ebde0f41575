//! Google's discovery document, read once into typed values: each schema's fields with their
//! types, formats, enums and deprecations, and each method's query parameters.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Deserialize;

/// The discovery document beside the repository (`shared/conformance/android`), located from this
/// crate's manifest so it resolves wherever the repository is cloned.
pub fn conformance_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/android"
    ))
}

pub fn discovery_path() -> PathBuf {
    conformance_dir().join("androidmanagement.v1.json")
}

#[derive(Debug, Deserialize)]
pub(crate) struct Document {
    pub revision: String,
    pub schemas: HashMap<String, Schema>,
    #[serde(default)]
    resources: BTreeMap<String, Resource>,
    /// Every method of every resource, by id (`androidmanagement.enterprises.devices.delete`).
    #[serde(skip)]
    pub methods: HashMap<String, Method>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Schema {
    #[serde(default)]
    pub properties: BTreeMap<String, Property>,
}

/// A field of a schema, an array's items, a map's values, or a method's parameter.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Property {
    #[serde(rename = "type")]
    pub ty: Option<Ty>,
    /// Another schema, by name: the value is an object of that schema.
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    pub format: Option<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    /// Parallel to `enum_values`.
    pub enum_deprecated: Option<Vec<bool>>,
    pub items: Option<Box<Property>>,
    pub additional_properties: Option<Box<Property>>,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub read_only: bool,
    /// Parameters only: `path` or `query`.
    pub location: Option<String>,
    /// Parameters only: may be given more than once.
    #[serde(default)]
    pub repeated: bool,
}

/// The JSON types the document names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Ty {
    String,
    Boolean,
    Integer,
    Number,
    Array,
    Object,
    Any,
}

#[derive(Debug, Deserialize)]
struct Resource {
    #[serde(default)]
    methods: BTreeMap<String, Method>,
    #[serde(default)]
    resources: BTreeMap<String, Resource>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Method {
    pub id: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, Property>,
}

impl Property {
    /// Whether `value` is one of the enum's deprecated values.
    pub fn is_deprecated_value(&self, value: &str) -> bool {
        match (&self.enum_values, &self.enum_deprecated) {
            (Some(values), Some(deprecated)) => {
                values.iter().zip(deprecated).any(|(v, d)| *d && v == value)
            }
            _ => false,
        }
    }
}

fn collect_methods(resources: &mut BTreeMap<String, Resource>, out: &mut HashMap<String, Method>) {
    for resource in resources.values_mut() {
        for (_, method) in std::mem::take(&mut resource.methods) {
            out.insert(method.id.clone(), method);
        }
        collect_methods(&mut resource.resources, out);
    }
}

fn load() -> Result<Document, String> {
    let path = discovery_path();
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut doc: Document =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut methods = HashMap::new();
    collect_methods(&mut doc.resources, &mut methods);
    doc.methods = methods;
    Ok(doc)
}

/// The document, read and parsed on first use; the error says why it could not be.
pub(crate) fn document() -> Result<&'static Document, &'static str> {
    static DOC: OnceLock<Result<Document, String>> = OnceLock::new();
    DOC.get_or_init(load).as_ref().map_err(String::as_str)
}
