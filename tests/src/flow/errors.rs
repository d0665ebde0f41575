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
    let mut enroll = mdm_app::agent::SimDevice::enrollment_body(51, &token, "android", "sink:x");
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
}
