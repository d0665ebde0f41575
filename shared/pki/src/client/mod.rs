//! The device side of enrolment and signed requests: what our simulated Apple device does,
//! and what builds fuzz seed corpora and tests.

mod mdm_signature;
mod scep;

pub use mdm_signature::sign_body;
pub use scep::{
    CertRepOutcome, RequestOptions, ScepRequestMessage, pkcs_req, pki_message, read_cert_rep,
};

use der::asn1::{Any, SetOfVec};
use der::{Decode, Encode, Tag};
use rand::rngs::OsRng;
use rsa::{RsaPrivateKey, RsaPublicKey};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::request::{CertReq, CertReqInfo};

use crate::certs::{name, sign_certificate, spki_of, tbs_certificate};
use crate::digest::{DigestAlg, rsa_sign};
use crate::error::PkiError;
use crate::oids;

/// 2020-01-01T00:00:00Z and 2049-12-31T23:59:59Z: the self-signed SCEP certificate is a
/// throwaway nobody checks the dates of, so a fixed window keeps this code clock-free.
const SELF_SIGNED_NOT_BEFORE: i64 = 1_577_836_800;
const SELF_SIGNED_NOT_AFTER: i64 = 2_524_607_999;

/// A device's RSA key and the self-signed certificate it signs its SCEP request with.
#[derive(Clone)]
pub struct DeviceKey {
    key: RsaPrivateKey,
    certificate: Certificate,
    certificate_der: Vec<u8>,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// A fresh RSA key of `bits` and a self-signed certificate CN=`common_name` for it.
    pub fn generate(bits: usize, common_name: &str) -> Result<Self, PkiError> {
        let key = RsaPrivateKey::new(&mut OsRng, bits)
            .map_err(PkiError::internal("RSA key generation"))?;
        let subject = name(common_name, "")?;
        let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment)
            .to_extension(&subject, &[])
            .map_err(PkiError::internal("key usage"))?;
        let tbs = tbs_certificate(
            subject.clone(),
            subject,
            spki_of(&RsaPublicKey::from(&key))?,
            SELF_SIGNED_NOT_BEFORE,
            SELF_SIGNED_NOT_AFTER,
            vec![usage],
        )?;
        let certificate = sign_certificate(tbs, &key)?;
        let certificate_der = certificate
            .to_der()
            .map_err(PkiError::internal("self-signed certificate"))?;
        Ok(Self {
            key,
            certificate,
            certificate_der,
        })
    }

    /// The DER of the self-signed certificate.
    pub fn certificate_der(&self) -> Vec<u8> {
        self.certificate_der.clone()
    }

    /// The DER SubjectPublicKeyInfo of the key.
    pub fn public_key_der(&self) -> Result<Vec<u8>, PkiError> {
        spki_of(&RsaPublicKey::from(&self.key))?
            .to_der()
            .map_err(PkiError::internal("public key"))
    }

    /// The key as PKCS#8 PEM, for a TLS client presenting the issued identity (mutual TLS).
    pub fn private_key_pem(&self) -> Result<String, PkiError> {
        use rsa::pkcs8::EncodePrivateKey;
        self.key
            .to_pkcs8_pem(der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(PkiError::internal("private key PEM"))
    }

    pub(crate) fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }

    pub(crate) fn certificate(&self) -> &Certificate {
        &self.certificate
    }
}

/// A PKCS#10 CSR signed with the key (SHA-256), subject CN=`common_name`, with a
/// challengePassword attribute when `challenge` is given.
pub fn csr(
    key: &DeviceKey,
    common_name: &str,
    challenge: Option<&str>,
) -> Result<Vec<u8>, PkiError> {
    csr_with_digest(key, common_name, challenge, DigestAlg::Sha256)
}

/// `csr` with the self-signature's digest chosen (older devices sign CSRs with SHA-1).
pub fn csr_with_digest(
    key: &DeviceKey,
    common_name: &str,
    challenge: Option<&str>,
    digest: DigestAlg,
) -> Result<Vec<u8>, PkiError> {
    let mut attributes = SetOfVec::new();
    if let Some(challenge) = challenge {
        let value = Any::new(Tag::Utf8String, challenge.as_bytes())
            .map_err(PkiError::internal("challengePassword"))?;
        let mut values = SetOfVec::new();
        values
            .insert(value)
            .map_err(PkiError::internal("challengePassword"))?;
        attributes
            .insert(Attribute {
                oid: oids::CHALLENGE_PASSWORD,
                values,
            })
            .map_err(PkiError::internal("challengePassword"))?;
    }
    let info = CertReqInfo {
        version: x509_cert::request::Version::V1,
        subject: name(common_name, "")?,
        public_key: spki_of(&RsaPublicKey::from(&key.key))?,
        attributes,
    };
    let info_der = info.to_der().map_err(PkiError::internal("CSR"))?;
    let signature = rsa_sign(&key.key, digest, &info_der)?;
    let request = CertReq {
        info,
        algorithm: digest.rsa_signature_identifier(),
        signature: der::asn1::BitString::from_bytes(&signature)
            .map_err(PkiError::internal("CSR signature"))?,
    };
    request.to_der().map_err(PkiError::internal("CSR"))
}

/// Parses a certificate given to the device side.
pub(crate) fn parse_certificate(der: &[u8], what: &'static str) -> Result<Certificate, PkiError> {
    Certificate::from_der(der).map_err(PkiError::malformed(what))
}
