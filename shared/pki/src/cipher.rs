//! The content ciphers SCEP envelopes use: the legacy DES and 3DES Apple devices still offer,
//! and AES-CBC.

use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use der::oid::ObjectIdentifier;
use des::{Des, TdesEde3};
use rand::RngCore;
use rand::rngs::OsRng;

use crate::error::PkiError;
use crate::oids;

/// A CBC content-encryption algorithm of a CMS EnvelopedData.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentCipher {
    DesCbc,
    DesEde3Cbc,
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
}

impl ContentCipher {
    /// Whether a `modern_only` policy accepts it (DES is broken, 3DES has a 64-bit block).
    pub fn is_modern(self) -> bool {
        !matches!(self, ContentCipher::DesCbc | ContentCipher::DesEde3Cbc)
    }

    pub fn name(self) -> &'static str {
        match self {
            ContentCipher::DesCbc => "DES-CBC",
            ContentCipher::DesEde3Cbc => "DES-EDE3-CBC",
            ContentCipher::Aes128Cbc => "AES-128-CBC",
            ContentCipher::Aes192Cbc => "AES-192-CBC",
            ContentCipher::Aes256Cbc => "AES-256-CBC",
        }
    }

    pub(crate) fn oid(self) -> ObjectIdentifier {
        match self {
            ContentCipher::DesCbc => oids::DES_CBC,
            ContentCipher::DesEde3Cbc => oids::DES_EDE3_CBC,
            ContentCipher::Aes128Cbc => oids::AES128_CBC,
            ContentCipher::Aes192Cbc => oids::AES192_CBC,
            ContentCipher::Aes256Cbc => oids::AES256_CBC,
        }
    }

    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Result<Self, PkiError> {
        match *oid {
            oids::DES_CBC => Ok(ContentCipher::DesCbc),
            oids::DES_EDE3_CBC => Ok(ContentCipher::DesEde3Cbc),
            oids::AES128_CBC => Ok(ContentCipher::Aes128Cbc),
            oids::AES192_CBC => Ok(ContentCipher::Aes192Cbc),
            oids::AES256_CBC => Ok(ContentCipher::Aes256Cbc),
            other => Err(PkiError::UnsupportedAlgorithm(format!(
                "content encryption {other}"
            ))),
        }
    }

    pub(crate) fn key_len(self) -> usize {
        match self {
            ContentCipher::DesCbc => 8,
            ContentCipher::DesEde3Cbc => 24,
            ContentCipher::Aes128Cbc => 16,
            ContentCipher::Aes192Cbc => 24,
            ContentCipher::Aes256Cbc => 32,
        }
    }

    /// The IV is one block.
    pub(crate) fn iv_len(self) -> usize {
        match self {
            ContentCipher::DesCbc | ContentCipher::DesEde3Cbc => 8,
            _ => 16,
        }
    }

    /// A fresh random key and IV.
    pub(crate) fn generate_key_iv(self) -> (Vec<u8>, Vec<u8>) {
        let mut key = vec![0u8; self.key_len()];
        let mut iv = vec![0u8; self.iv_len()];
        OsRng.fill_bytes(&mut key);
        OsRng.fill_bytes(&mut iv);
        (key, iv)
    }

    /// CBC with PKCS#7 padding, as CMS specifies.
    pub(crate) fn encrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, PkiError> {
        match self {
            ContentCipher::DesCbc => encrypt::<Des>(key, iv, data),
            ContentCipher::DesEde3Cbc => encrypt::<TdesEde3>(key, iv, data),
            ContentCipher::Aes128Cbc => encrypt::<Aes128>(key, iv, data),
            ContentCipher::Aes192Cbc => encrypt::<Aes192>(key, iv, data),
            ContentCipher::Aes256Cbc => encrypt::<Aes256>(key, iv, data),
        }
    }

    /// Any wrong key or IV length, ragged ciphertext or bad padding is `DecryptFailed`.
    pub(crate) fn decrypt(self, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, PkiError> {
        match self {
            ContentCipher::DesCbc => decrypt::<Des>(key, iv, data),
            ContentCipher::DesEde3Cbc => decrypt::<TdesEde3>(key, iv, data),
            ContentCipher::Aes128Cbc => decrypt::<Aes128>(key, iv, data),
            ContentCipher::Aes192Cbc => decrypt::<Aes192>(key, iv, data),
            ContentCipher::Aes256Cbc => decrypt::<Aes256>(key, iv, data),
        }
    }
}

fn encrypt<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, PkiError>
where
    C: BlockCipher + BlockEncryptMut + KeyInit,
{
    let encryptor = cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(PkiError::internal("content cipher key"))?;
    Ok(encryptor.encrypt_padded_vec_mut::<Pkcs7>(data))
}

fn decrypt<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, PkiError>
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
{
    let decryptor =
        cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| PkiError::DecryptFailed)?;
    decryptor
        .decrypt_padded_vec_mut::<Pkcs7>(data)
        .map_err(|_| PkiError::DecryptFailed)
}
