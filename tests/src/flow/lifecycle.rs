//! The command round trip: queue, wake, pull, execute, report, and the lifecycle rules around it.

use std::time::Duration;

use mdm_core::domain::Role;
use mdm_devtools::agent::{self, AgentOptions, Event};
use reqwest::Method;
use serde_json::{Value, json};

use crate::stack::Stack;

fn statuses(command: &Value) -> Vec<String> {
    command["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|e| e["status"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Given a simulated device woken only by pushes, when an admin queues a lock, then the device
/// is pushed, pulls it, locks and acknowledges, and the admin sees every transition.
pub async fn a_queued_lock_wakes_the_device_which_pulls_it_and_acknowledges(s: &Stack) {
    let token = s.enrollment_token("acme", 1).await;
    let mut fleet = agent::start(AgentOptions {
        server: s.base.clone(),
        enrollment_token: token,
        devices: 1,
        platform: "android".into(),
        checkin_every: None,
        first_index: 1,
    })
    .await
    .expect("agent starts");
    let Some(Event::Enrolled { device_id, .. }) = fleet.next_event(Duration::from_secs(5)).await
    else {
        panic!("device did not enroll");
    };
    let id = s
        .queue(
            "acme",
            &device_id,
            json!({"type": "lock", "message": "Lost phone"}),
        )
        .await;

    let mut woken = false;
    loop {
        match fleet.next_event(Duration::from_secs(10)).await {
            Some(Event::Woken { .. }) => woken = true,
            Some(Event::Executed {
                command_id, status, ..
            }) => {
                assert_eq!(command_id, id);
                assert_eq!(status, "acknowledged");
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        woken,
        "the device ran the command after a push, not on a timer"
    );
    let command = s
        .wait_for_status("acme", &device_id, &id, "acknowledged")
        .await;
    // The device may pull faster than the consumer records the push (it is woken by that very
    // push); then push_sent is skipped, and the provider's message id is kept if the command is
    // still open by then.
    let history = statuses(&command);
    assert!(
        history == ["queued", "push_sent", "fetched", "acknowledged"]
            || history == ["queued", "fetched", "acknowledged"],
        "{history:?}"
    );
    if history.contains(&"push_sent".to_owned()) {
        assert!(command["push_message_id"].is_string(), "{command}");
    }

    let device = s.device("acme", &device_id).await;
    assert_eq!(device["locked"], true);
    assert_eq!(device["pending_commands"], 0);
    assert!(device["last_seen"].is_string());
    fleet.stop().await;
}

/// Given two queued commands, when the device pulls, then it gets them oldest first.
pub async fn pending_commands_come_oldest_first(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 20).await;
    let first = s.queue("acme", &device, json!({"type": "ring"})).await;
    let second = s.queue("acme", &device, json!({"type": "locate"})).await;
    let reply = s.api.checkin(&cred, &json!({})).await.expect("checkin");
    assert_eq!(reply["pending_commands"], 2);
    let pulled = s.api.pending(&cred).await.expect("pull");
    let ids: Vec<&str> = pulled.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
}

/// Given a device that answers not_now, then the command is not served again until the device
/// checks in, and comes back after that.
pub async fn not_now_comes_back_after_the_next_checkin(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 21).await;
    let id = s
        .queue("acme", &device, json!({"type": "message", "text": "hello"}))
        .await;
    s.wait_for_status("acme", &device, &id, "push_sent").await;
    assert_eq!(s.api.pending(&cred).await.expect("pull").len(), 1);
    s.api
        .report(&cred, &id, &json!({"status": "not_now"}))
        .await
        .expect("not_now");
    assert!(
        s.api.pending(&cred).await.expect("pull").is_empty(),
        "not re-served at once"
    );
    let reply = s.api.checkin(&cred, &json!({})).await.expect("checkin");
    assert_eq!(reply["pending_commands"], 1);
    let again = s.api.pending(&cred).await.expect("pull");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["id"], id.as_str());
    s.api
        .report(&cred, &id, &json!({"status": "acknowledged"}))
        .await
        .expect("ack");
    let c = s.command("acme", &device, &id).await;
    assert_eq!(
        statuses(&c),
        [
            "queued",
            "push_sent",
            "fetched",
            "not_now",
            "fetched",
            "acknowledged"
        ]
    );
}

/// The same result twice changes nothing; a different result after closing is refused.
pub async fn the_same_result_twice_changes_nothing(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 22).await;
    let id = s.queue("acme", &device, json!({"type": "locate"})).await;
    s.api.pending(&cred).await.expect("pull");
    let result = json!({"status": "acknowledged", "data": {"latitude": 1.5, "longitude": 2.5}});
    let first = s.api.report(&cred, &id, &result).await.expect("report");
    let second = s
        .api
        .report(&cred, &id, &result)
        .await
        .expect("same report again");
    assert_eq!(first, second);
    let err = s
        .api
        .report(
            &cred,
            &id,
            &json!({"status": "error", "error": {"code": "x"}}),
        )
        .await
        .expect_err("a different result is refused");
    assert_eq!((err.status, err.code.as_str()), (409, "command_closed"));
    let d = s.device("acme", &device).await;
    assert_eq!(d["location"]["latitude"], 1.5);
    assert_eq!(d["pending_commands"], 0);
}

/// An error result is kept with its reason.
pub async fn an_error_result_is_recorded_with_its_reason(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 23).await;
    let id = s
        .queue(
            "acme",
            &device,
            json!({"type": "remove_app", "app_id": "com.example.gone"}),
        )
        .await;
    s.api.pending(&cred).await.expect("pull");
    s.api
        .report(
            &cred,
            &id,
            &json!({"status": "error", "error": {"code": "app_not_installed", "message": "nope"}}),
        )
        .await
        .expect("report");
    let c = s.command("acme", &device, &id).await;
    assert_eq!(c["status"], "error");
    assert_eq!(c["result"]["error"]["code"], "app_not_installed");
}

/// Given an acknowledged wipe, the device's credential stops working at once and it can take
/// no more commands.
pub async fn a_wiped_device_loses_its_credential_at_once(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 24).await;
    let id = s.queue("acme", &device, json!({"type": "wipe"})).await;
    s.api.pending(&cred).await.expect("pull");
    s.api
        .report(&cred, &id, &json!({"status": "acknowledged"}))
        .await
        .expect("ack");
    let err = s.api.checkin(&cred, &json!({})).await.expect_err("revoked");
    assert_eq!(
        (err.status, err.code.as_str()),
        (401, "device_credential_invalid")
    );
    let err = s.api.pending(&cred).await.expect_err("revoked");
    assert_eq!(err.status, 401);
    let admin = s.token("acme", Role::Admin);
    let (status, body) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{device}/commands"),
            Some(&admin),
            Some(json!({"command": {"type": "lock"}})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));
    let d = s.device("acme", &device).await;
    assert_eq!(d["state"], "wiped");
}

/// An admin can cancel an open command (twice harmlessly); the device then no longer gets it.
pub async fn a_cancelled_command_is_not_served(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 25).await;
    let id = s
        .queue(
            "acme",
            &device,
            json!({"type": "ring", "duration_seconds": 10}),
        )
        .await;
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/devices/{device}/commands/{id}/cancel");
    let (status, c) = s.raw(Method::POST, &path, Some(&admin), None).await;
    assert_eq!((status, c["status"].as_str()), (200, Some("cancelled")));
    let (status, _) = s.raw(Method::POST, &path, Some(&admin), None).await;
    assert_eq!(status, 200);
    assert!(s.api.pending(&cred).await.expect("pull").is_empty());
    let err = s
        .api
        .report(&cred, &id, &json!({"status": "acknowledged"}))
        .await
        .expect_err("closed");
    assert_eq!(err.code, "command_closed");
    let (_, audit) = s.raw(Method::GET, "/v1/audit", Some(&admin), None).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"command.cancel") && actions.contains(&"command.queue"),
        "{actions:?}"
    );
}

/// An enrollment token works at most max_uses times.
pub async fn an_enrollment_token_is_refused_beyond_its_uses(s: &Stack) {
    let token = s.enrollment_token("acme", 2).await;
    for n in 0..2 {
        let body = mdm_devtools::agent::SimDevice::enrollment_body(30 + n, &token, "ios", "sink:x");
        s.api.enroll(&body).await.expect("within max uses");
    }
    let body = mdm_devtools::agent::SimDevice::enrollment_body(32, &token, "ios", "sink:x");
    let err = s.api.enroll(&body).await.expect_err("used up");
    assert_eq!(
        (err.status, err.code.as_str()),
        (403, "enrollment_token_invalid")
    );
}
