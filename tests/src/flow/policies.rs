//! Policies as an admin and a device see them: documents with versions, assigned to the
//! tenant, groups and devices with a precedence, delivered on check-in only until the device
//! reports applying them.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::groups::{change, create_group};
use crate::stack::Stack;

/// Creates a policy as an admin; returns its id.
pub async fn create_policy(s: &Stack, tenant: &str, name: &str, document: Value) -> String {
    let admin = s.token(tenant, Role::Admin);
    let (status, p) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({"name": name, "document": document})),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["version"], 1);
    p["id"].as_str().expect("policy id").to_owned()
}

async fn put(s: &Stack, tenant: &str, path: &str, body: Value) -> Value {
    let admin = s.token(tenant, Role::Admin);
    let (status, v) = s.raw(Method::PUT, path, Some(&admin), Some(body)).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

async fn effective(s: &Stack, tenant: &str, device: &str) -> Value {
    let auditor = s.token(tenant, Role::Auditor);
    let (status, v) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}/policy"),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

fn sources(v: &Value) -> Vec<(String, String)> {
    v["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (
                s["policy"].as_str().unwrap().to_owned(),
                s["via"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Waits (bounded) until the device's effective policy comes from exactly `want` (refreshes
/// of groups and of the tenant run through the queue).
async fn settled(s: &Stack, tenant: &str, device: &str, want: &[(String, String)]) -> Value {
    for _ in 0..400 {
        let v = effective(s, tenant, device).await;
        if sources(&v) == want {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "{device} never got {want:?}: {}",
        effective(s, tenant, device).await
    );
}

fn via(policy: &str, how: &str) -> (String, String) {
    (policy.to_owned(), how.to_owned())
}

pub async fn a_device_s_policy_is_its_own_then_its_groups_by_priority_then_the_tenant_default(
    s: &Stack,
) {
    let (d1, _) = s.enroll_sink_device("acme", 90).await;
    let (d2, _) = s.enroll_sink_device("acme", 91).await;
    let (d3, _) = s.enroll_sink_device("acme", 92).await;
    let base = create_policy(
        s,
        "acme",
        "Baseline",
        json!({
            "passcode": {"min_length": 4, "complexity": "any"},
            "restrictions": {"debugging_disabled": true},
        }),
    )
    .await;
    let field = create_policy(
        s,
        "acme",
        "Field",
        json!({
            "restrictions": {"camera_disabled": true},
            "wifi": [{"ssid": "Depot", "security": "wpa2_psk", "password": "depot-password"}],
        }),
    )
    .await;
    let secure = create_policy(
        s,
        "acme",
        "Secure",
        json!({"restrictions": {"usb_file_transfer_disabled": true, "screen_capture_disabled": true}}),
    )
    .await;
    let exec = create_policy(
        s,
        "acme",
        "Executive",
        json!({"passcode": {"min_length": 8, "complexity": "alphanumeric", "max_failed_attempts": 10}}),
    )
    .await;
    let low = create_group(s, "acme", "Field staff").await;
    let high = create_group(s, "acme", "Secure staff").await;
    change(s, "acme", &low, "add", &[&d1, &d2]).await;
    change(s, "acme", &high, "add", &[&d1]).await;

    let default = put(s, "acme", "/v1/default-policy", json!({"policy_id": base})).await;
    assert_eq!(default["policy_id"], base.as_str());
    let g = put(
        s,
        "acme",
        &format!("/v1/groups/{low}/policy"),
        json!({"policy_id": field, "priority": 1}),
    )
    .await;
    assert_eq!(
        (g["policy_id"].as_str(), g["priority"].as_i64()),
        (Some(field.as_str()), Some(1))
    );
    put(
        s,
        "acme",
        &format!("/v1/groups/{high}/policy"),
        json!({"policy_id": secure, "priority": 10}),
    )
    .await;
    let own = put(
        s,
        "acme",
        &format!("/v1/devices/{d1}/policy"),
        json!({"policy_id": exec}),
    )
    .await;
    assert_eq!(
        own["sources"][0]["via"], "device",
        "a device's own policy applies at once"
    );

    let e1 = settled(
        s,
        "acme",
        &d1,
        &[
            via(&exec, "device"),
            via(&secure, &format!("group:{high}")),
            via(&field, &format!("group:{low}")),
            via(&base, "tenant"),
        ],
    )
    .await;
    let doc = &e1["document"];
    assert_eq!(
        doc["passcode"]["min_length"], 8,
        "the device's own passcode"
    );
    assert_eq!(
        doc["restrictions"],
        json!({"usb_file_transfer_disabled": true, "screen_capture_disabled": true}),
        "restrictions whole from the higher-priority group"
    );
    assert_eq!(
        doc["wifi"][0]["ssid"], "Depot",
        "wifi from the only group that sets it"
    );

    let e2 = settled(
        s,
        "acme",
        &d2,
        &[via(&field, &format!("group:{low}")), via(&base, "tenant")],
    )
    .await;
    assert_eq!(
        e2["document"]["restrictions"],
        json!({"camera_disabled": true})
    );
    assert_eq!(e2["document"]["passcode"]["min_length"], 4);
    let e3 = settled(s, "acme", &d3, &[via(&base, "tenant")]).await;
    assert_eq!(
        e3["document"]["restrictions"],
        json!({"debugging_disabled": true})
    );

    // Leaving a group with a policy changes the device's policy (through the queue).
    change(s, "acme", &high, "remove", &[&d1]).await;
    let e1 = settled(
        s,
        "acme",
        &d1,
        &[
            via(&exec, "device"),
            via(&field, &format!("group:{low}")),
            via(&base, "tenant"),
        ],
    )
    .await;
    assert_eq!(
        e1["document"]["restrictions"],
        json!({"camera_disabled": true})
    );

    // Equal policies give equal versions: d2 and d3 differ, a device enrolled now gets the default.
    assert_ne!(e2["version"], e3["version"]);
    let (d4, _) = s.enroll_sink_device("acme", 93).await;
    let e4 = effective(s, "acme", &d4).await;
    assert_eq!(
        e4["version"], e3["version"],
        "the default applies from enrolment on"
    );
}

pub async fn a_device_gets_its_policy_on_check_in_until_it_reports_applying_it(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 94).await;
    let policy = create_policy(
        s,
        "acme",
        "Kiosk",
        json!({"kiosk": {"apps": ["com.example.pos"]}}),
    )
    .await;
    let assigned = put(
        s,
        "acme",
        &format!("/v1/devices/{device}/policy"),
        json!({"policy_id": policy}),
    )
    .await;
    assert_eq!(assigned["up_to_date"], false);
    let version = assigned["version"].as_str().expect("version").to_owned();

    let first = s.api.checkin(&cred, &json!({})).await.expect("check in");
    assert_eq!(first["policy"]["version"], version.as_str());
    assert_eq!(
        first["policy"]["document"]["kiosk"]["apps"][0],
        "com.example.pos"
    );
    let again = s.api.checkin(&cred, &json!({})).await.expect("check in");
    assert_eq!(
        again["policy"]["version"],
        version.as_str(),
        "sent until applied"
    );
    let applied = s
        .api
        .checkin(&cred, &json!({"policy_version": version}))
        .await
        .expect("check in");
    assert!(applied.get("policy").is_none(), "{applied}");
    let quiet = s.api.checkin(&cred, &json!({})).await.expect("check in");
    assert!(quiet.get("policy").is_none(), "not sent again: {quiet}");
    let view = effective(s, "acme", &device).await;
    assert_eq!(
        (
            view["up_to_date"].as_bool(),
            view["applied_version"].as_str()
        ),
        (Some(true), Some(version.as_str()))
    );

    // A new version of the policy reaches the device, which is told at its next check-in.
    let admin = s.token("acme", Role::Admin);
    let (status, v2) = s
        .raw(
            Method::PUT,
            &format!("/v1/policies/{policy}"),
            Some(&admin),
            Some(json!({"name": "Kiosk", "document": {"kiosk": {"apps": ["com.example.pos", "com.example.scanner"], "emergency_dialer_allowed": true}}})),
        )
        .await;
    assert_eq!((status, v2["version"].as_i64()), (200, Some(2)));
    // The devices a new version reaches are refreshed through the queue.
    for _ in 0..400 {
        if effective(s, "acme", &device).await["sources"][0]["version"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let next = s
        .api
        .checkin(&cred, &json!({"policy_version": version}))
        .await
        .expect("check in");
    assert_ne!(next["policy"]["version"], version.as_str());
    assert_eq!(
        next["policy"]["document"]["kiosk"]["emergency_dialer_allowed"],
        true
    );
    let view = effective(s, "acme", &device).await;
    assert_eq!(view["sources"][0]["version"], 2);

    // Taking the policy away leaves nothing to send.
    let (status, none) = s
        .raw(
            Method::DELETE,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((status, none["up_to_date"].as_bool()), (200, Some(true)));
    let after = s.api.checkin(&cred, &json!({})).await.expect("check in");
    assert!(after.get("policy").is_none());
}

pub async fn a_policy_in_use_cannot_be_deleted_and_a_bad_document_names_its_field(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let policy = create_policy(
        s,
        "acme",
        "Default",
        json!({"restrictions": {"nfc_disabled": true}}),
    )
    .await;
    put(
        s,
        "acme",
        "/v1/default-policy",
        json!({"policy_id": policy}),
    )
    .await;
    let path = format!("/v1/policies/{policy}");
    let (status, refused) = s.raw(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("policy_in_use"))
    );
    let (status, _) = s
        .raw(Method::DELETE, "/v1/default-policy", Some(&admin), None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = s.raw(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, 200, "204 once assigned nowhere");
    let (status, _) = s.raw(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(status, 404);

    for (document, field) in [
        (
            json!({"passcode": {"min_length": 2, "complexity": "any"}}),
            "passcode.min_length",
        ),
        (
            json!({"wifi": [{"ssid": "Office", "security": "wpa3_sae"}]}),
            "wifi[0].password",
        ),
        (
            json!({"apps": {"mode": "deny_list", "apps": ["com.ok.app", "bad id"]}}),
            "apps.apps[1]",
        ),
    ] {
        let (status, err) = s
            .raw(
                Method::POST,
                "/v1/policies",
                Some(&admin),
                Some(json!({"name": "Bad", "document": document})),
            )
            .await;
        assert_eq!(
            (status, err["code"].as_str()),
            (400, Some("invalid_field")),
            "{err}"
        );
        assert!(
            err["detail"].as_str().unwrap().starts_with(field),
            "{field}: {err}"
        );
    }
    let (status, err) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({"name": "Bad", "document": {"camera": false}})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (400, Some("invalid_request")),
        "{err}"
    );
    let (status, err) = s
        .raw(
            Method::PUT,
            "/v1/default-policy",
            Some(&admin),
            Some(json!({"policy_id": "NOSUCHPOLICY"})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("not_found")),
        "{err}"
    );

    let operator = s.token("acme", Role::Operator);
    let (status, _) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&operator),
            Some(json!({"name": "No", "document": {}})),
        )
        .await;
    assert_eq!(status, 403, "operators do not change policies");
    let (_, listed) = s
        .raw(Method::GET, "/v1/policies", Some(&operator), None)
        .await;
    assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");
}

pub async fn apply_policy_makes_the_agent_check_in_and_apply_at_once(s: &Stack) {
    let token = s.enrollment_token("acme", 1).await;
    let body = mdm_app::agent::SimDevice::enrollment_body(95, &token, "android", "sink:95");
    let enrolled = s.api.enroll(&body).await.expect("enroll");
    let device = tokio::sync::Mutex::new(mdm_app::agent::SimDevice {
        index: 95,
        device_id: enrolled["device_id"].as_str().unwrap().to_owned(),
        credential: enrolled["device_credential"].as_str().unwrap().to_owned(),
        ..Default::default()
    });
    let id = device.lock().await.device_id.clone();
    let policy = create_policy(
        s,
        "acme",
        "Camera off",
        json!({"restrictions": {"camera_disabled": true}}),
    )
    .await;
    let assigned = put(
        s,
        "acme",
        &format!("/v1/devices/{id}/policy"),
        json!({"policy_id": policy}),
    )
    .await;
    s.queue("acme", &id, json!({"type": "apply_policy"})).await;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    mdm_app::agent::session(&s.api, &device, &tx)
        .await
        .expect("session");
    let d = device.lock().await;
    assert_eq!(d.policy_version(), assigned["version"].as_str());
    assert_eq!(
        d.policy.as_ref().unwrap().1["restrictions"]["camera_disabled"],
        true
    );
    let view = effective(s, "acme", &id).await;
    assert_eq!(view["up_to_date"], true);
}
