//! Tenant-user authentication: the JWT implementation of the `TokenVerifier` port, configured
//! either with the local HS256 dev key or with a production issuer's JWKS (RS256/ES256); and the
//! check of the Google-signed OIDC token on each Pub/Sub push of Android Management API
//! notifications (`PubSubPushVerifier`).

mod claims;
mod dev;
mod header;
mod jwt;
mod keys;
mod pubsub;

#[cfg(test)]
mod test_support;

use std::path::Path;

pub use dev::{DevClaims, mint_hs256, mint_platform_hs256};
pub use jsonwebtoken::jwk::JwkSet;
pub use jwt::JwtVerifier;
pub use pubsub::{
    GOOGLE_ISSUERS, GOOGLE_JWKS_URL, PubSubPushConfig, PubSubPushVerifier, PushSender,
};

use mdm_ports::error::Error;

/// The longest bearer token we look at. Real issuers' tokens are 1-2 KiB; anything bigger is
/// refused before any decoding so an attacker cannot make us base64-decode and parse megabytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock skew tolerated on exp and nbf when a caller does not choose one.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// The largest skew we accept in configuration: beyond a few minutes an "expired" token is
/// no longer meaningfully expired.
pub const MAX_LEEWAY_SECS: u64 = 300;

/// The shortest HS256 dev secret accepted (RFC 7518 §3.2: a key at least as long as the hash).
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// Where the verification keys come from.
#[derive(Clone)]
pub enum KeySource {
    /// The local dev key: only HS256 tokens are accepted.
    Hs256 { secret: Vec<u8> },
    /// A production issuer's published keys: RS256 or ES256 tokens, each selected by `kid`.
    Jwks(JwkSet),
}

impl std::fmt::Debug for KeySource {
    // The dev secret must never reach logs, even through a config dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Hs256 { .. } => f.write_str("Hs256 { secret: [redacted] }"),
            KeySource::Jwks(set) => write!(f, "Jwks({} keys)", set.keys.len()),
        }
    }
}

impl KeySource {
    /// Parses a JWKS document (the body of an issuer's `jwks_uri`). Keys this crate cannot
    /// parse are dropped rather than failing the whole set, because issuers such as Entra ID
    /// publish keys for other purposes next to their signing keys.
    pub fn jwks_json(json: &str) -> Result<Self, Error> {
        keys::parse_jwks(json).map(KeySource::Jwks)
    }

    /// Reads and parses a JWKS document from a file (a copy of the issuer's `jwks_uri`).
    pub fn jwks_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path).map_err(|e| {
            Error::Invalid(format!("cannot read the JWKS file {}: {e}", path.display()))
        })?;
        Self::jwks_json(&json)
    }
}

/// Everything `JwtVerifier` needs: whose tokens to accept, for which audience, with which keys.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// The exact `iss` value the tokens must carry.
    pub issuer: String,
    /// The `aud` value the tokens must carry (alone or in an array).
    pub audience: String,
    pub keys: KeySource,
    /// Clock skew tolerated on exp and nbf, at most `MAX_LEEWAY_SECS`.
    pub leeway_secs: u64,
}
