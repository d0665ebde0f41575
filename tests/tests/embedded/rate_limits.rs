//! Rate limits over HTTP on the embedded backend, with tiny quotas: a caller past its limit gets
//! 429 `rate_limited` with Retry-After, the store is never touched for it, and other devices and
//! tenants are not affected.

use std::sync::Arc;

use mdm_core::Services;
use mdm_core::domain::Role;
use mdm_devtools::agent::client::checkin_body;
use mdm_tests::stack::{Stack, TEST_SECRET};
use reqwest::Method;
use serde_json::json;

/// A stack where each device may make 3 calls and each tenant 4, with a trickle of 1 a minute.
async fn tight_stack() -> (Stack, Arc<Services>) {
    let mut cfg = mdm_app::AppConfig::for_tests(TEST_SECRET);
    cfg.rate_device_per_min = 1;
    cfg.rate_device_burst = 3;
    cfg.rate_tenant_per_min = 1;
    cfg.rate_tenant_burst = 4;
    let app = mdm_app::App::build(&cfg).expect("build app");
    let svc = app.services.clone();
    (Stack::serve(app).await, svc)
}

async fn checkin(s: &Stack, credential: &str, battery: u8) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/v1/device/checkin", s.base))
        .bearer_auth(credential)
        .json(&checkin_body(battery))
        .send()
        .await
        .expect("request sent")
}

/// Given a device that used its burst, when it checks in again, then it gets 429 `rate_limited`
/// with a Retry-After in whole seconds, no request unit is spent, and its battery level stays
/// as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_past_its_limit_gets_429_before_the_store_and_its_state_is_unchanged() {
    let (s, svc) = tight_stack().await;
    let (device, credential) = s.enroll_sink_device("acme", 1).await;
    for _ in 0..3 {
        assert_eq!(checkin(&s, &credential, 50).await.status(), 200);
    }

    let before = svc.table.units();
    let res = checkin(&s, &credential, 10).await;
    let spent = svc.table.units().since(&before);

    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let problem: serde_json::Value = res.json().await.expect("problem+json");
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!((spent.read_units, spent.write_units), (0.0, 0), "{spent:?}");
    assert_eq!(s.device("acme", &device).await["battery_level"], 50);
    s.stop().await;
}

/// Given one device flooding until it is limited, when another device of the same tenant checks
/// in, then it is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_devices_flood_does_not_limit_another_device() {
    let (s, _) = tight_stack().await;
    let (_, noisy) = s.enroll_sink_device("acme", 1).await;
    let (_, quiet) = s.enroll_sink_device("acme", 2).await;
    let mut limited = false;
    for _ in 0..10 {
        limited |= checkin(&s, &noisy, 50).await.status() == 429;
    }
    assert!(limited);
    assert_eq!(checkin(&s, &quiet, 50).await.status(), 200);
    s.stop().await;
}

/// Given a tenant's admin flooding the API until limited, when another tenant's admin calls,
/// then that tenant is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_flood_does_not_limit_another_tenant() {
    let (s, svc) = tight_stack().await;
    let acme = s.token("acme", Role::Admin);
    let globex = s.token("globex", Role::Admin);
    let body = json!({"max_uses": 1});
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (st, v) = s
            .raw(
                Method::POST,
                "/v1/enrollment-tokens",
                Some(&acme),
                Some(body.clone()),
            )
            .await;
        statuses.push((st, v["code"].clone()));
    }
    assert!(
        statuses.contains(&(429, json!("rate_limited"))),
        "{statuses:?}"
    );
    let before = svc.table.units();
    let (st, _) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&acme),
            Some(body.clone()),
        )
        .await;
    assert_eq!(st, 429);
    assert_eq!(svc.table.units().since(&before).write_units, 0);

    let (st, v) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&globex),
            Some(body),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    s.stop().await;
}
