//! What the edge tests share: the served router on the in-memory embedded backend, tokens
//! it trusts, and a call that returns what a client would see.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use mdm_app::{App, AppConfig};
use mdm_auth::{DevClaims, mint_hs256, mint_platform_hs256};
use mdm_core::domain::{Role, TenantId};
use serde_json::Value;
use tower::ServiceExt;

const SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A fresh system; each `Server` keeps its own state.
pub struct Server {
    router: Router,
}

impl Server {
    pub fn new() -> Self {
        let app = App::build(&AppConfig::for_tests(SECRET)).expect("build app");
        Self {
            router: app.router(),
        }
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("request");
        let res = self.router().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// A call on a fresh system.
pub async fn call(method: Method, uri: &str, token: Option<&str>, body: Option<Vec<u8>>) -> Answer {
    Server::new().call(method, uri, token, body).await
}

/// A token of `role` in tenant acme.
pub fn user(role: Role) -> String {
    mint_hs256(
        SECRET.as_bytes(),
        &DevClaims {
            iss: "mdm-dev".into(),
            aud: "mdm".into(),
            sub: format!("{}@acme", role.as_str()),
            tenant: TenantId::parse("acme").unwrap(),
            role,
            ttl_secs: 600,
        },
    )
    .expect("mint token")
}

pub fn admin() -> String {
    user(Role::Admin)
}

/// The platform operator's token.
pub fn operator() -> String {
    mint_platform_hs256(SECRET.as_bytes(), "mdm-dev", "mdm", "ops@platform", 600)
        .expect("mint token")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// The answer is the problem `code` with `status`, as application/problem+json.
pub fn assert_problem(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert_eq!(
        a.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json",
        "{}",
        a.body
    );
    assert_eq!(a.body["code"], code, "{}", a.body);
    assert_eq!(a.body["status"], status, "{}", a.body);
}
