//! Compliance ladders on the embedded backend, driven through the use cases on an injected
//! clock: a step fires once even when evaluations race, its deadline survives a restart of
//! the process (the due entry is on disk), and installed apps are judged against the lists.

use std::sync::Arc;

use mdm_app::{App, AppConfig};
use mdm_core::domain::{CheckinRequest, DeviceCredential, EnrollRequest};
use mdm_core::ports::{ManualClock, Principal, UlidIds};
use mdm_core::usecases::Page;
use mdm_core::usecases::{
    device::checkin, device::enrollment, fleet::commands, policy::policies, posture::compliance,
    posture::compliance_sweep,
};
use mdm_core::usecases::{device::inventory, posture::alerts};
use serde_json::{Value, json};

const HOUR: i64 = 3600;

fn admin() -> Principal {
    mdm_tests::direct::admin_of("acme")
}

fn app_at(cfg: &AppConfig, clock: Arc<ManualClock>) -> App {
    App::build_with(cfg, clock, Arc::new(UlidIds::default())).expect("app")
}

/// Enrols one Android device and gives it a policy with these compliance rules.
async fn device_under(app: &App, rules: Value) -> DeviceCredential {
    let svc = &app.services;
    let token = enrollment::create_token(svc, &admin(), Default::default())
        .await
        .expect("token")
        .token;
    let body = mdm_devtools::agent::SimDevice::enrollment_body(1, &token, "android", "sink:1");
    let req: EnrollRequest = serde_json::from_value(body).expect("enrol body");
    let cred = enrollment::enroll(svc, req).await.expect("enrol");
    let cred = DeviceCredential::parse(&cred.device_credential).expect("credential");
    let req = serde_json::from_value(json!({"name": "rules", "document": {"compliance": rules}}))
        .expect("policy");
    let policy = policies::create(svc, &admin(), req).await.expect("policy");
    let assign = serde_json::from_value(json!({"policy_id": policy.id})).expect("assign");
    policies::assign_device(svc, &admin(), &cred.device, Some(assign))
        .await
        .expect("assign");
    cred
}

/// The kinds of the device's open commands, oldest first.
async fn open_kinds(app: &App, cred: &DeviceCredential) -> Vec<String> {
    let page = commands::list(&app.services, &admin(), &cred.device, true, Page::first())
        .await
        .expect("list");
    page.items.iter().map(|c| c.kind.to_owned()).collect()
}

fn block_after_an_hour() -> Value {
    json!({"min_os_version": {"version": "14", "escalation": [
        {"after_seconds": HOUR, "action": "block_corporate_access"}
    ]}})
}

fn older_os() -> CheckinRequest {
    CheckinRequest {
        os_version: Some("13".into()),
        ..CheckinRequest::default()
    }
}

/// Given a device whose block is due, when eight evaluations run at once (a check-in, the
/// sweep's message, a retry...), then the block is queued once and the step counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_evaluations_fire_a_step_once() {
    let (app, clock) = mdm_tests::direct::app_on_clock(1_800_000_000_000);
    let cred = device_under(&app, block_after_an_hour()).await;
    checkin::checkin(&app.services, &cred, older_os())
        .await
        .expect("check-in");
    clock.advance_secs(HOUR);
    let svc = app.services.clone();
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (svc, cred) = (svc.clone(), cred.clone());
        racers.spawn(async move {
            compliance::evaluate(&svc, &cred.tenant, &cred.device, Default::default()).await
        });
    }
    let mut queued = 0;
    while let Some(done) = racers.join_next().await {
        queued += done.expect("task").expect("evaluation").queued;
    }
    assert_eq!(queued, 1);
    assert_eq!(open_kinds(&app, &cred).await, ["block_corporate_access"]);
    let view = alerts::of_device(&app.services, &admin(), &cred.device)
        .await
        .expect("compliance");
    assert_eq!(view.failing[0].steps_fired, 1);
}

/// Given a device failing a rule whose step is an hour away, when the process stops and a new
/// one opens the same data directory after the hour, then its sweep fires the step (once).
#[tokio::test]
async fn a_deadline_survives_a_restart_and_fires_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = AppConfig::for_tests(mdm_tests::stack::TEST_SECRET);
    cfg.in_memory = false;
    cfg.data_dir = dir.path().to_path_buf();
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let cred = {
        let app = app_at(&cfg, clock.clone());
        let cred = device_under(&app, block_after_an_hour()).await;
        checkin::checkin(&app.services, &cred, older_os())
            .await
            .expect("check-in");
        assert!(open_kinds(&app, &cred).await.is_empty());
        cred
    };
    clock.advance_secs(HOUR + 1);
    let app = app_at(&cfg, clock.clone());
    let swept = compliance_sweep::sweep(&app.services).await.expect("sweep");
    assert_eq!(swept.devices, 1);
    // The consumer's part, as the worker would run it for the queued message.
    let deliveries = app
        .wake_queue
        .receive(
            10,
            std::time::Duration::from_secs(30),
            std::time::Duration::ZERO,
        )
        .await
        .expect("receive");
    assert_eq!(deliveries.len(), 1);
    for d in &deliveries {
        mdm_core::usecases::consumer::handle(&app.services, &d.body).await;
        mdm_core::usecases::consumer::handle(&app.services, &d.body).await;
    }
    assert_eq!(open_kinds(&app, &cred).await, ["block_corporate_access"]);
    let again = compliance_sweep::sweep(&app.services).await.expect("sweep");
    assert_eq!(again.devices, 0, "the entry was taken");
}

/// Given rules on apps and on the device's security state, an inventory report is judged:
/// a denied app, a missing required one, no passcode, unencrypted or rooted each fail; a new
/// version of the rules is judged against the inventory already reported.
#[tokio::test]
async fn an_inventory_report_is_judged_against_the_app_lists_and_security_rules() {
    let (app, _clock) = mdm_tests::direct::app_on_clock(1_800_000_000_000);
    let svc = &app.services;
    let cred = device_under(
        &app,
        json!({
            "denied_apps": {"apps": ["com.example.game"]},
            "required_apps": {"apps": ["com.example.mail"]},
            "passcode_set": {}, "encrypted": {}, "not_compromised": {}
        }),
    )
    .await;
    let report = |v: Value| serde_json::from_value(v).expect("report");
    inventory::report(
        svc,
        &cred,
        report(json!({
            "apps": [{"id": "com.example.game"}, {"id": "com.example.other"}],
            "passcode_set": false, "encrypted": false, "compromised": true
        })),
    )
    .await
    .expect("report");
    let view = alerts::of_device(svc, &admin(), &cred.device)
        .await
        .expect("compliance");
    let failing: Vec<String> = view
        .failing
        .iter()
        .map(|f| f.rule.as_str().to_owned())
        .collect();
    assert_eq!(
        failing,
        [
            "passcode_set",
            "encrypted",
            "not_compromised",
            "denied_apps",
            "required_apps"
        ]
    );
    assert!(view.failing[4].reason.contains("com.example.mail"));

    inventory::report(
        svc,
        &cred,
        report(json!({
            "apps": [{"id": "com.example.mail"}],
            "passcode_set": true, "encrypted": true, "compromised": false
        })),
    )
    .await
    .expect("report");
    let view = alerts::of_device(svc, &admin(), &cred.device)
        .await
        .expect("compliance");
    assert!(view.failing.is_empty(), "{:?}", view.failing);

    // New rules naming an app the device reported earlier are judged without a new report.
    let policy = policies::list(svc, &admin(), Page::new(None, 10))
        .await
        .expect("policies")
        .items
        .remove(0);
    let req = serde_json::from_value(json!({"name": "rules", "document": {"compliance": {
        "denied_apps": {"apps": ["com.example.mail"]}
    }}}))
    .expect("policy");
    let id = mdm_core::domain::PolicyId::parse(&policy.id).expect("id");
    policies::update(svc, &admin(), &id, req)
        .await
        .expect("update");
    // The update reaches its devices through the queue, as the worker would take it.
    while mdm_app::worker::drain_once(svc, app.wake_queue.as_ref(), std::time::Duration::ZERO).await
        > 0
    {}
    let view = alerts::of_device(svc, &admin(), &cred.device)
        .await
        .expect("compliance");
    assert_eq!(view.failing.len(), 1, "{:?}", view.failing);
    assert!(view.failing[0].reason.contains("com.example.mail"));
}
