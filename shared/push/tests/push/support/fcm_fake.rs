//! A fake FCM on loopback: a token endpoint that verifies the RS256 assertion with the public
//! key as Google would, and a send endpoint that checks the bearer token and records bodies.
//! Answers can be scripted; unscripted sends succeed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

pub const PROJECT: &str = "demo-project";
pub const CLIENT_EMAIL: &str = "mdm-push@demo-project.iam.gserviceaccount.com";
pub const KEY_ID: &str = "key-1";
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// A scripted answer: status, optional Retry-After, JSON body.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    token_fetches: u32,
    current_token: Option<String>,
    expires_in: i64,
    token_answers: VecDeque<Answer>,
    send_answers: VecDeque<Answer>,
    sends: Vec<(String, Value)>,
}

pub struct FakeFcm {
    pub base_url: String,
    pub token_uri: String,
    public_pem: String,
    inner: Mutex<Inner>,
}

impl FakeFcm {
    pub async fn start(public_pem: String) -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let fake = Arc::new(Self {
            token_uri: format!("{base_url}/token"),
            base_url,
            public_pem,
            inner: Mutex::new(Inner {
                expires_in: 3600,
                ..Inner::default()
            }),
        });
        let app = Router::new()
            .route("/token", post(token))
            .route(&format!("/v1/projects/{PROJECT}/messages:send"), post(send))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap()
    }

    pub fn token_fetches(&self) -> u32 {
        self.inner().token_fetches
    }

    /// Bearer tokens and bodies of the sends, in order.
    pub fn sends(&self) -> Vec<(String, Value)> {
        self.inner().sends.clone()
    }

    pub fn answer_next_send(&self, answer: Answer) {
        self.inner().send_answers.push_back(answer);
    }

    pub fn answer_next_token_request(&self, answer: Answer) {
        self.inner().token_answers.push_back(answer);
    }

    /// Google revokes the access token it issued last (as after a key rotation).
    pub fn revoke_token(&self) {
        self.inner().current_token = None;
    }

    fn verify_assertion(&self, form: &HashMap<String, String>) -> Result<(), String> {
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return Err(format!("wrong grant_type {:?}", form.get("grant_type")));
        }
        let assertion = form.get("assertion").ok_or("no assertion")?;
        let key = DecodingKey::from_rsa_pem(self.public_pem.as_bytes()).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.token_uri]);
        validation.set_issuer(&[CLIENT_EMAIL]);
        // Time comes from the test's manual clock; the lifetime is checked below instead.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "aud", "iat", "exp"]);
        let data = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
            .map_err(|e| format!("assertion refused: {e}"))?;
        if data.header.kid.as_deref() != Some(KEY_ID) {
            return Err(format!("wrong kid {:?}", data.header.kid));
        }
        if data.claims["scope"] != SCOPE {
            return Err(format!("wrong scope {}", data.claims["scope"]));
        }
        let lifetime = data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap();
        if lifetime != 3600 {
            return Err(format!("assertion lives {lifetime} s"));
        }
        Ok(())
    }
}

fn respond(answer: Answer) -> Response {
    let mut response = (
        StatusCode::from_u16(answer.status).unwrap(),
        Json(answer.body),
    )
        .into_response();
    if let Some(secs) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.parse().unwrap());
    }
    response
}

/// What the fake says when the pusher did something a real provider would refuse; the test
/// sees it in the error.
fn complaint(problem: String) -> Response {
    let body = json!({ "error": { "code": 418, "status": format!("FAKE_COMPLAINS {problem}") } });
    (StatusCode::IM_A_TEAPOT, Json(body)).into_response()
}

async fn token(
    State(fake): State<Arc<FakeFcm>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(problem) = fake.verify_assertion(&form) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant", "error_description": problem })),
        )
            .into_response();
    }
    let mut inner = fake.inner();
    if let Some(answer) = inner.token_answers.pop_front() {
        return respond(answer);
    }
    inner.token_fetches += 1;
    let token = format!("access-token-{}", inner.token_fetches);
    inner.current_token = Some(token.clone());
    Json(json!({ "access_token": token, "expires_in": inner.expires_in, "token_type": "Bearer" }))
        .into_response()
}

async fn send(State(fake): State<Arc<FakeFcm>>, headers: HeaderMap, body: String) -> Response {
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return complaint("body is not JSON".into());
    };
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/json")
    {
        return complaint("content-type is not application/json".into());
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let mut inner = fake.inner();
    inner.sends.push((bearer.clone(), body));
    if inner.current_token.as_deref() != Some(bearer.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": { "code": 401, "status": "UNAUTHENTICATED",
                "message": "Request had invalid authentication credentials." } })),
        )
            .into_response();
    }
    if let Some(answer) = inner.send_answers.pop_front() {
        return respond(answer);
    }
    let n = inner.sends.len();
    Json(json!({ "name": format!("projects/{PROJECT}/messages/{n}") })).into_response()
}
