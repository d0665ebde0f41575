//! The `WebhookSender` port over reqwest, for every backend and every process that delivers
//! webhooks (the local worker, the wake Lambda): resolves receivers' hosts with the system
//! resolver and sends each delivery to the address the core vetted, never anywhere else.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use mdm_core::ports::{WebhookPost, WebhookResponse, WebhookSender};

/// A receiver gets this long to answer; a slow one counts as a failed attempt and is retried.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Default, Clone, Copy)]
pub struct HttpWebhooks;

fn bounded(reason: String) -> String {
    reason.chars().take(200).collect()
}

#[async_trait]
impl WebhookSender for HttpWebhooks {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, String> {
        let found = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| bounded(e.to_string()))?;
        let mut ips: Vec<IpAddr> = found.map(|sa| sa.ip()).collect();
        ips.dedup();
        Ok(ips)
    }

    async fn post(&self, request: WebhookPost) -> WebhookResponse {
        let url = match reqwest::Url::parse(&request.url) {
            Ok(url) => url,
            Err(e) => return WebhookResponse::Failed(bounded(format!("bad URL: {e}"))),
        };
        // A client per delivery: its one resolver override pins the host to the vetted
        // address (the port comes from the URL), so a DNS answer that changed since the check
        // (rebinding) is never used. No proxy from the environment (it would choose the
        // destination itself), no redirects (a 3xx could point anywhere, and counts as failed).
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT);
        if let Some(host) = url.domain() {
            builder = builder.resolve(host, SocketAddr::new(request.addr, 0));
        }
        let client = match builder.build() {
            Ok(c) => c,
            Err(e) => return WebhookResponse::Failed(bounded(format!("client: {e}"))),
        };
        let mut req = client.post(url).body(request.body);
        for (name, value) in &request.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        match req.send().await {
            // The body is never read: only the status matters, and a receiver cannot make us
            // download anything.
            Ok(res) => WebhookResponse::Status(res.status().as_u16()),
            Err(e) if e.is_timeout() => {
                WebhookResponse::Failed(format!("no answer within {} s", TIMEOUT.as_secs()))
            }
            Err(e) if e.is_connect() => WebhookResponse::Failed("connection failed".into()),
            Err(e) => WebhookResponse::Failed(bounded(format!(
                "request failed: {}",
                e.without_url()
            ))),
        }
    }
}
