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
}

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
        }
    }

    /// Sends a request with an optional bearer and JSON body and decodes the JSON reply.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&impl Serialize>,
    ) -> Result<T, CallError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
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

/// A check-in body with plausible telemetry.
pub fn checkin_body(battery: u8) -> Value {
    json!({
        "battery_level": battery,
        "storage_free_bytes": 12_000_000_000u64,
        "storage_total_bytes": 64_000_000_000u64,
    })
}
