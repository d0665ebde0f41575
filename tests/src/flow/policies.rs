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
    let body = mdm_devtools::agent::SimDevice::enrollment_body(95, &token, "android", "sink:95");
    let enrolled = s.api.enroll(&body).await.expect("enroll");
    let device = tokio::sync::Mutex::new(mdm_devtools::agent::SimDevice {
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
    mdm_devtools::agent::session(&s.api, &device, &tx)
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

/// A GET as `token`; returns status and body.
async fn get_as(s: &Stack, token: &str, path: &str) -> (u16, Value) {
    s.raw(Method::GET, path, Some(token), None).await
}

/// Every page of a listing read `limit` at a time, following `next_cursor` (which must need
/// no escaping in a query string).
async fn all_pages(s: &Stack, token: &str, path: &str, limit: usize) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let mut page_path = format!("{path}?limit={limit}");
        if let Some(c) = &cursor {
            page_path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get_as(s, token, &page_path).await;
        assert_eq!(status, 200, "{page_path}: {page}");
        let got = page["items"].as_array().expect("items");
        assert!(got.len() <= limit, "{page}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(
                    c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b':'),
                    "{c}"
                );
                cursor = Some(c.to_owned());
            }
            None => return items,
        }
    }
    panic!("{path} never ended");
}

/// Asserts a 400 `invalid_field` whose detail names `field`.
fn invalid_field(status: u16, body: &Value, field: &str, what: &str) {
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field")),
        "{what}: {body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("{field}: "))),
        "{what}: {body}"
    );
}

fn not_found(status: u16, body: &Value, what: &str) {
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{what}: {body}"
    );
}

pub async fn old_policy_versions_stay_readable_newest_first(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    let documents = [
        json!({"restrictions": {"camera_disabled": true}}),
        json!({"restrictions": {"camera_disabled": true, "nfc_disabled": true}}),
        json!({"passcode": {"min_length": 6, "complexity": "numeric"}}),
    ];
    let (status, created) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({"name": "Field v1", "document": documents[0]})),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let policy = created["id"].as_str().expect("policy id").to_owned();
    let mut updated = Vec::new();
    for (n, document) in documents.iter().enumerate().skip(1) {
        let v = put(
            s,
            "acme",
            &format!("/v1/policies/{policy}"),
            json!({"name": format!("Field v{}", n + 1), "document": document}),
        )
        .await;
        updated.push(v);
    }

    // Readers see every version as it was written, the newest first.
    let auditor = s.token("acme", Role::Auditor);
    let versions = format!("/v1/policies/{policy}/versions");
    let (status, listed) = get_as(s, &auditor, &versions).await;
    assert_eq!(status, 200, "{listed}");
    assert!(listed.get("next_cursor").is_none(), "{listed}");
    let items = listed["items"].as_array().expect("items");
    let seen: Vec<(i64, &str)> = items
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["name"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(3, "Field v3"), (2, "Field v2"), (1, "Field v1")]);
    for (v, document) in items.iter().rev().zip(&documents) {
        assert_eq!(&v["document"], document, "{v}");
        assert_eq!(v["created_by"], "admin@acme");
    }
    assert_eq!(items[2]["created_at"], created["created_at"]);
    assert_eq!(items[0]["created_at"], updated[1]["updated_at"]);

    // Paged one at a time, each version comes once; an operator reads them too.
    let operator = s.token("acme", Role::Operator);
    let paged = all_pages(s, &operator, &versions, 1).await;
    assert_eq!(&paged, items);

    // One version, by number.
    let (status, first) = get_as(s, &auditor, &format!("{versions}/1")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["version"].as_i64(), first["name"].as_str()),
        (Some(1), Some("Field v1"))
    );
    assert_eq!(first["document"], documents[0]);
    let (status, second) = get_as(s, &auditor, &format!("{versions}/2")).await;
    assert_eq!((status, &second), (200, &items[1]));

    // A version never written is not found; a version that is not a number from 1 is refused.
    let (status, body) = get_as(s, &auditor, &format!("{versions}/4")).await;
    not_found(status, &body, "version 4");
    for bad in ["0", "-1", "abc", "1.5", "1e3", "1000000"] {
        let (status, body) = get_as(s, &auditor, &format!("{versions}/{bad}")).await;
        invalid_field(status, &body, "version", bad);
    }
    for bad in ["abc", "0", "V%23000002", "device:x"] {
        let (status, body) = get_as(s, &auditor, &format!("{versions}?cursor={bad}")).await;
        invalid_field(status, &body, "cursor", bad);
    }

    // Another tenant, an unknown policy and end users see nothing.
    let globex = s.token("globex", Role::Admin);
    for path in [versions.clone(), format!("{versions}/1")] {
        let (status, body) = get_as(s, &globex, &path).await;
        not_found(status, &body, &path);
    }
    let (status, body) = get_as(s, &auditor, "/v1/policies/NOSUCHPOLICY/versions").await;
    not_found(status, &body, "unknown policy");
    let (status, _) = get_as(s, &s.token("acme", Role::User), &versions).await;
    assert_eq!(status, 403);

    // A deleted policy's versions are gone with it.
    let (status, _) = s
        .raw(
            Method::DELETE,
            &format!("/v1/policies/{policy}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200);
    for path in [versions.clone(), format!("{versions}/1")] {
        let (status, body) = get_as(s, &auditor, &path).await;
        not_found(status, &body, &path);
    }
}

pub async fn a_policy_s_assignments_name_its_devices_its_groups_and_the_tenant_default(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 2_000).await;
    let (d2, _) = s.enroll_sink_device("acme", 2_001).await;
    let policy = create_policy(
        s,
        "acme",
        "Everywhere",
        json!({"restrictions": {"roaming_disabled": true}}),
    )
    .await;
    let other = create_policy(s, "acme", "Elsewhere", json!({})).await;
    let group = create_group(s, "acme", "Drivers").await;
    let auditor = s.token("acme", Role::Auditor);
    let path = format!("/v1/policies/{policy}/assignments");
    let (status, none) = get_as(s, &auditor, &path).await;
    assert_eq!(status, 200, "{none}");
    assert_eq!(none["items"], json!([]), "assigned nowhere yet");

    let to_policy = json!({ "policy_id": policy });
    for (path, body) in [
        (format!("/v1/devices/{d1}/policy"), to_policy.clone()),
        (format!("/v1/devices/{d2}/policy"), to_policy.clone()),
        (
            format!("/v1/groups/{group}/policy"),
            json!({"policy_id": policy, "priority": 7}),
        ),
        ("/v1/default-policy".to_owned(), to_policy),
    ] {
        put(s, "acme", &path, body).await;
    }

    // Devices by id, then groups, then the tenant default, each with who assigned it and when.
    let (status, listed) = get_as(s, &auditor, &path).await;
    assert_eq!(status, 200, "{listed}");
    let items = listed["items"].as_array().expect("items");
    let mut devices = [d1.clone(), d2.clone()];
    devices.sort();
    let expected = [
        json!({"target": "device", "device_id": devices[0]}),
        json!({"target": "device", "device_id": devices[1]}),
        json!({"target": "group", "group_id": group, "priority": 7}),
        json!({"target": "tenant"}),
    ];
    assert_eq!(items.len(), expected.len(), "{listed}");
    for (item, want) in items.iter().zip(&expected) {
        for (field, value) in want.as_object().unwrap() {
            assert_eq!(&item[field], value, "{item}");
        }
        assert_eq!(item["by"], "admin@acme", "{item}");
        assert!(
            item["at"]
                .as_str()
                .is_some_and(|at| time::OffsetDateTime::parse(
                    at,
                    &time::format_description::well_known::Rfc3339
                )
                .is_ok()),
            "{item}"
        );
        let keys = item.as_object().unwrap().len();
        assert_eq!(keys, want.as_object().unwrap().len() + 2, "{item}");
    }

    // Paged one at a time: each assignment once, and cursors need no escaping.
    let paged = all_pages(s, &auditor, &path, 1).await;
    assert_eq!(&paged, items);

    // Moving a device to another policy and clearing the default take them off the list.
    put(
        s,
        "acme",
        &format!("/v1/devices/{d1}/policy"),
        json!({"policy_id": other}),
    )
    .await;
    let admin = s.token("acme", Role::Admin);
    let (status, _) = s
        .raw(Method::DELETE, "/v1/default-policy", Some(&admin), None)
        .await;
    assert_eq!(status, 200);
    let (_, listed) = get_as(s, &auditor, &path).await;
    let targets: Vec<(&str, Option<&str>)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["target"].as_str().unwrap(),
                i["device_id"].as_str().or(i["group_id"].as_str()),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("device", Some(d2.as_str())),
            ("group", Some(group.as_str()))
        ]
    );
    let (_, elsewhere) = get_as(s, &auditor, &format!("/v1/policies/{other}/assignments")).await;
    assert_eq!(elsewhere["items"][0]["device_id"], d1.as_str());

    // A cursor no listing returned, another tenant and an unknown policy are refused.
    for bad in ["abc", "USE%23TENANT", "device:", "group:bad id", "3"] {
        let (status, body) = get_as(s, &auditor, &format!("{path}?cursor={bad}")).await;
        invalid_field(status, &body, "cursor", bad);
    }
    let (status, body) = get_as(s, &s.token("globex", Role::Admin), &path).await;
    not_found(status, &body, "globex");
    let (status, body) = get_as(s, &auditor, "/v1/policies/NOSUCHPOLICY/assignments").await;
    not_found(status, &body, "unknown policy");
}

/// POST /v1/policies/{id}/devices as `token`.
async fn assign_list(s: &Stack, token: &str, policy: &str, devices: Value) -> (u16, Value) {
    s.raw(
        Method::POST,
        &format!("/v1/policies/{policy}/devices"),
        Some(token),
        Some(json!({ "devices": devices })),
    )
    .await
}

pub async fn a_policy_assigned_to_a_list_of_devices_reaches_each_of_them(s: &Stack) {
    let (d1, cred1) = s.enroll_sink_device("acme", 2_010).await;
    let (d2, _) = s.enroll_sink_device("acme", 2_011).await;
    let (d3, _) = s.enroll_sink_device("acme", 2_012).await;
    let (d4, _) = s.enroll_sink_device("acme", 2_013).await;
    let (foreign, _) = s.enroll_sink_device("globex", 2_014).await;
    let before = create_policy(s, "acme", "Before", json!({})).await;
    put(
        s,
        "acme",
        &format!("/v1/devices/{d1}/policy"),
        json!({"policy_id": before}),
    )
    .await;
    let policy = create_policy(
        s,
        "acme",
        "Warehouse",
        json!({"restrictions": {"camera_disabled": true}, "kiosk": {"apps": ["com.example.scanner"]}}),
    )
    .await;

    // Three devices of the tenant, one it does not have and one of another tenant.
    let admin = s.token("acme", Role::Admin);
    let (status, answer) = assign_list(
        s,
        &admin,
        &policy,
        json!([d1, d2, "NOSUCHDEVICE", d3, foreign]),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["assigned"], json!([d1, d2, d3]));
    assert_eq!(answer["not_found"], json!(["NOSUCHDEVICE", foreign]));

    // Each listed device ends up with the policy as its own (d1's earlier one replaced),
    // once the queue has refreshed it.
    for d in [&d1, &d2, &d3] {
        let e = settled(s, "acme", d, &[via(&policy, "device")]).await;
        assert_eq!(
            e["document"]["restrictions"],
            json!({"camera_disabled": true})
        );
        assert_eq!(e["document"]["kiosk"]["apps"][0], "com.example.scanner");
    }
    let version = effective(s, "acme", &d1).await["version"].clone();
    let checkin = s.api.checkin(&cred1, &json!({})).await.expect("check in");
    assert_eq!(checkin["policy"]["version"], version, "{checkin}");
    let untouched = effective(s, "acme", &d4).await;
    assert_eq!(untouched["sources"], json!([]), "{untouched}");
    let globex_view = effective(s, "globex", &foreign).await;
    assert_eq!(globex_view["sources"], json!([]), "{globex_view}");

    // The assignments say so, and the replaced policy is assigned nowhere any more.
    let auditor = s.token("acme", Role::Auditor);
    let (_, listed) = get_as(s, &auditor, &format!("/v1/policies/{policy}/assignments")).await;
    let mut devices: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["device_id"].as_str().unwrap())
        .collect();
    devices.sort_unstable();
    let mut want = [d1.as_str(), d2.as_str(), d3.as_str()];
    want.sort_unstable();
    assert_eq!(devices, want);
    let (_, replaced) = get_as(s, &auditor, &format!("/v1/policies/{before}/assignments")).await;
    assert_eq!(replaced["items"], json!([]), "{replaced}");

    // Each device has its own audit entry, as a one-device assignment does.
    for d in [&d1, &d2, &d3] {
        let (status, log) = get_as(
            s,
            &auditor,
            &format!("/v1/audit?action=policy.assign&device={d}"),
        )
        .await;
        assert_eq!(status, 200, "{log}");
        assert!(
            log["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["target"] == format!("device/{d}")
                    && e["detail"]["policy"] == policy.as_str()),
            "{d}: {log}"
        );
    }

    // A list of one is applied in the call itself, like PUT /v1/devices/{id}/policy.
    let (status, answer) = assign_list(s, &admin, &policy, json!([d4])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["assigned"].clone(), answer["not_found"].clone()),
        (json!([d4]), json!([]))
    );
    assert_eq!(
        sources(&effective(s, "acme", &d4).await),
        [via(&policy, "device")]
    );

    // Assigning again changes nothing a reader sees.
    let (status, again) = assign_list(s, &admin, &policy, json!([d1, d2])).await;
    assert_eq!((status, &again["assigned"]), (200, &json!([d1, d2])));
    assert_eq!(effective(s, "acme", &d1).await["version"], version);
}

pub async fn assigning_a_policy_to_a_list_refuses_bad_lists_unknown_policies_and_other_tenants(
    s: &Stack,
) {
    let (d1, _) = s.enroll_sink_device("acme", 2_020).await;
    let policy = create_policy(s, "acme", "Listed", json!({})).await;
    let admin = s.token("acme", Role::Admin);

    let many: Vec<String> = (0..101).map(|i| format!("D{i}")).collect();
    for (devices, what) in [
        (json!([d1, d1]), "a device twice"),
        (json!([]), "no device"),
        (json!(many), "101 devices"),
    ] {
        let (status, body) = assign_list(s, &admin, &policy, devices).await;
        invalid_field(status, &body, "devices", what);
    }
    let (status, body) = assign_list(s, &admin, &policy, json!(["not an id"])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );

    let (status, body) = assign_list(s, &admin, "NOSUCHPOLICY", json!([d1])).await;
    not_found(status, &body, "unknown policy");
    // Globex's admin cannot use acme's policy, even on a device id of acme's.
    let globex = s.token("globex", Role::Admin);
    let (status, body) = assign_list(s, &globex, &policy, json!([d1])).await;
    not_found(status, &body, "globex");
    let (status, body) =
        assign_list(s, &s.token("acme", Role::Operator), &policy, json!([d1])).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));

    // None of it assigned anything.
    let view = effective(s, "acme", &d1).await;
    assert_eq!(view["sources"], json!([]), "{view}");
    let (_, listed) = get_as(
        s,
        &s.token("acme", Role::Auditor),
        &format!("/v1/policies/{policy}/assignments"),
    )
    .await;
    assert_eq!(listed["items"], json!([]), "{listed}");
}
