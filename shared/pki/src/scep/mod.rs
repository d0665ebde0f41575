//! The server side of SCEP (RFC 8894) as Apple devices and common SCEP clients speak it:
//! GetCACaps, reading PKIOperation requests and answering them with CertRep messages.

mod attributes;
mod csr;
mod request;
mod response;

// Named here too: the algorithms a PkiRequest reports belong to SCEP's vocabulary.
pub use crate::cipher::ContentCipher;
pub use crate::digest::DigestAlg;
pub use request::{PkiRequest, parse_request};
pub use response::{failure_response, success_response};

pub(crate) use attributes::{octets, read_octets, read_string, string};

use crate::error::PkiError;

/// What a tenant allows of SCEP clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScepPolicy {
    /// Refuse DES, 3DES and SHA-1.
    pub modern_only: bool,
    /// The smallest RSA key a CSR may carry.
    pub min_key_bits: usize,
}

impl Default for ScepPolicy {
    fn default() -> Self {
        Self {
            modern_only: false,
            min_key_bits: 1024,
        }
    }
}

/// SCEP messageType values a client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 19: enrolment with a self-signed (or existing) certificate.
    PkcsReq,
    /// 17: renewal, signed with the certificate being renewed.
    RenewalReq,
    /// 20: polling a pending request (CertPoll in RFC 8894).
    GetCertInitial,
}

impl MessageType {
    pub fn code(self) -> &'static str {
        match self {
            MessageType::PkcsReq => "19",
            MessageType::RenewalReq => "17",
            MessageType::GetCertInitial => "20",
        }
    }

    pub(crate) fn from_code(code: &str) -> Result<Self, PkiError> {
        match code {
            "19" => Ok(MessageType::PkcsReq),
            "17" => Ok(MessageType::RenewalReq),
            "20" => Ok(MessageType::GetCertInitial),
            other => Err(PkiError::UnsupportedMessageType(other.to_string())),
        }
    }
}

/// messageType of a CertRep.
pub(crate) const CERT_REP: &str = "3";

/// pkiStatus values (RFC 8894 §3.2.1.3).
pub(crate) const STATUS_SUCCESS: &str = "0";
pub(crate) const STATUS_FAILURE: &str = "2";
pub(crate) const STATUS_PENDING: &str = "3";

/// Why a request failed (RFC 8894 §3.2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailInfo {
    /// 0: unrecognised or unsupported algorithm.
    BadAlg,
    /// 1: integrity check (signature) failed.
    BadMessageCheck,
    /// 2: transaction not permitted or supported.
    BadRequest,
    /// 3: the signingTime attribute was not close enough to the system time.
    BadTime,
    /// 4: no certificate matched the criteria.
    BadCertId,
}

impl FailInfo {
    pub fn code(self) -> &'static str {
        match self {
            FailInfo::BadAlg => "0",
            FailInfo::BadMessageCheck => "1",
            FailInfo::BadRequest => "2",
            FailInfo::BadTime => "3",
            FailInfo::BadCertId => "4",
        }
    }

    pub(crate) fn from_code(code: &str) -> Result<Self, PkiError> {
        match code {
            "0" => Ok(FailInfo::BadAlg),
            "1" => Ok(FailInfo::BadMessageCheck),
            "2" => Ok(FailInfo::BadRequest),
            "3" => Ok(FailInfo::BadTime),
            "4" => Ok(FailInfo::BadCertId),
            other => Err(PkiError::Malformed(format!("failInfo {other:?}"))),
        }
    }

    /// The failInfo a server answers a refused request with.
    pub fn for_error(error: &PkiError) -> FailInfo {
        match error {
            PkiError::UnsupportedAlgorithm(_) | PkiError::AlgorithmNotAllowed(_) => {
                FailInfo::BadAlg
            }
            PkiError::BadSignature | PkiError::DecryptFailed => FailInfo::BadMessageCheck,
            PkiError::Expired | PkiError::NotYetValid => FailInfo::BadTime,
            PkiError::NotIssuedByCa => FailInfo::BadCertId,
            _ => FailInfo::BadRequest,
        }
    }
}

/// The GetCACaps answer, one capability per line.
pub fn ca_caps(policy: &ScepPolicy) -> String {
    let caps: &[&str] = if policy.modern_only {
        &["AES", "POSTPKIOperation", "SCEPStandard", "SHA-256"]
    } else {
        &[
            "AES",
            "DES3",
            "POSTPKIOperation",
            "SCEPStandard",
            "SHA-1",
            "SHA-256",
            "SHA-512",
        ]
    };
    caps.join("\n")
}

/// Decodes the `message=` parameter of a GET PKIOperation: standard base64, URL-escaped or
/// already unescaped, with whitespace and line breaks tolerated. A space stands for a `+`
/// that form decoding turned into one; the URL-safe alphabet is accepted too.
pub fn decode_get_message(param: &str) -> Result<Vec<u8>, PkiError> {
    let unescaped = percent_decode(param)?;
    let normalised: String = unescaped
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('+'),
            '-' => Some('+'),
            '_' => Some('/'),
            c if c.is_ascii_whitespace() => None,
            c => Some(c),
        })
        .collect();
    crate::base64_text::decode(&normalised, "SCEP message parameter")
}

/// Undoes `%XX` escapes; text without `%` comes back as is.
fn percent_decode(text: &str) -> Result<String, PkiError> {
    if !text.contains('%') {
        return Ok(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| PkiError::Malformed("bad %-escape in SCEP message".into()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PkiError::Malformed("SCEP message is not text".into()))
}
