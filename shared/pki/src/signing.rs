//! A profile-signing identity: a certificate (with its issuers) and its RSA key, which signs
//! configuration profiles as CMS SignedData with the profile inside, so a device shows the
//! profile as verified by its signer.

use der::{DecodePem, Encode};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::certs::{name_attribute, rsa_public_key, time_to_unix};
use crate::cms::signed::{Signer, sign_with_chain};
use crate::digest::DigestAlg;
use crate::error::PkiError;
use crate::oids;

/// A signing identity, checked to hold together (the key is the certificate's).
#[derive(Clone)]
pub struct SigningIdentity {
    certificate: Certificate,
    chain: Vec<Certificate>,
    key: RsaPrivateKey,
    /// SHA-256 of the signer's certificate (DER).
    pub fingerprint: [u8; 32],
    pub common_name: Option<String>,
    /// The signer certificate's end of validity (unix seconds).
    pub not_after: i64,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("common_name", &self.common_name)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Every `CERTIFICATE` block of a PEM text, in order.
fn certificate_blocks(pem: &str) -> Result<Vec<Certificate>, PkiError> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(block) = crate::ca::pem_block(rest, "CERTIFICATE") {
        out.push(Certificate::from_pem(block).map_err(PkiError::malformed("certificate PEM"))?);
        let end = rest.find(block).map_or(rest.len(), |i| i + block.len());
        rest = &rest[end..];
    }
    Ok(out)
}

impl SigningIdentity {
    /// The signer's certificate first, then its issuers (PEM), and its RSA key (PKCS#8 or
    /// PKCS#1 PEM).
    pub fn from_pem(certificates_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let mut certs = certificate_blocks(certificates_pem)?;
        if certs.is_empty() {
            return Err(PkiError::Malformed("no CERTIFICATE PEM block".into()));
        }
        let certificate = certs.remove(0);
        let key = if let Some(block) = crate::ca::pem_block(key_pem, "PRIVATE KEY") {
            RsaPrivateKey::from_pkcs8_pem(block)
                .map_err(|e| PkiError::Malformed(format!("private key PEM: {e}")))?
        } else if let Some(block) = crate::ca::pem_block(key_pem, "RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(block)
                .map_err(|e| PkiError::Malformed(format!("private key PEM: {e}")))?
        } else {
            return Err(PkiError::Malformed(
                "no RSA PRIVATE KEY or PRIVATE KEY PEM block (an RSA key is needed)".into(),
            ));
        };
        let public = rsa_public_key(&certificate.tbs_certificate.subject_public_key_info)?;
        if public != rsa::RsaPublicKey::from(&key) {
            return Err(PkiError::Malformed(
                "the private key does not match the certificate".into(),
            ));
        }
        let der = certificate
            .to_der()
            .map_err(PkiError::internal("certificate"))?;
        Ok(Self {
            fingerprint: Sha256::digest(&der).into(),
            common_name: name_attribute(&certificate.tbs_certificate.subject, oids::COMMON_NAME),
            not_after: time_to_unix(certificate.tbs_certificate.validity.not_after),
            certificate,
            chain: certs,
            key,
        })
    }

    /// `content` (a profile) as DER CMS SignedData that carries it, signed with SHA-256.
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>, PkiError> {
        let signer = Signer {
            key: &self.key,
            certificate: &self.certificate,
            digest: DigestAlg::Sha256,
        };
        sign_with_chain(&signer, content, true, Vec::new(), &self.chain)
    }
}

/// The content of an attached CMS SignedData after checking its signature with the
/// certificate it carries (what a device does before showing who signed a profile): for
/// tests and tools; trust in the signer is the reader's decision.
pub fn signed_content(der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let verified = crate::cms::signed::verify(der, None, &[], |_| Ok(()))?;
    verified
        .content
        .ok_or_else(|| PkiError::Malformed("the SignedData carries no content".into()))
}
