//! Idempotency-Key over HTTP: a retried POST replays its first response and acts once; a key
//! reused for another request, or malformed, is refused; one tenant's key is nothing to another.

use mdm_core::domain::Role;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::stack::Stack;

/// A POST with an optional Idempotency-Key: status, headers and JSON body.
async fn post(
    s: &Stack,
    path: &str,
    bearer: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> (u16, HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .json(body);
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn replayed(h: &HeaderMap) -> bool {
    h.get("idempotency-replayed")
        .is_some_and(|v| v.as_bytes() == b"true")
}

async fn get(s: &Stack, tenant: &str, path: &str) -> (u16, Value) {
    let admin = s.token(tenant, Role::Admin);
    s.raw(reqwest::Method::GET, path, Some(&admin), None).await
}

/// Given an enrolled device, when an admin queues a lock and retries with the same key, then
/// both answers carry the same command, the retry says it is a replay, and one command exists.
pub async fn a_retried_queue_returns_the_same_command_and_queues_it_once(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 1).await;
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/devices/{device}/commands");
    let body = json!({"command": {"type": "lock", "message": "Lost phone"}});

    let (st1, h1, first) = post(s, &path, Some(&admin), Some("queue-lock-1"), &body).await;
    let (st2, h2, second) = post(s, &path, Some(&admin), Some("queue-lock-1"), &body).await;

    assert_eq!((st1, st2), (201, 201), "{first} / {second}");
    assert!(!replayed(&h1));
    assert!(replayed(&h2));
    assert_eq!(first, second);
    let (status, open) = get(s, "acme", &format!("{path}?open=true")).await;
    assert_eq!(status, 200, "{open}");
    let items = open["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{open}");
    assert_eq!(items[0]["id"], first["id"]);
}

/// Given an enrollment token good for five devices, when a device's enrolment is retried with
/// the same key, then it gets the same device id and credential, and the tenant sees one device
/// and one enrolment in its audit log.
pub async fn a_retried_enrolment_returns_the_same_device_and_credential_and_enrols_once(s: &Stack) {
    let token = s.enrollment_token("acme", 5).await;
    let body = mdm_devtools::agent::SimDevice::enrollment_body(7, &token, "android", "sink:7");

    let (st1, h1, first) = post(s, "/v1/enroll", None, Some("enrol-7"), &body).await;
    let (st2, h2, second) = post(s, "/v1/enroll", None, Some("enrol-7"), &body).await;

    assert_eq!((st1, st2), (201, 201), "{first} / {second}");
    assert!(!replayed(&h1) && replayed(&h2));
    assert_eq!(first["device_id"], second["device_id"]);
    assert_eq!(first["device_credential"], second["device_credential"]);
    let device = first["device_id"].as_str().expect("device id");
    let (status, read) = get(s, "acme", &format!("/v1/devices/{device}")).await;
    assert_eq!(status, 200, "{read}");
    let (_, audit) = get(s, "acme", "/v1/audit?limit=200").await;
    let enrolments = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "device.enroll")
        .count();
    assert_eq!(enrolments, 1, "{audit}");
    // The replayed credential is the live one.
    let credential = second["device_credential"].as_str().expect("credential");
    s.api
        .checkin(credential, &mdm_devtools::agent::client::checkin_body(80))
        .await
        .expect("the replayed credential checks in");
}

/// Given a key used to queue a lock, when the same key comes with a ring, or on another route,
/// then it is refused with 422 `idempotency_key_reused` and nothing more is queued.
pub async fn the_same_key_with_another_request_is_refused_as_reused(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 1).await;
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/devices/{device}/commands");
    let lock = json!({"command": {"type": "lock"}});
    let ring = json!({"command": {"type": "ring", "duration_seconds": 10}});

    let (st, _, _) = post(s, &path, Some(&admin), Some("k-reused"), &lock).await;
    assert_eq!(st, 201);
    let (st, h, problem) = post(s, &path, Some(&admin), Some("k-reused"), &ring).await;
    assert_eq!(st, 422, "{problem}");
    assert_eq!(problem["code"], "idempotency_key_reused");
    assert!(!replayed(&h));
    let (st, _, problem) = post(
        s,
        "/v1/enrollment-tokens",
        Some(&admin),
        Some("k-reused"),
        &json!({"max_uses": 1}),
    )
    .await;
    assert_eq!(st, 422, "{problem}");
    assert_eq!(problem["code"], "idempotency_key_reused");
    let (_, open) = get(s, "acme", &format!("{path}?open=true")).await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(1), "{open}");
}

/// Keys are scoped by tenant. Given acme created an enrollment token with a key, when globex
/// sends the very same request with the same key, then globex's request simply runs: it gets
/// its own, new token and nothing of acme's.
pub async fn a_key_used_by_one_tenant_gives_another_tenant_nothing_of_its_response(s: &Stack) {
    let body = json!({"max_uses": 3});
    let acme = s.token("acme", Role::Admin);
    let globex = s.token("globex", Role::Admin);

    let (st_a, _, a) = post(
        s,
        "/v1/enrollment-tokens",
        Some(&acme),
        Some("shared"),
        &body,
    )
    .await;
    let (st_g, h_g, g) = post(
        s,
        "/v1/enrollment-tokens",
        Some(&globex),
        Some("shared"),
        &body,
    )
    .await;

    assert_eq!((st_a, st_g), (201, 201), "{a} / {g}");
    assert!(!replayed(&h_g));
    assert_ne!(a["id"], g["id"]);
    assert_ne!(a["token"], g["token"]);
    assert!(
        g["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("e1.globex.")),
        "{g}"
    );
}

/// Given an admin, when the key is empty, too long or not printable ASCII, then the request is
/// refused with 400 `invalid_request` and has no effect.
pub async fn a_malformed_idempotency_key_is_refused_with_400(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 1).await;
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/devices/{device}/commands");
    let lock = json!({"command": {"type": "lock"}});
    let too_long = "k".repeat(256);

    for bad in ["", too_long.as_str(), "tab\tkey"] {
        let (st, _, problem) = post(s, &path, Some(&admin), Some(bad), &lock).await;
        assert_eq!(st, 400, "{bad:?}: {problem}");
        assert_eq!(problem["code"], "invalid_request");
    }
    let (_, open) = get(s, "acme", &format!("{path}?open=true")).await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(0), "{open}");
}
