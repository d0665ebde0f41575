//! Reading a PKIOperation request: the signed envelope a SCEP client posts.

use der::Encode;
use x509_cert::Certificate;
use x509_cert::request::CertReq;

use crate::ca::CertificateAuthority;
use crate::cipher::ContentCipher;
use crate::cms::{envelope, signed};
use crate::digest::DigestAlg;
use crate::error::PkiError;
use crate::oids;

use super::{MessageType, ScepPolicy, attributes, csr};

/// A verified, decrypted PKCSReq or RenewalReq.
#[derive(Debug, Clone)]
pub struct PkiRequest {
    pub message_type: MessageType,
    pub transaction_id: String,
    pub sender_nonce: Vec<u8>,
    /// The PKCS#10 request, its self-signature and key size already checked.
    pub csr: CertReq,
    pub csr_der: Vec<u8>,
    /// The CSR's challengePassword.
    pub challenge: Option<String>,
    pub key_bits: usize,
    /// The certificate the message was signed with: self-signed for a PKCSReq, the
    /// certificate being renewed for a RenewalReq (the caller checks it chains to the CA).
    pub requester_certificate: Certificate,
    pub digest: DigestAlg,
    pub cipher: ContentCipher,
}

impl PkiRequest {
    /// The DER of `requester_certificate`.
    pub fn requester_certificate_der(&self) -> Result<Vec<u8>, PkiError> {
        self.requester_certificate
            .to_der()
            .map_err(PkiError::internal("requester certificate"))
    }
}

/// Parses a PKIOperation message (DER of a CMS ContentInfo SignedData): checks the signer's
/// signature with the certificate it carries, reads messageType, transactionID and
/// senderNonce, decrypts the EnvelopedData addressed to the CA, and verifies the CSR's own
/// signature, key size and challengePassword. Algorithms the policy refuses are reported
/// before any private-key operation.
pub fn parse_request(
    der: &[u8],
    ca: &CertificateAuthority,
    policy: &ScepPolicy,
) -> Result<PkiRequest, PkiError> {
    let verified = signed::verify(der, None, &[], |digest| {
        if policy.modern_only && !digest.is_modern() {
            Err(PkiError::AlgorithmNotAllowed(digest.name().into()))
        } else {
            Ok(())
        }
    })?;
    let message_type = MessageType::from_code(&attributes::read_string(
        &verified,
        oids::SCEP_MESSAGE_TYPE,
        "messageType",
    )?)?;
    if message_type == MessageType::GetCertInitial {
        // Requests are answered at once and never left pending, so there is nothing to poll.
        return Err(PkiError::UnsupportedMessageType(
            "GetCertInitial (nothing is pending)".into(),
        ));
    }
    let transaction_id =
        attributes::read_string(&verified, oids::SCEP_TRANSACTION_ID, "transactionID")?;
    let sender_nonce = attributes::read_octets(&verified, oids::SCEP_SENDER_NONCE, "senderNonce")?;
    let envelope_der = verified
        .content
        .as_deref()
        .ok_or(PkiError::MissingAttribute("pkcsPKIEnvelope"))?;
    let sealed = envelope::parse(envelope_der)?;
    if policy.modern_only && !sealed.cipher.is_modern() {
        return Err(PkiError::AlgorithmNotAllowed(sealed.cipher.name().into()));
    }
    let csr_der = sealed.open(ca.certificate(), ca.private_key())?;
    let checked = csr::check(&csr_der, policy.min_key_bits)?;
    Ok(PkiRequest {
        message_type,
        transaction_id,
        sender_nonce,
        csr: checked.csr,
        csr_der,
        challenge: checked.challenge,
        key_bits: checked.key_bits,
        requester_certificate: verified.signer_certificate,
        digest: verified.digest,
        cipher: sealed.cipher,
    })
}
