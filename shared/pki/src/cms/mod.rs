//! CMS (RFC 5652) as SCEP and `Mdm-Signature` use it: SignedData with one RSA signer, and
//! EnvelopedData with RSA key transport, assembled from the `cms` crate's typed structures.

pub(crate) mod envelope;
pub(crate) mod signed;

use cms::cert::IssuerAndSerialNumber;
use x509_cert::Certificate;

use crate::certs::certificate_key_identifier;

/// How a signer or recipient names `cert`.
pub(crate) fn issuer_and_serial(cert: &Certificate) -> IssuerAndSerialNumber {
    IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    }
}

/// Whether an issuerAndSerialNumber or subjectKeyIdentifier names `cert`.
pub(crate) fn names_certificate(
    issuer_and_serial_number: Option<&IssuerAndSerialNumber>,
    key_identifier: Option<&[u8]>,
    cert: &Certificate,
) -> bool {
    if let Some(ias) = issuer_and_serial_number {
        return ias.issuer == cert.tbs_certificate.issuer
            && ias.serial_number == cert.tbs_certificate.serial_number;
    }
    match (key_identifier, certificate_key_identifier(cert)) {
        (Some(wanted), Some(have)) => wanted == have.as_slice(),
        _ => false,
    }
}
