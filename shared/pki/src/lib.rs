//! A certificate authority per tenant, the server side of SCEP (RFC 8894) and the check of CMS
//! detached signatures (Apple's `Mdm-Signature`), plus the device side of each for simulators.

mod base64_text;
mod certs;
mod cipher;
mod cms;
mod digest;
mod oids;

pub mod ca;
pub mod client;
pub mod error;
pub mod scep;
pub mod signature;
pub mod signing;

pub use ca::{CaVerifier, CertificateAuthority, Identity};
pub use cipher::ContentCipher;
pub use digest::DigestAlg;
pub use error::PkiError;
pub use scep::{
    FailInfo, MessageType, PkiRequest, ScepPolicy, ca_caps, decode_get_message, failure_response,
    parse_request, success_response,
};
pub use signature::{verify_detached, verify_mdm_signature};
pub use signing::SigningIdentity;

/// The X.509 types this API exposes (`CertReq`, `Certificate`), at the version it uses.
pub use x509_cert;
