//! Tenant isolation and roles, as seen through the API.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::stack::Stack;

/// Another tenant's admin gets 404 for every device and command route, never data.
pub async fn another_tenants_ids_are_not_found(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 40).await;
    let id = s.queue("acme", &device, json!({"type": "locate"})).await;
    let intruder = s.token("globex", Role::Admin);
    for (method, path, body) in [
        (Method::GET, format!("/v1/devices/{device}"), None),
        (Method::GET, format!("/v1/devices/{device}/commands"), None),
        (
            Method::GET,
            format!("/v1/devices/{device}/commands/{id}"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/devices/{device}/commands/{id}/cancel"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/devices/{device}/commands"),
            Some(json!({"command": {"type": "wipe"}})),
        ),
    ] {
        let (status, body) = s.raw(method.clone(), &path, Some(&intruder), body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["code"], "not_found");
    }
    // And acme's command is untouched.
    s.wait_for_status("acme", &device, &id, "push_sent").await;
}

/// A device credential only reaches its own commands.
pub async fn a_device_cannot_report_on_another_devices_command(s: &Stack) {
    let (a, _) = s.enroll_sink_device("acme", 41).await;
    let (_, b_cred) = s.enroll_sink_device("acme", 42).await;
    let id = s.queue("acme", &a, json!({"type": "lock"})).await;
    let err = s
        .api
        .report(&b_cred, &id, &json!({"status": "acknowledged"}))
        .await
        .expect_err("not b's");
    assert_eq!(err.status, 404);
    assert!(s.api.pending(&b_cred).await.expect("pull").is_empty());
}

/// Auditors read but cannot act; operators command but cannot create enrollment tokens; users
/// and anonymous callers are refused.
pub async fn roles_limit_what_each_user_may_do(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 43).await;
    let queue = format!("/v1/devices/{device}/commands");
    let lock = Some(json!({"command": {"type": "lock"}}));
    let auditor = s.token("acme", Role::Auditor);
    let operator = s.token("acme", Role::Operator);
    let user = s.token("acme", Role::User);

    let (st, _) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}"),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = s.raw(Method::GET, "/v1/audit", Some(&auditor), None).await;
    assert_eq!(st, 200);
    let (st, b) = s
        .raw(Method::POST, &queue, Some(&auditor), lock.clone())
        .await;
    assert_eq!((st, b["code"].as_str()), (403, Some("forbidden")));

    let (st, _) = s
        .raw(Method::POST, &queue, Some(&operator), lock.clone())
        .await;
    assert_eq!(st, 200);
    let (st, _) = s
        .raw(
            Method::POST,
            "/v1/enrollment-tokens",
            Some(&operator),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = s.raw(Method::GET, "/v1/audit", Some(&operator), None).await;
    assert_eq!(st, 403);

    let (st, _) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(st, 403);
    let (st, b) = s
        .raw(Method::GET, &format!("/v1/devices/{device}"), None, None)
        .await;
    assert_eq!((st, b["code"].as_str()), (401, Some("unauthenticated")));
    let (st, _) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}"),
            Some("not-a-jwt"),
            None,
        )
        .await;
    assert_eq!(st, 401);
}
