//! SCEP's signed attributes (messageType, pkiStatus, failInfo, transactionID and the nonces):
//! PrintableStrings and OCTET STRINGs under VeriSign's arc.

use der::asn1::{Any, OctetString, PrintableStringRef, Utf8StringRef};
use der::oid::ObjectIdentifier;
use x509_cert::attr::Attribute;

use crate::certs::any_string;
use crate::cms::signed::{Verified, attribute};
use crate::error::PkiError;

/// A PrintableString attribute; text outside PrintableString's alphabet (a transactionID a
/// client sent as UTF8String) is echoed as UTF8String.
pub(crate) fn string(oid: ObjectIdentifier, value: &str) -> Result<Attribute, PkiError> {
    let any = match PrintableStringRef::new(value) {
        Ok(printable) => Any::encode_from(&printable),
        Err(_) => Utf8StringRef::new(value).and_then(|utf8| Any::encode_from(&utf8)),
    }
    .map_err(PkiError::internal("SCEP string attribute"))?;
    attribute(oid, any)
}

pub(crate) fn octets(oid: ObjectIdentifier, value: &[u8]) -> Result<Attribute, PkiError> {
    let octets = OctetString::new(value).map_err(PkiError::internal("SCEP nonce"))?;
    attribute(
        oid,
        Any::encode_from(&octets).map_err(PkiError::internal("SCEP nonce"))?,
    )
}

pub(crate) fn read_string(
    verified: &Verified,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<String, PkiError> {
    let value = verified
        .attribute(oid)
        .ok_or(PkiError::MissingAttribute(name))?;
    any_string(value).ok_or_else(|| PkiError::Malformed(format!("{name} is not a string")))
}

pub(crate) fn read_octets(
    verified: &Verified,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<Vec<u8>, PkiError> {
    let value = verified
        .attribute(oid)
        .ok_or(PkiError::MissingAttribute(name))?;
    let octets: OctetString = value.decode_as().map_err(PkiError::malformed(name))?;
    Ok(octets.as_bytes().to_vec())
}
