//! The SCEP payload (`com.apple.security.scep`): how a device obtains its identity certificate,
//! the one the MDM payload names.

use plist::{Dictionary, Integer, Value};

use super::Payload;

/// A SCEP enrolment, in Apple's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScepSettings {
    pub url: String,
    /// The CA name the SCEP server expects (`Name`), if it expects one.
    pub name: Option<String>,
    /// Relative distinguished names in order, e.g. `[("CN", "device"), ("O", "Example")]`.
    pub subject: Vec<(String, String)>,
    /// The challenge password; empty for none.
    pub challenge: String,
    /// 1024, 2048 or 4096, the sizes Apple allows.
    pub key_size: u32,
    pub uuid: String,
    pub identifier: String,
}

/// Key usage: digital signature (1) and key encipherment (4), which TLS client authentication
/// with an RSA key needs.
const SIGN_AND_ENCRYPT: i64 = 5;

/// The SCEP payload for `s`.
pub fn scep_payload(s: &ScepSettings) -> Payload {
    let mut inner = Dictionary::new();
    inner.insert("URL".to_owned(), Value::String(s.url.clone()));
    if let Some(name) = &s.name {
        inner.insert("Name".to_owned(), Value::String(name.clone()));
    }
    if !s.subject.is_empty() {
        // Apple's shape: an array of RDNs, each an array of [oid, value] pairs.
        let rdns = s
            .subject
            .iter()
            .map(|(oid, value)| {
                let pair = vec![Value::String(oid.clone()), Value::String(value.clone())];
                Value::Array(vec![Value::Array(pair)])
            })
            .collect();
        inner.insert("Subject".to_owned(), Value::Array(rdns));
    }
    if !s.challenge.is_empty() {
        inner.insert("Challenge".to_owned(), Value::String(s.challenge.clone()));
    }
    inner.insert(
        "Keysize".to_owned(),
        Value::Integer(Integer::from(u64::from(s.key_size))),
    );
    inner.insert("Key Type".to_owned(), Value::String("RSA".to_owned()));
    inner.insert(
        "Key Usage".to_owned(),
        Value::Integer(Integer::from(SIGN_AND_ENCRYPT)),
    );

    let display_name = s.name.as_deref().unwrap_or("SCEP");
    let mut payload = Payload::new(
        "com.apple.security.scep",
        &s.uuid,
        &s.identifier,
        display_name,
    );
    payload
        .content
        .insert("PayloadContent".to_owned(), Value::Dictionary(inner));
    payload
}
