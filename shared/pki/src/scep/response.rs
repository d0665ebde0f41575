//! CertRep messages: the CA's signed answer to a PKIOperation request.

use cms::content_info::ContentInfo;
use der::{Decode, Encode};
use rand::RngCore;
use rand::rngs::OsRng;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use crate::ca::CertificateAuthority;
use crate::cms::{envelope, signed};
use crate::error::PkiError;
use crate::oids;

use super::{CERT_REP, FailInfo, PkiRequest, STATUS_FAILURE, STATUS_SUCCESS, attributes};

/// CertRep with pkiStatus SUCCESS: SignedData by the CA with the request's digest, attributes
/// messageType=3, pkiStatus=0, transactionID (echoed), recipientNonce (the request's
/// senderNonce) and a fresh senderNonce; its content an EnvelopedData for the requester's
/// certificate, with the request's cipher, holding a certs-only SignedData of `issued_der`.
pub fn success_response(
    ca: &CertificateAuthority,
    req: &PkiRequest,
    issued_der: &[u8],
) -> Result<Vec<u8>, PkiError> {
    let issued =
        Certificate::from_der(issued_der).map_err(PkiError::malformed("issued certificate"))?;
    // cms's conversion writes the degenerate certs-only SignedData RFC 8894 §3.3.2 asks for.
    let degenerate = ContentInfo::try_from(issued)
        .and_then(|info| info.to_der())
        .map_err(PkiError::internal("certs-only SignedData"))?;
    let envelope = envelope::seal(&degenerate, &req.requester_certificate, req.cipher)?;
    let attrs = cert_rep_attributes(req, STATUS_SUCCESS, None)?;
    sign(ca, req, &envelope, true, attrs)
}

/// CertRep with pkiStatus FAILURE and `fail` as failInfo; no content.
pub fn failure_response(
    ca: &CertificateAuthority,
    req: &PkiRequest,
    fail: FailInfo,
) -> Result<Vec<u8>, PkiError> {
    let attrs = cert_rep_attributes(req, STATUS_FAILURE, Some(fail))?;
    sign(ca, req, &[], false, attrs)
}

fn cert_rep_attributes(
    req: &PkiRequest,
    status: &str,
    fail: Option<FailInfo>,
) -> Result<Vec<Attribute>, PkiError> {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    let mut attrs = vec![
        attributes::string(oids::SCEP_MESSAGE_TYPE, CERT_REP)?,
        attributes::string(oids::SCEP_PKI_STATUS, status)?,
        attributes::string(oids::SCEP_TRANSACTION_ID, &req.transaction_id)?,
        attributes::octets(oids::SCEP_RECIPIENT_NONCE, &req.sender_nonce)?,
        attributes::octets(oids::SCEP_SENDER_NONCE, &nonce)?,
    ];
    if let Some(fail) = fail {
        attrs.push(attributes::string(oids::SCEP_FAIL_INFO, fail.code())?);
    }
    Ok(attrs)
}

fn sign(
    ca: &CertificateAuthority,
    req: &PkiRequest,
    content: &[u8],
    embed: bool,
    attrs: Vec<Attribute>,
) -> Result<Vec<u8>, PkiError> {
    let signer = signed::Signer {
        key: ca.private_key(),
        certificate: ca.certificate(),
        // A request under modern_only cannot have used SHA-1, so echoing it is the policy.
        digest: req.digest,
    };
    signed::sign(&signer, content, embed, attrs)
}
