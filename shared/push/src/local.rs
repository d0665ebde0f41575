//! `LocalPusher`: the push sink of the embedded backend. It records every wake for tests and
//! benchmarks and can forward it to a webhook on this machine (a device simulator), never
//! anywhere else, so a device's token cannot turn the server into a request proxy.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use mdm_ports::error::PushError;
use mdm_ports::{PushReceipt, PushTarget, Pusher};
use reqwest::{StatusCode, Url};

/// Tokens of this form are only recorded (tests, benchmarks).
const SINK_SCHEME: &str = "sink:";
/// How many recent wakes `sent` keeps.
pub const SENT_LOG_CAP: usize = 10_000;

const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(2);

/// Records wakes in memory and forwards those with a loopback webhook token.
pub struct LocalPusher {
    client: reqwest::Client,
    /// The most recent wakes (bounded, so a long-running dev server does not grow) and the
    /// count of all wakes, which numbers the message ids.
    sent: Mutex<(std::collections::VecDeque<PushTarget>, u64)>,
}

impl Default for LocalPusher {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalPusher {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            // A proxy from the environment or a redirect would carry the wake off this machine.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            // Without TLS there is nothing to initialise that could fail, as in `Client::new`.
            .expect("a plain HTTP client builds");
        Self {
            client,
            sent: Mutex::new((std::collections::VecDeque::new(), 0)),
        }
    }

    /// The wakes delivered so far (the last `SENT_LOG_CAP`), oldest first.
    pub fn sent(&self) -> Vec<PushTarget> {
        self.log().0.iter().cloned().collect()
    }

    fn log(&self) -> std::sync::MutexGuard<'_, (std::collections::VecDeque<PushTarget>, u64)> {
        self.sent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, target: &PushTarget) -> PushReceipt {
        let mut log = self.log();
        if log.0.len() == SENT_LOG_CAP {
            log.0.pop_front();
        }
        log.0.push_back(target.clone());
        log.1 += 1;
        PushReceipt {
            message_id: format!("local-{}", log.1),
        }
    }

    async fn post(&self, url: Url, target: &PushTarget) -> Result<(), PushError> {
        let retryable = |reason: String| PushError::Retryable {
            reason,
            retry_after_secs: None,
        };
        let response = self
            .client
            .post(url)
            .json(&serde_json::json!({ "wake": true, "device": target.device }))
            .send()
            .await
            .map_err(|e| retryable(format!("webhook unreachable: {e}")))?;
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND | StatusCode::GONE => Err(PushError::InvalidToken),
            s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                Err(retryable(format!("webhook answered {s}")))
            }
            s => Err(PushError::Rejected(format!("webhook answered {s}"))),
        }
    }
}

/// The token as a loopback webhook URL, if it is one.
fn loopback_webhook(token: &str) -> Option<Url> {
    let url = Url::parse(token).ok()?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
    (url.scheme() == "http" && loopback).then_some(url)
}

#[async_trait]
impl Pusher for LocalPusher {
    async fn wake(&self, target: &PushTarget) -> Result<PushReceipt, PushError> {
        if target.token.starts_with(SINK_SCHEME) {
            return Ok(self.record(target));
        }
        let Some(url) = loopback_webhook(&target.token) else {
            return Err(PushError::Rejected(
                "the local push sink only takes sink: tokens and http://127.0.0.1 or http://localhost webhooks".into(),
            ));
        };
        self.post(url, target).await?;
        Ok(self.record(target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_to_loopback_counts_as_a_webhook() {
        assert!(loopback_webhook("http://127.0.0.1:9000/wake").is_some());
        assert!(loopback_webhook("http://localhost:9000/wake").is_some());
        assert!(loopback_webhook("https://127.0.0.1:9000/wake").is_none());
        assert!(loopback_webhook("http://example.com/wake").is_none());
        assert!(loopback_webhook("http://127.0.0.1.example.com/wake").is_none());
        assert!(loopback_webhook("http://localhost@example.com/wake").is_none());
        assert!(loopback_webhook("http://10.0.0.1/wake").is_none());
        assert!(loopback_webhook("fcm-token-abc").is_none());
    }
}
