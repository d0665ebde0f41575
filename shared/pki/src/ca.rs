//! The certificate authority each tenant owns: it issues device identities over SCEP and is
//! the root every signed device request is checked against.

use der::pem::LineEnding;
use der::{DecodePem, Encode, EncodePem};
use rand::rngs::OsRng;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
};
use x509_cert::request::CertReq;

use crate::certs::{
    self, certificate_key_identifier, key_identifier, name, name_attribute, rsa_public_key,
    serial_hex, sign_certificate, spki_of, tbs_certificate, time_to_unix,
};
use crate::error::PkiError;
use crate::oids;

const CA_KEY_BITS: usize = 2048;
const SECONDS_PER_DAY: i64 = 86_400;

/// A tenant's CA: its self-signed certificate and RSA key.
#[derive(Clone)]
pub struct CertificateAuthority {
    certificate: Certificate,
    certificate_der: Vec<u8>,
    key: RsaPrivateKey,
    public_key: RsaPublicKey,
}

impl std::fmt::Debug for CertificateAuthority {
    // The private key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// RSA 2048, self-signed, SHA-256, CA:true, keyUsage keyCertSign+cRLSign+digitalSignature+
    /// keyEncipherment (the same certificate is the SCEP recipient devices encrypt to), valid
    /// `valid_days` from `now_unix`.
    pub fn generate(
        common_name: &str,
        organization: &str,
        now_unix: i64,
        valid_days: u32,
    ) -> Result<Self, PkiError> {
        let key = RsaPrivateKey::new(&mut OsRng, CA_KEY_BITS)
            .map_err(PkiError::internal("CA key generation"))?;
        let spki = spki_of(&RsaPublicKey::from(&key))?;
        let subject = name(common_name, organization)?;
        let mut extensions = Vec::new();
        let basic = BasicConstraints {
            ca: true,
            path_len_constraint: None,
        };
        extensions.push(ext(&basic, &subject, &extensions)?);
        let usage = KeyUsage(
            KeyUsages::KeyCertSign
                | KeyUsages::CRLSign
                | KeyUsages::DigitalSignature
                | KeyUsages::KeyEncipherment,
        );
        extensions.push(ext(&usage, &subject, &extensions)?);
        extensions.push(ext(&key_identifier(&spki)?, &subject, &extensions)?);
        let not_after = now_unix.saturating_add(i64::from(valid_days) * SECONDS_PER_DAY);
        let tbs = tbs_certificate(
            subject.clone(),
            subject,
            spki,
            now_unix,
            not_after,
            extensions,
        )?;
        let certificate = sign_certificate(tbs, &key)?;
        Self::from_parts(certificate, key)
    }

    fn from_parts(certificate: Certificate, key: RsaPrivateKey) -> Result<Self, PkiError> {
        let public_key = rsa_public_key(&certificate.tbs_certificate.subject_public_key_info)?;
        if public_key != RsaPublicKey::from(&key) {
            return Err(PkiError::Malformed(
                "the private key does not match the CA certificate".into(),
            ));
        }
        let certificate_der = certificate
            .to_der()
            .map_err(PkiError::internal("CA certificate"))?;
        Ok(Self {
            certificate,
            certificate_der,
            key,
            public_key,
        })
    }

    /// The certificate PEM followed by the PKCS#8 private key PEM: one string, stored as a secret.
    pub fn to_pem(&self) -> String {
        // Both encodings are of structures this type built or already parsed, so they cannot
        // fail short of memory exhaustion; an empty block would then fail `from_pem` loudly.
        let certificate = self.certificate.to_pem(LineEnding::LF).unwrap_or_default();
        let key = self
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .unwrap_or_default();
        format!("{certificate}{key}")
    }

    /// Reads what `to_pem` wrote (a PKCS#1 `RSA PRIVATE KEY` block is accepted too).
    pub fn from_pem(pem: &str) -> Result<Self, PkiError> {
        let cert_block = pem_block(pem, "CERTIFICATE")
            .ok_or_else(|| PkiError::Malformed("no CERTIFICATE PEM block".into()))?;
        let certificate =
            Certificate::from_pem(cert_block).map_err(PkiError::malformed("CA certificate PEM"))?;
        let key = if let Some(block) = pem_block(pem, "PRIVATE KEY") {
            RsaPrivateKey::from_pkcs8_pem(block)
                .map_err(|e| PkiError::Malformed(format!("CA private key PEM: {e}")))?
        } else if let Some(block) = pem_block(pem, "RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(block)
                .map_err(|e| PkiError::Malformed(format!("CA private key PEM: {e}")))?
        } else {
            return Err(PkiError::Malformed("no PRIVATE KEY PEM block".into()));
        };
        Self::from_parts(certificate, key)
    }

    pub fn certificate_der(&self) -> Vec<u8> {
        self.certificate_der.clone()
    }

    pub(crate) fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    pub(crate) fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }

    /// A verifier holding only the public certificate (what every signed request is checked
    /// against; no private key needed).
    pub fn verifier(&self) -> CaVerifier {
        CaVerifier {
            certificate: self.certificate.clone(),
            certificate_der: self.certificate_der.clone(),
            public_key: self.public_key.clone(),
        }
    }

    /// Issues a client identity for the CSR's public key: subject CN=`common_name`,
    /// O=`organization` (whatever the CSR asked), a random positive 16-byte serial, keyUsage
    /// digitalSignature+keyEncipherment, extendedKeyUsage clientAuth, validity
    /// `not_before..not_after` (unix seconds), signed SHA-256 with RSA. Returns the DER.
    /// The CSR must already be verified (`parse_request` does).
    pub fn issue(
        &self,
        csr: &CertReq,
        common_name: &str,
        organization: &str,
        not_before: i64,
        not_after: i64,
    ) -> Result<Vec<u8>, PkiError> {
        let spki = csr.info.public_key.clone();
        // Only RSA identities: that is what Apple's SCEP payload generates.
        rsa_public_key(&spki)?;
        let subject = name(common_name, organization)?;
        let mut extensions = Vec::new();
        let basic = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        };
        extensions.push(ext(&basic, &subject, &extensions)?);
        let usage = KeyUsage(KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment);
        extensions.push(ext(&usage, &subject, &extensions)?);
        let eku = ExtendedKeyUsage(vec![oids::KP_CLIENT_AUTH]);
        extensions.push(ext(&eku, &subject, &extensions)?);
        extensions.push(ext(&key_identifier(&spki)?, &subject, &extensions)?);
        let ca_key_id = match certificate_key_identifier(&self.certificate) {
            Some(id) => id,
            None => key_identifier(&self.certificate.tbs_certificate.subject_public_key_info)?
                .0
                .as_bytes()
                .to_vec(),
        };
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(
                der::asn1::OctetString::new(ca_key_id)
                    .map_err(PkiError::internal("authority key identifier"))?,
            ),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        };
        extensions.push(ext(&aki, &subject, &extensions)?);
        let tbs = tbs_certificate(
            self.certificate.tbs_certificate.subject.clone(),
            subject,
            spki,
            not_before,
            not_after,
            extensions,
        )?;
        sign_certificate(tbs, &self.key)?
            .to_der()
            .map_err(PkiError::internal("issued certificate"))
    }
}

fn ext<E: AsExtension>(
    extension: &E,
    subject: &x509_cert::name::Name,
    existing: &[x509_cert::ext::Extension],
) -> Result<x509_cert::ext::Extension, PkiError> {
    extension
        .to_extension(subject, existing)
        .map_err(PkiError::internal("extension"))
}

/// The text from `-----BEGIN label-----` through its END line.
pub(crate) fn pem_block<'a>(pem: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)?;
    let stop = start + pem[start..].find(&end)? + end.len();
    Some(&pem[start..stop])
}

/// The CA's public certificate: all that checking a device's certificate needs.
#[derive(Clone, Debug)]
pub struct CaVerifier {
    certificate: Certificate,
    certificate_der: Vec<u8>,
    public_key: RsaPublicKey,
}

impl CaVerifier {
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        use der::Decode;
        let certificate =
            Certificate::from_der(der).map_err(PkiError::malformed("CA certificate"))?;
        let public_key = rsa_public_key(&certificate.tbs_certificate.subject_public_key_info)?;
        Ok(Self {
            certificate,
            certificate_der: der.to_vec(),
            public_key,
        })
    }

    pub fn certificate_der(&self) -> Vec<u8> {
        self.certificate_der.clone()
    }

    /// Chains `cert_der` to this CA (issuer name matches, the CA key's RSA PKCS#1 v1.5
    /// signature with SHA-256 or SHA-1 verifies) and checks validity at `now_unix`.
    pub fn verify_certificate(&self, cert_der: &[u8], now_unix: i64) -> Result<Identity, PkiError> {
        use der::Decode;
        let cert = Certificate::from_der(cert_der).map_err(PkiError::malformed("certificate"))?;
        self.verify_parsed(&cert, cert_der, now_unix)
    }

    pub(crate) fn verify_parsed(
        &self,
        cert: &Certificate,
        cert_der: &[u8],
        now_unix: i64,
    ) -> Result<Identity, PkiError> {
        // The CA's own certificate is never a device identity.
        if cert_der == self.certificate_der.as_slice()
            || cert.tbs_certificate.issuer != self.certificate.tbs_certificate.subject
        {
            return Err(PkiError::NotIssuedByCa);
        }
        certs::verify_certificate_signature(cert, &self.public_key).map_err(|e| match e {
            PkiError::BadSignature => PkiError::NotIssuedByCa,
            other => other,
        })?;
        let validity = &cert.tbs_certificate.validity;
        if now_unix < time_to_unix(validity.not_before) {
            return Err(PkiError::NotYetValid);
        }
        let not_after = time_to_unix(validity.not_after);
        if now_unix > not_after {
            return Err(PkiError::Expired);
        }
        let subject = &cert.tbs_certificate.subject;
        Ok(Identity {
            certificate_der: cert_der.to_vec(),
            fingerprint: Sha256::digest(cert_der).into(),
            common_name: name_attribute(subject, oids::COMMON_NAME),
            organization: name_attribute(subject, oids::ORGANIZATION),
            serial_hex: serial_hex(&cert.tbs_certificate.serial_number),
            not_after,
        })
    }
}

/// What the server needs of a verified client certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub certificate_der: Vec<u8>,
    /// SHA-256 of the certificate's DER.
    pub fingerprint: [u8; 32],
    pub common_name: Option<String>,
    pub organization: Option<String>,
    /// The serial in lowercase hex, without a DER sign octet.
    pub serial_hex: String,
    /// Unix seconds.
    pub not_after: i64,
}
