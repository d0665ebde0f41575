//! Why a certificate or message was refused, in terms a server maps to clear 4xx answers.

use thiserror::Error;

/// Every way this crate refuses input or fails to build output.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PkiError {
    /// Not DER, or not the CMS / X.509 / PKCS#10 structure expected here.
    #[error("malformed: {0}")]
    Malformed(String),
    /// An algorithm this crate does not implement; the message names its OID.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// An algorithm this crate implements but the tenant's policy refuses (DES, 3DES, SHA-1).
    #[error("algorithm not allowed by policy: {0}")]
    AlgorithmNotAllowed(String),
    /// A SCEP messageType this server does not answer (it never leaves a request pending,
    /// so CertPoll/GetCertInitial, GetCert and GetCRL have nothing to ask about).
    #[error("unsupported SCEP message type: {0}")]
    UnsupportedMessageType(String),
    /// A CMS or PKCS#1 signature, or a messageDigest, does not match.
    #[error("signature does not verify")]
    BadSignature,
    /// The certificate does not chain to this CA (another issuer, or the CA's key did not sign it).
    #[error("certificate not issued by this CA")]
    NotIssuedByCa,
    #[error("certificate has expired")]
    Expired,
    #[error("certificate is not yet valid")]
    NotYetValid,
    /// The CSR's RSA key is shorter than the policy's minimum.
    #[error("RSA key of {bits} bits is below the minimum")]
    WeakKey { bits: usize },
    /// The envelope is not addressed to our key, or its key or content does not decrypt.
    #[error("could not decrypt the envelope")]
    DecryptFailed,
    /// The PKCS#10 request is unreadable, or its self-signature does not verify.
    #[error("bad certificate request: {0}")]
    BadCsr(String),
    /// A required CMS or SCEP attribute is absent.
    #[error("missing attribute: {0}")]
    MissingAttribute(&'static str),
    /// A SCEP response that does not answer our request (transactionID, recipientNonce,
    /// messageType or signer differ).
    #[error("response does not match the request: {0}")]
    Mismatch(&'static str),
    /// Building a structure of our own failed (bad arguments such as an inverted validity,
    /// a failed key generation); never caused by untrusted input.
    #[error("could not build: {0}")]
    Internal(String),
}

impl PkiError {
    /// Maps a DER error met while reading untrusted input.
    pub(crate) fn malformed(what: &'static str) -> impl FnOnce(der::Error) -> PkiError {
        move |e| PkiError::Malformed(format!("{what}: {e}"))
    }

    /// Maps an error met while building our own structures.
    pub(crate) fn internal<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> PkiError {
        move |e| PkiError::Internal(format!("{what}: {e}"))
    }
}
