//! FcmPusher against a fake FCM: the OAuth dance, the message it sends, and how each of FCM's
//! answers becomes a `PushError`.

use std::sync::Arc;

use crate::support::fcm_fake::{Answer, CLIENT_EMAIL, FakeFcm, KEY_ID, PROJECT};
use crate::support::keys;
use mdm_ports::error::PushError;
use mdm_ports::ids::Platform;
use mdm_ports::{Clock, ManualClock, PushTarget, Pusher, SystemClock};
use mdm_push::{FcmCredentials, FcmOptions, FcmPusher};
use serde_json::json;

struct Given {
    fake: Arc<FakeFcm>,
    pusher: FcmPusher,
    clock: Arc<ManualClock>,
}

async fn given_a_pusher_and_a_fake_fcm() -> Given {
    let key = keys::rsa_key();
    let fake = FakeFcm::start(key.public).await;
    let creds = FcmCredentials::from_json(
        &json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": KEY_ID,
            "private_key": key.private,
            "client_email": CLIENT_EMAIL,
            "client_id": "1234567890",
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string(),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::new(SystemClock.now_ms()));
    let pusher = FcmPusher::new(
        creds,
        FcmOptions {
            base_url: fake.base_url.clone(),
            token_uri: Some(fake.token_uri.clone()),
            clock: clock.clone(),
            ..FcmOptions::default()
        },
    )
    .unwrap();
    Given {
        fake,
        pusher,
        clock,
    }
}

fn android(token: &str) -> PushTarget {
    PushTarget {
        tenant: "acme".into(),
        device: "dev-1".into(),
        platform: Platform::Android,
        token: token.into(),
        push_magic: None,
    }
}

fn fcm_error(status: u16, code: &str, details: serde_json::Value) -> Answer {
    Answer {
        status,
        retry_after: None,
        body: json!({ "error": { "code": status, "message": "", "status": code, "details": details } }),
    }
}

fn fcm_error_code(status: u16, grpc_status: &str, error_code: &str) -> Answer {
    fcm_error(
        status,
        grpc_status,
        json!([{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code }]),
    )
}

#[tokio::test]
async fn a_wake_sends_a_content_free_high_priority_message_and_returns_its_name() {
    let g = given_a_pusher_and_a_fake_fcm().await;

    let receipt = g.pusher.wake(&android("fcm-token-1")).await.unwrap();

    assert_eq!(receipt.message_id, format!("projects/{PROJECT}/messages/1"));
    let sends = g.fake.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].0, "access-token-1");
    assert_eq!(
        sends[0].1,
        json!({ "message": {
            "token": "fcm-token-1",
            "data": { "mdm": "wake" },
            "android": { "priority": "HIGH", "ttl": "3600s", "collapse_key": "mdm-wake" },
        }})
    );
}

#[tokio::test]
async fn one_access_token_serves_several_wakes() {
    let g = given_a_pusher_and_a_fake_fcm().await;

    for _ in 0..3 {
        g.pusher.wake(&android("fcm-token-1")).await.unwrap();
    }

    assert_eq!(g.fake.token_fetches(), 1);
    assert_eq!(g.fake.sends().len(), 3);
}

#[tokio::test]
async fn concurrent_wakes_share_one_token_refresh() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    let target = android("fcm-token-1");

    let (a, b, c) = tokio::join!(
        g.pusher.wake(&target),
        g.pusher.wake(&target),
        g.pusher.wake(&target)
    );

    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(g.fake.token_fetches(), 1);
}

#[tokio::test]
async fn an_access_token_is_replaced_a_minute_before_it_expires() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.pusher.wake(&android("t")).await.unwrap();

    g.clock.advance_secs(3600 - 61);
    g.pusher.wake(&android("t")).await.unwrap();
    assert_eq!(g.fake.token_fetches(), 1, "still more than a minute left");

    g.clock.advance_secs(2);
    g.pusher.wake(&android("t")).await.unwrap();
    assert_eq!(g.fake.token_fetches(), 2);
    assert_eq!(g.fake.sends()[2].0, "access-token-2");
}

#[tokio::test]
async fn a_401_fetches_a_fresh_token_and_retries_once() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.pusher.wake(&android("t")).await.unwrap();
    g.fake.revoke_token();

    let receipt = g.pusher.wake(&android("t")).await.unwrap();

    assert_eq!(receipt.message_id, format!("projects/{PROJECT}/messages/3"));
    assert_eq!(g.fake.token_fetches(), 2);
    let bearers: Vec<_> = g.fake.sends().into_iter().map(|(b, _)| b).collect();
    assert_eq!(
        bearers,
        ["access-token-1", "access-token-1", "access-token-2"]
    );
}

#[tokio::test]
async fn a_401_with_a_fresh_token_too_is_rejected_without_a_third_try() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.pusher.wake(&android("t")).await.unwrap();
    g.fake.revoke_token();
    g.fake.answer_next_send(fcm_error_code(
        401,
        "UNAUTHENTICATED",
        "THIRD_PARTY_AUTH_ERROR",
    ));

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    // The revoked token met a 401, the fresh one the scripted 401: rejected, no third send.
    assert!(matches!(error, PushError::Rejected(_)), "{error:?}");
    assert_eq!(g.fake.sends().len(), 3);
}

#[tokio::test]
async fn a_400_about_the_message_is_rejected() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake.answer_next_send(fcm_error(
        400,
        "INVALID_ARGUMENT",
        json!([{ "@type": "type.googleapis.com/google.rpc.BadRequest",
                 "fieldViolations": [{ "field": "message.android.ttl", "description": "bad ttl" }] }]),
    ));

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    assert!(matches!(error, PushError::Rejected(_)), "{error:?}");
}

#[tokio::test]
async fn a_400_about_the_registration_token_marks_the_token_invalid() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    // FCM's documented answer to a malformed token.
    g.fake.answer_next_send(Answer {
        status: 400,
        retry_after: None,
        body: json!({ "error": { "code": 400,
            "message": "The registration token is not a valid FCM registration token",
            "status": "INVALID_ARGUMENT",
            "details": [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                          "errorCode": "INVALID_ARGUMENT" }] } }),
    });

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    assert_eq!(error, PushError::InvalidToken);
}

#[tokio::test]
async fn a_403_sender_id_mismatch_marks_the_token_invalid() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake.answer_next_send(fcm_error_code(
        403,
        "PERMISSION_DENIED",
        "SENDER_ID_MISMATCH",
    ));

    assert_eq!(
        g.pusher.wake(&android("t")).await.unwrap_err(),
        PushError::InvalidToken
    );
}

#[tokio::test]
async fn another_403_is_rejected() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake
        .answer_next_send(fcm_error(403, "PERMISSION_DENIED", json!([])));

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    assert!(matches!(error, PushError::Rejected(_)), "{error:?}");
}

#[tokio::test]
async fn a_404_unregistered_marks_the_token_invalid() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake
        .answer_next_send(fcm_error_code(404, "NOT_FOUND", "UNREGISTERED"));

    assert_eq!(
        g.pusher.wake(&android("t")).await.unwrap_err(),
        PushError::InvalidToken
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_retryable_after_that_many_seconds() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    let mut answer = fcm_error_code(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED");
    answer.retry_after = Some("7");
    g.fake.answer_next_send(answer);

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    assert!(
        matches!(
            error,
            PushError::Retryable {
                retry_after_secs: Some(7),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_500_and_a_503_are_retryable() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake
        .answer_next_send(fcm_error_code(500, "INTERNAL", "INTERNAL"));
    let mut unavailable = fcm_error_code(503, "UNAVAILABLE", "UNAVAILABLE");
    unavailable.retry_after = Some("30");
    g.fake.answer_next_send(unavailable);

    let first = g.pusher.wake(&android("t")).await.unwrap_err();
    let second = g.pusher.wake(&android("t")).await.unwrap_err();

    assert!(
        matches!(
            first,
            PushError::Retryable {
                retry_after_secs: None,
                ..
            }
        ),
        "{first:?}"
    );
    assert!(
        matches!(
            second,
            PushError::Retryable {
                retry_after_secs: Some(30),
                ..
            }
        ),
        "{second:?}"
    );
}

#[tokio::test]
async fn an_invalid_grant_from_the_token_endpoint_is_rejected() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake.answer_next_token_request(Answer {
        status: 400,
        retry_after: None,
        body: json!({ "error": "invalid_grant", "error_description": "Invalid JWT Signature." }),
    });

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    assert!(
        matches!(error, PushError::Rejected(ref r) if r.contains("invalid_grant")),
        "{error:?}"
    );
    assert!(g.fake.sends().is_empty());
}

#[tokio::test]
async fn a_token_endpoint_outage_is_retryable() {
    let g = given_a_pusher_and_a_fake_fcm().await;
    g.fake.answer_next_token_request(Answer {
        status: 503,
        retry_after: Some("5"),
        body: json!({}),
    });

    let error = g.pusher.wake(&android("t")).await.unwrap_err();

    assert!(
        matches!(
            error,
            PushError::Retryable {
                retry_after_secs: Some(5),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_fcm_is_retryable() {
    let key = keys::rsa_key();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let creds = FcmCredentials {
        project_id: PROJECT.into(),
        client_email: CLIENT_EMAIL.into(),
        private_key_id: KEY_ID.into(),
        private_key: key.private,
        token_uri: "https://oauth2.googleapis.com/token".into(),
    };
    let pusher = FcmPusher::new(
        creds,
        FcmOptions {
            base_url: format!("http://127.0.0.1:{port}"),
            token_uri: Some(format!("http://127.0.0.1:{port}/token")),
            ..FcmOptions::default()
        },
    )
    .unwrap();

    let error = pusher.wake(&android("t")).await.unwrap_err();

    assert!(error.is_retryable(), "{error:?}");
}
