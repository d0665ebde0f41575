//! Deleting a tenant removes all of its data through the queue, in batches, and nothing of any
//! other tenant: driven message by message here, on the embedded backend, and read back from the
//! table itself rather than through the (by then refusing) API.

use std::time::Duration;

use mdm_app::App;
use mdm_core::domain::directory::{DIRECTORY_SHARDS, Identifier, shard_of};
use mdm_core::domain::{
    DeviceCredential, EnrollRequest, GroupId, JobId, Platform, PolicyId, TenantId, TenantStatus,
    WebhookId,
};
use mdm_core::ports::{Operator, Query};
use mdm_core::store::keys;
use mdm_core::usecases::device::enrollment::{self, CreateTokenRequest};
use mdm_core::usecases::tenancy::tenants::{self, CreateTenant};
use mdm_core::usecases::{
    device::fetch, device::inventory, fleet::commands, fleet::groups, fleet::jobs,
    integrations::events, integrations::webhooks, policy::apps, policy::geofences,
    policy::policies, tenancy::push_config, tenancy::settings,
};
use serde_json::json;

fn operator() -> Operator {
    Operator {
        subject: "ops@platform".into(),
    }
}

async fn enroll(app: &App, tenant: &str, n: u64) -> (DeviceCredential, String) {
    let admin = mdm_tests::direct::admin_of(tenant);
    let token = enrollment::create_token(&app.services, &admin, CreateTokenRequest::default())
        .await
        .expect("token")
        .token;
    let body = mdm_devtools::agent::SimDevice::enrollment_body(n, &token, "android", "sink:x");
    let serial = body["serial"].as_str().expect("serial").to_owned();
    let req: EnrollRequest = serde_json::from_value(body).expect("request");
    let e = enrollment::enroll(&app.services, req)
        .await
        .expect("enroll");
    (
        DeviceCredential::parse(&e.device_credential).unwrap(),
        serial,
    )
}

async fn is_empty(app: &App, pk: String) -> bool {
    let mut q = Query::prefix(pk, "");
    q.consistent = true;
    app.services.table.query(q).await.unwrap().items.is_empty()
}

#[tokio::test]
async fn deleting_a_tenant_removes_all_of_its_data_in_batches_and_nothing_else() {
    let (app, _clock) = mdm_tests::direct::app_on_clock(1_800_000_000_000);
    let svc = &app.services;
    let doomed = TenantId::parse("doomed").unwrap();
    let req = CreateTenant {
        id: doomed.clone(),
        name: "Doomed".into(),
        limits: Default::default(),
    };
    tenants::create(svc, &operator(), req).await.unwrap();
    let admin = mdm_tests::direct::admin_of("doomed");
    let mut devices = Vec::new();
    for n in 0..25 {
        devices.push(enroll(&app, "doomed", n).await);
    }
    // More tokens and audit entries than one batch removes.
    for _ in 0..80 {
        enrollment::create_token(svc, &admin, CreateTokenRequest::default())
            .await
            .unwrap();
    }
    for (cred, _) in devices.iter().take(5) {
        let req = serde_json::from_value(json!({"command": {"type": "locate"}})).unwrap();
        commands::queue(svc, &admin, &cred.device, req)
            .await
            .unwrap();
        // Fetched, so the transitions' audit shards hold entries too.
        fetch::pending(svc, cred).await.unwrap();
    }
    let shards_used = (0..DIRECTORY_SHARDS).map(|s| keys::transition_audit_pk(&doomed, s));
    let mut used = 0;
    for pk in shards_used {
        used += usize::from(!is_empty(&app, pk).await);
    }
    assert!(used > 0, "no transition was audited");
    // Groups with members, a job, policies with versions and assignments, a default policy.
    let mut groups_made = Vec::new();
    for (n, (cred, _)) in devices.iter().enumerate().take(12) {
        let req = serde_json::from_value(json!({"name": format!("group {n}")})).unwrap();
        let g = groups::create(svc, &admin, req).await.unwrap();
        let g = GroupId::parse(&g.id).unwrap();
        let members = serde_json::from_value(json!({"devices": [cred.device]})).unwrap();
        groups::change_members(svc, &admin, &g, groups::Change::Add, members)
            .await
            .unwrap();
        groups_made.push(g);
    }
    let req = serde_json::from_value(json!({
        "command": {"type": "ring"},
        "target": {"kind": "group", "group": groups_made[0]},
    }))
    .unwrap();
    let job = jobs::create(svc, &admin, req).await.unwrap();
    let job = JobId::parse(&job.id).unwrap();
    let req = serde_json::from_value(
        json!({"name": "p", "document": {"restrictions": {"nfc_disabled": true}}}),
    )
    .unwrap();
    let policy = policies::create(svc, &admin, req).await.unwrap();
    let policy = PolicyId::parse(&policy.id).unwrap();
    let again = serde_json::from_value(
        json!({"name": "p", "document": {"restrictions": {"nfc_disabled": false}}}),
    )
    .unwrap();
    policies::update(svc, &admin, &policy, again).await.unwrap();
    let assign = serde_json::from_value(json!({"policy_id": policy})).unwrap();
    policies::assign_default(svc, &admin, Some(assign))
        .await
        .unwrap();
    // A catalogue app that is required, so its uniqueness item and marker exist too.
    let req = serde_json::from_value(json!({
        "app_id": "com.doomed.app", "platform": "android", "name": "App", "required": true,
    }))
    .unwrap();
    apps::create(svc, &admin, req).await.unwrap();
    // More geofences than one batch removes, and their counter.
    for n in 0..105 {
        let req = serde_json::from_value(json!({
            "name": format!("Site {n}"),
            "shape": {"type": "circle", "latitude": 1.0, "longitude": 2.0, "radius_m": 100},
        }))
        .unwrap();
        geofences::create(svc, &admin, req).await.unwrap();
    }
    let set = serde_json::from_value(json!({"name": "Doomed", "time_zone": "UTC"})).unwrap();
    settings::set(svc, &admin, set).await.unwrap();
    // Push credentials, kept in the secret store rather than the table.
    let push = serde_json::from_value(
        json!({"provider": "fcm", "credentials": mdm_tests::flow::push::service_account()}),
    )
    .unwrap();
    push_config::set(svc, &admin, Platform::Android, push)
        .await
        .unwrap();
    // A device failing a compliance rule that alerts: its state and an alert exist.
    let rules = serde_json::from_value(json!({"name": "rules", "document": {"compliance": {
        "passcode_set": {"escalation": [{"after_seconds": 0, "action": "alert_admins"}]}
    }}}))
    .unwrap();
    let rules = policies::create(svc, &admin, rules).await.unwrap();
    let (flagged, _) = &devices[0];
    let assign = serde_json::from_value(json!({"policy_id": rules.id})).unwrap();
    policies::assign_device(svc, &admin, &flagged.device, Some(assign))
        .await
        .unwrap();
    let report = serde_json::from_value(json!({"passcode_set": false})).unwrap();
    inventory::report(svc, flagged, report).await.unwrap();
    let alerts_pk = keys::alerts_pk(&doomed, shard_of(&flagged.device));
    assert!(
        !is_empty(&app, alerts_pk.clone()).await,
        "no alert was raised"
    );
    let secret = push_config::secret_name(&doomed, Platform::Android);
    assert!(svc.secrets.get(&secret).await.unwrap().is_some());
    // A webhook endpoint (its secret in the secret store) with a failed delivery on record:
    // nothing listens on port 9, and the retry waits on the manual clock.
    let req = serde_json::from_value(
        json!({"url": "http://127.0.0.1:9/doomed", "events": ["sim.changed"]}),
    )
    .unwrap();
    let hook = webhooks::create(svc, &admin, req).await.unwrap().webhook.id;
    let hook = WebhookId::parse(&hook).unwrap();
    let hook_secret = webhooks::secret_name(&doomed, &hook);
    let event = events::Event::new(events::EventKind::SimChanged, None, json!({}));
    events::publish(svc, &doomed, event).await;
    let deliveries_pk = keys::webhook_deliveries_pk(&doomed, &hook);
    for _ in 0..50 {
        if !is_empty(&app, deliveries_pk.clone()).await {
            break;
        }
        mdm_app::worker::drain_once(svc, &*app.wake_queue, Duration::ZERO).await;
    }
    assert!(
        !is_empty(&app, deliveries_pk.clone()).await,
        "no delivery recorded"
    );
    assert!(svc.secrets.get(&hook_secret).await.unwrap().is_some());
    let (survivor, survivor_serial) = enroll(&app, "acme", 100).await;

    let view = tenants::delete(svc, &operator(), &doomed).await.unwrap();
    assert_eq!(view.status, TenantStatus::Deleting);
    let mut batches = 0;
    while tenants::get(svc, &operator(), &doomed)
        .await
        .unwrap()
        .status
        != TenantStatus::Deleted
    {
        batches += mdm_app::worker::drain_once(svc, &*app.wake_queue, Duration::ZERO).await;
        assert!(batches < 200, "the purge never finished");
    }
    assert!(
        batches > usize::try_from(DIRECTORY_SHARDS).unwrap(),
        "{batches} messages"
    );

    for (cred, serial) in &devices {
        assert!(is_empty(&app, keys::device_pk(&doomed, &cred.device)).await);
        let serial = Identifier::Serial(serial.clone());
        assert!(is_empty(&app, keys::index_pk(&doomed, &serial)).await);
    }
    for shard in 0..DIRECTORY_SHARDS {
        assert!(is_empty(&app, keys::directory_pk(&doomed, shard)).await);
    }
    assert!(is_empty(&app, keys::enrollment_tokens_pk(&doomed)).await);
    assert!(is_empty(&app, keys::audit_pk(&doomed)).await);
    assert!(
        is_empty(&app, alerts_pk).await,
        "the alerts went with the tenant"
    );
    for shard in 0..DIRECTORY_SHARDS {
        assert!(is_empty(&app, keys::transition_audit_pk(&doomed, shard)).await);
    }
    assert!(is_empty(&app, keys::groups_pk(&doomed)).await);
    for g in &groups_made {
        assert!(is_empty(&app, keys::members_pk(&doomed, g)).await);
    }
    assert!(is_empty(&app, keys::jobs_pk(&doomed)).await);
    assert!(is_empty(&app, keys::job(&doomed, &job).pk).await);
    assert!(is_empty(&app, keys::policies_pk(&doomed)).await);
    assert!(is_empty(&app, keys::policy_pk(&doomed, &policy)).await);
    assert!(is_empty(&app, keys::apps_pk(&doomed)).await);
    assert!(is_empty(&app, keys::geofences_pk(&doomed)).await);
    assert!(
        svc.table
            .get(&keys::geofence_count(&doomed), true)
            .await
            .unwrap()
            .is_none(),
        "the geofence counter went with the tenant"
    );
    assert!(is_empty(&app, keys::webhooks_pk(&doomed)).await);
    assert!(is_empty(&app, deliveries_pk).await);
    assert_eq!(
        svc.secrets.get(&hook_secret).await.unwrap(),
        None,
        "the webhook's signing secret went with the tenant"
    );
    assert_eq!(
        svc.secrets.get(&secret).await.unwrap(),
        None,
        "the push credentials went with the tenant"
    );
    assert!(
        svc.table
            .get(&keys::default_policy(&doomed), true)
            .await
            .unwrap()
            .is_none()
    );
    let tombstone = svc
        .table
        .get(&keys::tenant(&doomed), true)
        .await
        .unwrap()
        .expect("the tombstone stays");
    let mut names: Vec<&String> = tombstone.attrs.keys().collect();
    names.sort();
    assert_eq!(
        names,
        ["status", "updated_at"],
        "settings and counters are gone"
    );
    assert_eq!(
        tenants::admit(svc, &doomed).await,
        Err(mdm_core::Error::TenantSuspended)
    );

    // acme's device, its index entry and its audit log are untouched.
    let acme = TenantId::parse("acme").unwrap();
    assert!(!is_empty(&app, keys::device_pk(&acme, &survivor.device)).await);
    let serial = Identifier::Serial(survivor_serial);
    assert!(!is_empty(&app, keys::index_pk(&acme, &serial)).await);
    assert!(!is_empty(&app, keys::audit_pk(&acme)).await);
}

/// Given two tenants each with an APNs push certificate (so each has a pending expiry warning in
/// the platform's partition), when one tenant is deleted and purged, then its warning is gone
/// and the other tenant's stays.
#[tokio::test]
async fn a_deleted_tenant_s_pending_push_certificate_warning_goes_with_it_and_no_other() {
    let start_ms = 1_800_000_000_000;
    let (app, _clock) = mdm_tests::direct::app_on_clock(start_ms);
    let svc = &app.services;
    let ca = mdm_push::fake_apns::TestCa::new("apple");
    for tenant in ["doomed", "acme"] {
        let req = CreateTenant {
            id: TenantId::parse(tenant).unwrap(),
            name: tenant.into(),
            limits: Default::default(),
        };
        tenants::create(svc, &operator(), req).await.unwrap();
        let topic = format!("com.apple.mgmt.External.{tenant}");
        let now = start_ms / 1000;
        let cert = ca.push_certificate(&topic, now - 86_400, now + 40 * 86_400);
        let push = serde_json::from_value(json!({"provider": "apns", "credentials": {
            "auth": {"mode": "certificate", "cert_pem": cert.cert_pem, "key_pem": cert.key_pem},
            "topic": topic, "environment": "production",
        }}))
        .unwrap();
        push_config::set(
            svc,
            &mdm_tests::direct::admin_of(tenant),
            Platform::Ios,
            push,
        )
        .await
        .unwrap();
    }
    let pending = || async {
        let mut q = Query::prefix(keys::CERT_WARNINGS_PK, "");
        q.consistent = true;
        let page = app.services.table.query(q).await.unwrap();
        page.items
            .iter()
            .map(|i| i.str("tenant").unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    let mut before = pending().await;
    before.sort();
    assert_eq!(before, ["acme", "doomed"]);

    let doomed = TenantId::parse("doomed").unwrap();
    tenants::delete(svc, &operator(), &doomed).await.unwrap();
    let mut batches = 0;
    while tenants::get(svc, &operator(), &doomed)
        .await
        .unwrap()
        .status
        != TenantStatus::Deleted
    {
        batches += mdm_app::worker::drain_once(svc, &*app.wake_queue, Duration::ZERO).await;
        assert!(batches < 200, "the purge never finished");
    }

    assert_eq!(pending().await, ["acme"]);
}
