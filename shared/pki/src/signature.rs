//! The check of Apple's `Mdm-Signature` header: a base64 CMS SignedData, detached, over the
//! request body, by the device identity our CA issued.

use der::Encode;

use crate::ca::{CaVerifier, Identity};
use crate::cms::signed;
use crate::error::PkiError;

/// Verifies a base64 CMS SignedData with detached content: the body's digest (SHA-1, SHA-256
/// or SHA-512) equals the messageDigest signed attribute (or, without signed attributes, the
/// signature is over the body), the RSA signature verifies with the embedded signer
/// certificate, and that certificate chains to `ca` and is valid at `now_unix`. Whitespace
/// and line breaks in the base64 are tolerated.
pub fn verify_mdm_signature(
    header_b64: &str,
    body: &[u8],
    ca: &CaVerifier,
    now_unix: i64,
) -> Result<Identity, PkiError> {
    let der = crate::base64_text::decode(header_b64, "Mdm-Signature")?;
    verify_detached(&der, body, ca, now_unix)
}

/// `verify_mdm_signature` on the CMS DER itself, for fuzzing and callers that decoded already.
pub fn verify_detached(
    cms_der: &[u8],
    body: &[u8],
    ca: &CaVerifier,
    now_unix: i64,
) -> Result<Identity, PkiError> {
    let verified = signed::verify(cms_der, Some(body), &[], |_| Ok(()))?;
    let cert_der = verified
        .signer_certificate
        .to_der()
        .map_err(PkiError::malformed("signer certificate"))?;
    ca.verify_parsed(&verified.signer_certificate, &cert_der, now_unix)
}
