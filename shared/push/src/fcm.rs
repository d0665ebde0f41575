//! `FcmPusher`: wakes Android devices through the FCM HTTP v1 API with a content-free,
//! high-priority data message, and maps FCM's answers onto `PushError`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mdm_ports::error::PushError;
use mdm_ports::{Clock, PushReceipt, PushTarget, Pusher, SystemClock};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::credentials::FcmCredentials;
use crate::error::ConfigError;
use crate::fcm_token::{AccessToken, TokenSource};
use crate::http::{client_builder, retry_after, retryable, transport_error};

pub const FCM_BASE_URL: &str = "https://fcm.googleapis.com";

/// How an `FcmPusher` talks to Google. `Default` is production.
#[derive(Clone)]
pub struct FcmOptions {
    /// Scheme and host of the FCM API, without a trailing slash.
    pub base_url: String,
    /// Replaces the credentials' `token_uri` (tests).
    pub token_uri: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// Per request, connecting included.
    pub timeout: Duration,
    /// How long FCM keeps a wake for an offline device. A wake delivered late is harmless
    /// but useless: the device checks in when it comes back anyway.
    pub ttl: Duration,
}

impl Default for FcmOptions {
    fn default() -> Self {
        Self {
            base_url: FCM_BASE_URL.to_owned(),
            token_uri: None,
            clock: Arc::new(SystemClock),
            timeout: Duration::from_secs(10),
            ttl: Duration::from_secs(3600),
        }
    }
}

pub struct FcmPusher {
    client: reqwest::Client,
    tokens: TokenSource,
    send_url: String,
    ttl: String,
}

impl FcmPusher {
    pub fn new(creds: FcmCredentials, options: FcmOptions) -> Result<Self, ConfigError> {
        let key = creds.signing_key()?;
        let client = client_builder(options.timeout)
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        let send_url = format!(
            "{}/v1/projects/{}/messages:send",
            options.base_url.trim_end_matches('/'),
            creds.project_id
        );
        let tokens = TokenSource::new(
            client.clone(),
            options.clock,
            key,
            creds.private_key_id,
            creds.client_email,
            options.token_uri.unwrap_or(creds.token_uri),
        );
        Ok(Self {
            client,
            tokens,
            send_url,
            ttl: format!("{}s", options.ttl.as_secs()),
        })
    }

    async fn send(&self, token: &AccessToken, target: &PushTarget) -> Result<Sent, PushError> {
        let body = json!({
            "message": {
                "token": target.token,
                "data": { "mdm": "wake" },
                "android": {
                    "priority": "HIGH",
                    "ttl": self.ttl,
                    // Wakes queued for an offline device collapse into one.
                    "collapse_key": "mdm-wake",
                },
            }
        });
        let response = self
            .client
            .post(&self.send_url)
            .bearer_auth(&token.value)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_error("fcm", e))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        if status.is_success() {
            let sent: SendResponse = response
                .json()
                .await
                .map_err(|_| retryable("fcm accepted the message but sent no name", None))?;
            return Ok(Sent::Accepted(PushReceipt {
                message_id: sent.name,
            }));
        }
        let error = response
            .json::<ErrorResponse>()
            .await
            .map(|r| r.error)
            .unwrap_or_default();
        if status == StatusCode::UNAUTHORIZED {
            return Ok(Sent::Unauthorized(error.describe(status)));
        }
        Err(map_error(status, &error, wait))
    }
}

enum Sent {
    Accepted(PushReceipt),
    /// The access token was refused; worth one fresh token.
    Unauthorized(String),
}

#[async_trait]
impl Pusher for FcmPusher {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        if target.token.is_empty() {
            return Err(PushError::InvalidToken);
        }
        let token = self.tokens.get().await?;
        match self.send(&token, target).await? {
            Sent::Accepted(receipt) => Ok(receipt),
            Sent::Unauthorized(_) => {
                // The token may have been revoked early (key rotation): one fresh one decides.
                let fresh = self.tokens.replace(&token).await?;
                match self.send(&fresh, target).await? {
                    Sent::Accepted(receipt) => Ok(receipt),
                    Sent::Unauthorized(reason) => Err(PushError::Rejected(reason)),
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct SendResponse {
    name: String,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: FcmError,
}

/// FCM's error body: a google.rpc.Status whose `details` may carry an `FcmError` with an
/// `errorCode` and a `BadRequest` with the offending fields.
#[derive(Deserialize, Default)]
struct FcmError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

impl FcmError {
    fn error_code(&self) -> Option<&str> {
        self.details
            .iter()
            .find_map(|d| d.get("errorCode")?.as_str())
    }

    fn names_the_token(&self) -> bool {
        let field_is_token = self.details.iter().any(|d| {
            d.get("fieldViolations")
                .and_then(Value::as_array)
                .is_some_and(|violations| {
                    violations
                        .iter()
                        .any(|v| v.get("field").and_then(Value::as_str) == Some("message.token"))
                })
        });
        // FCM's documented answer to a malformed token carries no field violation, only
        // "The registration token is not a valid FCM registration token".
        field_is_token || self.message.contains("registration token")
    }

    fn describe(&self, status: StatusCode) -> String {
        let code = self.error_code().unwrap_or(&self.status);
        format!("fcm answered {status} {code}")
            .trim_end()
            .to_owned()
    }
}

fn map_error(status: StatusCode, error: &FcmError, wait: Option<u64>) -> PushError {
    let code = error.error_code().unwrap_or(&error.status);
    match status.as_u16() {
        404 => PushError::InvalidToken,
        _ if code == "UNREGISTERED" || code == "NOT_FOUND" => PushError::InvalidToken,
        400 if error.names_the_token() => PushError::InvalidToken,
        // The token belongs to another Firebase project: this sender can never reach it.
        403 if code == "SENDER_ID_MISMATCH" => PushError::InvalidToken,
        429 | 500 | 502 | 503 | 504 => retryable(error.describe(status), wait),
        _ => PushError::Rejected(error.describe(status)),
    }
}
