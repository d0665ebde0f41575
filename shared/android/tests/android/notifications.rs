//! Pub/Sub push bodies as Google's push subscription POSTs them: each notification type parses to
//! its variant with the resource decoded, and every malformed body is refused with the error
//! that says why.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mdm_android::device::DeviceState;
use mdm_android::{
    CommandType, MAX_NOTIFICATION_BYTES, Notification, NotificationError, NotificationKind,
    UpgradeState,
};
use serde_json::{Value, json};

use crate::common::sample;

const SUBSCRIPTION: &str = "projects/mdm-prod-4711/subscriptions/amapi-push";

/// A push body as Pub/Sub writes it, with the resource JSON base64-encoded in `data`.
fn envelope(notification_type: &str, data: Option<&Value>) -> Value {
    let mut message = json!({
        "attributes": {"notificationType": notification_type},
        "messageId": "13374925046512345",
        "message_id": "13374925046512345",
        "publishTime": "2026-12-01T07:45:03.412Z",
        "publish_time": "2026-12-01T07:45:03.412Z"
    });
    if let Some(data) = data {
        message["data"] = json!(STANDARD.encode(data.to_string()));
    }
    json!({"message": message, "subscription": SUBSCRIPTION})
}

fn parse(body: &Value) -> Result<Notification, NotificationError> {
    Notification::parse(body.to_string().as_bytes())
}

#[test]
fn an_enrollment_notification_carries_the_new_device() {
    let body = envelope(
        "ENROLLMENT",
        Some(&sample("device_work_profile_enrolled.json")),
    );
    let notification = parse(&body).unwrap();
    assert_eq!(notification.message_id, "13374925046512345");
    assert_eq!(notification.subscription, SUBSCRIPTION);
    assert_eq!(
        notification.publish_time.unwrap().to_string(),
        "2026-12-01T07:45:03.412Z"
    );
    let NotificationKind::Enrollment(device) = notification.kind else {
        panic!("{:?}", notification.kind);
    };
    assert_eq!(
        device.name,
        "enterprises/LC04b1xq5r/devices/35c1f0d79a2e8b16"
    );
}

#[test]
fn a_status_report_notification_carries_the_reporting_device() {
    let body = envelope("STATUS_REPORT", Some(&sample("device_company_owned.json")));
    let NotificationKind::StatusReport(device) = parse(&body).unwrap().kind else {
        panic!("not a status report");
    };
    assert_eq!(device.applied_state, Some(DeviceState::Active));
}

#[test]
fn a_command_notification_carries_the_finished_operation() {
    let body = envelope("COMMAND", Some(&sample("operation_lock_done.json")));
    let NotificationKind::Command(operation) = parse(&body).unwrap().kind else {
        panic!("not a command");
    };
    assert!(operation.done);
    assert_eq!(
        operation.command().unwrap().unwrap().command_type,
        Some(CommandType::Lock)
    );
}

#[test]
fn an_enterprise_upgrade_notification_carries_the_upgrade_event() {
    let event =
        json!({"enterprise": "enterprises/LC04b1xq5r", "upgradeState": "UPGRADE_STATE_SUCCEEDED"});
    crate::common::assert_fits("EnterpriseUpgradeEvent", &event);
    let NotificationKind::EnterpriseUpgrade(event) =
        parse(&envelope("ENTERPRISE_UPGRADE", Some(&event)))
            .unwrap()
            .kind
    else {
        panic!("not an upgrade");
    };
    assert_eq!(event.upgrade_state, Some(UpgradeState::Succeeded));
}

#[test]
fn usage_logs_and_test_notifications_are_recognised_without_reading_their_data() {
    let logs =
        json!({"device": "enterprises/LC04b1xq5r/devices/3e1d3a9f0c2b7d41", "usageLogEvents": []});
    assert_eq!(
        parse(&envelope("USAGE_LOGS", Some(&logs))).unwrap().kind,
        NotificationKind::UsageLogs
    );
    assert_eq!(
        parse(&envelope("TEST", None)).unwrap().kind,
        NotificationKind::Test
    );
}

#[test]
fn the_snake_case_copies_of_message_id_and_publish_time_are_read_when_alone() {
    let mut body = envelope("TEST", None);
    let message = body["message"].as_object_mut().unwrap();
    message.remove("messageId");
    message.remove("publishTime");
    let notification = parse(&body).unwrap();
    assert_eq!(notification.message_id, "13374925046512345");
    assert!(notification.publish_time.is_some());
}

#[test]
fn data_that_is_not_base64_is_refused() {
    let mut body = envelope("ENROLLMENT", None);
    body["message"]["data"] = json!("not base64!");
    assert!(matches!(parse(&body), Err(NotificationError::BadBase64(_))));
}

#[test]
fn data_that_is_not_json_of_the_promised_resource_is_refused() {
    let mut body = envelope("STATUS_REPORT", None);
    body["message"]["data"] = json!(STANDARD.encode("<device/>"));
    assert!(matches!(
        parse(&body),
        Err(NotificationError::BadData {
            notification_type: "STATUS_REPORT",
            ..
        })
    ));
    // JSON, but a list where a Device was promised.
    let body = envelope(
        "ENROLLMENT",
        Some(&json!([sample("operation_lock_done.json")])),
    );
    assert!(matches!(
        parse(&body),
        Err(NotificationError::BadData {
            notification_type: "ENROLLMENT",
            ..
        })
    ));
}

#[test]
fn an_enrollment_without_data_is_refused() {
    assert_eq!(
        parse(&envelope("ENROLLMENT", None)),
        Err(NotificationError::MissingField("message.data"))
    );
}

#[test]
fn an_envelope_without_attributes_or_notification_type_is_refused() {
    let mut body = envelope("COMMAND", Some(&sample("operation_lock_done.json")));
    body["message"]["attributes"] = json!({"deviceId": "3e1d3a9f0c2b7d41"});
    assert_eq!(
        parse(&body),
        Err(NotificationError::MissingField(
            "message.attributes.notificationType"
        ))
    );
    body["message"]
        .as_object_mut()
        .unwrap()
        .remove("attributes");
    assert_eq!(
        parse(&body),
        Err(NotificationError::MissingField("message.attributes"))
    );
}

#[test]
fn an_envelope_without_message_subscription_or_message_id_is_refused() {
    let body = envelope("TEST", None);
    let mut no_message = body.clone();
    no_message.as_object_mut().unwrap().remove("message");
    assert_eq!(
        parse(&no_message),
        Err(NotificationError::MissingField("message"))
    );
    let mut no_subscription = body.clone();
    no_subscription
        .as_object_mut()
        .unwrap()
        .remove("subscription");
    assert_eq!(
        parse(&no_subscription),
        Err(NotificationError::MissingField("subscription"))
    );
    let mut no_id = body;
    let message = no_id["message"].as_object_mut().unwrap();
    message.remove("messageId");
    message.remove("message_id");
    assert_eq!(
        parse(&no_id),
        Err(NotificationError::MissingField("message.messageId"))
    );
}

#[test]
fn an_unknown_or_deprecated_notification_type_is_refused_by_name() {
    let device = sample("device_company_owned.json");
    for kind in ["DEVICE_DELETED", "COMPLIANCE_REPORT", "enrollment"] {
        assert_eq!(
            parse(&envelope(kind, Some(&device))),
            Err(NotificationError::UnknownNotificationType(kind.into()))
        );
    }
}

#[test]
fn a_body_over_the_limit_is_refused_before_it_is_parsed() {
    // Not even JSON: the size is checked first.
    let body = vec![b'x'; MAX_NOTIFICATION_BYTES + 1];
    assert_eq!(
        Notification::parse(&body),
        Err(NotificationError::TooLarge {
            limit: MAX_NOTIFICATION_BYTES
        })
    );
}

#[test]
fn a_status_report_near_the_limit_is_still_read() {
    let mut device = sample("device_company_owned.json");
    // About 2.5 MB of application reports: a device with a great many apps.
    let report = device["applicationReports"][0].clone();
    device["applicationReports"] = Value::Array(vec![report; 16_000]);
    let body = envelope("STATUS_REPORT", Some(&device)).to_string();
    assert!(body.len() > MAX_NOTIFICATION_BYTES / 2, "{}", body.len());
    assert!(body.len() <= MAX_NOTIFICATION_BYTES, "{}", body.len());
    assert!(matches!(
        Notification::parse(body.as_bytes()).unwrap().kind,
        NotificationKind::StatusReport(_)
    ));
}

#[test]
fn bodies_that_are_not_envelopes_are_refused_without_panicking() {
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"{\"message\": \"hello\"}",
        b"{\"message\": {\"attributes\": {\"notificationType\": 3}}}",
        b"{\"message\": {\"publishTime\": \"yesterday\"}}",
        b"\xff\xfe{}",
        b"{\"message\": {\"attributes\": {\"notificationType\": \"TEST\"",
    ] {
        assert!(
            matches!(
                Notification::parse(body),
                Err(NotificationError::NotAnEnvelope(_))
            ),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_refusal_never_echoes_more_than_a_short_excerpt_of_the_body() {
    let long = "A".repeat(100_000);
    let bodies = [
        // serde quotes the string it refused in its message.
        json!({"message": {"messageId": 1, "data": long}, "subscription": SUBSCRIPTION}),
        envelope(&long, None),
        {
            let mut body = envelope("STATUS_REPORT", None);
            body["message"]["data"] = json!(format!("{long}!"));
            body
        },
        {
            let mut body = envelope("STATUS_REPORT", None);
            body["message"]["data"] =
                json!(STANDARD.encode(json!({"name": long, "state": 7}).to_string()));
            body
        },
    ];
    for body in bodies {
        let refusal = parse(&body).unwrap_err().to_string();
        assert!(
            refusal.chars().count() < mdm_android::MAX_REASON_CHARS + 100,
            "{} characters: {refusal:.300}",
            refusal.chars().count()
        );
    }
}
