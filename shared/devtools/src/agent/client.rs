//! The device side of the HTTP API, as a simulated device (or a real agent) calls it.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A failed call, with the server's problem code when it sent one.
#[derive(Debug, Clone)]
pub struct CallError {
    pub status: u16,
    pub code: String,
    pub detail: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.detail)
    }
}

impl std::error::Error for CallError {}

/// An HTTP client for one server.
#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
    /// How long a call may keep waiting out `429 Too Many Requests` (as `Retry-After` asks)
    /// before it gives up; zero answers a 429 as an error at once.
    patience: Duration,
}

/// The wait when a 429 names no `Retry-After`, and the longest single wait honoured.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Api {
    pub fn new(base: &str) -> Self {
        Self::with_timeout(base, Duration::from_secs(10))
    }

    /// A client that waits up to `timeout` for each answer (the tests' emulator can be slow).
    pub fn with_timeout(base: &str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .build()
            .expect("a plain HTTP client builds");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            patience: Duration::ZERO,
        }
    }

    /// The same client, waiting out rate limits for up to `patience` per call: a simulated
    /// fleet then slows down to what the server allows instead of failing.
    pub fn patient(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// Sends a request with an optional bearer and JSON body and decodes the JSON reply.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&impl Serialize>,
    ) -> Result<T, CallError> {
        let mut waited = Duration::ZERO;
        let res = loop {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base));
            if let Some(b) = bearer {
                req = req.bearer_auth(b);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            let res = req.send().await.map_err(|e| CallError {
                status: 0,
                code: "unreachable".into(),
                detail: e.to_string(),
            })?;
            let wait = retry_after(&res);
            if res.status() != reqwest::StatusCode::TOO_MANY_REQUESTS
                || waited + wait > self.patience
            {
                break res;
            }
            tokio::time::sleep(wait).await;
            waited += wait;
        };
        let status = res.status().as_u16();
        let value: Value = res.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            serde_json::from_value(value).map_err(|e| CallError {
                status,
                code: "unexpected_reply".into(),
                detail: e.to_string(),
            })
        } else {
            Err(CallError {
                status,
                code: value["code"].as_str().unwrap_or("unknown").to_owned(),
                detail: value["detail"].as_str().unwrap_or_default().to_owned(),
            })
        }
    }

    pub async fn enroll(&self, body: &Value) -> Result<Value, CallError> {
        self.call(reqwest::Method::POST, "/v1/enroll", None, Some(body))
            .await
    }

    pub async fn checkin(&self, credential: &str, body: &Value) -> Result<Value, CallError> {
        self.call(
            reqwest::Method::POST,
            "/v1/device/checkin",
            Some(credential),
            Some(body),
        )
        .await
    }

    pub async fn pending(&self, credential: &str) -> Result<Vec<Value>, CallError> {
        let v: Value = self
            .call(
                reqwest::Method::GET,
                "/v1/device/commands",
                Some(credential),
                None::<&()>,
            )
            .await?;
        Ok(v["commands"].as_array().cloned().unwrap_or_default())
    }

    pub async fn report(
        &self,
        credential: &str,
        command_id: &str,
        result: &Value,
    ) -> Result<Value, CallError> {
        self.call(
            reqwest::Method::POST,
            &format!("/v1/device/commands/{command_id}/result"),
            Some(credential),
            Some(result),
        )
        .await
    }
}

/// How long a 429 asks the client to wait: `Retry-After` in seconds (HTTP dates are not sent
/// by this server), bounded.
fn retry_after(res: &reqwest::Response) -> Duration {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
        .min(MAX_RETRY_AFTER)
}

/// A check-in body with plausible telemetry.
pub fn checkin_body(battery: u8) -> Value {
    json!({
        "battery_level": battery,
        "storage_free_bytes": 12_000_000_000u64,
        "storage_total_bytes": 64_000_000_000u64,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use axum::Router;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::post;

    use super::*;

    /// A server that answers the first `limited` enrolments 429 with `Retry-After: 1`.
    async fn rate_limited_server(limited: u32) -> (String, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        let app = Router::new().route(
            "/v1/enroll",
            post(move || {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < limited {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "1")],
                            r#"{"code":"rate_limited","detail":"slow down"}"#,
                        )
                            .into_response()
                    } else {
                        axum::Json(json!({"device_id": "01DEV"})).into_response()
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, calls)
    }

    #[tokio::test]
    async fn a_patient_client_waits_out_a_rate_limit_as_retry_after_asks() {
        let (base, calls) = rate_limited_server(2).await;
        let started = std::time::Instant::now();
        let reply = Api::new(&base)
            .patient(Duration::from_secs(30))
            .enroll(&json!({}))
            .await
            .unwrap();
        assert_eq!(reply["device_id"], "01DEV");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(started.elapsed() >= Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_client_without_patience_reports_the_rate_limit() {
        let (base, calls) = rate_limited_server(1).await;
        let err = Api::new(&base).enroll(&json!({})).await.unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (429, "rate_limited"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_patient_client_gives_up_when_the_wait_would_exceed_its_patience() {
        let (base, calls) = rate_limited_server(10).await;
        let err = Api::new(&base)
            .patient(Duration::from_secs(2))
            .enroll(&json!({}))
            .await
            .unwrap_err();
        assert_eq!(err.status, 429);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
