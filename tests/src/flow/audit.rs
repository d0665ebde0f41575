//! The audit log as an auditor reads it: filtered by actor, action, device and time, paged
//! without losing or repeating an entry.

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

pub async fn the_audit_log_filters_by_actor_action_device_and_time(s: &Stack) {
    let (d1, _) = s.enroll_sink_device("acme", 40).await;
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
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = "/v1/audit?action=command.queue&limit=1".to_owned();
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={c}"));
        }
        let (_, page) = s.raw(Method::GET, &q, Some(&auditor), None).await;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, queued);

    for (query, field) in [
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
