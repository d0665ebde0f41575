//! Tenants as the platform operator manages them (register, list, suspend, resume, limit) and
//! as their own admins set them (name, time zone), seen through the API.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

pub(crate) async fn as_operator(
    s: &Stack,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    s.raw(method, path, Some(&s.platform_token()), body).await
}

/// Waits (bounded) until a tenant being deleted has been purged to its `deleted` tombstone.
pub(crate) async fn wait_until_deleted(s: &Stack, id: &str) {
    let path = format!("/v1/tenants/{id}");
    let mut last = Value::Null;
    for _ in 0..400 {
        let (_, read) = as_operator(s, Method::GET, &path, None).await;
        if read["status"] == "deleted" {
            return;
        }
        last = read;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the purge of {id} never finished: {last}");
}

pub(crate) async fn register(s: &Stack, id: &str, max_devices: Option<i64>) -> Value {
    let (status, body) = as_operator(
        s,
        Method::POST,
        "/v1/tenants",
        Some(
            json!({"id": id, "name": format!("{id} inc"), "limits": {"max_devices": max_devices}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// An enrolment with a fresh one-use token of `tenant`: (status, body).
async fn try_enroll(s: &Stack, tenant: &str, n: u64) -> (u16, Value) {
    let token = s.enrollment_token(tenant, 1).await;
    let body =
        mdm_devtools::agent::SimDevice::enrollment_body(n, &token, "android", &format!("sink:{n}"));
    s.raw(Method::POST, "/v1/enroll", None, Some(body)).await
}

/// The operator registers tenants, reads and pages through them and changes a limit; a second
/// registration of the same id or a malformed id is refused, and each action is in the
/// tenant's own audit log under the operator's name.
pub async fn a_platform_operator_registers_lists_reads_and_limits_tenants(s: &Stack) {
    let created = register(s, "initech", Some(10)).await;
    assert_eq!(created["id"], "initech");
    assert_eq!(created["status"], "active");
    assert_eq!(created["limits"]["max_devices"], 10);
    assert_eq!(created["devices"], 0);
    register(s, "hooli", None).await;

    let again = json!({"id": "initech", "name": "Initech again"});
    let (status, body) = as_operator(s, Method::POST, "/v1/tenants", Some(again)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    for bad in [
        json!({"id": "Not_A_Tenant", "name": "x"}),
        json!({"id": "ok", "name": ""}),
    ] {
        let (status, body) = as_operator(s, Method::POST, "/v1/tenants", Some(bad)).await;
        assert_eq!(status, 400, "{body}");
    }

    let mut seen = Vec::new();
    let mut path = "/v1/tenants?limit=1".to_owned();
    loop {
        let (status, page) = as_operator(s, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["items"].as_array().expect("items").len() <= 1);
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|t| t["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/tenants?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [json!("hooli"), json!("initech")]);

    let (status, limited) = as_operator(
        s,
        Method::PUT,
        "/v1/tenants/initech/limits",
        Some(json!({"max_devices": 3})),
    )
    .await;
    assert_eq!(status, 200, "{limited}");
    assert_eq!(limited["limits"]["max_devices"], 3);
    let (_, read) = as_operator(s, Method::GET, "/v1/tenants/initech", None).await;
    assert_eq!(read["limits"]["max_devices"], 3);
    assert_eq!(read["name"], "initech inc");

    let (status, body) = as_operator(s, Method::GET, "/v1/tenants/nobody-here", None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    let auditor = s.token("initech", Role::Auditor);
    let (_, log) = s.raw(Method::GET, "/v1/audit", Some(&auditor), None).await;
    let actions: Vec<(&str, &str)> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("tenant.limits", "platform_operator"),
            ("tenant.create", "platform_operator")
        ]
    );
    // Another tenant's log holds nothing of initech's.
    let (_, other) = s
        .raw(
            Method::GET,
            "/v1/audit",
            Some(&s.token("hooli", Role::Admin)),
            None,
        )
        .await;
    assert!(!other.to_string().contains("tenant.limits"), "{other}");
}

/// Suspended: the tenant's users, devices (check-in, pull, result, inventory) and enrolments
/// are refused with 403 `tenant_suspended`, other tenants are served, and resuming serves it
/// again with nothing lost.
pub async fn a_suspended_tenant_s_devices_and_users_are_refused_with_tenant_suspended(s: &Stack) {
    register(s, "umbrella", None).await;
    let (device, cred) = s.enroll_sink_device("umbrella", 90).await;
    let command = s
        .queue("umbrella", &device, json!({"type": "locate"}))
        .await;
    let token = s.enrollment_token("umbrella", 5).await;
    let (other, _) = s.enroll_sink_device("acme", 91).await;

    let (status, body) = as_operator(s, Method::POST, "/v1/tenants/umbrella/suspend", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "suspended");
    let (status, _) = as_operator(s, Method::POST, "/v1/tenants/umbrella/suspend", None).await;
    assert_eq!(status, 200, "suspending again changes nothing");

    let admin = s.token("umbrella", Role::Admin);
    let result = format!("/v1/device/commands/{command}/result");
    let calls = [
        (Method::GET, "/v1/devices".to_owned(), Some(&admin), None),
        (Method::GET, "/v1/settings".to_owned(), Some(&admin), None),
        (
            Method::POST,
            format!("/v1/devices/{device}/commands"),
            Some(&admin),
            Some(json!({"command": {"type": "lock"}})),
        ),
        (Method::GET, "/v1/audit".to_owned(), Some(&admin), None),
        (
            Method::POST,
            "/v1/device/checkin".to_owned(),
            Some(&cred),
            Some(json!({"battery_level": 40})),
        ),
        (
            Method::GET,
            "/v1/device/commands".to_owned(),
            Some(&cred),
            None,
        ),
        (
            Method::POST,
            result,
            Some(&cred),
            Some(json!({"status": "acknowledged"})),
        ),
        (
            Method::PUT,
            "/v1/device/inventory".to_owned(),
            Some(&cred),
            Some(json!({"battery": {"level": 40, "charging": false}})),
        ),
    ];
    for (method, path, bearer, body) in &calls {
        let (status, answer) = s
            .raw(
                method.clone(),
                path,
                bearer.map(String::as_str),
                body.clone(),
            )
            .await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert_eq!(answer["code"], "tenant_suspended", "{method} {path}");
    }
    let body = mdm_devtools::agent::SimDevice::enrollment_body(92, &token, "android", "sink:92");
    let (status, answer) = s.raw(Method::POST, "/v1/enroll", None, Some(body)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("tenant_suspended"))
    );
    // Another tenant is served as before.
    assert_eq!(s.device("acme", &other).await["id"], other.as_str());

    let (status, body) = as_operator(s, Method::POST, "/v1/tenants/umbrella/resume", None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    let pending = s.api.pending(&cred).await.expect("served again");
    assert_eq!(pending.len(), 1, "the queued command waited: {pending:?}");
    let body = mdm_devtools::agent::SimDevice::enrollment_body(93, &token, "android", "sink:93");
    let (status, answer) = s.raw(Method::POST, "/v1/enroll", None, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let (_, log) = s
        .raw(
            Method::GET,
            "/v1/audit?action=tenant.suspend",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(log["items"].as_array().expect("items").len(), 1, "{log}");
}

/// At its limit, a tenant refuses the next enrolment with 409 `device_limit_reached` (the token
/// keeps its use); retiring a device gives its place back.
pub async fn a_tenant_at_its_device_limit_refuses_another_enrolment(s: &Stack) {
    register(s, "stark", Some(2)).await;
    let (first, _) = s.enroll_sink_device("stark", 94).await;
    s.enroll_sink_device("stark", 95).await;

    let token = s.enrollment_token("stark", 1).await;
    let body = mdm_devtools::agent::SimDevice::enrollment_body(96, &token, "android", "sink:96");
    let (status, answer) = s
        .raw(Method::POST, "/v1/enroll", None, Some(body.clone()))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("device_limit_reached")),
        "{answer}"
    );
    let admin = s.token("stark", Role::Admin);
    let (_, listed) = s.raw(Method::GET, "/v1/devices", Some(&admin), None).await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
    let (_, tenant) = as_operator(s, Method::GET, "/v1/tenants/stark", None).await;
    assert_eq!(tenant["devices"], 2);

    for step in ["unenroll", "retire"] {
        let (status, answer) = s
            .raw(
                Method::POST,
                &format!("/v1/devices/{first}/{step}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, 200, "{step}: {answer}");
    }
    let (_, tenant) = as_operator(s, Method::GET, "/v1/tenants/stark", None).await;
    assert_eq!(tenant["devices"], 1);
    // The refused enrolment did not use the token up.
    let (status, answer) = s.raw(Method::POST, "/v1/enroll", None, Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = try_enroll(s, "stark", 97).await;
    assert_eq!(answer["code"], "device_limit_reached", "{status}");

    // Raising the limit takes effect at once in the process that made the change.
    let (status, _) = as_operator(
        s,
        Method::PUT,
        "/v1/tenants/stark/limits",
        Some(json!({"max_devices": null})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = try_enroll(s, "stark", 98).await;
    assert_eq!(status, 200, "{answer}");
}

/// No tenant role reaches a platform route (403 `forbidden`), and the platform operator reaches
/// no tenant route: the two kinds of token never stand in for each other.
pub async fn tenant_roles_cannot_manage_tenants(s: &Stack) {
    register(s, "wayne", None).await;
    for role in [Role::Admin, Role::Operator, Role::Auditor, Role::User] {
        let token = s.token("wayne", role);
        for (method, path, body) in [
            (Method::GET, "/v1/tenants", None),
            (Method::GET, "/v1/tenants/wayne", None),
            (Method::POST, "/v1/tenants/wayne/suspend", None),
            (
                Method::POST,
                "/v1/tenants",
                Some(json!({"id": "wayne2", "name": "Wayne 2"})),
            ),
            (
                Method::PUT,
                "/v1/tenants/wayne/limits",
                Some(json!({"max_devices": 1})),
            ),
        ] {
            let (status, answer) = s.raw(method.clone(), path, Some(&token), body).await;
            assert_eq!(status, 403, "{role:?} {method} {path}: {answer}");
            assert_eq!(answer["code"], "forbidden");
        }
    }
    let operator = s.platform_token();
    for path in [
        "/v1/devices",
        "/v1/settings",
        "/v1/audit",
        "/v1/enrollment-tokens",
    ] {
        let (status, answer) = s.raw(Method::GET, path, Some(&operator), None).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    let (_, tenant) = as_operator(s, Method::GET, "/v1/tenants/wayne", None).await;
    assert_eq!(tenant["status"], "active", "nothing was suspended");
    let (_, missing) = as_operator(s, Method::GET, "/v1/tenants/wayne2", None).await;
    assert_eq!(missing["code"], "not_found");
}

/// A tenant that was never registered (as every tenant before registration existed) is active
/// and unlimited; registering it later adopts it without refusing anything it had.
pub async fn a_tenant_that_was_never_registered_is_served_without_limits(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 99).await;
    let (status, _) = as_operator(s, Method::GET, "/v1/tenants/acme", None).await;
    assert_eq!(status, 404);
    let adopted = register(s, "acme", Some(1)).await;
    assert_eq!(
        adopted["devices"], 0,
        "devices enrolled before are not counted"
    );
    s.api.pending(&cred).await.expect("still served");
    assert_eq!(s.device("acme", &device).await["id"], device.as_str());
    s.enroll_sink_device("acme", 100).await;
    let (_, answer) = try_enroll(s, "acme", 101).await;
    assert_eq!(answer["code"], "device_limit_reached");
}

/// Admins set the name and an IANA time zone (stored canonically); readers read them; a zone
/// that is not IANA's names its field, and operators may not change them.
pub async fn an_admin_sets_the_tenant_settings_and_a_bad_time_zone_names_its_field(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let auditor = s.token("acme", Role::Auditor);
    let (status, empty) = s
        .raw(Method::GET, "/v1/settings", Some(&auditor), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({"name": null, "time_zone": null, "apple_modern_crypto_only": false})
    );

    let body = json!({"name": "Acme Corp", "time_zone": "america/new_york"});
    let (status, set) = s
        .raw(Method::PUT, "/v1/settings", Some(&admin), Some(body))
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["time_zone"], "America/New_York");
    let (_, read) = s
        .raw(Method::GET, "/v1/settings", Some(&auditor), None)
        .await;
    assert_eq!(
        read,
        json!({"name": "Acme Corp", "time_zone": "America/New_York", "apple_modern_crypto_only": false})
    );

    let bad = json!({"name": "Acme", "time_zone": "Mars/Olympus"});
    let (status, answer) = s
        .raw(Method::PUT, "/v1/settings", Some(&admin), Some(bad))
        .await;
    assert_eq!(status, 400);
    assert_eq!(answer["code"], "invalid_field");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("time_zone"),
        "{answer}"
    );
    let operator = s.token("acme", Role::Operator);
    let body = json!({"name": "Mine", "time_zone": "UTC"});
    let (status, _) = s
        .raw(Method::PUT, "/v1/settings", Some(&operator), Some(body))
        .await;
    assert_eq!(status, 403);
    let (_, read) = s.raw(Method::GET, "/v1/settings", Some(&admin), None).await;
    assert_eq!(read["name"], "Acme Corp", "nothing refused was stored");
}

/// Deleting a tenant refuses its users, devices and enrolments at once (`tenant_suspended`);
/// its data is then removed through the queue until it is a `deleted` tombstone that can be
/// neither resumed nor registered again. Other tenants are untouched.
pub async fn a_deleted_tenant_is_refused_at_once_and_ends_deleted_for_good(s: &Stack) {
    register(s, "doomed", None).await;
    let (device, cred) = s.enroll_sink_device("doomed", 110).await;
    s.queue("doomed", &device, json!({"type": "locate"})).await;
    let token = s.enrollment_token("doomed", 5).await;
    let (other, _) = s.enroll_sink_device("acme", 111).await;

    let (status, body) = as_operator(s, Method::DELETE, "/v1/tenants/doomed", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(["deleting", "deleted"].contains(&body["status"].as_str().unwrap_or_default()));
    let admin = s.token("doomed", Role::Admin);
    let (status, answer) = s.raw(Method::GET, "/v1/devices", Some(&admin), None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("tenant_suspended"))
    );
    let (status, answer) = s
        .raw(Method::GET, "/v1/device/commands", Some(&cred), None)
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("tenant_suspended"))
    );
    let body = mdm_devtools::agent::SimDevice::enrollment_body(112, &token, "android", "sink:112");
    let (status, answer) = s.raw(Method::POST, "/v1/enroll", None, Some(body)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("tenant_suspended"))
    );

    wait_until_deleted(s, "doomed").await;
    for (method, path) in [
        (Method::POST, "/v1/tenants/doomed/resume"),
        (Method::POST, "/v1/tenants/doomed/suspend"),
    ] {
        let (status, answer) = as_operator(s, method, path, None).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (409, Some("conflict")),
            "{path}"
        );
    }
    let again = json!({"id": "doomed", "name": "Doomed again"});
    let (status, _) = as_operator(s, Method::POST, "/v1/tenants", Some(again)).await;
    assert_eq!(status, 409);
    let (status, answer) = as_operator(s, Method::DELETE, "/v1/tenants/doomed", None).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("deleted")));
    let (status, _) = s.raw(Method::GET, "/v1/devices", Some(&admin), None).await;
    assert_eq!(status, 403);
    assert_eq!(s.device("acme", &other).await["id"], other.as_str());
}
