//! The OAuth 2.0 access token FCM wants, obtained with a signed JWT-bearer assertion and
//! cached until shortly before it expires. One lock makes concurrent wakes share one refresh
//! instead of stampeding Google's token endpoint.

use std::sync::Arc;

use jsonwebtoken::EncodingKey;
use mdm_ports::Clock;
use mdm_ports::error::PushError;
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::http::{retry_after, retryable, transport_error};
use crate::jwt;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// A token is replaced this long before it expires, so it never expires in flight.
const EXPIRY_MARGIN_MS: i64 = 60_000;

#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) value: String,
    expires_at_ms: i64,
}

pub(crate) struct TokenSource {
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    key: EncodingKey,
    key_id: String,
    client_email: String,
    token_uri: String,
    cached: Mutex<Option<AccessToken>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

impl TokenSource {
    pub(crate) fn new(
        client: reqwest::Client,
        clock: Arc<dyn Clock>,
        key: EncodingKey,
        key_id: String,
        client_email: String,
        token_uri: String,
    ) -> Self {
        Self {
            client,
            clock,
            key,
            key_id,
            client_email,
            token_uri,
            cached: Mutex::new(None),
        }
    }

    /// A token that is good for at least another minute.
    pub(crate) async fn get(&self) -> Result<AccessToken, PushError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && self.clock.now_ms() < token.expires_at_ms - EXPIRY_MARGIN_MS
        {
            return Ok(token.clone());
        }
        let token = self.fetch().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// A token other than `rejected`, which FCM refused: fetched anew unless another wake
    /// already replaced it while this one waited for the lock.
    pub(crate) async fn replace(&self, rejected: &AccessToken) -> Result<AccessToken, PushError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && token.value != rejected.value
        {
            return Ok(token.clone());
        }
        *cached = None;
        let token = self.fetch().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    async fn fetch(&self) -> Result<AccessToken, PushError> {
        let now_ms = self.clock.now_ms();
        let assertion = jwt::google_assertion(
            &self.key,
            &self.key_id,
            &self.client_email,
            &self.token_uri,
            now_ms.div_euclid(1000),
        )
        .map_err(PushError::Rejected)?;
        let response = self
            .client
            .post(&self.token_uri)
            .form(&[("grant_type", GRANT_TYPE), ("assertion", &assertion)])
            .send()
            .await
            .map_err(|e| transport_error("google token endpoint", e))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        if status.is_success() {
            let body: TokenResponse = response
                .json()
                .await
                .map_err(|_| retryable("google token endpoint sent an unreadable token", None))?;
            tracing::debug!(expires_in = body.expires_in, "fcm access token refreshed");
            return Ok(AccessToken {
                value: body.access_token,
                expires_at_ms: now_ms + body.expires_in.saturating_mul(1000),
            });
        }
        let error: TokenError = response.json().await.unwrap_or_default();
        let reason = format!(
            "google token endpoint answered {status} {} {}",
            error.error, error.error_description
        );
        let reason = reason.trim_end().to_owned();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(retryable(reason, wait))
        } else {
            // invalid_grant, invalid_client, unauthorized_client: the key is wrong, disabled or
            // deleted, and asking again will not change that.
            Err(PushError::Rejected(reason))
        }
    }
}
