//! Bad input gets problem+json with a stable code, and changes nothing.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::stack::Stack;

/// Each malformed request is refused with its own stable code.
pub async fn bad_requests_get_problem_json_with_stable_codes(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let (device, cred) = s.enroll_sink_device("acme", 50).await;
    let token = s.enrollment_token("acme", 5).await;
    let mut enroll =
        mdm_devtools::agent::SimDevice::enrollment_body(51, &token, "android", "sink:x");
    let queue = format!("/v1/devices/{device}/commands");
    let garbage = "d1.acme.X.short".to_owned();

    let cases = vec![
        (
            "unknown command type",
            Method::POST,
            queue.clone(),
            Some(&admin),
            json!({"command": {"type": "explode"}}),
            400,
            "invalid_request",
        ),
        (
            "unknown field",
            Method::POST,
            queue.clone(),
            Some(&admin),
            json!({"command": {"type": "lock"}, "priority": 1}),
            400,
            "invalid_request",
        ),
        (
            "bad payload value",
            Method::POST,
            queue.clone(),
            Some(&admin),
            json!({"command": {"type": "ring", "duration_seconds": 9999}}),
            400,
            "invalid_field",
        ),
        (
            "ttl out of range",
            Method::POST,
            queue.clone(),
            Some(&admin),
            json!({"command": {"type": "lock"}, "ttl_seconds": 1}),
            400,
            "invalid_field",
        ),
        (
            "unknown device",
            Method::POST,
            "/v1/devices/01NOSUCHDEVICE/commands".into(),
            Some(&admin),
            json!({"command": {"type": "lock"}}),
            404,
            "not_found",
        ),
        (
            "malformed device id",
            Method::GET,
            "/v1/devices/..%2f..%2fetc".into(),
            Some(&admin),
            json!(null),
            404,
            "not_found",
        ),
        (
            "bad max_uses",
            Method::POST,
            "/v1/enrollment-tokens".into(),
            Some(&admin),
            json!({"max_uses": 0}),
            400,
            "invalid_field",
        ),
        (
            "unknown route",
            Method::GET,
            "/v1/nothing-here".into(),
            Some(&admin),
            json!(null),
            404,
            "route_not_found",
        ),
        (
            "wrong method",
            Method::DELETE,
            "/v1/audit".into(),
            Some(&admin),
            json!(null),
            405,
            "method_not_allowed",
        ),
        (
            "a cursor no listing of this kind returned",
            Method::GET,
            format!("{queue}?open=true&cursor=C%23not-an-open-command"),
            Some(&admin),
            json!(null),
            400,
            "invalid_field",
        ),
        (
            "bad checkin value",
            Method::POST,
            "/v1/device/checkin".into(),
            Some(&cred),
            json!({"battery_level": 101}),
            400,
            "invalid_field",
        ),
        (
            "garbage device credential",
            Method::POST,
            "/v1/device/checkin".into(),
            Some(&garbage),
            json!({}),
            401,
            "device_credential_invalid",
        ),
    ];
    for (what, method, path, bearer, body, status, code) in cases {
        let body = (!body.is_null()).then_some(body);
        let (st, b) = s.raw(method, &path, bearer.map(String::as_str), body).await;
        assert_eq!(
            (st, b["code"].as_str().unwrap_or("")),
            (status, code),
            "{what}: {b}"
        );
    }

    enroll["imei"] = json!("490154203237519");
    let err = s.api.enroll(&enroll).await.expect_err("bad luhn");
    assert_eq!((err.status, err.code.as_str()), (400, "invalid_request"));
    assert!(err.detail.contains("check digit"), "{}", err.detail);

    // Nothing was stored by the refused requests.
    let (_, listing) = s
        .raw(
            Method::GET,
            &format!("{queue}?open=true"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listing["items"].as_array().map(Vec::len), Some(0));
}

/// Oversized bodies and bodies that are not JSON are refused before any work.
pub async fn oversized_and_non_json_bodies_are_refused(s: &Stack) {
    let client = reqwest::Client::new();
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    let res = client
        .post(format!("{}/v1/enroll", s.base))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["code"], "payload_too_large");

    let res = client
        .post(format!("{}/v1/enroll", s.base))
        .body("platform=android")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 415);
    let res = client
        .post(format!("{}/v1/enroll", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);

    // A field name the size of the body does not come back in the error.
    let res = client
        .post(format!("{}/v1/enroll", s.base))
        .header("content-type", "application/json")
        .body(format!("{{\"{}\":1}}", "f".repeat(10_000)))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.expect("json");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.len() < 300, "{} bytes of detail", detail.len());
}

/// Every route that takes a body refuses one a byte over its cap in the route table with 413,
/// whoever calls it, and accepts the route's real bodies under it.
pub async fn every_route_refuses_a_body_over_its_own_cap(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 80).await;
    let command = s.queue("acme", &device, json!({"type": "locate"})).await;
    let admin = s.token("acme", mdm_core::domain::Role::Admin);
    let operator = s.platform_token();
    let client = reqwest::Client::new();
    let mut checked = 0;
    for route in mdm_http::ROUTES.iter().filter(|r| r.body_limit > 0) {
        let path = route
            .path
            .replace("{device_id}", &device)
            .replace("{command_id}", &command)
            .replace("{platform}", "android")
            .replace("{tenant_id}", "acme");
        let bearer = match route.caller {
            mdm_http::routes::Caller::Tenant(_) => Some(admin.as_str()),
            mdm_http::routes::Caller::Platform => Some(operator.as_str()),
            mdm_http::routes::Caller::Device => Some(cred.as_str()),
            mdm_http::routes::Caller::EnrollmentToken | mdm_http::routes::Caller::Public => None,
        };
        // A JSON document of exactly body_limit + 1 bytes.
        let pad = route.body_limit + 1 - r#"{"pad":""}"#.len();
        let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(pad));
        let mut req = client
            .request(route.method.clone(), format!("{}{path}", s.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let res = req.send().await.expect("send");
        assert_eq!(res.status(), 413, "{} {}", route.method, route.path);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} routes take a body");
}

/// With the default limits (a device: bursts of 20, then one a second), a device calling in a
/// tight loop is answered 429 `rate_limited` with Retry-After in whole seconds, while another
/// device of the same tenant is still served.
pub async fn a_device_calling_in_a_loop_is_rate_limited_and_its_neighbour_is_not(s: &Stack) {
    let (_, noisy) = s.enroll_sink_device("acme", 90).await;
    let (_, quiet) = s.enroll_sink_device("acme", 91).await;
    let client = reqwest::Client::new();
    let checkin = |credential: &str| {
        client
            .post(format!("{}/v1/device/checkin", s.base))
            .bearer_auth(credential)
            .json(&json!({"battery_level": 50}))
            .send()
    };
    let mut limited = None;
    // Refill is one a second: even at a slow 0.5 s per call, 100 calls outrun it.
    for _ in 0..100 {
        let res = checkin(&noisy).await.expect("send");
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), 200);
    }
    let res = limited.expect("check-ins in a tight loop must meet the limit");
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = res.json().await.expect("problem+json");
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(checkin(&quiet).await.expect("send").status(), 200);
}
