//! The one error every parser here returns, naming the key at fault so a refused message can be
//! diagnosed from the log line alone.

/// Largest check-in body we read: real ones are a few kilobytes; the limit is generous for
/// bootstrap tokens and declarative-management status reports.
pub const MAX_CHECKIN_BYTES: usize = 64 * 1024;

/// Largest command-response body we read: installed-application and certificate lists on big
/// devices run to hundreds of kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// Why a body from a device was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The body is not a property list we can read (neither XML nor binary, or malformed).
    #[error("not a property list: {0}")]
    NotAPlist(String),
    /// The body is bigger than we accept; refused before parsing.
    #[error("body larger than the {limit}-byte limit")]
    TooLarge { limit: usize },
    /// A key Apple's protocol requires is absent (the name is a path for nested keys).
    #[error("missing required key `{0}`")]
    MissingKey(String),
    /// A key is present with the wrong plist type.
    #[error("key `{key}` should be {expected}")]
    WrongType { key: String, expected: &'static str },
    /// A check-in `MessageType` this crate does not know.
    #[error("unknown check-in MessageType `{0}`")]
    UnknownMessageType(String),
    /// A command-response `Status` this crate does not know.
    #[error("unknown command-response Status `{0}`")]
    UnknownStatus(String),
    /// A key has the right type but a value we cannot use.
    #[error("key `{key}` is invalid: {reason}")]
    Invalid { key: String, reason: String },
}
