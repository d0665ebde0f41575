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
            Err(e) => {
                WebhookResponse::Failed(bounded(format!("request failed: {}", e.without_url())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;

    use super::*;

    /// A receiver on 127.0.0.1 that records the Host header of each request it gets.
    async fn receiver(answer: StatusCode) -> (u16, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let app = axum::Router::new().route(
            "/hook",
            post(move |headers: HeaderMap| {
                let log = log.clone();
                async move {
                    let host = headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    log.lock().unwrap().push(host);
                    // Followed, this redirect would fail to connect (nothing on port 1).
                    (answer, [("location", "http://127.0.0.1:1/elsewhere")])
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (port, seen)
    }

    fn post_to(url: String) -> WebhookPost {
        WebhookPost {
            url,
            addr: IpAddr::from([127, 0, 0, 1]),
            headers: vec![("content-type".into(), "application/json".into())],
            body: "{}".into(),
        }
    }

    #[tokio::test]
    async fn a_named_host_is_reached_at_the_vetted_address_without_asking_dns() {
        // `.invalid` never resolves (RFC 2606): only the pinned address can be reached.
        let (port, seen) = receiver(StatusCode::NO_CONTENT).await;
        let answer = HttpWebhooks
            .post(post_to(format!("http://receiver.invalid:{port}/hook")))
            .await;
        assert_eq!(answer, WebhookResponse::Status(204));
        assert_eq!(*seen.lock().unwrap(), [format!("receiver.invalid:{port}")]);
    }

    #[tokio::test]
    async fn a_redirect_is_an_answer_not_followed() {
        let (port, seen) = receiver(StatusCode::FOUND).await;
        let answer = HttpWebhooks
            .post(post_to(format!("http://127.0.0.1:{port}/hook")))
            .await;
        assert_eq!(answer, WebhookResponse::Status(302));
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_failed_attempt_with_a_short_reason() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        match HttpWebhooks
            .post(post_to(format!("http://127.0.0.1:{port}/hook")))
            .await
        {
            WebhookResponse::Failed(reason) => assert!(reason.len() <= 200, "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
