//! Builds the tenant-token verifier from configuration, for both backends: a JWKS (file or
//! https URL) for production issuers, else the HS256 dev key.

use std::sync::Arc;
use std::time::Duration;

use mdm_auth::{JwtConfig, JwtVerifier, KeySource};
use mdm_core::Error;
use mdm_core::ports::TokenVerifier;

use crate::config::AppConfig;

/// Clock skew tolerated on exp and nbf.
const LEEWAY_SECS: u64 = 30;
/// Longest wait for the issuer's JWKS at start; a cold start must not hang on it.
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document accepted.
const MAX_JWKS_BYTES: usize = 256 * 1024;

pub fn hs256(secret: &str) -> KeySource {
    KeySource::Hs256 {
        secret: secret.as_bytes().to_vec(),
    }
}

pub fn jwt(cfg: &AppConfig, keys: KeySource) -> Result<Arc<dyn TokenVerifier>, Error> {
    Ok(Arc::new(JwtVerifier::new(JwtConfig {
        issuer: cfg.jwt_issuer.clone(),
        audience: cfg.jwt_audience.clone(),
        keys,
        leeway_secs: LEEWAY_SECS,
    })?))
}

/// Fetches a JWKS over https (plain http only on loopback, for tests), without following
/// redirects, within a few seconds.
pub async fn fetch_jwks(url: &str) -> Result<KeySource, Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::Invalid(format!("MDM_JWKS_URL {url:?} is not a URL: {e}")))?;
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err(Error::Invalid(format!(
            "MDM_JWKS_URL must be https, not {url:?}"
        )));
    }
    let client = reqwest::Client::builder()
        .timeout(JWKS_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Unavailable(format!("cannot build an https client: {e}")))?;
    let unavailable = |e: reqwest::Error| Error::Unavailable(format!("cannot fetch {url}: {e}"));
    let response = client
        .get(parsed)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(unavailable)?;
    let body = response.bytes().await.map_err(unavailable)?;
    if body.len() > MAX_JWKS_BYTES {
        return Err(Error::Invalid(format!(
            "the JWKS at {url} is larger than {MAX_JWKS_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| Error::Invalid(format!("the JWKS at {url} is not UTF-8")))?;
    KeySource::jwks_json(text)
}
