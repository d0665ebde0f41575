//! EnvelopedData with RSA PKCS#1 v1.5 key transport and a CBC content cipher: SCEP's
//! pkcsPKIEnvelope in both directions. Assembled by hand from `cms`'s types because its
//! builder knows only AES, and SCEP clients still ask for DES and 3DES.

use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use der::asn1::{Any, OctetString, SetOfVec};
use rand::rngs::OsRng;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::certs::rsa_public_key;
use crate::cipher::ContentCipher;
use crate::error::PkiError;
use crate::oids;

use super::signed::{unwrap, wrap};

/// The DER of a ContentInfo EnvelopedData holding `content` for `recipient`'s RSA key.
pub(crate) fn seal(
    content: &[u8],
    recipient: &Certificate,
    cipher: ContentCipher,
) -> Result<Vec<u8>, PkiError> {
    let recipient_key = rsa_public_key(&recipient.tbs_certificate.subject_public_key_info)?;
    let (key, iv) = cipher.generate_key_iv();
    let encrypted = cipher.encrypt(&key, &iv, content)?;
    let encrypted_key = recipient_key
        .encrypt(&mut OsRng, Pkcs1v15Encrypt, &key)
        .map_err(PkiError::internal("key transport"))?;
    let ktri = KeyTransRecipientInfo {
        version: CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(super::issuer_and_serial(recipient)),
        key_enc_alg: AlgorithmIdentifierOwned {
            oid: oids::RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        enc_key: OctetString::new(encrypted_key).map_err(PkiError::internal("encryptedKey"))?,
    };
    let mut recipients = SetOfVec::new();
    recipients
        .insert(RecipientInfo::Ktri(ktri))
        .map_err(PkiError::internal("recipientInfos"))?;
    let iv = OctetString::new(iv).map_err(PkiError::internal("IV"))?;
    let enveloped = EnvelopedData {
        version: CmsVersion::V0,
        originator_info: None,
        recip_infos: RecipientInfos(recipients),
        encrypted_content: EncryptedContentInfo {
            content_type: oids::ID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: cipher.oid(),
                parameters: Some(Any::encode_from(&iv).map_err(PkiError::internal("IV"))?),
            },
            encrypted_content: Some(
                OctetString::new(encrypted).map_err(PkiError::internal("content"))?,
            ),
        },
        unprotected_attrs: None,
    };
    wrap(oids::ID_ENVELOPED_DATA, &enveloped)
}

/// A parsed EnvelopedData whose cipher is known, not yet decrypted: the policy can refuse
/// the cipher before any private-key operation.
pub(crate) struct Sealed {
    enveloped: EnvelopedData,
    pub cipher: ContentCipher,
    iv: Vec<u8>,
}

pub(crate) fn parse(der: &[u8]) -> Result<Sealed, PkiError> {
    let enveloped: EnvelopedData = unwrap(der, oids::ID_ENVELOPED_DATA, "EnvelopedData")?
        .decode_as()
        .map_err(PkiError::malformed("EnvelopedData"))?;
    let algorithm = &enveloped.encrypted_content.content_enc_alg;
    let cipher = ContentCipher::from_oid(&algorithm.oid)?;
    let iv: OctetString = algorithm
        .parameters
        .as_ref()
        .ok_or(PkiError::MissingAttribute("content encryption IV"))?
        .decode_as()
        .map_err(PkiError::malformed("content encryption IV"))?;
    if iv.as_bytes().len() != cipher.iv_len() {
        return Err(PkiError::Malformed(format!(
            "{} IV of {} bytes",
            cipher.name(),
            iv.as_bytes().len()
        )));
    }
    Ok(Sealed {
        cipher,
        iv: iv.as_bytes().to_vec(),
        enveloped,
    })
}

impl Sealed {
    /// Decrypts for the recipient `certificate` whose private key is `key`. An envelope with
    /// no key-transport recipient naming that certificate is `DecryptFailed`, as is any
    /// failure to unwrap the key or the content.
    pub fn open(
        &self,
        certificate: &Certificate,
        key: &RsaPrivateKey,
    ) -> Result<Vec<u8>, PkiError> {
        let ktri = self
            .enveloped
            .recip_infos
            .0
            .iter()
            .find_map(|info| match info {
                RecipientInfo::Ktri(ktri) if addressed_to(ktri, certificate) => Some(ktri),
                _ => None,
            })
            .ok_or(PkiError::DecryptFailed)?;
        if ktri.key_enc_alg.oid != oids::RSA_ENCRYPTION {
            return Err(PkiError::UnsupportedAlgorithm(format!(
                "key transport {}",
                ktri.key_enc_alg.oid
            )));
        }
        let content_key = key
            .decrypt_blinded(&mut OsRng, Pkcs1v15Encrypt, ktri.enc_key.as_bytes())
            .map_err(|_| PkiError::DecryptFailed)?;
        if content_key.len() != self.cipher.key_len() {
            return Err(PkiError::DecryptFailed);
        }
        let encrypted = self
            .enveloped
            .encrypted_content
            .encrypted_content
            .as_ref()
            .ok_or_else(|| PkiError::Malformed("EnvelopedData without content".into()))?;
        self.cipher
            .decrypt(&content_key, &self.iv, encrypted.as_bytes())
    }
}

fn addressed_to(ktri: &KeyTransRecipientInfo, certificate: &Certificate) -> bool {
    match &ktri.rid {
        RecipientIdentifier::IssuerAndSerialNumber(ias) => {
            super::names_certificate(Some(ias), None, certificate)
        }
        RecipientIdentifier::SubjectKeyIdentifier(ski) => {
            super::names_certificate(None, Some(ski.0.as_bytes()), certificate)
        }
    }
}
