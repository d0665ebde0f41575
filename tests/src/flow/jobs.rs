//! Jobs as an admin uses them: one command sent to a list of devices, a group or the whole
//! tenant, fanned out through the queue, with progress that counts every device exactly once.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::groups::{change, create_group};
use crate::stack::Stack;

async fn create_job(s: &Stack, tenant: &str, command: Value, target: Value) -> String {
    let operator = s.token(tenant, Role::Operator);
    let (status, job) = s
        .raw(
            Method::POST,
            "/v1/jobs",
            Some(&operator),
            Some(json!({"command": command, "target": target})),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    job["id"].as_str().expect("job id").to_owned()
}

async fn job(s: &Stack, tenant: &str, id: &str) -> Value {
    let auditor = s.token(tenant, Role::Auditor);
    let (status, job) = s
        .raw(Method::GET, &format!("/v1/jobs/{id}"), Some(&auditor), None)
        .await;
    assert_eq!(status, 200, "{job}");
    job
}

/// Waits (bounded) until the job has reached every device it targets.
pub async fn fanned_out(s: &Stack, tenant: &str, id: &str) -> Value {
    for _ in 0..400 {
        let j = job(s, tenant, id).await;
        if j["state"] != "fanning_out" {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!(
        "job {id} never finished its fan-out: {}",
        job(s, tenant, id).await
    );
}

/// Pulls the device's pending commands and answers each with `status`; returns their ids.
async fn answer_all(s: &Stack, cred: &str, status: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for c in s.api.pending(cred).await.expect("pull") {
        let id = c["id"].as_str().expect("id").to_owned();
        let report = match status {
            "error" => json!({"status": "error", "error": {"code": "location_unavailable"}}),
            _ => json!({ "status": status }),
        };
        s.api.report(cred, &id, &report).await.expect("report");
        ids.push(id);
    }
    ids
}

fn progress(j: &Value) -> Vec<(String, i64)> {
    let mut p: Vec<(String, i64)> = j["progress"]
        .as_object()
        .expect("progress")
        .iter()
        .filter(|(_, v)| v.as_i64() != Some(0))
        .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
        .collect();
    p.sort();
    p
}

fn counts(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut p: Vec<(String, i64)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    p.sort();
    p
}

pub async fn a_group_job_reaches_each_member_and_counts_how_each_command_ended(s: &Stack) {
    let (d1, c1) = s.enroll_sink_device("acme", 80).await;
    let (d2, c2) = s.enroll_sink_device("acme", 81).await;
    let (d3, _) = s.enroll_sink_device("acme", 82).await;
    let g = create_group(s, "acme", "Field").await;
    change(s, "acme", &g, "add", &[&d1, &d2, &d3]).await;
    let admin = s.token("acme", Role::Admin);
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{d3}/unenroll"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200);

    let id = create_job(
        s,
        "acme",
        json!({"type": "locate"}),
        json!({"kind": "group", "group": g}),
    )
    .await;
    let j = fanned_out(s, "acme", &id).await;
    assert_eq!(j["state"], "in_progress", "{j}");
    assert_eq!(
        progress(&j),
        counts(&[("targeted", 3), ("queued", 2), ("not_queued", 1)])
    );
    // The device's command carries the job's id, and it is woken for it like any other.
    s.wait_for_status("acme", &d1, &id, "push_sent").await;
    assert_eq!(answer_all(s, &c1, "acknowledged").await, vec![id.clone()]);
    assert_eq!(answer_all(s, &c2, "error").await, vec![id.clone()]);
    assert!(
        answer_all(s, &c1, "acknowledged").await.is_empty(),
        "sent once"
    );

    let j = job(s, "acme", &id).await;
    assert_eq!(j["state"], "completed", "{j}");
    assert_eq!(
        progress(&j),
        counts(&[
            ("targeted", 3),
            ("queued", 2),
            ("not_queued", 1),
            ("delivered", 2),
            ("acknowledged", 1),
            ("errored", 1),
        ])
    );
    assert_eq!(j["failed"], 2);
    let c = s.command("acme", &d1, &id).await;
    assert_eq!(
        (c["status"].as_str(), c["type"].as_str()),
        (Some("acknowledged"), Some("locate"))
    );
}

pub async fn a_tenant_wide_job_reaches_every_enrolled_device_exactly_once(s: &Stack) {
    // More devices than one fan-out step takes, spread over the directory's shards.
    let mut devices = Vec::new();
    for n in 0..30 {
        devices.push(s.enroll_sink_device("fleet", 200 + n).await);
    }
    let (gone, _) = &devices[29];
    let admin = s.token("fleet", Role::Admin);
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{gone}/unenroll"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, other_tenant) = s.enroll_sink_device("acme", 299).await;

    let id = create_job(
        s,
        "fleet",
        json!({"type": "ring"}),
        json!({"kind": "tenant"}),
    )
    .await;
    let j = fanned_out(s, "fleet", &id).await;
    assert_eq!(
        progress(&j),
        counts(&[("targeted", 29), ("queued", 29)]),
        "the unenrolled device is not part of the tenant's fleet"
    );
    for (_, cred) in &devices[..29] {
        assert_eq!(answer_all(s, cred, "acknowledged").await, vec![id.clone()]);
    }
    assert!(
        answer_all(s, &other_tenant, "acknowledged")
            .await
            .is_empty()
    );
    let j = job(s, "fleet", &id).await;
    assert_eq!(j["state"], "completed");
    assert_eq!(j["progress"]["acknowledged"], 29);
}

pub async fn a_cancelled_job_command_counts_as_cancelled_not_failed(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 83).await;
    let (d2, _) = s.enroll_sink_device("acme", 84).await;
    let id = create_job(
        s,
        "acme",
        json!({"type": "message", "text": "Return the device to IT"}),
        json!({"kind": "devices", "devices": [d1, d2]}),
    )
    .await;
    fanned_out(s, "acme", &id).await;
    let admin = s.token("acme", Role::Admin);
    for d in [&d1, &d2] {
        let (status, body) = s
            .raw(
                Method::POST,
                &format!("/v1/devices/{d}/commands/{id}/cancel"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let j = job(s, "acme", &id).await;
    assert_eq!(
        progress(&j),
        counts(&[("targeted", 2), ("queued", 2), ("cancelled", 2)])
    );
    assert_eq!(
        (j["state"].as_str(), j["failed"].as_i64()),
        (Some("completed"), Some(0))
    );
}

pub async fn jobs_are_listed_newest_first_and_audited_once(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 85).await;
    let target = json!({"kind": "devices", "devices": [d1]});
    let first = create_job(s, "acme", json!({"type": "ring"}), target.clone()).await;
    let second = create_job(s, "acme", json!({"type": "locate"}), target).await;
    let auditor = s.token("acme", Role::Auditor);
    let (_, listed) = s.raw(Method::GET, "/v1/jobs", Some(&auditor), None).await;
    let order: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec![second.as_str(), first.as_str()]);
    let (_, audit) = s
        .raw(
            Method::GET,
            "/v1/audit?action=job.create",
            Some(&s.token("acme", Role::Admin)),
            None,
        )
        .await;
    let targets: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        vec![format!("job/{second}"), format!("job/{first}")]
    );
}

pub async fn a_job_with_a_bad_target_is_refused_before_anything_is_queued(s: &Stack) {
    let operator = s.token("acme", Role::Operator);
    let many: Vec<String> = (0..501).map(|i| format!("D{i}")).collect();
    for (target, status, code) in [
        (
            json!({"kind": "group", "group": "NOSUCHGROUP"}),
            404,
            "not_found",
        ),
        (
            json!({"kind": "devices", "devices": []}),
            400,
            "invalid_field",
        ),
        (
            json!({"kind": "devices", "devices": many}),
            400,
            "invalid_field",
        ),
        (json!({"kind": "everyone"}), 400, "invalid_request"),
    ] {
        let (got, body) = s
            .raw(
                Method::POST,
                "/v1/jobs",
                Some(&operator),
                Some(json!({"command": {"type": "ring"}, "target": target})),
            )
            .await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{target}: {body}"
        );
    }
    let (_, listed) = s.raw(Method::GET, "/v1/jobs", Some(&operator), None).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let auditor = s.token("acme", Role::Auditor);
    let (status, _) = s
        .raw(
            Method::POST,
            "/v1/jobs",
            Some(&auditor),
            Some(json!({"command": {"type": "ring"}, "target": {"kind": "tenant"}})),
        )
        .await;
    assert_eq!(status, 403);
}
