//! Certificate payloads: a trusted root (`com.apple.security.root`) and an identity with its
//! key (`com.apple.security.pkcs12`).

use plist::Value;

use super::{Content, Payload};

/// A root certificate (DER) the device should trust, shown as `name`.
pub fn root_certificate_payload(name: &str, der: &[u8], uuid: &str, identifier: &str) -> Payload {
    let mut c = Content::new();
    c.string("PayloadCertificateFileName", name);
    c.set("PayloadContent", Value::Data(der.to_vec()));
    c.into_payload(Payload::new(
        "com.apple.security.root",
        uuid,
        identifier,
        name,
    ))
}

/// A PKCS #12 identity, with the password that opens it if the profile should carry it (without
/// one the device asks the user at installation).
pub fn pkcs12_payload(
    name: &str,
    data: &[u8],
    password: Option<&str>,
    uuid: &str,
    identifier: &str,
) -> Payload {
    let mut c = Content::new();
    c.string("PayloadCertificateFileName", name);
    c.set("PayloadContent", Value::Data(data.to_vec()));
    c.opt_string("Password", password);
    c.into_payload(Payload::new(
        "com.apple.security.pkcs12",
        uuid,
        identifier,
        name,
    ))
}
