//! The audit log as an auditor reads it: admin actions and every command transition, filtered
//! by actor, action, device and time, paged without losing or repeating an entry.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

async fn read(s: &Stack, query: &str) -> Vec<Value> {
    let auditor = s.token("acme", Role::Auditor);
    let (status, page) = s
        .raw(
            Method::GET,
            &format!("/v1/audit?{query}"),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, 200, "{query}: {page}");
    page["items"].as_array().expect("items").clone()
}

/// Every entry a filter (`query`, empty or ending in `&`) matches, read one per page.
async fn one_per_page(s: &Stack, query: &str) -> Vec<Value> {
    let auditor = s.token("acme", Role::Auditor);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = format!("/v1/audit?{query}limit=1");
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={c}"));
        }
        let (_, page) = s.raw(Method::GET, &q, Some(&auditor), None).await;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return seen,
        }
    }
}

pub async fn the_audit_log_filters_by_actor_action_device_and_time(s: &Stack) {
    let (d1, cred) = s.enroll_sink_device("acme", 40).await;
    let (d2, _) = s.enroll_sink_device("acme", 41).await;
    let operator = s.token("acme", Role::Operator);
    let c1 = s.queue("acme", &d1, json!({"type": "locate"})).await;
    s.queue("acme", &d2, json!({"type": "locate"})).await;
    let path = format!("/v1/devices/{d1}/commands");
    let (status, _) = s
        .raw(
            Method::POST,
            &path,
            Some(&operator),
            Some(json!({"command": {"type": "ring"}})),
        )
        .await;
    assert_eq!(status, 200);

    let about_d1 = read(s, &format!("device={d1}")).await;
    assert!(!about_d1.is_empty());
    assert!(
        about_d1.iter().all(|e| e["target"]
            .as_str()
            .unwrap()
            .starts_with(&format!("device/{d1}"))),
        "{about_d1:?}"
    );
    assert!(
        about_d1
            .iter()
            .any(|e| e["target"] == format!("device/{d1}/command/{c1}"))
    );
    assert!(about_d1.iter().any(|e| e["action"] == "device.enroll"));

    let by_operator = read(s, "actor=operator@acme").await;
    assert_eq!(by_operator.len(), 1, "{by_operator:?}");
    assert_eq!(by_operator[0]["action"], "command.queue");

    let queued = read(s, "action=command.queue").await;
    assert_eq!(queued.len(), 3);
    let both = read(s, &format!("action=command.queue&device={d1}")).await;
    assert_eq!(both.len(), 2, "filters combine");

    // Newest first; a window between two entries' times holds exactly the entries inside it.
    let all = read(s, "limit=200").await;
    let times: Vec<&str> = all.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let (newest, oldest) = (times[0], times[times.len() - 1]);
    let window = read(s, &format!("since={oldest}&until={newest}&limit=200")).await;
    assert_eq!(window.len(), all.len());
    let before_newest = read(s, &format!("until={oldest}&limit=200")).await;
    assert!(
        before_newest
            .iter()
            .all(|e| e["at"].as_str().unwrap() <= oldest)
    );
    let after = read(s, &format!("since={newest}")).await;
    assert!(after.iter().all(|e| e["at"].as_str().unwrap() >= newest));
    assert!(!after.is_empty());

    // One entry per page, filtered: every matching entry exactly once.
    let auditor = s.token("acme", Role::Auditor);
    assert_eq!(one_per_page(s, "action=command.queue&").await, queued);

    // Every transition of c1 is an entry: fetched and acknowledged by the device (and pushed
    // by the service when the push got there first), each naming the state it left.
    let pending = s.api.pending(&cred).await.expect("fetch");
    assert!(
        pending.iter().any(|c| c["id"] == c1.as_str()),
        "{pending:?}"
    );
    s.api
        .report(&cred, &c1, &json!({"status": "acknowledged"}))
        .await
        .expect("report");
    let history: Vec<String> = s.command("acme", &d1, &c1).await["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("command.{}", h["status"].as_str().unwrap()))
        .filter(|a| a != "command.queued")
        .collect();
    let target = format!("device/{d1}/command/{c1}");
    let mut transitions: Vec<Value> = read(s, &format!("device={d1}&limit=200"))
        .await
        .into_iter()
        .filter(|e| e["target"] == target.as_str() && e["action"] != "command.queue")
        .collect();
    transitions.reverse();
    let actions: Vec<&str> = transitions
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, history, "{transitions:?}");
    for e in &transitions {
        let by_device = e["action"] != "command.push_sent";
        let actor = if by_device {
            format!("device/{d1}")
        } else {
            "system".into()
        };
        assert_eq!(e["actor"], actor.as_str(), "{e}");
        assert_eq!(e["detail"]["kind"], "locate", "{e}");
    }
    assert_eq!(transitions.last().unwrap()["detail"]["from"], "fetched");
    let acknowledged = read(s, "action=command.acknowledged").await;
    assert_eq!(acknowledged.len(), 1, "{acknowledged:?}");
    let by_device = read(s, &format!("actor=device/{d1}&limit=200")).await;
    assert!(by_device.iter().any(|e| e["action"] == "device.enroll"));
    assert!(by_device.iter().any(|e| e["action"] == "command.fetched"));

    // The whole log, one entry per page: admin actions and transitions merged in one order,
    // each exactly once.
    let all = read(s, "limit=200").await;
    assert_eq!(one_per_page(s, "").await, all);

    for (query, field) in [
        ("cursor=yesterday", "cursor"),
        ("cursor=0000000000001-%2F..", "cursor"),
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("device=not-an-id", "device"),
    ] {
        let (status, body) = s
            .raw(
                Method::GET,
                &format!("/v1/audit?{query}"),
                Some(&auditor),
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_field")),
            "{query}"
        );
        let _ = field;
    }
}
