//! A tenant's APNs MDM push certificate: Apple devices are woken through APNs with it (proved
//! against a fake APNs on loopback), its topic and expiry are read and shown, and its expiry is
//! warned about 30, 7 and 1 days ahead, once each, by webhook and in the audit log.

use std::time::Duration;

use mdm_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use super::webhooks::Receiver;
use crate::stack::Stack;

const DAY: i64 = 86_400;
const EVENT: &str = "push_certificate.expiring";

/// The tenant's `ios` push settings as an admin reads them.
async fn ios_settings(s: &Stack, tenant: &str) -> Value {
    let admin = s.token(tenant, Role::Admin);
    let (status, list) = s
        .raw(Method::GET, "/v1/push-config", Some(&admin), None)
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["platform"] == "ios"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The tenant's audit entries of the expiry warning, oldest first.
async fn warnings_audited(s: &Stack, tenant: &str) -> Vec<Value> {
    let admin = s.token(tenant, Role::Admin);
    let (status, page) = s
        .raw(
            Method::GET,
            &format!("/v1/audit?action={EVENT}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut entries = page["items"].as_array().cloned().unwrap_or_default();
    entries.reverse();
    entries
}

/// The expiry events a receiver got, after letting the queue deliver what it holds.
async fn events_received(rx: &Receiver, at_least: usize) -> Vec<Value> {
    for _ in 0..200 {
        if rx.received().len() >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Room for a delivery that should not exist to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    rx.received().iter().map(|r| r.json()).collect()
}

/// Given an iOS device enrolled through the agent API with the PushMagic from its
/// TokenUpdate, and its tenant's push settings holding an APNs MDM push certificate,
/// when an admin queues a command,
/// then the device is woken through APNs (here a fake on loopback) with `{"mdm": PushMagic}`,
/// the certificate's topic and push type `mdm`, and the command records APNs's message id.
pub async fn an_ios_device_with_push_magic_is_woken_through_apns_with_the_certificate_s_topic(
    s: &Stack,
) {
    let fake = s.apns.as_ref().expect("a stack with a fake APNs");
    let cert = s.set_apns_certificate("acme", 365).await;
    let token = s.enrollment_token("acme", 1).await;
    let device_token = "a1b2c3d4".repeat(8);
    let magic = "7F1E2D3C-B4A5-4968-8776-655443322110";
    let mut body = mdm_devtools::agent::SimDevice::enrollment_body(1, &token, "ios", &device_token);
    body["push_magic"] = json!(magic);
    let enrolled = s.api.enroll(&body).await.expect("enroll");
    let device = enrolled["device_id"].as_str().expect("device id");

    let id = s.queue("acme", device, json!({"type": "lock"})).await;

    let command = s.wait_for_status("acme", device, &id, "push_sent").await;
    let pushes = fake.pushes();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    let push = &pushes[0];
    assert_eq!(push.device_token, device_token);
    assert_eq!(push.topic.as_deref(), Some(cert.topic.as_str()));
    assert_eq!(push.push_type.as_deref(), Some("mdm"));
    assert_eq!(push.payload, json!({ "mdm": magic }));
    assert!(
        command["push_message_id"]
            .as_str()
            .is_some_and(|m| m.starts_with("5E5A1D4B-")),
        "{command}"
    );
}

/// Given an admin setting APNs certificate-mode credentials,
/// when the settings are read back, then they show the certificate's topic, expiry and days
/// left, and neither key nor certificate;
/// and credentials naming another topic than the certificate's, or an expired certificate, are
/// refused with invalid_field naming what is wrong, leaving the stored settings as they were.
pub async fn push_settings_show_the_certificate_s_topic_and_expiry_and_refuse_a_topic_it_is_not_for(
    s: &Stack,
) {
    let cert = s.set_apns_certificate("acme", 90).await;

    let view = ios_settings(s, "acme").await;
    assert_eq!(view["provider"], "apns");
    assert_eq!(view["topic"], json!(cert.topic));
    let expires = mdm_core::domain::time::parse_rfc3339(
        "certificate_expires_at",
        view["certificate_expires_at"].as_str().expect("an expiry"),
    )
    .expect("RFC 3339");
    assert_eq!(expires, cert.expires_at_ms);
    assert_eq!(view["certificate_days_left"], 90);
    assert_eq!(
        cert.settings, view,
        "the answer to the PUT is the same view"
    );
    let key_body: String = cert.key_pem.lines().nth(1).expect("a key line").to_owned();
    let cert_body: String = cert
        .cert_pem
        .lines()
        .nth(1)
        .expect("a cert line")
        .to_owned();
    for shown in [view.to_string(), cert.settings.to_string()] {
        assert!(!shown.contains(&key_body) && !shown.contains(&cert_body));
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    }

    let admin = s.token("acme", Role::Admin);
    let other_topic = "com.apple.mgmt.External.00000000-0000-0000-0000-000000000000";
    let (status, problem) = s
        .raw(
            Method::PUT,
            "/v1/push-config/ios",
            Some(&admin),
            Some(cert.settings_body_with_topic(other_topic)),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "invalid_field");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("credentials.topic") && d.contains(&cert.topic)),
        "{problem}"
    );
    let ca = mdm_push::fake_apns::TestCa::new("apple");
    let now = s.now_ms() / 1000;
    let expired = ca.push_certificate(&cert.topic, now - 30 * DAY, now - DAY);
    let body = json!({"provider": "apns", "credentials": {
        "auth": {"mode": "certificate", "cert_pem": expired.cert_pem, "key_pem": expired.key_pem},
        "topic": cert.topic, "environment": "production",
    }});
    let (status, problem) = s
        .raw(Method::PUT, "/v1/push-config/ios", Some(&admin), Some(body))
        .await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("credentials.auth.cert_pem") && d.contains("expired")),
        "{problem}"
    );
    assert_eq!(ios_settings(s, "acme").await, view, "nothing was replaced");
}

/// Given a tenant whose APNs push certificate is valid for 40 days, with a webhook receiver
/// subscribed to `push_certificate.expiring`, and another tenant with a receiver too,
/// when the clock reaches 30 days before expiry and the sweep runs, then exactly one warning
/// fires (one event with days_left 30, one audit entry), and sweeping again fires nothing;
/// when it reaches 7 days, then 1 day, the next warnings fire, once each; after that nothing
/// more; and the other tenant hears nothing of it.
pub async fn the_push_certificate_warns_30_7_and_1_days_before_it_expires_once_each(s: &Stack) {
    let rx = Receiver::start(0).await;
    super::webhooks::register(s, "acme", &rx.url, &[EVENT]).await;
    let bystander = Receiver::start(0).await;
    super::webhooks::register(s, "globex", &bystander.url, &[EVENT]).await;
    let cert = s.set_apns_certificate("acme", 40).await;
    assert_eq!(s.sweep().await.certificate_warnings, 0, "nothing due yet");

    s.advance_secs(10 * DAY - 60);
    assert_eq!(s.sweep().await.certificate_warnings, 0, "a minute early");
    s.advance_secs(60);
    assert_eq!(s.sweep().await.certificate_warnings, 1);
    assert_eq!(s.sweep().await.certificate_warnings, 0, "once only");

    let events = events_received(&rx, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], EVENT);
    assert_eq!(events[0]["tenant"], "acme");
    let data = &events[0]["data"];
    assert_eq!(
        (&data["platform"], &data["topic"], &data["days_left"]),
        (&json!("ios"), &json!(cert.topic), &json!(30)),
        "{data}"
    );
    assert_eq!(
        data["expires_at"],
        ios_settings(s, "acme").await["certificate_expires_at"]
    );
    let audited = warnings_audited(s, "acme").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["actor"], "system");
    assert_eq!(audited[0]["detail"]["days_left"], 30);
    assert_eq!(ios_settings(s, "acme").await["certificate_days_left"], 30);

    s.advance_secs(23 * DAY);
    assert_eq!(s.sweep().await.certificate_warnings, 1);
    s.advance_secs(6 * DAY);
    assert_eq!(s.sweep().await.certificate_warnings, 1);
    assert_eq!(s.sweep().await.certificate_warnings, 0);
    s.advance_secs(2 * DAY);
    assert_eq!(
        s.sweep().await.certificate_warnings,
        0,
        "no warning after the last"
    );

    // Deliveries run concurrently, so arrival order is not publication order; event ids are
    // time-ordered.
    let mut events = events_received(&rx, 3).await;
    events.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let days: Vec<Value> = events
        .iter()
        .map(|e| e["data"]["days_left"].clone())
        .collect();
    assert_eq!(days, [json!(30), json!(7), json!(1)]);
    let audited: Vec<Value> = warnings_audited(s, "acme")
        .await
        .iter()
        .map(|e| e["detail"]["days_left"].clone())
        .collect();
    assert_eq!(audited, [json!(30), json!(7), json!(1)]);
    assert!(bystander.received().is_empty());
    assert!(warnings_audited(s, "globex").await.is_empty());
}

/// Given a tenant whose push certificate is 40 days from expiry, when an admin replaces it with
/// a certificate valid for a year, then the old certificate's warnings never fire (not at 30
/// days before its expiry, nor later), and the new one's first warning comes 30 days before
/// the new expiry.
pub async fn replacing_the_push_certificate_cancels_the_old_one_s_pending_warnings(s: &Stack) {
    let rx = Receiver::start(0).await;
    super::webhooks::register(s, "acme", &rx.url, &[EVENT]).await;
    s.set_apns_certificate("acme", 40).await;
    s.advance_secs(5 * DAY);

    let renewed = s.set_apns_certificate("acme", 365).await;

    assert_eq!(renewed.settings["certificate_days_left"], 365);
    s.advance_secs(5 * DAY);
    assert_eq!(s.sweep().await.certificate_warnings, 0);
    s.advance_secs(35 * DAY);
    assert_eq!(s.sweep().await.certificate_warnings, 0);
    assert!(warnings_audited(s, "acme").await.is_empty());
    s.advance_secs((365 - 30 - 40) * DAY);
    assert_eq!(s.sweep().await.certificate_warnings, 1);
    let events = events_received(&rx, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["data"]["topic"], json!(renewed.topic));
    assert_eq!(events[0]["data"]["days_left"], 30);
}
