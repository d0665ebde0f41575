//! ApnsPusher against a fake APNs over HTTP/2 and TLS: MDM wake-ups with the tenant's push
//! certificate, background pushes with a provider token, and how each answer becomes a
//! `PushError`.

use std::sync::Arc;

use crate::support::keys;
use axum::http::Version;
use mdm_ports::error::PushError;
use mdm_ports::ids::Platform;
use mdm_ports::{Clock, ManualClock, PushTarget, Pusher, SystemClock};
use mdm_push::fake_apns::TestCa;
use mdm_push::fake_apns::{Answer, FakeApns, JwtCheck};
use mdm_push::{ApnsAuth, ApnsCredentials, ApnsEnvironment, ApnsOptions, ApnsPusher};
use serde_json::json;

const MDM_TOPIC: &str = "com.apple.mgmt.External.2f1c3b0e-9a53-4c1e-8f3c-6d1d0f1a2b3c";
const APP_TOPIC: &str = "com.example.mdm.agent";
const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "DEF123GHIJ";
const MAGIC: &str = "7F1E2D3C-B4A5-4968-8776-655443322110";

fn device_token() -> String {
    "a1b2c3d4".repeat(8)
}

fn ios(push_magic: Option<&str>) -> PushTarget {
    PushTarget {
        tenant: "acme".into(),
        device: "dev-1".into(),
        platform: Platform::Ios,
        token: device_token(),
        push_magic: push_magic.map(str::to_owned),
    }
}

fn options(ca: &TestCa, fake: &FakeApns, clock: Arc<dyn Clock>) -> ApnsOptions {
    ApnsOptions {
        base_url: Some(fake.base_url.clone()),
        clock,
        trusted_roots_pem: Some(ca.cert_pem.clone()),
        ..ApnsOptions::default()
    }
}

struct Mdm {
    fake: Arc<FakeApns>,
    pusher: ApnsPusher,
    client_cert_der: Vec<u8>,
}

/// A fake APNs that demands client certificates from `apple`, and a pusher holding a push
/// certificate issued by `issuer`.
async fn given_an_mdm_pusher_with_a_certificate_from(apple: &TestCa, issuer: &TestCa) -> Mdm {
    let server_ca = TestCa::new("server ca");
    let fake = FakeApns::start(&server_ca, Some(apple), None).await;
    let cert = issuer.client_cert(MDM_TOPIC);
    let creds = ApnsCredentials::from_json(
        &json!({
            "auth": { "mode": "certificate", "cert_pem": cert.cert_pem, "key_pem": cert.key_pem },
            "topic": MDM_TOPIC,
            "environment": "production",
        })
        .to_string(),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let pusher = ApnsPusher::new(creds, options(&server_ca, &fake, clock)).unwrap();
    Mdm {
        fake,
        pusher,
        client_cert_der: cert.cert_der,
    }
}

async fn given_an_mdm_pusher() -> Mdm {
    let apple = TestCa::new("apple push ca");
    given_an_mdm_pusher_with_a_certificate_from(&apple, &apple).await
}

struct Agent {
    fake: Arc<FakeApns>,
    pusher: ApnsPusher,
    clock: Arc<ManualClock>,
}

async fn given_an_agent_pusher_with_a_p8_key() -> Agent {
    let ca = TestCa::new("server ca");
    let key = keys::p256_key();
    let fake = FakeApns::start(
        &ca,
        None,
        Some(JwtCheck {
            public_pem: key.public,
            key_id: KEY_ID.into(),
            team_id: TEAM_ID.into(),
        }),
    )
    .await;
    let creds = ApnsCredentials {
        auth: ApnsAuth::Token {
            key_p8_pem: key.private,
            key_id: KEY_ID.into(),
            team_id: TEAM_ID.into(),
        },
        topic: APP_TOPIC.into(),
        environment: ApnsEnvironment::Sandbox,
    };
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let pusher = ApnsPusher::new(creds, options(&ca, &fake, clock.clone())).unwrap();
    Agent {
        fake,
        pusher,
        clock,
    }
}

fn answer(status: u16, reason: &'static str) -> Answer {
    Answer {
        status,
        reason,
        retry_after: None,
    }
}

#[tokio::test]
async fn an_mdm_wake_goes_over_http2_with_the_push_certificate_and_echoes_the_push_magic() {
    let m = given_an_mdm_pusher().await;

    let receipt = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap();

    assert!(receipt.message_id.starts_with("5E5A1D4B-"), "{receipt:?}");
    let received = m.fake.pushes();
    assert_eq!(received.len(), 1);
    let push = &received[0];
    assert_eq!(push.version, Version::HTTP_2);
    assert_eq!(
        push.client_cert.as_deref(),
        Some(m.client_cert_der.as_slice())
    );
    assert_eq!(push.device_token, device_token());
    assert_eq!(push.payload, json!({ "mdm": MAGIC }));
    assert_eq!(push.topic.as_deref(), Some(MDM_TOPIC));
    assert_eq!(push.push_type.as_deref(), Some("mdm"));
    assert_eq!(push.header("apns-priority"), Some("10"));
    assert_eq!(push.header("apns-expiration"), Some("1800003600"));
    assert_eq!(push.header("authorization"), None);
}

#[tokio::test]
async fn an_mdm_wake_without_push_magic_is_rejected_without_calling_apple() {
    let m = given_an_mdm_pusher().await;

    let error = m.pusher.wake(&ios(None)).await.unwrap_err();

    assert_eq!(
        error,
        PushError::Rejected("apple MDM wake needs the device's PushMagic".into())
    );
    assert!(m.fake.pushes().is_empty());
}

/// The server refuses the handshake with a fatal TLS alert (UnknownCA here; an expired or
/// revoked certificate earns a similar alert). That never gets better by retrying, so it is
/// Rejected, unlike a connection that merely broke, which stays Retryable.
#[tokio::test]
async fn a_push_certificate_from_another_ca_is_refused_in_the_handshake_and_rejected() {
    let apple = TestCa::new("apple push ca");
    let impostor = TestCa::new("someone else");
    let m = given_an_mdm_pusher_with_a_certificate_from(&apple, &impostor).await;

    let error = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();
    assert!(
        matches!(error, PushError::Rejected(ref r) if r.contains("push certificate")),
        "{error:?}"
    );
    assert!(m.fake.pushes().is_empty());
    assert!(m.fake.failed_handshakes() >= 1);
}

#[tokio::test]
async fn a_background_push_carries_a_provider_token_and_content_available() {
    let a = given_an_agent_pusher_with_a_p8_key().await;

    a.pusher.wake(&ios(None)).await.unwrap();

    let push = &a.fake.pushes()[0];
    assert_eq!(push.payload, json!({ "aps": { "content-available": 1 } }));
    assert_eq!(push.header("apns-topic"), Some(APP_TOPIC));
    assert_eq!(push.header("apns-push-type"), Some("background"));
    assert_eq!(push.header("apns-priority"), Some("5"));
    assert!(
        push.header("authorization")
            .is_some_and(|h| h.starts_with("Bearer "))
    );
    assert!(push.client_cert.is_none());
}

#[tokio::test]
async fn the_provider_token_is_reused_for_50_minutes_then_renewed() {
    let a = given_an_agent_pusher_with_a_p8_key().await;

    a.pusher.wake(&ios(None)).await.unwrap();
    a.clock.advance_secs(49 * 60 + 59);
    a.pusher.wake(&ios(None)).await.unwrap();
    a.clock.advance_secs(1);
    a.pusher.wake(&ios(None)).await.unwrap();

    let tokens: Vec<_> = a
        .fake
        .pushes()
        .iter()
        .map(|p| p.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2]);
}

#[tokio::test]
async fn an_expired_provider_token_is_renewed_once_and_the_push_retried() {
    let a = given_an_agent_pusher_with_a_p8_key().await;
    a.pusher.wake(&ios(None)).await.unwrap();
    a.clock.advance_secs(10 * 60);
    a.fake.answer_next(answer(403, "ExpiredProviderToken"));

    a.pusher.wake(&ios(None)).await.unwrap();

    let tokens: Vec<_> = a
        .fake
        .pushes()
        .iter()
        .map(|p| p.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2]);
}

#[tokio::test]
async fn a_provider_token_refused_twice_is_rejected() {
    let a = given_an_agent_pusher_with_a_p8_key().await;
    a.fake.answer_next(answer(403, "InvalidProviderToken"));
    a.fake.answer_next(answer(403, "InvalidProviderToken"));

    let error = a.pusher.wake(&ios(None)).await.unwrap_err();

    assert!(matches!(error, PushError::Rejected(_)), "{error:?}");
    assert_eq!(a.fake.pushes().len(), 2);
}

#[tokio::test]
async fn a_400_bad_device_token_marks_the_token_invalid() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(400, "BadDeviceToken"));

    assert_eq!(
        m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err(),
        PushError::InvalidToken
    );
}

#[tokio::test]
async fn a_400_device_token_not_for_topic_marks_the_token_invalid() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(400, "DeviceTokenNotForTopic"));

    assert_eq!(
        m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err(),
        PushError::InvalidToken
    );
}

#[tokio::test]
async fn another_400_is_rejected() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(400, "BadTopic"));

    let error = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();

    assert!(
        matches!(error, PushError::Rejected(ref r) if r.contains("BadTopic")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_410_unregistered_marks_the_token_invalid() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(410, "Unregistered"));

    assert_eq!(
        m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err(),
        PushError::InvalidToken
    );
}

#[tokio::test]
async fn a_403_bad_certificate_is_rejected() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(403, "BadCertificate"));

    let error = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();

    assert!(matches!(error, PushError::Rejected(_)), "{error:?}");
    assert_eq!(m.fake.pushes().len(), 1, "no retry in certificate mode");
}

#[tokio::test]
async fn a_413_payload_too_large_is_rejected() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(413, "PayloadTooLarge"));

    let error = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();

    assert!(matches!(error, PushError::Rejected(_)), "{error:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_retryable_after_that_many_seconds() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(Answer {
        status: 429,
        reason: "TooManyRequests",
        retry_after: Some("12"),
    });

    let error = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();

    assert!(
        matches!(
            error,
            PushError::Retryable {
                retry_after_secs: Some(12),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_500_and_a_503_are_retryable() {
    let m = given_an_mdm_pusher().await;
    m.fake.answer_next(answer(500, "InternalServerError"));
    m.fake.answer_next(answer(503, "ServiceUnavailable"));

    let first = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();
    let second = m.pusher.wake(&ios(Some(MAGIC))).await.unwrap_err();

    assert!(first.is_retryable(), "{first:?}");
    assert!(second.is_retryable(), "{second:?}");
}

#[tokio::test]
async fn a_malformed_device_token_never_reaches_apple() {
    let m = given_an_mdm_pusher().await;

    for token in ["short", &"zz".repeat(32), &format!("{}/x", "a".repeat(64))] {
        let target = PushTarget {
            token: token.to_owned(),
            ..ios(Some(MAGIC))
        };
        assert_eq!(
            m.pusher.wake(&target).await.unwrap_err(),
            PushError::InvalidToken
        );
    }
    assert!(m.fake.pushes().is_empty());
}
