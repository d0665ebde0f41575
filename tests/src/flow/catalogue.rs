//! The command catalogue end to end: every kind a platform supports is queued, pulled and
//! acknowledged by the simulator; a kind the device's platform cannot run is refused before
//! anything is stored; clearing a device's queue cancels exactly its open commands.

use std::collections::{BTreeSet, HashMap};

use mdm_core::domain::{CommandSpec, Platform, Role};
use mdm_devtools::agent::{self, Event, SimDevice};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::stack::Stack;

/// Enrolls a device of `platform` whose pushes only land in the sink, as the simulator's state.
async fn enroll(s: &Stack, n: u64, platform: &str) -> Mutex<SimDevice> {
    let token = s.enrollment_token("acme", 1).await;
    let body = SimDevice::enrollment_body(n, &token, platform, &format!("sink:{n}"));
    let v = s.api.enroll(&body).await.expect("enroll");
    Mutex::new(SimDevice {
        index: n,
        device_id: v["device_id"].as_str().expect("device id").to_owned(),
        credential: v["device_credential"]
            .as_str()
            .expect("credential")
            .to_owned(),
        ..SimDevice::default()
    })
}

/// Queues each command the platform supports (skipping the others) and returns (id, kind).
async fn queue_supported(
    s: &Stack,
    device: &Mutex<SimDevice>,
    platform: Platform,
    commands: &[Value],
    covered: &mut BTreeSet<String>,
) -> Vec<(String, String)> {
    let device_id = device.lock().await.device_id.clone();
    let mut queued = Vec::new();
    for command in commands {
        let spec: CommandSpec = serde_json::from_value(command.clone()).expect("a catalogue kind");
        if !spec.supported_on(platform) {
            continue;
        }
        let id = s.queue("acme", &device_id, command.clone()).await;
        covered.insert(spec.kind().to_owned());
        queued.push((id, spec.kind().to_owned()));
    }
    queued
}

/// Lets the simulated device check in, pull and run what waits for it, and checks that it
/// acknowledged exactly the commands queued, each of which the admin then reads acknowledged.
async fn run_and_expect_acknowledged(
    s: &Stack,
    device: &Mutex<SimDevice>,
    queued: &[(String, String)],
) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    agent::session(&s.api, device, &tx)
        .await
        .expect("the device runs a session");
    let mut ran = HashMap::new();
    while let Ok(event) = rx.try_recv() {
        if let Event::Executed {
            command_id,
            kind,
            status,
            ..
        } = event
        {
            ran.insert(command_id, (kind, status));
        }
    }
    let device_id = device.lock().await.device_id.clone();
    assert_eq!(ran.len(), queued.len(), "ran {ran:?}, queued {queued:?}");
    for (id, kind) in queued {
        assert_eq!(
            ran.get(id),
            Some(&(kind.clone(), "acknowledged".to_owned())),
            "{kind}"
        );
        let c = s.command("acme", &device_id, id).await;
        assert_eq!(
            (c["status"].as_str(), c["type"].as_str()),
            (Some("acknowledged"), Some(kind.as_str())),
            "{c}"
        );
    }
}

/// Given a device of each platform, when an admin queues every kind of command that platform
/// supports, then the device pulls each one, carries it out and acknowledges it, and the states
/// the commands put the device in (lost mode, kiosk, blocked access) hold until undone.
pub async fn every_kind_is_queued_pulled_and_acknowledged_on_each_platform_that_supports_it(
    s: &Stack,
) {
    let mut covered = BTreeSet::new();
    for (platform, base) in [(Platform::Android, 10), (Platform::Ios, 20)] {
        let name = platform.as_str();
        // Commands that leave the device in a state, then the ones that undo it.
        let stateful = enroll(s, base, name).await;
        let on = [
            json!({"type": "block_corporate_access", "reason": "compliance check"}),
            json!({"type": "reboot"}),
            json!({"type": "start_lost_mode", "message": "Please return to Acme IT", "phone_number": "+14155550100", "footnote": "Reward offered"}),
            json!({"type": "enter_kiosk", "apps": ["com.example.pos", "com.example.scanner"], "emergency_dialer": false}),
        ];
        let queued = queue_supported(s, &stateful, platform, &on, &mut covered).await;
        run_and_expect_acknowledged(s, &stateful, &queued).await;
        {
            let d = stateful.lock().await;
            assert!(d.corporate_access_blocked, "{name}");
            assert_eq!(d.reboots, 1, "{name}");
            assert_eq!(
                d.lost_mode.as_deref(),
                Some("Please return to Acme IT"),
                "{name}"
            );
            let kiosk = (platform == Platform::Android).then(|| {
                vec![
                    "com.example.pos".to_owned(),
                    "com.example.scanner".to_owned(),
                ]
            });
            assert_eq!(d.kiosk_apps, kiosk, "{name}");
        }
        let off = [
            json!({"type": "unblock_corporate_access"}),
            json!({"type": "stop_lost_mode"}),
            json!({"type": "exit_kiosk"}),
        ];
        let queued = queue_supported(s, &stateful, platform, &off, &mut covered).await;
        run_and_expect_acknowledged(s, &stateful, &queued).await;
        {
            let d = stateful.lock().await;
            assert!(!d.corporate_access_blocked, "{name}");
            assert_eq!(
                (d.lost_mode.as_ref(), d.kiosk_apps.as_ref()),
                (None, None),
                "{name}"
            );
        }

        // The one-shot commands, on a device of their own so no rate limit is near.
        let plain = enroll(s, base + 1, name).await;
        let rest = [
            json!({"type": "lock", "message": "Locked by IT", "phone_number": "+14155550100"}),
            json!({"type": "locate"}),
            json!({"type": "ring", "duration_seconds": 20}),
            json!({"type": "message", "text": "Your device will be updated tonight", "title": "IT"}),
            json!({"type": "reset_passcode"}),
            json!({"type": "install_app", "app_id": "com.example.mail", "version": "2.1"}),
            json!({"type": "remove_app", "app_id": "com.example.mail"}),
            json!({"type": "refresh_inventory"}),
            json!({"type": "apply_policy"}),
        ];
        let queued = queue_supported(s, &plain, platform, &rest, &mut covered).await;
        run_and_expect_acknowledged(s, &plain, &queued).await;

        // Each wipe ends its device.
        for (n, wipe) in [
            (
                base + 2,
                json!({"type": "wipe", "preserve_data_plan": true}),
            ),
            (base + 3, json!({"type": "enterprise_wipe"})),
        ] {
            let device = enroll(s, n, name).await;
            let queued = queue_supported(s, &device, platform, &[wipe], &mut covered).await;
            run_and_expect_acknowledged(s, &device, &queued).await;
            assert!(device.lock().await.gone, "{name}");
        }
    }
    assert_eq!(
        covered.len(),
        18,
        "every kind ran on some platform: {covered:?}"
    );
}

/// Given an iOS device, when an admin queues a command Apple MDM has no command for, then it is
/// refused with 422 unsupported_command, and nothing is queued: the device has nothing
/// pending, the admin sees no command and the audit log records no queueing.
pub async fn a_kind_the_devices_platform_cannot_run_is_refused_and_nothing_is_queued(s: &Stack) {
    let iphone = enroll(s, 30, "ios").await;
    let (device, cred) = {
        let d = iphone.lock().await;
        (d.device_id.clone(), d.credential.clone())
    };
    let admin = s.token("acme", Role::Admin);
    let path = format!("/v1/devices/{device}/commands");
    for command in [
        json!({"type": "ring", "duration_seconds": 30}),
        json!({"type": "message", "text": "hello"}),
        json!({"type": "enter_kiosk", "apps": ["com.example.pos"]}),
        json!({"type": "exit_kiosk"}),
        json!({"type": "reset_passcode", "new_passcode": "123456"}),
    ] {
        let (status, body) = s
            .raw(
                Method::POST,
                &path,
                Some(&admin),
                Some(json!({ "command": command })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("unsupported_command")),
            "{command}: {body}"
        );
    }
    let reply = s.api.checkin(&cred, &json!({})).await.expect("checkin");
    assert_eq!(reply["pending_commands"], 0);
    assert!(s.api.pending(&cred).await.expect("pull").is_empty());
    for list in ["?open=true", ""] {
        let (status, page) = s
            .raw(Method::GET, &format!("{path}{list}"), Some(&admin), None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["items"], json!([]), "{list}: {page}");
    }
    let (_, audit) = s.raw(Method::GET, "/v1/audit", Some(&admin), None).await;
    assert!(
        !audit.to_string().contains("command.queue"),
        "nothing was queued: {audit}"
    );

    // The same kinds on Android are fine, and an unknown device stays a plain 404.
    let pixel = enroll(s, 31, "android").await;
    let android = pixel.lock().await.device_id.clone();
    s.queue("acme", &android, json!({"type": "ring"})).await;
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/devices/01JAAAAAAAAAAAAAAAAAAAAAAA/commands",
            Some(&admin),
            Some(json!({"command": {"type": "ring"}})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
}

fn cancels_of<'a>(audit: &'a Value, id: &str) -> Vec<&'a Value> {
    audit["items"]
        .as_array()
        .expect("audit items")
        .iter()
        .filter(|e| {
            e["action"] == "command.cancel" && e["target"].as_str().is_some_and(|t| t.ends_with(id))
        })
        .collect()
}

/// Given a device with acknowledged, failed and cancelled commands and open ones in every open
/// state (queued, fetched, deferred with not_now), when an operator clears its queue, then
/// exactly the open ones are cancelled, each with one history entry and one audit entry, the
/// closed ones are untouched, and a second clear finds nothing.
pub async fn clearing_a_queue_cancels_exactly_the_open_commands_and_leaves_closed_ones_untouched(
    s: &Stack,
) {
    let (device, cred) = s.enroll_sink_device("acme", 40).await;
    let acked = s.queue("acme", &device, json!({"type": "locate"})).await;
    let failed = s
        .queue(
            "acme",
            &device,
            json!({"type": "remove_app", "app_id": "com.example.gone"}),
        )
        .await;
    s.api.pending(&cred).await.expect("pull");
    s.api
        .report(&cred, &acked, &json!({"status": "acknowledged"}))
        .await
        .expect("ack");
    s.api
        .report(
            &cred,
            &failed,
            &json!({"status": "error", "error": {"code": "app_not_installed"}}),
        )
        .await
        .expect("error");
    let cancelled = s.queue("acme", &device, json!({"type": "reboot"})).await;
    let operator = s.token("acme", Role::Operator);
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{device}/commands/{cancelled}/cancel"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let fetched = s.queue("acme", &device, json!({"type": "lock"})).await;
    let deferred = s
        .queue(
            "acme",
            &device,
            json!({"type": "start_lost_mode", "message": "Lost"}),
        )
        .await;
    assert_eq!(s.api.pending(&cred).await.expect("pull").len(), 2);
    s.api
        .report(&cred, &deferred, &json!({"status": "not_now"}))
        .await
        .expect("not_now");
    let queued = s
        .queue("acme", &device, json!({"type": "block_corporate_access"}))
        .await;
    let kiosk = s
        .queue(
            "acme",
            &device,
            json!({"type": "enter_kiosk", "apps": ["com.example.pos"]}),
        )
        .await;
    let closed = [&acked, &failed, &cancelled];
    let mut before = Vec::new();
    for id in closed {
        before.push(s.command("acme", &device, id).await);
    }

    let clear = format!("/v1/devices/{device}/commands/clear");
    let (status, answer) = s.raw(Method::POST, &clear, Some(&operator), None).await;
    assert_eq!(status, 200, "{answer}");
    let open = [&fetched, &deferred, &queued, &kiosk];
    let mut expected: Vec<&str> = open.iter().map(|s| s.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(
        answer,
        json!({"cancelled": 4, "commands": expected}),
        "oldest first"
    );

    let admin = s.token("acme", Role::Admin);
    let (_, audit) = s
        .raw(Method::GET, "/v1/audit?limit=200", Some(&admin), None)
        .await;
    for id in open {
        let c = s.command("acme", &device, id).await;
        assert_eq!(c["status"], "cancelled", "{c}");
        let history = c["history"].as_array().expect("history");
        let cancels = history
            .iter()
            .filter(|e| e["status"] == "cancelled")
            .count();
        assert_eq!(cancels, 1, "{c}");
        assert_eq!(
            history.last().map(|e| &e["status"]),
            Some(&json!("cancelled"))
        );
        assert_eq!(cancels_of(&audit, id).len(), 1, "one audit entry for {id}");
    }
    for (id, was) in closed.iter().zip(&before) {
        assert_eq!(&s.command("acme", &device, id).await, was, "{id} untouched");
    }
    assert_eq!(
        cancels_of(&audit, &cancelled).len(),
        1,
        "not cancelled again"
    );
    assert_eq!(cancels_of(&audit, &acked).len(), 0);
    assert_eq!(s.device("acme", &device).await["pending_commands"], 0);

    let (status, again) = s.raw(Method::POST, &clear, Some(&operator), None).await;
    assert_eq!(
        (status, again),
        (200, json!({"cancelled": 0, "commands": []}))
    );
    let (_, open_list) = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}/commands?open=true"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(open_list["items"], json!([]));
}

/// Given commands queued and one already fetched, when an admin clears the queue, then the
/// device is told nothing is pending, pulls nothing, and its late result is refused as closed.
pub async fn a_cleared_command_is_never_served(s: &Stack) {
    let (device, cred) = s.enroll_sink_device("acme", 41).await;
    let fetched = s.queue("acme", &device, json!({"type": "locate"})).await;
    assert_eq!(s.api.pending(&cred).await.expect("pull").len(), 1);
    s.queue("acme", &device, json!({"type": "reboot"})).await;
    s.queue("acme", &device, json!({"type": "exit_kiosk"}))
        .await;
    let admin = s.token("acme", Role::Admin);
    let (status, answer) = s
        .raw(
            Method::POST,
            &format!("/v1/devices/{device}/commands/clear"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((status, &answer["cancelled"]), (200, &json!(3)), "{answer}");

    let reply = s.api.checkin(&cred, &json!({})).await.expect("checkin");
    assert_eq!(reply["pending_commands"], 0);
    assert!(s.api.pending(&cred).await.expect("pull").is_empty());
    let err = s
        .api
        .report(&cred, &fetched, &json!({"status": "acknowledged"}))
        .await
        .expect_err("closed");
    assert_eq!((err.status, err.code.as_str()), (409, "command_closed"));
}

/// The literal `clear` segment and the `{command_id}` routes do not shadow each other: reading
/// and cancelling a command still work, `GET .../commands/clear` is a 405, a command id that is
/// not one is a 404, and a retried clear with the same Idempotency-Key replays its answer
/// without cancelling anything else.
pub async fn the_clear_route_and_the_command_routes_do_not_shadow_each_other(s: &Stack) {
    let (device, _) = s.enroll_sink_device("acme", 42).await;
    let admin = s.token("acme", Role::Admin);
    let base = format!("/v1/devices/{device}/commands");
    let one = s.queue("acme", &device, json!({"type": "reboot"})).await;
    let (status, c) = s
        .raw(Method::GET, &format!("{base}/{one}"), Some(&admin), None)
        .await;
    assert_eq!((status, c["id"].as_str()), (200, Some(one.as_str())));
    let (status, c) = s
        .raw(
            Method::POST,
            &format!("{base}/{one}/cancel"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((status, c["status"].as_str()), (200, Some("cancelled")));
    let (status, body) = s
        .raw(Method::GET, &format!("{base}/clear"), Some(&admin), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (status, _) = s
        .raw(
            Method::POST,
            &format!("{base}/clear/cancel"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let two = s
        .queue("acme", &device, json!({"type": "stop_lost_mode"}))
        .await;
    let client = reqwest::Client::new();
    let clear = || {
        client
            .post(format!("{}{base}/clear", s.base))
            .bearer_auth(&admin)
            .header("idempotency-key", "clear-42")
    };
    let first = clear().send().await.expect("clear");
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first, json!({"cancelled": 1, "commands": [two]}));
    let three = s.queue("acme", &device, json!({"type": "locate"})).await;
    let retry = clear().send().await.expect("clear again");
    assert_eq!(
        retry
            .headers()
            .get("idempotency-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    assert_eq!(retry.json::<Value>().await.expect("json"), first);
    let c = s.command("acme", &device, &three).await;
    assert_ne!(
        c["status"], "cancelled",
        "the replay cancelled nothing: {c}"
    );

    let auditor = s.token("acme", Role::Auditor);
    let (status, _) = s
        .raw(Method::POST, &format!("{base}/clear"), Some(&auditor), None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .raw(
            Method::POST,
            "/v1/devices/01JAAAAAAAAAAAAAAAAAAAAAAA/commands/clear",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 404);
}
