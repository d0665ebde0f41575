//! Checks of the PKCS#10 request inside a SCEP envelope: its own signature (proof that the
//! client holds the key), its key size, and the challengePassword it carries.

use der::{Decode, Encode};
use x509_cert::request::CertReq;

use crate::certs::{any_string, key_bits, rsa_public_key};
use crate::digest::{DigestAlg, rsa_verify};
use crate::error::PkiError;
use crate::oids;

pub(crate) struct CheckedCsr {
    pub csr: CertReq,
    pub key_bits: usize,
    pub challenge: Option<String>,
}

/// Reads and verifies a CSR. Its self-signature may use SHA-1 even under `modern_only`: it
/// only proves possession of the key, which a collision does not help forge, and older
/// Apple devices sign CSRs with SHA-1 whatever the CA advertises.
pub(crate) fn check(der: &[u8], min_key_bits: usize) -> Result<CheckedCsr, PkiError> {
    let csr = CertReq::from_der(der).map_err(|e| PkiError::BadCsr(format!("not PKCS#10: {e}")))?;
    let key = rsa_public_key(&csr.info.public_key).map_err(|e| match e {
        PkiError::Malformed(why) => PkiError::BadCsr(why),
        other => other,
    })?;
    let bits = key_bits(&key);
    if bits < min_key_bits {
        return Err(PkiError::WeakKey { bits });
    }
    let digest = DigestAlg::from_rsa_signature_oid(&csr.algorithm.oid)?.ok_or_else(|| {
        PkiError::UnsupportedAlgorithm("CSR signed with bare rsaEncryption".into())
    })?;
    let signature = csr
        .signature
        .as_bytes()
        .ok_or_else(|| PkiError::BadCsr("signature has unused bits".into()))?;
    let info = csr
        .info
        .to_der()
        .map_err(|e| PkiError::BadCsr(format!("request info: {e}")))?;
    rsa_verify(&key, digest, &info, signature)
        .map_err(|_| PkiError::BadCsr("the self-signature does not verify".into()))?;
    let challenge = match csr
        .info
        .attributes
        .iter()
        .find(|attr| attr.oid == oids::CHALLENGE_PASSWORD)
    {
        None => None,
        Some(attr) => {
            let value = attr
                .values
                .iter()
                .next()
                .ok_or_else(|| PkiError::BadCsr("challengePassword has no value".into()))?;
            Some(
                any_string(value)
                    .ok_or_else(|| PkiError::BadCsr("challengePassword is not a string".into()))?,
            )
        }
    };
    Ok(CheckedCsr {
        csr,
        key_bits: bits,
        challenge,
    })
}
