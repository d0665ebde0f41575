//! `ConfigError`: why credentials or options were refused when a pusher is built, so that a bad
//! secret fails loudly at start-up instead of as a stream of rejected wakes.

use thiserror::Error;

/// A credential or option that cannot work. Messages name the field and the problem, never
/// the secret itself.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("push credentials are not valid JSON of the expected shape: {0}")]
    Malformed(String),
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

impl ConfigError {
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        ConfigError::Invalid {
            field,
            problem: problem.into(),
        }
    }
}
