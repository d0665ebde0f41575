//! A fake APNs on loopback, for any test that must see what would have been pushed to Apple
//! without ever reaching Apple: HTTP/2 over TLS with a throwaway CA, optionally demanding a
//! client certificate from another CA (MDM certificate mode) or verifying ES256 provider tokens
//! (token mode). It records every push it receives; answers can be scripted, and unscripted
//! pushes succeed with an `apns-id`. Behind the `fake-apns` feature: test builds only.

mod ca;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde_json::{Value, json};

pub use ca::{Issued, TestCa};

/// What a token-mode server checks in the provider token.
pub struct JwtCheck {
    pub public_pem: String,
    pub key_id: String,
    pub team_id: String,
}

/// A scripted answer: status, optional Retry-After, and the `reason`.
pub struct Answer {
    pub status: u16,
    pub reason: &'static str,
    pub retry_after: Option<&'static str>,
}

/// One push as the fake received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// From the request path (`/3/device/<token>`).
    pub device_token: String,
    /// The `apns-topic` header.
    pub topic: Option<String>,
    /// The `apns-push-type` header.
    pub push_type: Option<String>,
    pub headers: HeaderMap,
    /// The JSON payload (`Null` when the body was not JSON).
    pub payload: Value,
    pub client_cert: Option<Vec<u8>>,
    pub version: Version,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct FakeApns {
    pub base_url: String,
    /// The PEM of the CA whose certificate the server presents: what a client must trust.
    pub roots_pem: String,
    /// The CA client certificates must come from, when the fake owns it (`start_mdm`).
    push_ca: Option<TestCa>,
    jwt: Option<JwtCheck>,
    answers: Mutex<VecDeque<Answer>>,
    received: Mutex<Vec<Received>>,
    failed_handshakes: AtomicU32,
}

#[derive(Clone)]
struct PeerCert(Option<Vec<u8>>);

impl FakeApns {
    /// Serves with a certificate from `ca`; demands a client certificate from `client_ca`
    /// when given; checks provider tokens when `jwt` is given.
    pub async fn start(
        ca: &TestCa,
        client_ca: Option<&TestCa>,
        jwt: Option<JwtCheck>,
    ) -> Arc<Self> {
        Self::serve(ca, client_ca, jwt, None).await
    }

    /// An MDM fake with CAs of its own, as a whole test stack uses it: trust `roots_pem`, and
    /// present a push certificate from `push_certificate`, or the handshake fails.
    pub async fn start_mdm() -> Arc<Self> {
        let server_ca = TestCa::new("fake apns server ca");
        let push_ca = TestCa::new("fake apple push ca");
        Self::serve(&server_ca, None, None, Some(push_ca)).await
    }

    /// An MDM push certificate for `topic` (its subject's UID) from the CA this fake demands
    /// client certificates from, valid between the Unix times (seconds). Panics on a fake that
    /// was not started with `start_mdm`.
    pub fn push_certificate(&self, topic: &str, valid_from: i64, valid_until: i64) -> Issued {
        self.push_ca
            .as_ref()
            .expect("a fake started with start_mdm")
            .push_certificate(topic, valid_from, valid_until)
    }

    async fn serve(
        ca: &TestCa,
        client_ca: Option<&TestCa>,
        jwt: Option<JwtCheck>,
        push_ca: Option<TestCa>,
    ) -> Arc<Self> {
        let client_ca = client_ca.or(push_ca.as_ref());
        let server = ca.server_cert();
        let builder = rustls::ServerConfig::builder();
        let builder = match client_ca {
            Some(client_ca) => {
                let mut roots = RootCertStore::empty();
                roots
                    .add(CertificateDer::from(client_ca.cert_der.clone()))
                    .unwrap();
                builder.with_client_cert_verifier(
                    WebPkiClientVerifier::builder(Arc::new(roots))
                        .build()
                        .unwrap(),
                )
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(
                vec![CertificateDer::from(server.cert_der)],
                PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).unwrap(),
            )
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Arc::new(Self {
            base_url: format!("https://{}", listener.local_addr().unwrap()),
            roots_pem: ca.cert_pem.clone(),
            jwt,
            answers: Mutex::new(VecDeque::new()),
            received: Mutex::new(Vec::new()),
            failed_handshakes: AtomicU32::new(0),
            push_ca,
        });
        let server_fake = fake.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, fake) = (acceptor.clone(), server_fake.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        fake.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    let peer = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|certs| certs.first())
                        .map(|cert| cert.to_vec());
                    let app = Router::new()
                        .route("/3/device/{token}", post(push))
                        .with_state(fake)
                        .layer(Extension(PeerCert(peer)));
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                        .await;
                });
            }
        });
        fake
    }

    pub fn answer_next(&self, answer: Answer) {
        self.answers.lock().unwrap().push_back(answer);
    }

    /// Every push received so far, oldest first (refused ones too).
    pub fn pushes(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn failed_handshakes(&self) -> u32 {
        self.failed_handshakes.load(Ordering::SeqCst)
    }

    fn check_provider_token(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(check) = &self.jwt else {
            return Ok(());
        };
        let jwt = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("bearer ")
                    .or_else(|| v.strip_prefix("Bearer "))
            })
            .ok_or("no bearer token")?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&check.team_id]);
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["iss", "iat"]);
        let key = DecodingKey::from_ec_pem(check.public_pem.as_bytes()).unwrap();
        let data =
            jsonwebtoken::decode::<Value>(jwt, &key, &validation).map_err(|e| e.to_string())?;
        if data.header.kid.as_deref() != Some(check.key_id.as_str()) {
            return Err(format!("wrong kid {:?}", data.header.kid));
        }
        Ok(())
    }
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

async fn push(
    State(fake): State<Arc<FakeApns>>,
    Extension(PeerCert(client_cert)): Extension<PeerCert>,
    Path(device_token): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    fake.received.lock().unwrap().push(Received {
        device_token,
        topic: header("apns-topic"),
        push_type: header("apns-push-type"),
        headers: headers.clone(),
        payload: serde_json::from_str(&body).unwrap_or(Value::Null),
        client_cert,
        version,
    });
    if let Err(problem) = fake.check_provider_token(&headers) {
        eprintln!("fake apns refuses the provider token: {problem}");
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "reason": "InvalidProviderToken" })),
        )
            .into_response();
    }
    if let Some(answer) = fake.answers.lock().unwrap().pop_front() {
        let mut response = (
            StatusCode::from_u16(answer.status).unwrap(),
            Json(json!({ "reason": answer.reason })),
        )
            .into_response();
        if let Some(secs) = answer.retry_after {
            response
                .headers_mut()
                .insert("retry-after", secs.parse().unwrap());
        }
        return response;
    }
    let id = format!(
        "5E5A1D4B-0000-0000-0000-{:012}",
        NEXT_ID.fetch_add(1, Ordering::SeqCst)
    );
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert("apns-id", id.parse().unwrap());
    response
}
