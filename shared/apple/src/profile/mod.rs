//! Configuration profiles (`.mobileconfig`): the envelope of Apple's TopLevel schema around
//! payloads that carry the common payload keys, and builders of the payloads the server sends,
//! whose inputs use only keys Apple's payload schemas define.

mod app_lock;
mod certificate;
mod mail;
mod mdm;
mod passcode;
mod restrictions;
mod scep;
mod vpn;
mod wifi;

use plist::{Dictionary, Integer, Value};

use crate::render::xml;

pub use app_lock::app_lock_payload;
pub use certificate::{pkcs12_payload, root_certificate_payload};
pub use mail::{MailSettings, mail_payload};
pub use mdm::{ALL_ACCESS_RIGHTS, MdmSettings, mdm_payload};
pub use passcode::{PasscodeSettings, passcode_payload};
pub use restrictions::{RestrictionSettings, restrictions_payload};
pub use scep::{ScepSettings, scep_payload};
pub use vpn::{VpnSettings, vpn_payload};
pub use wifi::{WifiEncryption, WifiSettings, wifi_payload};

/// A configuration profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub identifier: String,
    pub uuid: String,
    pub display_name: String,
    pub organization: Option<String>,
    pub description: Option<String>,
    /// Only honoured on supervised devices.
    pub removal_disallowed: bool,
    pub payloads: Vec<Payload>,
}

/// One payload of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub payload_type: String,
    pub identifier: String,
    pub uuid: String,
    pub display_name: String,
    /// The payload-specific keys; a key that is also one of the common keys set from the fields
    /// above is ignored in favour of the field.
    pub content: Dictionary,
}

/// Common keys set from a payload's fields, which its content cannot override.
const COMMON_KEYS: &[&str] = &[
    "PayloadType",
    "PayloadIdentifier",
    "PayloadUUID",
    "PayloadVersion",
    "PayloadDisplayName",
];

impl Payload {
    /// A payload of `payload_type` with no content yet.
    pub(crate) fn new(
        payload_type: &str,
        uuid: &str,
        identifier: &str,
        display_name: &str,
    ) -> Self {
        Payload {
            payload_type: payload_type.to_owned(),
            identifier: identifier.to_owned(),
            uuid: uuid.to_owned(),
            display_name: display_name.to_owned(),
            content: Dictionary::new(),
        }
    }

    /// The payload's dictionary: the common keys, then the content.
    pub fn to_dictionary(&self) -> Dictionary {
        let mut dict = Dictionary::new();
        dict.insert(
            "PayloadType".to_owned(),
            Value::String(self.payload_type.clone()),
        );
        dict.insert(
            "PayloadIdentifier".to_owned(),
            Value::String(self.identifier.clone()),
        );
        dict.insert("PayloadUUID".to_owned(), Value::String(self.uuid.clone()));
        dict.insert(
            "PayloadVersion".to_owned(),
            Value::Integer(Integer::from(1)),
        );
        dict.insert(
            "PayloadDisplayName".to_owned(),
            Value::String(self.display_name.clone()),
        );
        for (key, value) in self.content.iter() {
            if !COMMON_KEYS.contains(&key.as_str()) {
                dict.insert(key.clone(), value.clone());
            }
        }
        dict
    }
}

impl Profile {
    /// The profile's top-level dictionary.
    pub fn to_dictionary(&self) -> Dictionary {
        let mut dict = Dictionary::new();
        let content = self
            .payloads
            .iter()
            .map(|p| Value::Dictionary(p.to_dictionary()))
            .collect();
        dict.insert("PayloadContent".to_owned(), Value::Array(content));
        dict.insert(
            "PayloadDisplayName".to_owned(),
            Value::String(self.display_name.clone()),
        );
        dict.insert(
            "PayloadIdentifier".to_owned(),
            Value::String(self.identifier.clone()),
        );
        dict.insert(
            "PayloadType".to_owned(),
            Value::String("Configuration".to_owned()),
        );
        dict.insert("PayloadUUID".to_owned(), Value::String(self.uuid.clone()));
        dict.insert(
            "PayloadVersion".to_owned(),
            Value::Integer(Integer::from(1)),
        );
        if let Some(organization) = &self.organization {
            dict.insert(
                "PayloadOrganization".to_owned(),
                Value::String(organization.clone()),
            );
        }
        if let Some(description) = &self.description {
            dict.insert(
                "PayloadDescription".to_owned(),
                Value::String(description.clone()),
            );
        }
        if self.removal_disallowed {
            dict.insert("PayloadRemovalDisallowed".to_owned(), Value::Boolean(true));
        }
        dict
    }
}

/// The profile as an XML plist (unsigned; signing is the caller's business).
pub fn render(profile: &Profile) -> Vec<u8> {
    xml(&Value::Dictionary(profile.to_dictionary()))
}

/// A payload's content being filled: typed setters that omit absent options.
pub(crate) struct Content(pub(crate) Dictionary);

impl Content {
    pub(crate) fn new() -> Self {
        Content(Dictionary::new())
    }

    pub(crate) fn set(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_owned(), value);
    }

    pub(crate) fn string(&mut self, key: &str, value: &str) {
        self.set(key, Value::String(value.to_owned()));
    }

    pub(crate) fn opt_string(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.string(key, value);
        }
    }

    pub(crate) fn bool(&mut self, key: &str, value: bool) {
        self.set(key, Value::Boolean(value));
    }

    pub(crate) fn opt_bool(&mut self, key: &str, value: Option<bool>) {
        if let Some(value) = value {
            self.bool(key, value);
        }
    }

    pub(crate) fn integer(&mut self, key: &str, value: i64) {
        self.set(key, Value::Integer(Integer::from(value)));
    }

    pub(crate) fn opt_integer(&mut self, key: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.integer(key, value);
        }
    }

    pub(crate) fn strings(&mut self, key: &str, values: &[String]) {
        self.set(
            key,
            Value::Array(values.iter().map(|v| Value::String(v.clone())).collect()),
        );
    }

    /// `payload` with this content.
    pub(crate) fn into_payload(self, mut payload: Payload) -> Payload {
        payload.content = self.0;
        payload
    }
}
