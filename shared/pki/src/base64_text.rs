//! Lenient base64 for what arrives in HTTP headers and query strings: whitespace and line
//! breaks are dropped, and padding may be present or not.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::PkiError;

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes standard base64 after dropping ASCII whitespace; `what` names it in the error.
pub(crate) fn decode(text: &str, what: &'static str) -> Result<Vec<u8>, PkiError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(PkiError::Malformed(format!("{what} is empty")));
    }
    LENIENT
        .decode(compact.as_bytes())
        .map_err(|e| PkiError::Malformed(format!("{what} is not base64: {e}")))
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
