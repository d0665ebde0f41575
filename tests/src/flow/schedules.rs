//! Time-scheduled policies as a device sees them, on an injected clock: restrictions that
//! apply only in their windows, read in the tenant's time zone, arriving with the first
//! check-in after a window opens or closes, on both sides of a daylight-saving change.

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::policies::create_policy;
use crate::stack::Stack;

/// The device's side: checks in at a given time saying what it applied last, and applies
/// what it is sent.
struct Device<'a> {
    s: &'a Stack,
    credential: String,
    applied: Option<String>,
}

impl Device<'_> {
    /// Checks in at `at`; returns the camera restriction it was sent, if it was sent a policy.
    async fn checkin_at(&mut self, at: &str) -> Option<Value> {
        self.s.set_clock(at);
        let body = match &self.applied {
            Some(v) => json!({"policy_version": v}),
            None => json!({}),
        };
        let reply = self
            .s
            .api
            .checkin(&self.credential, &body)
            .await
            .expect("check in");
        let policy = reply.get("policy")?;
        self.applied = Some(policy["version"].as_str().expect("version").to_owned());
        Some(policy["document"]["restrictions"]["camera_disabled"].clone())
    }
}

pub async fn a_schedule_window_opens_and_closes_at_local_time_on_both_sides_of_a_dst_change(
    s: &Stack,
) {
    // New York leaves daylight saving time at 02:00 on Sunday 2026-11-01 (UTC-4 to UTC-5).
    s.set_clock("2026-10-31T12:00:00Z");
    let admin = s.token("acme", Role::Admin);
    let (status, body) = s
        .raw(
            Method::PUT,
            "/v1/settings",
            Some(&admin),
            Some(json!({"name": "Acme", "time_zone": "America/New_York"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let policy = create_policy(
        s,
        "acme",
        "work hours",
        json!({
            "restrictions": {"camera_disabled": false, "nfc_disabled": true},
            "schedules": [{
                "name": "work hours",
                "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "09:00", "end": "17:00"}],
                "restrictions": {"camera_disabled": true}
            }]
        }),
    )
    .await;
    let (device, credential) = s.enroll_sink_device("acme", 1).await;
    let (status, body) = s
        .raw(
            Method::PUT,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            Some(json!({"policy_id": policy})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut d = Device {
        s,
        credential,
        applied: None,
    };

    // Saturday, daylight saving time (UTC-4).
    assert_eq!(
        d.checkin_at("2026-10-31T12:59:00Z").await,
        Some(json!(false))
    );
    assert_eq!(d.checkin_at("2026-10-31T12:59:30Z").await, None, "applied");
    assert_eq!(
        d.checkin_at("2026-10-31T13:01:00Z").await,
        Some(json!(true)),
        "09:01 EDT"
    );
    assert_eq!(
        d.checkin_at("2026-10-31T20:59:00Z").await,
        None,
        "16:59 EDT"
    );
    assert_eq!(
        d.checkin_at("2026-10-31T21:01:00Z").await,
        Some(json!(false)),
        "17:01 EDT"
    );

    // Sunday, standard time (UTC-5): 09:00 local is an hour later in UTC than the day before.
    assert_eq!(
        d.checkin_at("2026-11-01T13:30:00Z").await,
        None,
        "08:30 EST"
    );
    assert_eq!(
        d.checkin_at("2026-11-01T14:01:00Z").await,
        Some(json!(true)),
        "09:01 EST"
    );
    assert_eq!(
        d.checkin_at("2026-11-01T21:30:00Z").await,
        None,
        "16:30 EST"
    );
    assert_eq!(
        d.checkin_at("2026-11-01T22:01:00Z").await,
        Some(json!(false)),
        "17:01 EST"
    );

    // The rest of the document is the policy's own throughout, and the admin sees the
    // device up to date once it says it applied the last one.
    assert_eq!(d.checkin_at("2026-11-01T22:02:00Z").await, None);
    let admin_view = s
        .raw(
            Method::GET,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            None,
        )
        .await
        .1;
    assert_eq!(admin_view["document"]["restrictions"]["nfc_disabled"], true);
    assert_eq!(admin_view["up_to_date"], true, "{admin_view}");
}

pub async fn a_bad_schedule_names_its_field(s: &Stack) {
    let admin = s.token("acme", Role::Admin);
    for (schedule, field) in [
        (
            json!({"name": "x", "windows": [{"days": ["mon"], "start": "25:00", "end": "17:00"}], "restrictions": {}}),
            "schedules[0].windows[0].start",
        ),
        (
            json!({"name": "x", "windows": [{"days": ["mon"], "start": "09:00", "end": "17:00"}], "time_zone": "Mars/Olympus", "restrictions": {}}),
            "schedules[0].time_zone",
        ),
        (
            json!({"name": "x", "windows": [], "restrictions": {}}),
            "schedules[0].windows",
        ),
    ] {
        let (status, body) = s
            .raw(
                Method::POST,
                "/v1/policies",
                Some(&admin),
                Some(json!({"name": "bad", "document": {"schedules": [schedule]}})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["detail"].as_str().unwrap().starts_with(field),
            "{field}: {body}"
        );
    }
}

pub async fn a_schedule_in_the_device_s_zone_follows_the_zone_the_device_reports(s: &Stack) {
    // 01:00 UTC: 10:00 in Tokyo, the middle of the night in UTC (the tenant has no zone set).
    s.set_clock("2026-12-03T01:00:00Z");
    let policy = create_policy(
        s,
        "acme",
        "local hours",
        json!({"schedules": [{
            "name": "office hours where the device is",
            "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "09:00", "end": "17:00"}],
            "time_zone": "device",
            "restrictions": {"camera_disabled": true}
        }]}),
    )
    .await;
    let (device, credential) = s.enroll_sink_device("acme", 2).await;
    let admin = s.token("acme", Role::Admin);
    let (status, body) = s
        .raw(
            Method::PUT,
            &format!("/v1/devices/{device}/policy"),
            Some(&admin),
            Some(json!({"policy_id": policy})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut d = Device {
        s,
        credential: credential.clone(),
        applied: None,
    };
    assert_eq!(
        d.checkin_at("2026-12-03T01:00:00Z").await,
        Some(Value::Null),
        "closed in UTC: no restriction"
    );
    let reply = s
        .api
        .checkin(
            &credential,
            &json!({"time_zone": "Asia/Tokyo", "policy_version": d.applied}),
        )
        .await
        .expect("check in");
    assert_eq!(
        reply["policy"]["document"]["restrictions"]["camera_disabled"], true,
        "open in Tokyo: {reply}"
    );
    let (status, body) = s
        .raw(
            Method::POST,
            "/v1/device/checkin",
            Some(&credential),
            Some(json!({"time_zone": "Mars/Olympus_Mons"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_field")),
        "{body}"
    );
}
