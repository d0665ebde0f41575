//! Runs `SecretsManagerStore` and `SnsPusher` over HTTP against moto's server: what a wake
//! publishes is read back from moto's own record of each SNS endpoint, and what the secret cache
//! saves is shown by changing the secret behind the store's back.

use std::sync::Arc;

use aws_sdk_secretsmanager::Client as SecretsClient;
use aws_sdk_sns::Client as SnsClient;
use mdm_aws::{
    PlatformCredentials, SecretsManagerStore, SnsPlatform, SnsPusher, ensure_platform_application,
};
use mdm_core::domain::Platform;
use mdm_core::error::PushError;
use mdm_core::ports::{Clock, ManualClock, PushTarget, Pusher, SecretStore};
use mdm_tests::moto;
use serde_json::{Value, json};

const START_MS: i64 = 1_800_000_000_000;

fn secrets_client() -> SecretsClient {
    SecretsClient::new(&moto::sdk_config())
}

fn sns_client() -> SnsClient {
    SnsClient::new(&moto::sdk_config())
}

/// A store on its own prefix, so tests sharing moto never see each other's secrets.
fn store() -> (SecretsManagerStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START_MS));
    let prefix = format!("{}/", moto::unique_name("mdm"));
    let store = SecretsManagerStore::new(secrets_client(), prefix, clock.clone() as Arc<dyn Clock>);
    (store, clock)
}

async fn fcm_application() -> String {
    ensure_platform_application(
        &sns_client(),
        &moto::unique_name("fcm"),
        SnsPlatform::Gcm,
        &PlatformCredentials::Fcm {
            service_account_json: r#"{"type": "service_account"}"#.into(),
        },
    )
    .await
    .expect("create a GCM platform application in moto")
}

async fn apns_application() -> String {
    ensure_platform_application(
        &sns_client(),
        &moto::unique_name("apns"),
        SnsPlatform::Apns,
        &PlatformCredentials::ApnsToken {
            signing_key_p8: "-----BEGIN PRIVATE KEY-----\n...".into(),
            key_id: "KEY1234567".into(),
            team_id: "TEAM123456".into(),
            bundle_id: "com.example.agent".into(),
        },
    )
    .await
    .expect("create an APNS platform application in moto")
}

/// Tokens are unique across the whole emulator: moto matches an existing endpoint by token in
/// any application.
fn target(platform: Platform, device: &str, push_magic: Option<&str>) -> PushTarget {
    PushTarget {
        tenant: "t1".into(),
        device: device.into(),
        platform,
        token: moto::unique_name("token"),
        push_magic: push_magic.map(str::to_owned),
    }
}

/// The one endpoint for `token`, whose messages each decode into their platform payloads.
async fn the_endpoint_for(token: &str) -> Value {
    let mut endpoints = moto::sns_endpoints_for(token).await;
    assert_eq!(endpoints.len(), 1, "one endpoint per token: {endpoints:?}");
    endpoints.remove(0)
}

/// A published message, with each platform's string-encoded payload decoded.
fn decoded(message: &Value) -> Value {
    let mut outer: Value = serde_json::from_str(message.as_str().expect("a string")).unwrap();
    for (key, value) in outer.as_object_mut().unwrap() {
        if key != "default" {
            *value = serde_json::from_str(value.as_str().unwrap()).unwrap();
        }
    }
    outer
}

#[tokio::test]
async fn a_secret_that_was_put_reads_back() {
    let (store, _) = store();
    store.put("t1/fcm", "service-account-1").await.unwrap();
    assert_eq!(
        store.get("t1/fcm").await.unwrap().as_deref(),
        Some("service-account-1")
    );
}

#[tokio::test]
async fn a_deleted_secret_is_gone_from_secrets_manager_and_deleting_it_again_succeeds() {
    let (store, _) = store();
    store.put("t1/gone", "service-account-1").await.unwrap();
    store.put("t1/kept", "service-account-2").await.unwrap();
    store.delete("t1/gone").await.unwrap();
    store.delete("t1/gone").await.unwrap();
    assert_eq!(store.get("t1/gone").await.unwrap(), None);
    let raw = secrets_client()
        .get_secret_value()
        .secret_id(format!("{}t1/gone", store.prefix()))
        .send()
        .await;
    assert!(raw.is_err(), "Secrets Manager still holds it: {raw:?}");
    assert_eq!(
        store.get("t1/kept").await.unwrap().as_deref(),
        Some("service-account-2")
    );
}

#[tokio::test]
async fn a_second_put_replaces_the_value_for_every_reader() {
    let (store, _) = store();
    store.put("t1/apns", "key-1").await.unwrap();
    assert_eq!(
        store.get("t1/apns").await.unwrap().as_deref(),
        Some("key-1")
    );

    store.put("t1/apns", "key-2").await.unwrap();

    // The writer's own cache was dropped by the put, and Secrets Manager holds the new value.
    assert_eq!(
        store.get("t1/apns").await.unwrap().as_deref(),
        Some("key-2")
    );
    let raw = secrets_client()
        .get_secret_value()
        .secret_id(format!("{}t1/apns", store.prefix()))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.secret_string(), Some("key-2"));
}

#[tokio::test]
async fn a_secret_that_was_never_put_reads_as_none() {
    let (store, _) = store();
    assert_eq!(store.get("t1/nothing").await.unwrap(), None);
}

#[tokio::test]
async fn a_cached_secret_is_served_without_a_call_until_the_ttl_passes() {
    let (store, clock) = store();
    store.put("t1/fcm", "cached-value").await.unwrap();
    assert_eq!(
        store.get("t1/fcm").await.unwrap().as_deref(),
        Some("cached-value")
    );

    // Given the secret is gone from Secrets Manager behind the store's back,
    secrets_client()
        .delete_secret()
        .secret_id(format!("{}t1/fcm", store.prefix()))
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();

    // a read within the TTL never asks Secrets Manager,
    clock.advance_secs(299);
    assert_eq!(
        store.get("t1/fcm").await.unwrap().as_deref(),
        Some("cached-value")
    );

    // and the first read after it does.
    clock.advance_secs(2);
    assert_eq!(store.get("t1/fcm").await.unwrap(), None);
}

#[tokio::test]
async fn an_android_wake_arrives_as_a_high_priority_fcm_v1_data_message() {
    let pusher = SnsPusher::new(sns_client(), fcm_application().await);
    let device = target(Platform::Android, "d1", None);

    let receipt = pusher.wake(&device).await.expect("the wake is accepted");

    let endpoint = the_endpoint_for(&device.token).await;
    assert_eq!(endpoint["custom_user_data"], "t1/d1");
    let message = &endpoint["messages"][&receipt.message_id];
    assert_eq!(
        decoded(message),
        json!({
            "default": "wake",
            "GCM": {"fcmV1Message": {"message": {
                "data": {"mdm": "wake"},
                "android": {"priority": "HIGH"},
            }}},
        })
    );
}

#[tokio::test]
async fn an_apple_app_wake_arrives_as_a_background_notification() {
    let pusher = SnsPusher::new(sns_client(), apns_application().await);
    let device = target(Platform::Ios, "d1", None);

    let receipt = pusher.wake(&device).await.expect("the wake is accepted");

    let endpoint = the_endpoint_for(&device.token).await;
    let aps = json!({"aps": {"content-available": 1}});
    assert_eq!(
        decoded(&endpoint["messages"][&receipt.message_id]),
        json!({"default": "wake", "APNS": aps, "APNS_SANDBOX": aps})
    );
}

#[tokio::test]
async fn an_apple_mdm_wake_arrives_carrying_only_the_push_magic() {
    let pusher = SnsPusher::new(sns_client(), apns_application().await);
    let device = target(Platform::Ios, "d1", Some("push-magic-1"));

    let receipt = pusher.wake(&device).await.expect("the wake is accepted");

    let endpoint = the_endpoint_for(&device.token).await;
    let mdm = json!({"mdm": "push-magic-1"});
    assert_eq!(
        decoded(&endpoint["messages"][&receipt.message_id]),
        json!({"default": "wake", "APNS": mdm, "APNS_SANDBOX": mdm})
    );
}

#[tokio::test]
async fn the_same_token_woken_twice_reuses_one_endpoint() {
    let pusher = SnsPusher::new(sns_client(), fcm_application().await);
    let device = target(Platform::Android, "d1", None);

    let first = pusher.wake(&device).await.unwrap();
    let second = pusher.wake(&device).await.unwrap();

    assert_ne!(first.message_id, second.message_id);
    let endpoint = the_endpoint_for(&device.token).await;
    assert_eq!(endpoint["messages"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn a_token_reported_by_another_device_moves_to_that_device() {
    let pusher = SnsPusher::new(sns_client(), fcm_application().await);
    let old = target(Platform::Android, "d1", None);
    let new = PushTarget {
        device: "d2".into(),
        ..old.clone()
    };
    pusher.wake(&old).await.unwrap();

    pusher
        .wake(&new)
        .await
        .expect("the re-enrolled device is woken");

    let endpoint = the_endpoint_for(&new.token).await;
    assert_eq!(endpoint["attributes"]["CustomUserData"], "t1/d2");
    assert_eq!(endpoint["messages"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn a_wake_to_an_endpoint_the_provider_disabled_is_an_invalid_token() {
    let application = fcm_application().await;
    let pusher = SnsPusher::new(sns_client(), application);
    let device = target(Platform::Android, "d1", None);
    pusher.wake(&device).await.unwrap();

    // Given SNS disabled the endpoint, as it does when FCM reports the token unregistered,
    let arn = the_endpoint_for(&device.token).await["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    sns_client()
        .set_endpoint_attributes()
        .endpoint_arn(&arn)
        .attributes("Enabled", "false")
        .send()
        .await
        .unwrap();

    // a wake is an invalid token, and nothing more is published to it.
    assert_eq!(pusher.wake(&device).await, Err(PushError::InvalidToken));
    let endpoint = the_endpoint_for(&device.token).await;
    assert_eq!(endpoint["messages"].as_object().unwrap().len(), 1);
    assert_eq!(endpoint["enabled"], false, "the wake did not re-enable it");
}

/// SNS answers CreatePlatformEndpoint on an unknown application with NotFound (moto says
/// "PlatformApplication does not exist"): the pusher's configuration is wrong, so no retry
/// helps.
#[tokio::test]
async fn a_wake_through_a_deleted_platform_application_is_rejected() {
    let application = fcm_application().await;
    sns_client()
        .delete_platform_application()
        .platform_application_arn(&application)
        .send()
        .await
        .unwrap();
    let pusher = SnsPusher::new(sns_client(), application);

    let result = pusher.wake(&target(Platform::Android, "d1", None)).await;

    assert!(
        matches!(&result, Err(PushError::Rejected(reason)) if reason.contains("NotFound")),
        "{result:?}"
    );
}

#[tokio::test]
async fn ensuring_a_platform_application_again_keeps_its_arn_and_takes_the_new_credentials() {
    let client = sns_client();
    let name = moto::unique_name("fcm");
    let credentials = |json: &str| PlatformCredentials::Fcm {
        service_account_json: json.into(),
    };
    let first = ensure_platform_application(&client, &name, SnsPlatform::Gcm, &credentials("v1"))
        .await
        .unwrap();

    let second = ensure_platform_application(&client, &name, SnsPlatform::Gcm, &credentials("v2"))
        .await
        .unwrap();

    assert_eq!(first, second);
    let attributes = client
        .get_platform_application_attributes()
        .platform_application_arn(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attributes
            .attributes()
            .and_then(|a| a.get("PlatformCredential"))
            .map(String::as_str),
        Some("v2")
    );
}
