//! The device side of SCEP: building a PKIOperation request and reading the CA's CertRep.

use cms::cert::CertificateChoices;
use cms::signed_data::SignedData;
use der::Encode;
use rand::RngCore;
use rand::rngs::OsRng;

use crate::cipher::ContentCipher;
use crate::cms::{envelope, signed};
use crate::digest::DigestAlg;
use crate::error::PkiError;
use crate::oids;
use crate::scep::{
    CERT_REP, FailInfo, MessageType, STATUS_FAILURE, STATUS_PENDING, STATUS_SUCCESS, octets,
    read_octets, read_string, string,
};

use super::{DeviceKey, parse_certificate};

/// A request as sent, with what the client needs to check the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScepRequestMessage {
    /// The PKIOperation body (DER ContentInfo SignedData).
    pub der: Vec<u8>,
    /// The senderNonce the CertRep must echo as recipientNonce.
    pub sender_nonce: Vec<u8>,
    pub transaction_id: String,
}

/// How a PKIOperation request is built.
#[derive(Debug, Clone, Copy)]
pub struct RequestOptions<'a> {
    pub message_type: MessageType,
    pub cipher: ContentCipher,
    pub digest: DigestAlg,
    pub transaction_id: &'a str,
}

/// A PKCSReq as a device sends it: the CSR encrypted to `ca_cert_der` with `cipher`, signed
/// with the device's self-signed certificate using `digest`.
pub fn pkcs_req(
    key: &DeviceKey,
    csr_der: &[u8],
    ca_cert_der: &[u8],
    cipher: ContentCipher,
    digest: DigestAlg,
    transaction_id: &str,
) -> Result<ScepRequestMessage, PkiError> {
    let options = RequestOptions {
        message_type: MessageType::PkcsReq,
        cipher,
        digest,
        transaction_id,
    };
    pki_message(key, &key.certificate_der, csr_der, ca_cert_der, &options)
}

/// Any PKIOperation request, signed by `key` and carrying `signer_certificate_der` as the
/// signer's certificate (the issued identity for a RenewalReq).
pub fn pki_message(
    key: &DeviceKey,
    signer_certificate_der: &[u8],
    csr_der: &[u8],
    ca_cert_der: &[u8],
    options: &RequestOptions<'_>,
) -> Result<ScepRequestMessage, PkiError> {
    let ca = parse_certificate(ca_cert_der, "CA certificate")?;
    let signer_certificate = parse_certificate(signer_certificate_der, "signer certificate")?;
    let envelope = envelope::seal(csr_der, &ca, options.cipher)?;
    let mut sender_nonce = vec![0u8; 16];
    OsRng.fill_bytes(&mut sender_nonce);
    let attrs = vec![
        string(oids::SCEP_MESSAGE_TYPE, options.message_type.code())?,
        string(oids::SCEP_TRANSACTION_ID, options.transaction_id)?,
        octets(oids::SCEP_SENDER_NONCE, &sender_nonce)?,
    ];
    let signer = signed::Signer {
        key: key.private_key(),
        certificate: &signer_certificate,
        digest: options.digest,
    };
    let der = signed::sign(&signer, &envelope, true, attrs)?;
    Ok(ScepRequestMessage {
        der,
        sender_nonce,
        transaction_id: options.transaction_id.to_string(),
    })
}

/// What the CA answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertRepOutcome {
    Issued { certificate_der: Vec<u8> },
    Failed(FailInfo),
    Pending,
}

/// Reads the CA's CertRep: checks the CA's signature, that transactionID and recipientNonce
/// answer our request, and decrypts the issued certificate with the device key (the
/// envelope must name the device's self-signed certificate as recipient).
pub fn read_cert_rep(
    key: &DeviceKey,
    response_der: &[u8],
    ca_cert_der: &[u8],
    transaction_id: &str,
    sender_nonce: &[u8],
) -> Result<CertRepOutcome, PkiError> {
    let ca = parse_certificate(ca_cert_der, "CA certificate")?;
    let verified = signed::verify(response_der, None, &[&ca], |_| Ok(()))?;
    if verified
        .signer_certificate
        .tbs_certificate
        .subject_public_key_info
        != ca.tbs_certificate.subject_public_key_info
    {
        return Err(PkiError::Mismatch("CertRep not signed by the CA"));
    }
    if read_string(&verified, oids::SCEP_MESSAGE_TYPE, "messageType")? != CERT_REP {
        return Err(PkiError::Mismatch("messageType is not CertRep"));
    }
    if read_string(&verified, oids::SCEP_TRANSACTION_ID, "transactionID")? != transaction_id {
        return Err(PkiError::Mismatch("transactionID"));
    }
    if read_octets(&verified, oids::SCEP_RECIPIENT_NONCE, "recipientNonce")? != sender_nonce {
        return Err(PkiError::Mismatch("recipientNonce"));
    }
    match read_string(&verified, oids::SCEP_PKI_STATUS, "pkiStatus")?.as_str() {
        STATUS_SUCCESS => {
            let envelope_der = verified
                .content
                .as_deref()
                .ok_or(PkiError::MissingAttribute("pkcsPKIEnvelope"))?;
            let degenerate =
                envelope::parse(envelope_der)?.open(key.certificate(), key.private_key())?;
            let certificate_der = issued_certificate(key, &degenerate)?;
            Ok(CertRepOutcome::Issued { certificate_der })
        }
        STATUS_FAILURE => {
            let code = read_string(&verified, oids::SCEP_FAIL_INFO, "failInfo")?;
            Ok(CertRepOutcome::Failed(FailInfo::from_code(&code)?))
        }
        STATUS_PENDING => Ok(CertRepOutcome::Pending),
        other => Err(PkiError::Malformed(format!("pkiStatus {other:?}"))),
    }
}

/// The certificate for our key out of a certs-only SignedData.
fn issued_certificate(key: &DeviceKey, degenerate_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let signed_data: SignedData = signed::unwrap(
        degenerate_der,
        oids::ID_SIGNED_DATA,
        "certs-only SignedData",
    )?
    .decode_as()
    .map_err(PkiError::malformed("certs-only SignedData"))?;
    let ours = crate::certs::spki_of(&rsa::RsaPublicKey::from(key.private_key()))?;
    signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|choice| match choice {
            CertificateChoices::Certificate(cert)
                if cert.tbs_certificate.subject_public_key_info == ours =>
            {
                Some(cert)
            }
            _ => None,
        })
        .ok_or_else(|| PkiError::Malformed("no certificate for our key in the CertRep".into()))?
        .to_der()
        .map_err(PkiError::malformed("issued certificate"))
}
