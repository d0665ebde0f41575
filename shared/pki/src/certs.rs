//! X.509 pieces the CA and the simulated device share: names, times, serials, RSA keys out of
//! SubjectPublicKeyInfo, and signing a TBSCertificate.

use std::time::Duration;

use der::asn1::{Any, BitString, SetOfVec};
use der::referenced::OwnedToRef;
use der::{DateTime, Encode, Tag, Tagged};
use rand::RngCore;
use rand::rngs::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::TbsCertificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use crate::digest::{DigestAlg, rsa_sign, rsa_verify};
use crate::error::PkiError;
use crate::oids;

/// A name of `O=organization, CN=common_name` (O left out when empty), UTF8String values.
pub(crate) fn name(common_name: &str, organization: &str) -> Result<Name, PkiError> {
    let mut rdns = Vec::new();
    if !organization.is_empty() {
        rdns.push(rdn(oids::ORGANIZATION, organization)?);
    }
    rdns.push(rdn(oids::COMMON_NAME, common_name)?);
    Ok(RdnSequence(rdns))
}

fn rdn(
    oid: der::oid::ObjectIdentifier,
    value: &str,
) -> Result<RelativeDistinguishedName, PkiError> {
    let value = Any::new(Tag::Utf8String, value.as_bytes()).map_err(PkiError::internal("name"))?;
    let mut set = SetOfVec::new();
    set.insert(AttributeTypeAndValue { oid, value })
        .map_err(PkiError::internal("name"))?;
    Ok(RelativeDistinguishedName(set))
}

/// The first value of `oid` in `name`, when it is a string type we can read.
pub(crate) fn name_attribute(name: &Name, oid: der::oid::ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| any_string(&atv.value))
}

/// Reads the string types a DirectoryString (or a SCEP PrintableString) may hold.
pub(crate) fn any_string(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            String::from_utf8(value.value().to_vec()).ok()
        }
        Tag::BmpString => {
            let bytes = value.value();
            if !bytes.len().is_multiple_of(2) {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

/// A certificate time for unix seconds: UTCTime through 2049, GeneralizedTime after (RFC 5280).
pub(crate) fn time_from_unix(secs: i64) -> Result<Time, PkiError> {
    let secs = u64::try_from(secs)
        .map_err(|_| PkiError::Internal(format!("time {secs} is before 1970")))?;
    let date = DateTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(PkiError::internal("time"))?;
    if date.year() >= 2050 {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(date),
        ))
    } else {
        der::asn1::UtcTime::from_date_time(date)
            .map(Time::UtcTime)
            .map_err(PkiError::internal("time"))
    }
}

pub(crate) fn time_to_unix(time: Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// A positive serial of 16 random bytes (`SerialNumber::new` adds the sign octet when needed).
pub(crate) fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    // A leading zero octet would make the integer's minimal encoding shorter than 16 bytes.
    if bytes[0] == 0 {
        bytes[0] = 1;
    }
    SerialNumber::new(&bytes).map_err(PkiError::internal("serial number"))
}

/// The serial as lowercase hex without the DER sign octet.
pub(crate) fn serial_hex(serial: &SerialNumber) -> String {
    let bytes = serial.as_bytes();
    let trimmed = match bytes {
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    trimmed.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn spki_of(key: &RsaPublicKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    SubjectPublicKeyInfoOwned::from_key(key.clone()).map_err(PkiError::internal("public key"))
}

/// The RSA key of a peer's SubjectPublicKeyInfo; other key types are unsupported. The `rsa`
/// crate refuses moduli over 4096 bits, which bounds the work a hostile key can cause (and
/// is the largest key Apple's SCEP payload offers).
pub(crate) fn rsa_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<RsaPublicKey, PkiError> {
    if spki.algorithm.oid != oids::RSA_ENCRYPTION {
        return Err(PkiError::UnsupportedAlgorithm(format!(
            "public key {}",
            spki.algorithm.oid
        )));
    }
    RsaPublicKey::try_from(spki.owned_to_ref())
        .map_err(|e| PkiError::Malformed(format!("RSA public key: {e}")))
}

pub(crate) fn key_bits(key: &RsaPublicKey) -> usize {
    key.n().bits()
}

/// The subjectKeyIdentifier of a key: SHA-1 of the subjectPublicKey bits (RFC 5280 method 1).
pub(crate) fn key_identifier(
    spki: &SubjectPublicKeyInfoOwned,
) -> Result<SubjectKeyIdentifier, PkiError> {
    SubjectKeyIdentifier::try_from(spki.owned_to_ref())
        .map_err(PkiError::internal("key identifier"))
}

/// The certificate's subjectKeyIdentifier extension, if it has one.
pub(crate) fn certificate_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    use der::Decode;
    use der::oid::AssociatedOid;
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|ext| ext.extn_id == SubjectKeyIdentifier::OID)
        .and_then(|ext| SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes()).ok())
        .map(|ski| ski.0.as_bytes().to_vec())
}

/// Signs `tbs` with SHA-256 and RSA; `tbs.signature` must already name that algorithm.
pub(crate) fn sign_certificate(
    tbs: TbsCertificate,
    key: &RsaPrivateKey,
) -> Result<Certificate, PkiError> {
    let tbs_der = tbs.to_der().map_err(PkiError::internal("TBSCertificate"))?;
    let signature = rsa_sign(key, DigestAlg::Sha256, &tbs_der)?;
    Ok(Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature: BitString::from_bytes(&signature).map_err(PkiError::internal("signature"))?,
    })
}

/// Checks that `issuer_key` signed `cert` (RSA PKCS#1 v1.5 with SHA-1, SHA-256 or SHA-512).
pub(crate) fn verify_certificate_signature(
    cert: &Certificate,
    issuer_key: &RsaPublicKey,
) -> Result<(), PkiError> {
    // The outer algorithm is outside what the issuer signed: unless it must equal the signed
    // one (RFC 5280 4.1.1.2), one certificate has many encodings, each with its own
    // fingerprint, and whoever holds the key could slip past anything keyed on it.
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(PkiError::Malformed(
            "the certificate's signatureAlgorithm differs from the one it was signed with".into(),
        ));
    }
    let digest =
        DigestAlg::from_rsa_signature_oid(&cert.signature_algorithm.oid)?.ok_or_else(|| {
            PkiError::UnsupportedAlgorithm("certificate signed with bare rsaEncryption".into())
        })?;
    let signature = cert
        .signature
        .as_bytes()
        .ok_or_else(|| PkiError::Malformed("certificate signature has unused bits".into()))?;
    // x509-cert keeps no raw TBS bytes; its DER round-trips for DER input, which `from_der`
    // demands.
    let tbs_der = cert
        .tbs_certificate
        .to_der()
        .map_err(PkiError::malformed("TBSCertificate"))?;
    rsa_verify(issuer_key, digest, &tbs_der, signature)
}

/// A version-3 TBSCertificate signed with SHA-256 and RSA, the only kind this crate issues.
pub(crate) fn tbs_certificate(
    issuer: Name,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    not_before: i64,
    not_after: i64,
    extensions: Vec<x509_cert::ext::Extension>,
) -> Result<TbsCertificate, PkiError> {
    if not_after <= not_before {
        return Err(PkiError::Internal(format!(
            "validity ends ({not_after}) before it starts ({not_before})"
        )));
    }
    Ok(TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: random_serial()?,
        signature: DigestAlg::Sha256.rsa_signature_identifier(),
        issuer,
        validity: x509_cert::time::Validity {
            not_before: time_from_unix(not_before)?,
            not_after: time_from_unix(not_after)?,
        },
        subject,
        subject_public_key_info,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    })
}
