//! Compliance as a device and an admin see it, on an injected clock: rules in a policy, the
//! check-in reply naming what fails and when the next step comes, ladders firing once each
//! (from check-ins and from the scheduled sweep), blocks lifted when the device is compliant
//! again, SIM swaps, data caps, alerts, and devices reported lost.

use std::time::Duration;

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::policies::create_policy;
use crate::stack::Stack;

const HOUR: i64 = 3600;
const IMSI: &str = "310150123456789";

/// Enrolls an Android device (with a SIM) and gives it its own policy with these rules;
/// returns (device id, credential).
async fn enroll_under_rules(s: &Stack, tenant: &str, n: u64, rules: Value) -> (String, String) {
    let policy = create_policy(s, tenant, "rules", json!({ "compliance": rules })).await;
    let token = s.enrollment_token(tenant, 1).await;
    let mut body =
        mdm_devtools::agent::SimDevice::enrollment_body(n, &token, "android", &format!("sink:{n}"));
    body["imsi"] = json!(IMSI);
    let v = s.api.enroll(&body).await.expect("enroll");
    let device = v["device_id"].as_str().expect("device id").to_owned();
    let credential = v["device_credential"].as_str().expect("credential");
    let admin = s.token(tenant, Role::Admin);
    let (status, body) = s
        .raw(
            Method::PUT,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            Some(json!({ "policy_id": policy })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (device, credential.to_owned())
}

async fn checkin(s: &Stack, credential: &str, body: Value) -> Value {
    s.api.checkin(credential, &body).await.expect("check in")
}

async fn get(s: &Stack, tenant: &str, path: &str) -> Value {
    let reader = s.token(tenant, Role::Operator);
    let (status, body) = s.raw(Method::GET, path, Some(&reader), None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn compliance(s: &Stack, tenant: &str, device: &str) -> Value {
    get(s, tenant, &format!("/v1/devices/{device}/compliance")).await
}

async fn alerts(s: &Stack, tenant: &str, device: &str) -> Vec<Value> {
    get(s, tenant, &format!("/v1/devices/{device}/alerts")).await["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// The kinds of the commands the device pulls now, each acknowledged as carried out.
async fn pull(s: &Stack, credential: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    for c in s.api.pending(credential).await.expect("pull") {
        let id = c["id"].as_str().expect("id");
        s.api
            .report(credential, id, &json!({"status": "acknowledged"}))
            .await
            .expect("acknowledge");
        kinds.push(c["type"].as_str().expect("type").to_owned());
    }
    kinds
}

/// Runs the sweep, as its schedule would, until the evaluations it queued brought what `done`
/// looks for (bounded).
async fn sweep_until(s: &Stack, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        s.sweep().await;
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the sweep never brought the change");
}

pub async fn an_os_downgrade_notifies_at_once_blocks_after_the_delay_and_compliance_lifts_the_block(
    s: &Stack,
) {
    let rules = json!({"min_os_version": {"version": "14", "escalation": [
        {"after_seconds": 0, "action": "notify_user"},
        {"after_seconds": HOUR, "action": "block_corporate_access"},
        {"after_seconds": 7 * 24 * HOUR, "action": "wipe"}
    ]}});
    let (device, cred) = enroll_under_rules(s, "acme", 1, rules).await;
    let fine = checkin(s, &cred, json!({})).await;
    assert_eq!(fine["compliance"], json!({"compliant": true}), "{fine}");

    // Given the device reports an older OS, then it hears what fails and when the block comes.
    let down = checkin(s, &cred, json!({"os_version": "13.2"})).await;
    assert_eq!(down["compliance"]["compliant"], false, "{down}");
    assert_eq!(down["compliance"]["failing"], json!(["min_os_version"]));
    assert_eq!(
        down["compliance"]["next_step"]["action"],
        "block_corporate_access"
    );
    assert_eq!(down["pending_commands"], 1, "the notice is queued: {down}");
    assert_eq!(pull(s, &cred).await, vec!["message"]);
    let view = compliance(s, "acme", &device).await;
    assert_eq!(view["status"], "noncompliant");
    assert_eq!(view["failing"][0]["steps_fired"], 1);
    assert!(
        view["failing"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("13.2")
    );

    // Checking in again before the delay fires nothing more.
    s.advance_secs(HOUR - 60);
    let early = checkin(s, &cred, json!({"os_version": "13.2"})).await;
    assert_eq!(early["pending_commands"], 0, "{early}");

    // When the delay passes with the device silent, the sweep blocks it.
    s.advance_secs(61);
    sweep_until(s, async || {
        compliance(s, "acme", &device).await["failing"][0]["steps_fired"] == 2
    })
    .await;
    let late = checkin(s, &cred, json!({})).await;
    assert_eq!(late["compliance"]["next_step"]["action"], "wipe", "{late}");
    assert_eq!(pull(s, &cred).await, vec!["block_corporate_access"]);
    assert_eq!(
        compliance(s, "acme", &device).await["blocking"],
        json!(["min_os_version"])
    );

    // Once updated, the device is compliant again, the block is lifted and the wipe is off.
    let fixed = checkin(s, &cred, json!({"os_version": "14.1"})).await;
    assert_eq!(fixed["compliance"], json!({"compliant": true}), "{fixed}");
    assert_eq!(pull(s, &cred).await, vec!["unblock_corporate_access"]);
    s.advance_secs(8 * 24 * HOUR);
    s.sweep().await;
    let after = checkin(s, &cred, json!({})).await;
    assert_eq!(after["pending_commands"], 0, "no wipe after all: {after}");
    assert_eq!(compliance(s, "acme", &device).await["status"], "compliant");

    // The fleet listing and the audit log tell the same story.
    let listed = get(s, "acme", "/v1/devices?compliance=compliant").await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == device.as_str()),
        "{listed}"
    );
    let auditor = s.token("acme", Role::Auditor);
    let (_, log) = s
        .raw(
            Method::GET,
            &format!("/v1/audit?device={device}&action=compliance.step_fired"),
            Some(&auditor),
            None,
        )
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["block_corporate_access", "notify_user"]);
}

pub async fn a_sim_swap_locks_the_device_within_one_check_in_and_alerts_the_admins(s: &Stack) {
    let (device, cred) = enroll_under_rules(s, "acme", 2, json!({"sim_unchanged": {}})).await;
    let same = json!({"sim": {"imsi": IMSI}});
    s.api
        .call::<Value>(
            Method::PUT,
            "/v1/device/inventory",
            Some(&cred),
            Some(&same),
        )
        .await
        .expect("report the enrolment SIM");
    assert_eq!(checkin(s, &cred, json!({})).await["pending_commands"], 0);

    let swapped = json!({"sim": {"imsi": "310150999999999"}});
    s.api
        .call::<Value>(
            Method::PUT,
            "/v1/device/inventory",
            Some(&cred),
            Some(&swapped),
        )
        .await
        .expect("report the new SIM");
    let next = checkin(s, &cred, json!({})).await;
    assert_eq!(next["compliance"]["failing"], json!(["sim_unchanged"]));
    assert_eq!(pull(s, &cred).await, vec!["lock"]);
    let raised = alerts(s, "acme", &device).await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0]["rule"], "sim_unchanged");
    assert_eq!(raised[0]["kind"], "compliance");

    // Reporting the same swapped SIM again fires nothing twice.
    s.api
        .call::<Value>(
            Method::PUT,
            "/v1/device/inventory",
            Some(&cred),
            Some(&swapped),
        )
        .await
        .expect("report again");
    assert_eq!(checkin(s, &cred, json!({})).await["pending_commands"], 0);
    assert_eq!(alerts(s, "acme", &device).await.len(), 1);
}

pub async fn a_data_cap_raises_each_threshold_once_per_month_and_acts_at_the_cap(s: &Stack) {
    let cap = 1_000_000;
    let (device, cred) = enroll_under_rules(
        s,
        "acme",
        3,
        json!({"data_usage_cap": {"monthly_bytes": cap}}),
    )
    .await;
    let report =
        |period: &str, bytes: u64| json!({"data_usage": {"period": period, "bytes": bytes}});
    for bytes in [100_000, 499_999, 500_000, 600_000, 950_000, 960_000] {
        let r = checkin(s, &cred, report("2026-12", bytes)).await;
        assert_eq!(r["compliance"]["compliant"], true, "{bytes}: {r}");
    }
    let thresholds = |list: &[Value]| -> Vec<String> {
        let mut t: Vec<String> = list
            .iter()
            .filter(|a| a["kind"] == "data_usage")
            .map(|a| {
                a["message"]
                    .as_str()
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        thresholds(&alerts(s, "acme", &device).await),
        ["50", "75", "90"]
    );

    let over = checkin(s, &cred, report("2026-12", cap)).await;
    assert_eq!(
        over["compliance"]["failing"],
        json!(["data_usage_cap"]),
        "{over}"
    );
    let raised = alerts(s, "acme", &device).await;
    assert_eq!(raised.len(), 4, "three thresholds and the cap: {raised:?}");
    assert_eq!(raised[0]["kind"], "compliance", "newest first");
    checkin(s, &cred, report("2026-12", 2 * cap)).await;
    assert_eq!(alerts(s, "acme", &device).await.len(), 4, "once per month");

    // A new month starts the count again.
    let january = checkin(s, &cred, report("2027-01", 10)).await;
    assert_eq!(
        january["compliance"],
        json!({"compliant": true}),
        "{january}"
    );
    checkin(s, &cred, report("2027-01", 500_000)).await;
    assert_eq!(
        thresholds(&alerts(s, "acme", &device).await),
        ["50", "50", "75", "90"]
    );
}

pub async fn a_device_that_stops_checking_in_is_found_by_the_sweep(s: &Stack) {
    let (device, cred) = enroll_under_rules(
        s,
        "acme",
        4,
        json!({"max_offline": {"hours": 2, "escalation": [{"after_seconds": 0, "action": "alert_admins"}]}}),
    )
    .await;
    checkin(s, &cred, json!({})).await;
    s.advance_secs(HOUR);
    checkin(s, &cred, json!({})).await;
    s.advance_secs(2 * HOUR - 10);
    s.sweep().await;
    assert_eq!(compliance(s, "acme", &device).await["status"], "compliant");

    s.advance_secs(20);
    sweep_until(s, async || {
        compliance(s, "acme", &device).await["status"] == "noncompliant"
    })
    .await;
    let raised = alerts(s, "acme", &device).await;
    assert_eq!(raised[0]["rule"], "max_offline", "{raised:?}");
    let all = get(s, "acme", "/v1/alerts").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "{all}");

    // Back online, it is compliant again at its first check-in.
    let back = checkin(s, &cred, json!({})).await;
    assert_eq!(back["compliance"], json!({"compliant": true}), "{back}");
}

pub async fn alerts_and_compliance_are_confined_to_their_tenant(s: &Stack) {
    let (device, cred) = enroll_under_rules(s, "acme", 5, json!({"sim_unchanged": {}})).await;
    let swapped = json!({"sim": {}});
    s.api
        .call::<Value>(
            Method::PUT,
            "/v1/device/inventory",
            Some(&cred),
            Some(&swapped),
        )
        .await
        .expect("report no SIM");
    assert_eq!(alerts(s, "acme", &device).await.len(), 1);
    let other = s.token("globex", Role::Admin);
    for path in [
        format!("/v1/devices/{device}/alerts"),
        format!("/v1/devices/{device}/compliance"),
    ] {
        let (status, body) = s.raw(Method::GET, &path, Some(&other), None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, body) = s.raw(Method::GET, "/v1/alerts", Some(&other), None).await;
    assert_eq!((status, body["items"].clone()), (200, json!([])));
    let user = s.token("acme", Role::User);
    let (status, _) = s.raw(Method::GET, "/v1/alerts", Some(&user), None).await;
    assert_eq!(status, 403);
    let (status, body) = s
        .raw(
            Method::GET,
            "/v1/alerts?device=bad%21id",
            Some(&s.token("acme", Role::Admin)),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field"))
    );
}

pub async fn a_bad_rule_names_its_field_and_changes_nothing(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    for (rules, field) in [
        (
            json!({"min_os_version": {"version": "newest"}}),
            "compliance.min_os_version.version",
        ),
        (
            json!({"passcode_set": {"escalation": [{"after_seconds": 60, "action": "lock"}, {"after_seconds": 0, "action": "wipe"}]}}),
            "compliance.passcode_set.escalation[1].after_seconds",
        ),
    ] {
        let (status, body) = s
            .raw(
                Method::POST,
                "/v1/policies",
                Some(&admin),
                Some(json!({"name": "bad", "document": {"compliance": rules}})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "invalid_field");
        assert!(
            body["detail"].as_str().unwrap().starts_with(field),
            "{body}"
        );
    }
    let (status, body) = s.raw(Method::GET, "/v1/policies", Some(&admin), None).await;
    assert_eq!((status, body["items"].clone()), (200, json!([])));
}

pub async fn a_device_reported_lost_gets_lost_mode_locate_and_lock(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 6).await;
    let operator = s.token("acme", Role::Operator);
    let (status, body) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{device}/lost"),
            Some(&operator),
            Some(json!({"message": "Lost phone, please call", "phone_number": "+14155550100"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let kinds: Vec<&str> = body["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["start_lost_mode", "locate", "lock"]);
    assert_eq!(pull(s, &cred).await, ["start_lost_mode", "locate", "lock"]);

    // An auditor may not, another tenant finds nothing, and a bad number names its field.
    let auditor = s.token("acme", Role::Auditor);
    let lost = json!({"message": "Lost"});
    let path = format!("/v1/devices/{device}/lost");
    let (status, _) = s
        .raw(Method::POST, &path, Some(&auditor), Some(lost.clone()))
        .await;
    assert_eq!(status, 403);
    let other = s.token("globex", Role::Admin);
    let (status, _) = s
        .raw(Method::POST, &path, Some(&other), Some(lost.clone()))
        .await;
    assert_eq!(status, 404);
    let (status, body) = s
        .raw(
            Method::POST,
            &path,
            Some(&operator),
            Some(json!({"message": "Lost", "phone_number": "555"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field"))
    );
    // A user may report only their own device.
    let user = s.token("acme", Role::User);
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("/v1/me/devices/{device}/lost"),
            Some(&user),
            Some(lost),
        )
        .await;
    assert_eq!(status, 404);
}

pub async fn leaving_the_geofence_alerts_once_and_coming_back_makes_the_device_compliant(
    s: &Stack,
) {
    let admin = s.token("acme", Role::Admin);
    let (status, fence) = s
        .raw(
            Method::POST,
            "/v1/geofences",
            Some(&admin),
            Some(json!({"name": "Berlin office", "shape": {
                "type": "circle", "latitude": 52.52, "longitude": 13.405, "radius_m": 1000.0
            }})),
        )
        .await;
    assert_eq!(status, 200, "{fence}");
    let fence = fence["id"].as_str().expect("geofence id");
    let (device, cred) = enroll_under_rules(
        s,
        "acme",
        7,
        json!({"inside_geofence": {"geofences": [fence]}}),
    )
    .await;
    let at = |lat: f64, accuracy: f64| json!({"location": {"latitude": lat, "longitude": 13.405, "accuracy_m": accuracy}});
    let inside = checkin(s, &cred, at(52.521, 20.0)).await;
    assert_eq!(inside["compliance"], json!({"compliant": true}), "{inside}");

    // A fix too rough to tell (its circle straddles the boundary) changes nothing.
    let rough = checkin(s, &cred, at(52.529, 5000.0)).await;
    assert_eq!(rough["compliance"]["compliant"], true, "{rough}");

    // Leaving: the admins are alerted once, and no command is queued (lock is optional).
    let out = checkin(s, &cred, at(52.60, 20.0)).await;
    assert_eq!(
        out["compliance"]["failing"],
        json!(["inside_geofence"]),
        "{out}"
    );
    assert_eq!(out["pending_commands"], 0);
    checkin(s, &cred, at(52.61, 20.0)).await;
    let raised = alerts(s, "acme", &device).await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0]["rule"], "inside_geofence");

    let back = checkin(s, &cred, at(52.52, 20.0)).await;
    assert_eq!(back["compliance"], json!({"compliant": true}), "{back}");

    // A rule naming a geofence the tenant does not have is refused, naming the entry.
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/policies",
            Some(&admin),
            Some(json!({"name": "x", "document": {"compliance": {"inside_geofence": {"geofences": [fence, "GF0NOSUCH"]}}}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("compliance.inside_geofence.geofences[1]"),
        "{body}"
    );
}

pub async fn compliance_events_reach_the_tenant_s_webhook_once_each_and_signed(s: &Stack) {
    let rx = super::webhooks::Receiver::start(0).await;
    let kinds = [
        "device.noncompliant",
        "device.compliant",
        "escalation.step_fired",
        "geofence.exited",
        "sim.changed",
        "data_usage.threshold",
    ];
    let (_, secret) = super::webhooks::register(s, "acme", &rx.url, &kinds).await;
    let admin = s.token("acme", Role::Admin);
    let (_, fence) = s
        .raw(
            Method::POST,
            "/v1/geofences",
            Some(&admin),
            Some(json!({"name": "Site", "shape": {
                "type": "circle", "latitude": 48.85, "longitude": 2.35, "radius_m": 500.0
            }})),
        )
        .await;
    let rules = json!({
        "min_os_version": {"version": "14", "escalation": [{"after_seconds": 0, "action": "notify_user"}]},
        "sim_unchanged": {},
        "inside_geofence": {"geofences": [fence["id"]]},
        "data_usage_cap": {"monthly_bytes": 1_000_000}
    });
    let (_, cred) = enroll_under_rules(s, "acme", 8, rules).await;
    checkin(s, &cred, json!({"os_version": "13"})).await;
    checkin(s, &cred, json!({"os_version": "14.1"})).await;
    let swapped = json!({"sim": {"imsi": "310150999999999"}});
    s.api
        .call::<Value>(
            Method::PUT,
            "/v1/device/inventory",
            Some(&cred),
            Some(&swapped),
        )
        .await
        .expect("report the new SIM");
    checkin(
        s,
        &cred,
        json!({"data_usage": {"period": "2026-12", "bytes": 500_000}}),
    )
    .await;
    checkin(
        s,
        &cred,
        json!({"location": {"latitude": 48.95, "longitude": 2.35, "accuracy_m": 10.0}}),
    )
    .await;

    // compliant x2 (first judged when the policy came, then the OS update), noncompliant x2
    // (OS, then SIM), steps: notify, SIM alert and lock, geofence alert; the SIM change, the
    // 50 % threshold, the geofence exit.
    let expected = 11;
    for _ in 0..200 {
        if rx.received().len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = rx.received();
    let mut count = std::collections::BTreeMap::<String, usize>::new();
    let mut ids = std::collections::BTreeSet::new();
    for r in &got {
        assert!(
            super::webhooks::signed_with(r, &secret),
            "unsigned: {}",
            r.body
        );
        let body = r.json();
        assert!(
            ids.insert(body["id"].as_str().unwrap().to_owned()),
            "twice: {body}"
        );
        *count
            .entry(body["type"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let want: std::collections::BTreeMap<String, usize> = [
        ("device.noncompliant", 2),
        ("device.compliant", 2),
        ("escalation.step_fired", 4),
        ("geofence.exited", 1),
        ("sim.changed", 1),
        ("data_usage.threshold", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(count, want, "{got:?}");
}
