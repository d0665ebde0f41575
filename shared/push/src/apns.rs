//! `ApnsPusher`: wakes Apple devices through APNs over HTTP/2, either as an MDM wake-up
//! (the tenant's push certificate, `{"mdm": PushMagic}`) or as a background push to an agent
//! app (a `.p8` provider token), and maps APNs's answers onto `PushError`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mdm_ports::error::PushError;
use mdm_ports::{Clock, PushReceipt, PushTarget, Pusher, SystemClock};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::apns_jwt::ProviderTokens;
use crate::credentials::{ApnsAuth, ApnsCredentials, identity};
use crate::error::ConfigError;
use crate::http::{
    client_builder, client_certificate_refused, retry_after, retryable, transport_error,
};
use crate::jwt;

/// How an `ApnsPusher` talks to Apple. `Default` is production settings; the host follows the
/// credentials' environment unless `base_url` replaces it.
#[derive(Clone)]
pub struct ApnsOptions {
    /// Replaces the environment's host (tests).
    pub base_url: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// Per request, connecting included.
    pub timeout: Duration,
    /// Sets `apns-expiration`: how long APNs keeps trying an offline device.
    pub ttl: Duration,
    /// PEM root certificates to trust instead of the system's (tests with a throwaway CA).
    pub trusted_roots_pem: Option<String>,
}

impl Default for ApnsOptions {
    fn default() -> Self {
        Self {
            base_url: None,
            clock: Arc::new(SystemClock),
            timeout: Duration::from_secs(10),
            ttl: Duration::from_secs(3600),
            trusted_roots_pem: None,
        }
    }
}

enum Mode {
    /// MDM wake-up; the client presents the tenant's push certificate.
    Mdm,
    /// Background push to the agent app, authorised by a provider token.
    Background(ProviderTokens),
}

pub struct ApnsPusher {
    client: reqwest::Client,
    base_url: String,
    topic: String,
    clock: Arc<dyn Clock>,
    ttl_secs: i64,
    mode: Mode,
}

impl ApnsPusher {
    pub fn new(creds: ApnsCredentials, options: ApnsOptions) -> Result<Self, ConfigError> {
        creds.validate()?;
        // APNs speaks only HTTP/2.
        let mut builder = client_builder(options.timeout).http2_prior_knowledge();
        if let Some(pem) = &options.trusted_roots_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| ConfigError::invalid("trusted_roots_pem", e.to_string()))?;
            builder = builder.tls_certs_only(roots);
        }
        let mode = match creds.auth {
            ApnsAuth::Certificate { cert_pem, key_pem } => {
                builder = builder.identity(identity(&cert_pem, &key_pem)?);
                Mode::Mdm
            }
            ApnsAuth::Token {
                key_p8_pem,
                key_id,
                team_id,
            } => {
                let key = jwt::es256_key(&key_p8_pem)
                    .map_err(|p| ConfigError::invalid("auth.key_p8_pem", p))?;
                Mode::Background(ProviderTokens::new(
                    options.clock.clone(),
                    key,
                    key_id,
                    team_id,
                ))
            }
        };
        // rustls checks here that the certificate and the key belong together.
        let client = builder
            .build()
            .map_err(|e| ConfigError::Client(crate::http::error_chain(&e)))?;
        let base_url = options
            .base_url
            .unwrap_or_else(|| creds.environment.base_url().to_owned());
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            topic: creds.topic,
            clock: options.clock,
            ttl_secs: i64::try_from(options.ttl.as_secs()).unwrap_or(i64::MAX),
            mode,
        })
    }

    async fn send(
        &self,
        target: &PushTarget,
        provider_token: Option<&str>,
    ) -> Result<PushReceipt, Refusal> {
        let (payload, push_type, priority) = match &self.mode {
            Mode::Mdm => {
                let Some(magic) = &target.push_magic else {
                    return Err(Refusal::Final(PushError::Rejected(
                        "apple MDM wake needs the device's PushMagic".into(),
                    )));
                };
                (json!({ "mdm": magic }), "mdm", "10")
            }
            // Priority 10 is not allowed for background pushes.
            Mode::Background(_) => (
                json!({ "aps": { "content-available": 1 } }),
                "background",
                "5",
            ),
        };
        let expiration = self
            .clock
            .now_ms()
            .div_euclid(1000)
            .saturating_add(self.ttl_secs);
        let mut request = self
            .client
            .post(format!("{}/3/device/{}", self.base_url, target.token))
            .header("apns-topic", &self.topic)
            .header("apns-push-type", push_type)
            .header("apns-priority", priority)
            .header("apns-expiration", expiration.to_string())
            .json(&payload);
        if let Some(token) = provider_token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            Refusal::Final(if client_certificate_refused(&e) {
                PushError::Rejected(format!(
                    "apns refused the push certificate: {}",
                    crate::http::error_chain(&e.without_url())
                ))
            } else {
                transport_error("apns", e)
            })
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::OK {
            let message_id = headers
                .get("apns-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            return Ok(PushReceipt { message_id });
        }
        let reason = response
            .json::<ErrorBody>()
            .await
            .map(|b| b.reason)
            .unwrap_or_default();
        Err(map_error(status, &reason, retry_after(&headers)))
    }
}

/// Why APNs did not take a push.
enum Refusal {
    /// The provider token is expired or invalid: a fresh one may succeed.
    ProviderToken(String),
    Final(PushError),
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    reason: String,
}

fn map_error(status: StatusCode, reason: &str, wait: Option<u64>) -> Refusal {
    let described = format!("apns answered {status} {reason}")
        .trim_end()
        .to_owned();
    let error = match (status.as_u16(), reason) {
        (400, "BadDeviceToken" | "DeviceTokenNotForTopic") => PushError::InvalidToken,
        (403, "ExpiredProviderToken" | "InvalidProviderToken") => {
            return Refusal::ProviderToken(described);
        }
        (410, _) => PushError::InvalidToken,
        (429 | 500 | 503, _) => retryable(described, wait),
        // 400 other reasons, 403 BadCertificate and friends, 405, 413: will not get better.
        _ => PushError::Rejected(described),
    };
    Refusal::Final(error)
}

/// APNs device tokens are hex; anything else would only earn a BadDeviceToken, or worse,
/// change the request path.
fn is_device_token(token: &str) -> bool {
    (64..=200).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[async_trait]
impl Pusher for ApnsPusher {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        if !is_device_token(&target.token) {
            return Err(PushError::InvalidToken);
        }
        let Mode::Background(tokens) = &self.mode else {
            return self.send(target, None).await.map_err(Refusal::into_error);
        };
        let token = tokens.get()?;
        match self.send(target, Some(&token)).await {
            Err(Refusal::ProviderToken(_)) => {
                let fresh = tokens.replace(&token)?;
                self.send(target, Some(&fresh))
                    .await
                    .map_err(Refusal::into_error)
            }
            other => other.map_err(Refusal::into_error),
        }
    }
}

impl Refusal {
    fn into_error(self) -> PushError {
        match self {
            Refusal::ProviderToken(reason) => PushError::Rejected(reason),
            Refusal::Final(error) => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_tokens_of_apples_lengths_are_device_tokens() {
        assert!(is_device_token(&"a1".repeat(32)));
        assert!(is_device_token(&"F".repeat(200)));
        assert!(!is_device_token(&"a".repeat(63)));
        assert!(!is_device_token(&"a".repeat(201)));
        assert!(!is_device_token(&format!("{}/../x", "a".repeat(64))));
        assert!(!is_device_token(&"g".repeat(64)));
    }
}
