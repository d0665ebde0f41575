//! The `WebhookSender` port: resolving a receiver's host and POSTing one signed delivery to an
//! address the core already vetted. The core decides what may be called and what the request
//! says; the adapter (reqwest, in mdm-app) only moves bytes.

use std::net::IpAddr;

use async_trait::async_trait;

/// One delivery, ready to go: the adapter must connect to `addr` (never re-resolve `url`'s
/// host, or DNS rebinding could redirect it), follow no redirect and give up after its timeout.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookPost {
    pub url: String,
    /// The vetted address of the URL's host.
    pub addr: IpAddr,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What came back: a status (any, the caller judges it), or why there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookResponse {
    Status(u16),
    /// Connection refused, TLS failure, timeout...: a bounded, body-free reason.
    Failed(String),
}

#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Every address `host` resolves to (all of them are vetted, not only the first).
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, String>;

    async fn post(&self, request: WebhookPost) -> WebhookResponse;
}

/// For processes that never deliver webhooks (the simulation, unit tests): resolves nothing,
/// so every URL is refused, and sends nothing.
pub struct NoWebhooks;

#[async_trait]
impl WebhookSender for NoWebhooks {
    async fn resolve(&self, _host: &str, _port: u16) -> Result<Vec<IpAddr>, String> {
        Err("this process sends no webhooks".into())
    }

    async fn post(&self, _request: WebhookPost) -> WebhookResponse {
        WebhookResponse::Failed("this process sends no webhooks".into())
    }
}
