//! The management API's end-to-end scenario: a registered tenant with 3 groups and a fleet of
//! simulated devices (200 on the embedded backend; Android and iOS), policies applied with
//! precedence, two group commands and a tenant-wide one, some of them cancelled, and then
//! exactly the expected state, command history, job progress and audit log read back. Every
//! expected figure is derived from the fleet's size, so the same scenario runs at any size.

use std::collections::{BTreeMap, BTreeSet};

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::groups::{change, create_group};
use super::jobs::fanned_out;
use super::policies::create_policy;
use crate::stack::Stack;

const TENANT: &str = "scenario";

fn in_field(i: u64) -> bool {
    i.is_multiple_of(2)
}
fn in_exec(i: u64) -> bool {
    i.is_multiple_of(10)
}
fn in_sales(i: u64) -> bool {
    i.is_multiple_of(3)
}
fn is_ios(i: u64) -> bool {
    i % 4 == 3
}

async fn call(s: &Stack, method: Method, path: &str, body: Option<Value>) -> Value {
    let admin = s.token(TENANT, Role::Admin);
    let (status, v) = s.raw(method.clone(), path, Some(&admin), body).await;
    assert_eq!(status, 200, "{method} {path}: {v}");
    v
}

/// Enrolls device `i`, waiting out the enrolment rate limit as a real client would.
async fn enroll(api: mdm_devtools::agent::Api, token: String, i: u64) -> (String, String) {
    let token = token.as_str();
    let platform = if is_ios(i) { "ios" } else { "android" };
    let body = mdm_devtools::agent::SimDevice::enrollment_body(
        5_000 + i,
        token,
        platform,
        &format!("sink:s{i}"),
    );
    loop {
        match api.enroll(&body).await {
            Ok(v) => {
                return (
                    v["device_id"].as_str().expect("id").to_owned(),
                    v["device_credential"]
                        .as_str()
                        .expect("credential")
                        .to_owned(),
                );
            }
            Err(e) if e.status == 429 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            Err(e) => panic!("enrol {i}: {e:?}"),
        }
    }
}

/// Every entry of the audit log, oldest last, paged.
async fn whole_audit(s: &Stack, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = format!("/v1/audit?limit=200&{query}");
    loop {
        let page = call(s, Method::GET, &path, None).await;
        all.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/audit?limit=200&{query}&cursor={c}"),
            None => return all,
        }
    }
}

/// How many times each status appears in the histories of a listing's commands, but the
/// queueing and cancels (admin actions, audited as such): the command transitions the audit
/// log must hold, one entry each, as `command.<status>`.
fn transitions_in(commands: &Value) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for c in commands["items"].as_array().expect("items") {
        for h in c["history"].as_array().expect("history") {
            let status = h["status"].as_str().unwrap();
            if status != "queued" && status != "cancelled" {
                *counts.entry(format!("command.{status}")).or_default() += 1;
            }
        }
    }
    counts
}

async fn listed(s: &Stack, query: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut path = format!("/v1/devices?limit=200&{query}");
    loop {
        let page = call(s, Method::GET, &path, None).await;
        for d in page["items"].as_array().expect("items") {
            ids.insert(d["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/devices?limit=200&{query}&cursor={c}"),
            None => return ids,
        }
    }
}

/// Runs the scenario with a fleet of `fleet` devices.
pub async fn a_tenant_of_n_devices_in_3_groups_gets_policies_group_and_tenant_commands_exactly(
    s: &Stack,
    fleet: u64,
) {
    #[allow(non_snake_case)]
    let DEVICES = fleet;
    // The platform operator registers the tenant; its admin sets it up.
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/tenants",
            Some(&s.platform_token()),
            Some(json!({"id": TENANT, "name": "Scenario Inc", "limits": {"max_devices": 500}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let field = create_group(s, TENANT, "Field").await;
    let exec = create_group(s, TENANT, "Executives").await;
    let sales = create_group(s, TENANT, "Sales").await;
    let baseline = create_policy(
        s,
        TENANT,
        "Baseline",
        json!({"passcode": {"min_length": 4, "complexity": "any"}, "restrictions": {"debugging_disabled": true}}),
    )
    .await;
    let field_policy = create_policy(
        s,
        TENANT,
        "Field",
        json!({"restrictions": {"camera_disabled": true}}),
    )
    .await;
    let exec_policy = create_policy(
        s,
        TENANT,
        "Executives",
        json!({"passcode": {"min_length": 8, "complexity": "alphanumeric"}}),
    )
    .await;
    call(
        s,
        Method::PUT,
        "/v1/default-policy",
        Some(json!({"policy_id": baseline})),
    )
    .await;
    call(
        s,
        Method::PUT,
        &format!("/v1/groups/{field}/policy"),
        Some(json!({"policy_id": field_policy, "priority": 1})),
    )
    .await;
    call(
        s,
        Method::PUT,
        &format!("/v1/groups/{exec}/policy"),
        Some(json!({"policy_id": exec_policy, "priority": 10})),
    )
    .await;

    // The fleet, a quarter of it iPhones, enrolled with one token.
    let token = call(
        s,
        Method::POST,
        "/v1/enrollment-tokens",
        Some(json!({"max_uses": DEVICES, "label": "fleet rollout"})),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push(enroll(s.api.clone(), token.clone(), i).await);
    }
    for (group, member) in [
        (&field, in_field as fn(u64) -> bool),
        (&exec, in_exec),
        (&sales, in_sales),
    ] {
        let ids: Vec<&str> = (0..DEVICES)
            .filter(|i| member(*i))
            .map(|i| devices[i as usize].0.as_str())
            .collect();
        // Calls of 25 devices: each device is its own small transaction.
        for chunk in ids.chunks(25) {
            let added = change(s, TENANT, group, "add", chunk).await;
            assert_eq!(added["changed"].as_array().unwrap().len(), chunk.len());
        }
    }
    let (_, tenant) = s
        .raw(
            Method::GET,
            &format!("/v1/tenants/{TENANT}"),
            Some(&s.platform_token()),
            None,
        )
        .await;
    assert_eq!(tenant["devices"], DEVICES, "{tenant}");

    // Listings by group and platform hold exactly the members.
    let ids_where = |f: &dyn Fn(u64) -> bool| -> BTreeSet<String> {
        (0..DEVICES)
            .filter(|i| f(*i))
            .map(|i| devices[i as usize].0.clone())
            .collect()
    };
    assert_eq!(
        listed(s, &format!("group={field}")).await,
        ids_where(&in_field)
    );
    assert_eq!(
        listed(s, &format!("group={sales}")).await,
        ids_where(&in_sales)
    );
    assert_eq!(listed(s, "platform=ios").await, ids_where(&is_ios));

    // Each device's policy follows the precedence: its groups by priority, then the default
    // (membership changes refresh policies through the queue: wait for it to settle).
    for i in 0..DEVICES {
        let mut want = Vec::new();
        if in_exec(i) {
            want.push(exec_policy.as_str());
        }
        if in_field(i) {
            want.push(field_policy.as_str());
        }
        want.push(baseline.as_str());
        let path = format!("/v1/devices/{}/policy", devices[i as usize].0);
        let sources = |v: &Value| -> Vec<String> {
            v["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["policy"].as_str().unwrap().to_owned())
                .collect()
        };
        let mut v = call(s, Method::GET, &path, None).await;
        for _ in 0..400 {
            if sources(&v) == want {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            v = call(s, Method::GET, &path, None).await;
        }
        assert_eq!(sources(&v), want, "device {i}");
        let doc = &v["document"];
        assert_eq!(
            doc["passcode"]["min_length"],
            if in_exec(i) { 8 } else { 4 },
            "device {i}"
        );
        let restrictions = if in_field(i) {
            json!({"camera_disabled": true})
        } else {
            json!({"debugging_disabled": true})
        };
        assert_eq!(doc["restrictions"], restrictions, "device {i}");
    }

    // Two group commands and a tenant-wide one.
    let job = |command: Value, target: Value| async move {
        call(
            s,
            Method::POST,
            "/v1/jobs",
            Some(json!({"command": command, "target": target})),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let lock = job(
        json!({"type": "lock", "message": "Depot closed"}),
        json!({"kind": "group", "group": field}),
    )
    .await;
    let ring = job(
        json!({"type": "ring"}),
        json!({"kind": "group", "group": sales}),
    )
    .await;
    let inventory = job(
        json!({"type": "refresh_inventory"}),
        json!({"kind": "tenant"}),
    )
    .await;
    for id in [&lock, &ring, &inventory] {
        fanned_out(s, TENANT, id).await;
    }
    // The first ten field devices have their lock cancelled before they pull.
    let field_all = (0..DEVICES).filter(|i| in_field(*i)).count() as i64;
    let cancelled: BTreeSet<u64> = (0..DEVICES)
        .filter(|i| in_field(*i))
        .take((field_all / 10) as usize)
        .collect();
    let kept = field_all - cancelled.len() as i64;
    for i in &cancelled {
        let d = &devices[*i as usize].0;
        call(
            s,
            Method::POST,
            &format!("/v1/devices/{d}/commands/{lock}/cancel"),
            None,
        )
        .await;
    }

    // Every device pulls and acknowledges what it has.
    for (i, (_, cred)) in devices.iter().enumerate() {
        loop {
            let pending = s.api.pending(cred).await.expect("pull");
            if pending.is_empty() {
                break;
            }
            for c in pending {
                s.api
                    .report(
                        cred,
                        c["id"].as_str().unwrap(),
                        &json!({"status": "acknowledged"}),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("device {i}: {e:?}"));
            }
        }
    }

    // Job progress, exactly.
    let progress = |v: &Value| -> BTreeMap<String, i64> {
        v["progress"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, n)| n.as_i64() != Some(0))
            .map(|(k, n)| (k.clone(), n.as_i64().unwrap()))
            .collect()
    };
    let counts = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    };
    let sales_ios = (0..DEVICES).filter(|i| in_sales(*i) && is_ios(*i)).count() as i64;
    let sales_all = (0..DEVICES).filter(|i| in_sales(*i)).count() as i64;
    for (id, want, state) in [
        (
            &lock,
            counts(&[
                ("targeted", field_all),
                ("queued", field_all),
                ("delivered", kept),
                ("acknowledged", kept),
                ("cancelled", cancelled.len() as i64),
            ]),
            "completed",
        ),
        (
            &ring,
            counts(&[
                ("targeted", sales_all),
                ("queued", sales_all - sales_ios),
                ("not_queued", sales_ios),
                ("delivered", sales_all - sales_ios),
                ("acknowledged", sales_all - sales_ios),
            ]),
            "completed",
        ),
        (
            &inventory,
            counts(&[
                ("targeted", DEVICES as i64),
                ("queued", DEVICES as i64),
                ("delivered", DEVICES as i64),
                ("acknowledged", DEVICES as i64),
            ]),
            "completed",
        ),
    ] {
        let v = call(s, Method::GET, &format!("/v1/jobs/{id}"), None).await;
        assert_eq!(
            (progress(&v), v["state"].as_str()),
            (want, Some(state)),
            "{v}"
        );
    }

    // Each device's command history, exactly.
    let mut transitions: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..DEVICES {
        let d = &devices[i as usize].0;
        let closed = call(
            s,
            Method::GET,
            &format!("/v1/devices/{d}/commands?limit=50"),
            None,
        )
        .await;
        let own = transitions_in(&closed);
        for (action, n) in &own {
            *transitions.entry(action.clone()).or_default() += n;
        }
        // A device's part of the log: its enrolment, its transitions, the cancel of its lock.
        if i < 3 {
            let mut by_action: BTreeMap<String, i64> = own;
            by_action.insert("device.enroll".into(), 1);
            if cancelled.contains(&i) {
                by_action.insert("command.cancel".into(), 1);
            }
            let mut got: BTreeMap<String, i64> = BTreeMap::new();
            for e in whole_audit(s, &format!("device={d}")).await {
                let target = e["target"].as_str().unwrap();
                assert!(target.starts_with(&format!("device/{d}")), "{e}");
                *got.entry(e["action"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
            got.retain(|a, _| !a.starts_with("policy.") && !a.starts_with("group."));
            assert_eq!(got, by_action, "device {i}'s audit entries");
        }
        let got: BTreeSet<(String, String)> = closed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["type"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut want =
            BTreeSet::from([("refresh_inventory".to_owned(), "acknowledged".to_owned())]);
        if in_field(i) {
            let status = if cancelled.contains(&i) {
                "cancelled"
            } else {
                "acknowledged"
            };
            want.insert(("lock".into(), status.into()));
        }
        if in_sales(i) && !is_ios(i) {
            want.insert(("ring".into(), "acknowledged".into()));
        }
        assert_eq!(got, want, "device {i}");
        if in_field(i) {
            let c = call(
                s,
                Method::GET,
                &format!("/v1/devices/{d}/commands/{lock}"),
                None,
            )
            .await;
            let history: Vec<&str> = c["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["status"].as_str().unwrap())
                .collect();
            assert_eq!(history.first(), Some(&"queued"), "device {i}");
            let last = if cancelled.contains(&i) {
                "cancelled"
            } else {
                "acknowledged"
            };
            assert_eq!(history.last(), Some(&last), "device {i}: {history:?}");
            if !cancelled.contains(&i) {
                assert!(history.contains(&"fetched"), "device {i}: {history:?}");
            }
        }
        let device = call(s, Method::GET, &format!("/v1/devices/{d}"), None).await;
        assert_eq!(device["pending_commands"], 0, "device {i}: {device}");
    }

    // Every command that ended acknowledged did so once: the inventory refresh everywhere,
    // the kept locks, the rings.
    assert_eq!(
        transitions.get("command.acknowledged").copied(),
        Some(DEVICES as i64 + kept + sales_all - sales_ios)
    );
    // The audit log: exactly one entry per admin action and per enrolment, and one per
    // command transition in the histories read above.
    let audit = whole_audit(s, "").await;
    let mut by_action: BTreeMap<String, i64> = BTreeMap::new();
    for e in &audit {
        *by_action
            .entry(e["action"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    // One entry per membership call of up to 25 devices.
    let calls =
        |member: fn(u64) -> bool| ((0..DEVICES).filter(|i| member(*i)).count() as i64 + 24) / 25;
    let (field_calls, exec_calls, sales_calls) = (calls(in_field), calls(in_exec), calls(in_sales));
    assert_eq!(
        by_action,
        counts(&[
            ("tenant.create", 1),
            ("group.create", 3),
            ("policy.create", 3),
            ("policy.assign", 3),
            ("enrollment_token.create", 1),
            ("device.enroll", DEVICES as i64),
            ("group.add_devices", field_calls + exec_calls + sales_calls),
            ("job.create", 3),
            ("command.cancel", cancelled.len() as i64),
        ])
        .into_iter()
        .chain(transitions)
        .collect(),
    );
    let cancels: BTreeSet<&str> = audit
        .iter()
        .filter(|e| e["action"] == "command.cancel")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    let want: BTreeSet<String> = cancelled
        .iter()
        .map(|i| format!("device/{}/command/{lock}", devices[*i as usize].0))
        .collect();
    assert_eq!(cancels, want.iter().map(String::as_str).collect());
}
