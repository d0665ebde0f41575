//! Each wake goes to its tenant's provider: tenants without settings get the default, and
//! settings whose credentials are missing or not yet visible (a cached older secret) fail in the
//! way the consumer can act on.

use std::sync::Arc;

use mdm_app::push::{Providers, TenantPushers};
use mdm_core::domain::{Platform, TenantId};
use mdm_core::error::PushError;
use mdm_core::ports::{ManualClock, PushProvider, PushTarget, Pusher, SecretStore, Table};
use mdm_core::store::keys;
use mdm_core::store::records::to_item;
use mdm_core::usecases::tenancy::push_config::{PushConfigRecord, fingerprint, secret_name};
use mdm_embedded::{LocalSecrets, RedbTable};
use mdm_push::LocalPusher;

struct Rig {
    table: Arc<RedbTable>,
    secrets: Arc<LocalSecrets>,
    sink: Arc<LocalPusher>,
    pushers: TenantPushers,
}

fn rig() -> Rig {
    rig_on(Arc::new(ManualClock::new(1_700_000_000_000)))
}

fn rig_on(clock: Arc<ManualClock>) -> Rig {
    let table = Arc::new(RedbTable::in_memory().unwrap());
    let secrets = Arc::new(LocalSecrets::in_memory());
    let sink = Arc::new(LocalPusher::new());
    let pushers = TenantPushers::new(
        table.clone(),
        secrets.clone(),
        Providers {
            clock,
            sns: None,
            apns: Default::default(),
        },
        sink.clone(),
    );
    Rig {
        table,
        secrets,
        sink,
        pushers,
    }
}

fn target(tenant: &str) -> PushTarget {
    PushTarget {
        tenant: tenant.into(),
        device: "01JDEVICE".into(),
        platform: Platform::Android,
        token: format!("sink:{tenant}"),
        push_magic: None,
    }
}

async fn configure(rig: &Rig, tenant: &str, stored_credentials: &str) {
    let tenant = TenantId::parse(tenant).unwrap();
    let record = PushConfigRecord {
        platform: Platform::Android,
        provider: PushProvider::Fcm,
        secret: secret_name(&tenant, Platform::Android),
        fingerprint: fingerprint(stored_credentials),
        updated_at: 1,
        updated_by: "admin@acme".into(),
        attrs: Default::default(),
        certificate: None,
    };
    rig.table
        .put(
            to_item(keys::push_config(&tenant, Platform::Android), &record),
            None,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tenant_without_push_settings_is_woken_through_the_default() {
    let rig = rig();
    rig.pushers.wake(&target("acme")).await.expect("woken");
    assert_eq!(rig.sink.sent().len(), 1);
}

#[tokio::test]
async fn settings_whose_credentials_are_missing_are_rejected_and_never_reach_the_default() {
    let rig = rig();
    configure(&rig, "acme", "{}").await;
    let err = rig.pushers.wake(&target("acme")).await.unwrap_err();
    assert!(matches!(err, PushError::Rejected(_)), "{err:?}");
    assert!(rig.sink.sent().is_empty());
    // Another tenant is not affected
    rig.pushers.wake(&target("globex")).await.expect("woken");
}

#[tokio::test]
async fn credentials_older_than_the_settings_are_retried_later_not_used() {
    let rig = rig();
    configure(&rig, "acme", r#"{"new": true}"#).await;
    let name = secret_name(&TenantId::parse("acme").unwrap(), Platform::Android);
    rig.secrets.put(&name, r#"{"old": true}"#).await.unwrap();
    let err = rig.pushers.wake(&target("acme")).await.unwrap_err();
    assert!(
        matches!(
            err,
            PushError::Retryable {
                retry_after_secs: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
}

/// A Google service account with a fresh RSA key.
fn service_account() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .unwrap()
        .serialize_pem();
    serde_json::json!({
        "project_id": "acme-mdm",
        "private_key_id": "k1",
        "private_key": key,
        "client_email": "push@acme-mdm.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    })
    .to_string()
}

fn being_replaced(err: &PushError) -> bool {
    matches!(err, PushError::Retryable { reason, .. } if reason.contains("being replaced"))
}

#[tokio::test]
async fn unchanged_settings_keep_their_provider_when_they_are_read_again() {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let rig = rig_on(clock.clone());
    let credentials = service_account();
    configure(&rig, "acme", &credentials).await;
    let name = secret_name(&TenantId::parse("acme").unwrap(), Platform::Android);
    rig.secrets.put(&name, &credentials).await.unwrap();
    // The first wake builds the FCM provider (which then cannot reach Google from a test).
    let first = rig.pushers.wake(&target("acme")).await.unwrap_err();
    assert!(!being_replaced(&first), "{first:?}");
    // When the secret no longer matches but the settings are unchanged, a re-read after the
    // cache period keeps the built provider instead of fetching credentials again.
    rig.secrets.put(&name, r#"{"other": true}"#).await.unwrap();
    clock.advance_secs(61);
    let second = rig.pushers.wake(&target("acme")).await.unwrap_err();
    assert!(!being_replaced(&second), "{second:?}");
    // While changed settings do build a new one (which finds the secret stale).
    configure(&rig, "acme", r#"{"newer": true}"#).await;
    clock.advance_secs(61);
    let third = rig.pushers.wake(&target("acme")).await.unwrap_err();
    assert!(being_replaced(&third), "{third:?}");
}
