//! The digest algorithms a SCEP client or an `Mdm-Signature` may use, and RSA PKCS#1 v1.5
//! signing and verification over them.

use der::asn1::Any;
use der::oid::ObjectIdentifier;
use rand::rngs::OsRng;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use spki::AlgorithmIdentifierOwned;

use crate::error::PkiError;
use crate::oids;

/// A message digest algorithm for CMS signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlg {
    Sha1,
    Sha256,
    Sha512,
}

impl DigestAlg {
    /// Whether a `modern_only` policy accepts it (SHA-1 collisions are practical).
    pub fn is_modern(self) -> bool {
        !matches!(self, DigestAlg::Sha1)
    }

    /// The name SCEP's GetCACaps and error messages use.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "SHA-1",
            DigestAlg::Sha256 => "SHA-256",
            DigestAlg::Sha512 => "SHA-512",
        }
    }

    pub(crate) fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlg::Sha1 => oids::SHA1,
            DigestAlg::Sha256 => oids::SHA256,
            DigestAlg::Sha512 => oids::SHA512,
        }
    }

    /// Reads a CMS digestAlgorithm.
    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Result<Self, PkiError> {
        match *oid {
            oids::SHA1 => Ok(DigestAlg::Sha1),
            oids::SHA256 => Ok(DigestAlg::Sha256),
            oids::SHA512 => Ok(DigestAlg::Sha512),
            other => Err(PkiError::UnsupportedAlgorithm(format!("digest {other}"))),
        }
    }

    /// The digest named by a `shaXWithRSAEncryption` signature algorithm, `None` for
    /// plain rsaEncryption (which CMS signers use, leaving the digest to digestAlgorithm).
    pub(crate) fn from_rsa_signature_oid(oid: &ObjectIdentifier) -> Result<Option<Self>, PkiError> {
        match *oid {
            oids::RSA_ENCRYPTION => Ok(None),
            oids::SHA1_WITH_RSA => Ok(Some(DigestAlg::Sha1)),
            oids::SHA256_WITH_RSA => Ok(Some(DigestAlg::Sha256)),
            oids::SHA512_WITH_RSA => Ok(Some(DigestAlg::Sha512)),
            other => Err(PkiError::UnsupportedAlgorithm(format!("signature {other}"))),
        }
    }

    /// AlgorithmIdentifier for CMS digestAlgorithm; parameters absent (RFC 5754 §2).
    pub(crate) fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// AlgorithmIdentifier `shaXWithRSAEncryption`, NULL parameters as RFC 4055 requires.
    pub(crate) fn rsa_signature_identifier(self) -> AlgorithmIdentifierOwned {
        let oid = match self {
            DigestAlg::Sha1 => oids::SHA1_WITH_RSA,
            DigestAlg::Sha256 => oids::SHA256_WITH_RSA,
            DigestAlg::Sha512 => oids::SHA512_WITH_RSA,
        };
        AlgorithmIdentifierOwned {
            oid,
            parameters: Some(Any::null()),
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha1 => Sha1::digest(data).to_vec(),
            DigestAlg::Sha256 => Sha256::digest(data).to_vec(),
            DigestAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            DigestAlg::Sha1 => Pkcs1v15Sign::new::<Sha1>(),
            DigestAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            DigestAlg::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }
}

/// Signs `message` (hashing it with `digest`) with RSA PKCS#1 v1.5, blinded.
pub(crate) fn rsa_sign(
    key: &RsaPrivateKey,
    digest: DigestAlg,
    message: &[u8],
) -> Result<Vec<u8>, PkiError> {
    key.sign_with_rng(&mut OsRng, digest.pkcs1v15(), &digest.digest(message))
        .map_err(PkiError::internal("RSA signature"))
}

/// Verifies an RSA PKCS#1 v1.5 signature over `message`.
pub(crate) fn rsa_verify(
    key: &RsaPublicKey,
    digest: DigestAlg,
    message: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    key.verify(digest.pkcs1v15(), &digest.digest(message), signature)
        .map_err(|_| PkiError::BadSignature)
}
