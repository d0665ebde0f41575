//! The device side of `Mdm-Signature`: signing a check-in or command-result body with the
//! identity the CA issued.

use crate::cms::signed::{Signer, sign};
use crate::digest::DigestAlg;
use crate::error::PkiError;

use super::{DeviceKey, parse_certificate};

/// The `Mdm-Signature` header value for `body`: base64 CMS SignedData, detached, with signed
/// attributes and the signer certificate (`certificate_der`, normally the issued identity)
/// embedded.
pub fn sign_body(
    key: &DeviceKey,
    certificate_der: &[u8],
    body: &[u8],
    digest: DigestAlg,
) -> Result<String, PkiError> {
    let certificate = parse_certificate(certificate_der, "signer certificate")?;
    let signer = Signer {
        key: key.private_key(),
        certificate: &certificate,
        digest,
    };
    let der = sign(&signer, body, false, Vec::new())?;
    Ok(crate::base64_text::encode(&der))
}
