//! Idempotency-Key cases that need to reach behind the API (embedded backend): a first attempt
//! still holding its key is simulated by claiming the key through the use case directly, and
//! the cost of a key is read from the table's unit meter.

use mdm_core::domain::{Role, TenantId};
use mdm_core::usecases::tenancy::idempotency::{self, Begun, IdempotencyKey};
use mdm_tests::stack::{Stack, TEST_SECRET};
use serde_json::json;

/// Given a first request with a key still running, when its retry arrives, then the retry gets
/// 409 `idempotency_key_in_progress` with a Retry-After within the 60 s lease, and has no effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_while_the_first_request_runs_is_told_to_come_back_later() {
    let app = mdm_app::App::build(&mdm_app::AppConfig::for_tests(TEST_SECRET)).expect("app");
    let svc = app.services.clone();
    let s = Stack::serve(app).await;
    let (device, _) = s.enroll_sink_device("acme", 1).await;
    let path = format!("/v1/devices/{device}/commands");
    let body = json!({"command": {"type": "lock"}});
    let fp = idempotency::fingerprint("POST", &path, body.to_string().as_bytes());
    let first = idempotency::begin(
        &*svc.table,
        svc.now(),
        "first-attempt",
        &TenantId::parse("acme").expect("tenant"),
        &IdempotencyKey::parse("slow-1").expect("key"),
        &fp,
    )
    .await
    .expect("claimed");
    assert!(matches!(first, Begun::Run(_)));

    let res = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .bearer_auth(s.token("acme", Role::Admin))
        .header("idempotency-key", "slow-1")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("sent");

    assert_eq!(res.status(), 409);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let problem: serde_json::Value = res.json().await.expect("problem+json");
    assert_eq!(problem["code"], "idempotency_key_in_progress");
    let (_, open) = s
        .raw(
            reqwest::Method::GET,
            &format!("{path}?open=true"),
            Some(&s.token("acme", Role::Admin)),
            None,
        )
        .await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(0), "{open}");
    s.stop().await;
}

/// Given the same small command queued twice without a key and once with one, then the key
/// costs two more write units on first use (claim, keep the response) and nothing else, and a
/// replay costs one write unit (the refused claim) and one read unit instead of the queueing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_costs_two_write_units_and_a_replay_one_write_and_one_read() {
    use axum::body::Body;
    use axum::http::Request;
    use mdm_auth::{DevClaims, mint_hs256};
    use tower::ServiceExt;

    let app = mdm_app::App::build(&mdm_app::AppConfig::for_tests(TEST_SECRET)).expect("app");
    let svc = app.services.clone();
    // No queue consumer: its wake-ups would spend units of their own.
    let router = mdm_http::all_routes(svc.clone());
    let admin = mint_hs256(
        TEST_SECRET.as_bytes(),
        &DevClaims {
            iss: "mdm-dev".into(),
            aud: "mdm".into(),
            sub: "admin@acme".into(),
            tenant: TenantId::parse("acme").expect("tenant"),
            role: Role::Admin,
            ttl_secs: 600,
        },
    )
    .expect("token");
    let token = {
        let req = Request::post("/v1/enrollment-tokens")
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"max_uses": 1}"#))
            .expect("request");
        let res = router.clone().oneshot(req).await.expect("served");
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        v["token"].as_str().expect("token").to_owned()
    };
    let enrol = mdm_devtools::agent::SimDevice::enrollment_body(1, &token, "android", "sink:1");
    let req = Request::post("/v1/enroll")
        .header("content-type", "application/json")
        .body(Body::from(enrol.to_string()))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("served");
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .expect("body");
    let device: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    let device = device["device_id"].as_str().expect("device").to_owned();

    let queue = |key: Option<&str>| {
        let mut req = Request::post(format!("/v1/devices/{device}/commands"))
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let req = req
            .body(Body::from(r#"{"command": {"type": "lock"}}"#))
            .expect("request");
        let router = router.clone();
        let table = svc.table.clone();
        async move {
            let before = table.units();
            let res = router.oneshot(req).await.expect("served");
            assert_eq!(res.status(), 201);
            table.units().since(&before)
        }
    };
    let plain = queue(None).await;
    let keyed = queue(Some("cost-1")).await;
    let replay = queue(Some("cost-1")).await;

    assert_eq!(
        keyed.write_units,
        plain.write_units + 2,
        "{plain:?} {keyed:?}"
    );
    assert_eq!(keyed.read_units, plain.read_units, "{plain:?} {keyed:?}");
    assert_eq!(
        (replay.write_units, replay.read_units),
        (1, 1.0),
        "{replay:?}"
    );
}
