//! Deadlines on an injected clock: commands expire, enrollment tokens stop working, and the
//! pending count follows. Runs the use cases directly on the embedded backend.

use std::sync::Arc;

use mdm_app::App;
use mdm_core::domain::{CheckinRequest, DeviceCredential, DeviceId, EnrollRequest};
use mdm_core::ports::{ManualClock, Principal};
use mdm_core::usecases::Page;
use mdm_core::usecases::{device::checkin, device::enrollment, device::fetch, fleet::commands};
use serde_json::json;

const START_MS: i64 = 1_800_000_000_000;

fn app() -> (App, Arc<ManualClock>) {
    mdm_tests::direct::app_on_clock(START_MS)
}

fn admin() -> Principal {
    mdm_tests::direct::admin_of("acme")
}

async fn enroll(app: &App, token: &str, n: u64) -> DeviceCredential {
    let body = mdm_devtools::agent::SimDevice::enrollment_body(n, token, "android", "sink:x");
    let req: EnrollRequest = serde_json::from_value(body).unwrap();
    let e = enrollment::enroll(&app.services, req)
        .await
        .expect("enroll");
    DeviceCredential::parse(&e.device_credential).unwrap()
}

/// Enrolls one device with a fresh single-use token.
async fn enroll_with_new_token(app: &App) -> DeviceCredential {
    let token = enrollment::create_token(&app.services, &admin(), Default::default())
        .await
        .unwrap()
        .token;
    enroll(app, &token, 1).await
}

#[tokio::test]
async fn a_command_past_its_deadline_expires_instead_of_being_served() {
    let (app, clock) = app();
    let svc = &app.services;
    let cred = enroll_with_new_token(&app).await;
    let req =
        serde_json::from_value(json!({"command": {"type": "locate"}, "ttl_seconds": 60})).unwrap();
    let queued = commands::queue(svc, &admin(), &cred.device, req)
        .await
        .unwrap();

    clock.advance_secs(61);
    assert!(fetch::pending(svc, &cred).await.unwrap().is_empty());
    let id = mdm_core::domain::CommandId::parse(&queued.id).unwrap();
    let c = commands::get(svc, &admin(), &cred.device, &id)
        .await
        .unwrap();
    assert_eq!(c.status.as_str(), "expired");
    let reply = checkin::checkin(svc, &cred, CheckinRequest::default())
        .await
        .unwrap();
    assert_eq!(
        reply.pending_commands, 0,
        "an expired command is no longer pending"
    );
}

/// The deadline does not depend on the kind: every kind added with the catalogue expires too.
#[tokio::test]
async fn commands_of_the_newer_kinds_expire_past_their_deadline_like_any_other() {
    let (app, clock) = app();
    let svc = &app.services;
    let cred = enroll_with_new_token(&app).await;
    let mut ids = Vec::new();
    for command in [
        json!({"type": "block_corporate_access", "reason": "audit"}),
        json!({"type": "unblock_corporate_access"}),
        json!({"type": "reboot"}),
        json!({"type": "start_lost_mode", "message": "Lost"}),
        json!({"type": "stop_lost_mode"}),
        json!({"type": "enter_kiosk", "apps": ["com.example.pos"]}),
        json!({"type": "exit_kiosk"}),
    ] {
        let req = serde_json::from_value(json!({"command": command, "ttl_seconds": 60})).unwrap();
        let queued = commands::queue(svc, &admin(), &cred.device, req)
            .await
            .unwrap();
        ids.push(mdm_core::domain::CommandId::parse(&queued.id).unwrap());
    }

    clock.advance_secs(61);
    assert!(fetch::pending(svc, &cred).await.unwrap().is_empty());
    for id in &ids {
        let c = commands::get(svc, &admin(), &cred.device, id)
            .await
            .unwrap();
        assert_eq!(c.status.as_str(), "expired");
    }
    let reply = checkin::checkin(svc, &cred, CheckinRequest::default())
        .await
        .unwrap();
    assert_eq!(reply.pending_commands, 0);
}

#[tokio::test]
async fn an_enrollment_token_stops_working_when_it_expires() {
    let (app, clock) = app();
    let svc = &app.services;
    let req = serde_json::from_value(json!({"expires_in_seconds": 3600, "max_uses": 10})).unwrap();
    let token = enrollment::create_token(svc, &admin(), req)
        .await
        .unwrap()
        .token;
    enroll(&app, &token, 1).await;
    clock.advance_secs(3601);
    let body = mdm_devtools::agent::SimDevice::enrollment_body(2, &token, "android", "sink:x");
    let err = enrollment::enroll(svc, serde_json::from_value(body).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "enrollment_token_invalid");
}

#[tokio::test]
async fn a_forged_credential_for_a_real_device_is_refused_and_changes_nothing() {
    let (app, _) = app();
    let svc = &app.services;
    let cred = enroll_with_new_token(&app).await;
    let forged = DeviceCredential::new(
        cred.tenant.clone(),
        DeviceId::parse(cred.device.as_str()).unwrap(),
        "f".repeat(43),
    );
    let err = checkin::checkin(
        svc,
        &forged,
        CheckinRequest {
            battery_level: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "device_credential_invalid");
    let device = mdm_core::usecases::fleet::devices::get(svc, &admin(), &cred.device)
        .await
        .unwrap();
    assert_eq!(device.battery_level, None);
}

#[tokio::test]
async fn audit_entries_past_their_retention_are_no_longer_read() {
    let (app, clock) = app();
    let svc = &app.services;
    let days = svc.settings.audit_retention_days;
    enroll_with_new_token(&app).await;
    let all =
        mdm_core::usecases::tenancy::audit::list(svc, &admin(), &Default::default(), Page::first())
            .await
            .unwrap();
    assert_eq!(all.items.len(), 2, "the token's creation and the enrolment");

    clock.advance_ms(days * 86_400_000 - 1_000);
    let kept =
        mdm_core::usecases::tenancy::audit::list(svc, &admin(), &Default::default(), Page::first())
            .await
            .unwrap();
    assert_eq!(kept.items.len(), 2, "still within retention");

    clock.advance_ms(2_000);
    let gone =
        mdm_core::usecases::tenancy::audit::list(svc, &admin(), &Default::default(), Page::first())
            .await
            .unwrap();
    assert!(gone.items.is_empty(), "past retention: {:?}", gone.items);
    assert!(gone.next_cursor.is_none());
}
