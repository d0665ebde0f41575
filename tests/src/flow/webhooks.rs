//! Signed webhooks as a tenant's receiver sees them: a small HTTP server on 127.0.0.1 inside the
//! test records every delivery (and fails on purpose when told to), and each signature is
//! checked here with HMAC-SHA256 directly, not with the server's own code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::stack::Stack;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Default)]
struct Script {
    received: Vec<Received>,
    /// Answers 500 to this many requests before answering 204 (usize::MAX: always fails).
    failures_left: usize,
}

/// A webhook receiver on 127.0.0.1 over plain http (the test stacks exempt 127.0.0.1/32).
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<Script>>,
    server: tokio::task::JoinHandle<()>,
}

async fn receive(
    State(state): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut s = state.lock().expect("receiver state");
    s.received.push(Received {
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if s.failures_left > 0 {
        s.failures_left = s.failures_left.saturating_sub(1);
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

impl Receiver {
    /// A receiver that fails the first `failures` requests (`usize::MAX`: every one).
    pub async fn start(failures: usize) -> Self {
        let state = Arc::new(Mutex::new(Script {
            received: Vec::new(),
            failures_left: failures,
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, state, server }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("receiver state").received.clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The hex HMAC-SHA256 of `<t>.<body>`.
fn hmac_hex(secret: &str, t: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.{body}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `Mdm-Signature` carries a fresh timestamp and a `v1` that `secret` produced.
pub(crate) fn signed_with(r: &Received, secret: &str) -> bool {
    let header = r.header("mdm-signature");
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => sigs.push(v),
            _ => return false,
        }
    }
    let Some(t) = t else { return false };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let fresh = t.parse::<i64>().is_ok_and(|t| (now - t).abs() < 300);
    fresh && sigs.contains(&hmac_hex(secret, t, &r.body).as_str())
}

fn v1_count(r: &Received) -> usize {
    r.header("mdm-signature").matches("v1=").count()
}

/// A call whose whole answer matters: status, content type and JSON body.
async fn call(
    s: &Stack,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (u16, String, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(bearer);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        content_type,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Registers an endpoint as the tenant's admin; returns (id, secret).
pub(crate) async fn register(
    s: &Stack,
    tenant: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let (status, _, body) = call(
        s,
        Method::POST,
        "/v1/webhooks",
        &s.token(tenant, Role::Admin),
        Some(json!({"url": url, "events": events, "description": "test receiver"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().expect("id").to_owned(),
        body["secret"]
            .as_str()
            .expect("secret shown at creation")
            .to_owned(),
    )
}

async fn deliveries(s: &Stack, tenant: &str, id: &str) -> Vec<Value> {
    let (status, _, body) = call(
        s,
        Method::GET,
        &format!("/v1/webhooks/{id}/deliveries"),
        &s.token(tenant, Role::Auditor),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

/// Waits (bounded) until the endpoint's deliveries satisfy `done`; returns them.
async fn wait_for_deliveries(
    s: &Stack,
    tenant: &str,
    id: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..240 {
        let d = deliveries(s, tenant, id).await;
        if done(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(125)).await;
    }
    panic!(
        "deliveries never reached {what}: {:?}",
        deliveries(s, tenant, id).await
    );
}

/// Drives a sink device's command through push_sent, fetched and acknowledged.
async fn run_command(s: &Stack, tenant: &str, device: &str, cred: &str) -> String {
    let id = s.queue(tenant, device, json!({"type": "ring"})).await;
    s.wait_for_status(tenant, device, &id, "push_sent").await;
    let pulled = s.api.pending(cred).await.expect("pull");
    assert_eq!(pulled.len(), 1, "{pulled:?}");
    s.api
        .report(cred, &id, &json!({"status": "acknowledged"}))
        .await
        .expect("report");
    id
}

/// Given an endpoint subscribed to device.enrolled and command.state_changed, when a device
/// enrols and a command runs through its states and the device is then unenrolled, then each
/// subscribed event arrives exactly once, signed with the endpoint's secret, and the
/// unsubscribed device.unenrolled never arrives.
pub async fn every_subscribed_event_is_delivered_once_signed_and_no_other(s: &Stack) {
    let rx = Receiver::start(0).await;
    let (hook, secret) = register(
        s,
        "acme",
        &rx.url,
        &["device.enrolled", "command.state_changed"],
    )
    .await;
    let (device, cred) = s.enroll_sink_device("acme", 501).await;
    let command = run_command(s, "acme", &device, &cred).await;
    let admin = s.token("acme", Role::Admin);
    let (status, _, body) = call(
        s,
        Method::POST,
        &format!("/v1/devices/{device}/unenroll"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let listed = wait_for_deliveries(s, "acme", &hook, "4 delivered", |d| {
        d.len() == 4 && d.iter().all(|x| x["state"] == "delivered")
    })
    .await;
    // Newest first, each on its first attempt with the receiver's status.
    let types: Vec<&str> = listed
        .iter()
        .map(|d| d["event_type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        types,
        [
            "command.state_changed",
            "command.state_changed",
            "command.state_changed",
            "device.enrolled"
        ]
    );
    assert!(
        listed
            .iter()
            .all(|d| d["attempts"] == 1 && d["last_status_code"] == 204),
        "{listed:?}"
    );
    // Long enough for a stray unenrolment delivery to have arrived.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Deliveries run concurrently, so arrival order is not publication order; event ids are
    // time-ordered.
    let mut got = rx.received();
    got.sort_by(|a, b| a.header("mdm-event-id").cmp(b.header("mdm-event-id")));
    assert_eq!(got.len(), 4, "{got:?}");
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("mdm-event-id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each event once: {got:?}");
    for r in &got {
        assert!(signed_with(r, &secret), "bad signature: {r:?}");
        assert_eq!(v1_count(r), 1, "one secret, one signature: {r:?}");
        assert!(!signed_with(r, "whsec_wrong"));
        let body = r.json();
        assert_eq!(body["id"], r.header("mdm-event-id"));
        assert_eq!(body["type"], r.header("mdm-event-type"));
        assert_eq!(body["tenant"], "acme");
        assert_eq!(body["device"], device.as_str());
        assert!(
            body["occurred_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        assert_eq!(r.header("content-type"), "application/json");
    }
    assert_eq!(got[0].json()["type"], "device.enrolled");
    assert_eq!(got[0].json()["data"]["platform"], "android");
    let moves: Vec<(String, String)> = got[1..]
        .iter()
        .map(|r| {
            let d = &r.json()["data"];
            assert_eq!(d["command"], command.as_str());
            assert_eq!(d["kind"], "ring");
            (
                d["from"].as_str().unwrap_or("").to_owned(),
                d["to"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = moves
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("queued", "push_sent"),
            ("push_sent", "fetched"),
            ("fetched", "acknowledged")
        ]
    );
    assert!(got.iter().all(|r| r.json()["type"] != "device.unenrolled"));
}

/// Given a receiver that fails twice, when an event is published, then it is sent again with
/// backoff until it is delivered, and the deliveries listing shows the three attempts.
pub async fn a_receiver_that_fails_twice_gets_the_event_again_and_it_ends_delivered(s: &Stack) {
    let rx = Receiver::start(2).await;
    let (hook, secret) = register(s, "acme", &rx.url, &["device.enrolled"]).await;
    s.enroll_sink_device("acme", 502).await;
    let listed = wait_for_deliveries(s, "acme", &hook, "delivered", |d| {
        d.len() == 1 && d[0]["state"] == "delivered"
    })
    .await;
    assert_eq!(listed[0]["attempts"], 3, "{listed:?}");
    assert_eq!(listed[0]["last_status_code"], 204);
    assert_eq!(listed[0]["event_type"], "device.enrolled");
    let got = rx.received();
    assert_eq!(got.len(), 3, "{got:?}");
    // The same event each time (receivers deduplicate on its id), freshly signed.
    assert!(
        got.iter()
            .all(|r| r.body == got[0].body && signed_with(r, &secret))
    );
    assert_eq!(
        got.iter()
            .map(|r| r.header("mdm-delivery-attempt"))
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
}

/// Given a receiver that always fails, when an event is published, then after the attempt
/// limit (4 in the test stacks) the delivery is recorded dead and no longer sent.
pub async fn a_receiver_that_always_fails_ends_dead_after_the_attempt_limit(s: &Stack) {
    let rx = Receiver::start(usize::MAX).await;
    let (hook, _) = register(s, "acme", &rx.url, &["device.enrolled"]).await;
    s.enroll_sink_device("acme", 503).await;
    let listed = wait_for_deliveries(s, "acme", &hook, "dead", |d| {
        d.len() == 1 && d[0]["state"] == "dead"
    })
    .await;
    assert_eq!(listed[0]["attempts"], 4, "{listed:?}");
    assert_eq!(listed[0]["last_status_code"], 500);
    assert!(listed[0].get("next_attempt_at").is_none(), "{listed:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        rx.received().len(),
        4,
        "nothing is sent after the last attempt"
    );
}

/// Given an endpoint whose secret was rotated, when an event is delivered during the overlap,
/// then it carries two signatures, one with the new secret and one with the old, and reading
/// the endpoint shows when the old one stops signing but never a secret.
pub async fn during_a_rotation_s_overlap_both_the_old_and_the_new_secret_sign(s: &Stack) {
    let rx = Receiver::start(0).await;
    let (hook, old) = register(s, "acme", &rx.url, &["device.enrolled"]).await;
    let admin = s.token("acme", Role::Admin);
    let (status, _, rotated) = call(
        s,
        Method::POST,
        &format!("/v1/webhooks/{hook}/rotate-secret"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().expect("new secret").to_owned();
    assert_ne!(new, old);
    assert!(
        rotated["previous_secret_expires_at"].is_string(),
        "{rotated}"
    );

    s.enroll_sink_device("acme", 504).await;
    wait_for_deliveries(s, "acme", &hook, "delivered", |d| {
        d.len() == 1 && d[0]["state"] == "delivered"
    })
    .await;
    let got = rx.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(v1_count(&got[0]), 2, "{got:?}");
    assert!(signed_with(&got[0], &new), "new secret: {got:?}");
    assert!(signed_with(&got[0], &old), "old secret: {got:?}");

    let (status, _, read) = call(
        s,
        Method::GET,
        &format!("/v1/webhooks/{hook}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        read["previous_secret_expires_at"],
        rotated["previous_secret_expires_at"]
    );
    let text = read.to_string();
    assert!(!text.contains(&new) && !text.contains(&old), "{text}");
    assert!(read.get("secret").is_none());
}

/// Given an admin registering endpoints, when the URL points inside our network (private,
/// metadata, loopback beyond the exempt 127.0.0.1, IPv6 loopback, a name that is loopback by
/// definition, a mapped IPv4) or uses plain http to a public host, then it is refused with
/// problem+json `webhook_target_refused` on `url`; bad event lists and URLs name their field,
/// and an eleventh endpoint is refused.
pub async fn internal_targets_and_bad_input_are_refused_with_problem_codes(s: &Stack) {
    let admin = s.token("globex", Role::Admin);
    let post = |body: Value| call(s, Method::POST, "/v1/webhooks", &admin, Some(body));
    for url in [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.2/hook",
        "https://[::1]/hook",
        "https://hooks.localhost/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://100.64.0.1/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "http://93.184.216.34/hook",
        "ftp://93.184.216.34/hook",
        "https://user:pw@93.184.216.34/hook",
        "https://93.184.216.34/hook#part",
    ] {
        let (status, content_type, body) =
            post(json!({"url": url, "events": ["sim.changed"]})).await;
        assert_eq!(
            (status, content_type.as_str(), &body["code"], &body["field"]),
            (
                400,
                "application/problem+json",
                &json!("webhook_target_refused"),
                &json!("url")
            ),
            "{url}: {body}"
        );
    }
    for (body, code, field) in [
        (
            json!({"url": "not a url", "events": ["sim.changed"]}),
            "invalid_field",
            "url",
        ),
        (
            json!({"url": "https://93.184.216.34/", "events": []}),
            "invalid_field",
            "events",
        ),
        (
            json!({"url": "https://93.184.216.34/", "events": ["device.exploded"]}),
            "invalid_field",
            "events",
        ),
    ] {
        let (status, _, answer) = post(body.clone()).await;
        assert_eq!(
            (status, &answer["code"], &answer["field"]),
            (400, &json!(code), &json!(field)),
            "{body}: {answer}"
        );
    }
    let (status, _, answer) =
        post(json!({"url": "https://93.184.216.34/", "events": ["sim.changed"], "secret": "mine"}))
            .await;
    assert_eq!(status, 400, "unknown fields are refused: {answer}");
    // A public address literal passes (nothing is sent until an event is published), up to ten.
    for _ in 0..10 {
        let (status, _, body) =
            post(json!({"url": "https://93.184.216.34/in", "events": ["sim.changed"]})).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, _, body) =
        post(json!({"url": "https://93.184.216.34/in", "events": ["sim.changed"]})).await;
    assert_eq!(
        (status, &body["code"]),
        (409, &json!("webhook_limit_reached")),
        "{body}"
    );
    // A change to an internal URL is refused the same way, and nothing changes.
    let (_, _, listed) = call(s, Method::GET, "/v1/webhooks", &admin, None).await;
    let id = listed["items"][0]["id"].as_str().expect("id").to_owned();
    let (status, _, body) = call(
        s,
        Method::PATCH,
        &format!("/v1/webhooks/{id}"),
        &admin,
        Some(json!({"url": "https://192.168.0.10/"})),
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("webhook_target_refused"))
    );
    let (_, _, read) = call(s, Method::GET, &format!("/v1/webhooks/{id}"), &admin, None).await;
    assert_eq!(read["url"], "https://93.184.216.34/in");
}

/// Given acme's endpoint, when globex's admin reads, changes, rotates, lists the deliveries of
/// or deletes it, then each is a 404 and globex's listing is empty of it; within acme, only
/// admins change endpoints, auditors and operators read them, and users see nothing.
pub async fn another_tenant_cannot_see_or_touch_a_webhook_and_roles_are_enforced(s: &Stack) {
    let rx = Receiver::start(0).await;
    let (hook, secret) = register(s, "acme", &rx.url, &["sim.changed"]).await;
    let globex = s.token("globex", Role::Admin);
    let path = format!("/v1/webhooks/{hook}");
    for (method, p, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"enabled": false}))),
        (Method::POST, format!("{path}/rotate-secret"), None),
        (Method::GET, format!("{path}/deliveries"), None),
        (Method::DELETE, path.clone(), None),
    ] {
        let (status, _, answer) = call(s, method.clone(), &p, &globex, body).await;
        assert_eq!(
            (status, &answer["code"]),
            (404, &json!("not_found")),
            "{method} {p}"
        );
        assert!(!answer.to_string().contains(&hook));
    }
    let (_, _, listed) = call(s, Method::GET, "/v1/webhooks", &globex, None).await;
    assert!(!listed.to_string().contains(&hook), "{listed}");

    for role in [Role::Operator, Role::Auditor, Role::User] {
        let token = s.token("acme", role);
        let (status, _, _) = call(
            s,
            Method::POST,
            "/v1/webhooks",
            &token,
            Some(json!({"url": rx.url, "events": ["sim.changed"]})),
        )
        .await;
        assert_eq!(status, 403, "{role:?} creates");
        let (status, _, _) = call(
            s,
            Method::PATCH,
            &path,
            &token,
            Some(json!({"enabled": false})),
        )
        .await;
        assert_eq!(status, 403, "{role:?} changes");
        let (status, _, _) = call(s, Method::DELETE, &path, &token, None).await;
        assert_eq!(status, 403, "{role:?} deletes");
        let (status, _, read) = call(s, Method::GET, &path, &token, None).await;
        let want = if role == Role::User { 403 } else { 200 };
        assert_eq!(status, want, "{role:?} reads");
        assert!(!read.to_string().contains(&secret));
    }
    let admin = s.token("acme", Role::Admin);
    let (status, _, changed) = call(
        s,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"enabled": false, "events": ["device.enrolled", "sim.changed"]})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (&changed["enabled"], &changed["events"]),
        (&json!(false), &json!(["device.enrolled", "sim.changed"]))
    );
    // A disabled endpoint gets nothing.
    s.enroll_sink_device("acme", 505).await;
    let (status, _, _) = call(s, Method::DELETE, &path, &admin, None).await;
    assert_eq!(status, 204);
    let (status, _, _) = call(s, Method::GET, &path, &admin, None).await;
    assert_eq!(status, 404);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.received().is_empty(), "{:?}", rx.received());
}
