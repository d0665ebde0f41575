//! The local push sink: what it records, where it may forward a wake, and how webhook answers
//! map to push errors.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use mdm_ports::error::PushError;
use mdm_ports::ids::Platform;
use mdm_ports::{PushTarget, Pusher};
use mdm_push::LocalPusher;
use serde_json::Value;

fn target(device: &str, token: &str) -> PushTarget {
    PushTarget {
        tenant: "t1".into(),
        device: device.into(),
        platform: Platform::Android,
        token: token.into(),
        push_magic: None,
    }
}

/// A device simulator on loopback that records the wakes it is sent and answers `status`.
async fn simulator(status: StatusCode) -> (String, Arc<Mutex<Vec<Value>>>) {
    let wakes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&wakes);
    let app = Router::new().route(
        "/wake",
        post(move |Json(body): Json<Value>| async move {
            seen.lock().unwrap().push(body);
            status
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{port}/wake"), wakes)
}

#[tokio::test]
async fn a_sink_token_is_recorded_and_answered_with_a_local_message_id() {
    let pusher = LocalPusher::new();
    let first = pusher.wake(&target("d1", "sink:d1")).await.unwrap();
    let second = pusher.wake(&target("d2", "sink:")).await.unwrap();
    assert_eq!(
        (first.message_id.as_str(), second.message_id.as_str()),
        ("local-1", "local-2")
    );
    assert_eq!(
        pusher.sent(),
        [target("d1", "sink:d1"), target("d2", "sink:")]
    );
}

#[tokio::test]
async fn a_loopback_webhook_receives_a_content_free_wake() {
    let (url, wakes) = simulator(StatusCode::NO_CONTENT).await;
    let pusher = LocalPusher::new();
    let receipt = pusher.wake(&target("d1", &url)).await.unwrap();
    assert!(receipt.message_id.starts_with("local-"));
    assert_eq!(
        *wakes.lock().unwrap(),
        [serde_json::json!({"wake": true, "device": "d1"})]
    );
    assert_eq!(pusher.sent().len(), 1);
    let localhost = url.replace("127.0.0.1", "localhost");
    pusher.wake(&target("d2", &localhost)).await.unwrap();
    assert_eq!(wakes.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_webhook_that_is_gone_makes_the_token_invalid() {
    for status in [StatusCode::NOT_FOUND, StatusCode::GONE] {
        let (url, _) = simulator(status).await;
        let result = LocalPusher::new().wake(&target("d1", &url)).await;
        assert_eq!(result, Err(PushError::InvalidToken), "{status}");
    }
}

#[tokio::test]
async fn a_failing_or_unreachable_webhook_is_retryable() {
    let (url, _) = simulator(StatusCode::SERVICE_UNAVAILABLE).await;
    let pusher = LocalPusher::new();
    assert!(
        pusher
            .wake(&target("d1", &url))
            .await
            .unwrap_err()
            .is_retryable()
    );
    // A port nobody listens on (bound, then released)
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let refused = pusher
        .wake(&target("d1", &format!("http://127.0.0.1:{port}/wake")))
        .await;
    assert!(
        matches!(refused, Err(PushError::Retryable { .. })),
        "{refused:?}"
    );
    assert!(
        pusher.sent().is_empty(),
        "failed wakes are not recorded as sent"
    );
}

#[tokio::test]
async fn tokens_that_are_neither_sinks_nor_loopback_webhooks_are_rejected() {
    let pusher = LocalPusher::new();
    for token in [
        "http://example.com/wake",
        "http://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/wake",
        "http://127.0.0.1.nip.io/wake",
        "fcm:abcdef",
        "",
    ] {
        let result = pusher.wake(&target("d1", token)).await;
        assert!(
            matches!(result, Err(PushError::Rejected(_))),
            "{token}: {result:?}"
        );
    }
    assert!(pusher.sent().is_empty());
}
