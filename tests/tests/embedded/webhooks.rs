//! Webhook delivery driven message by message on an injected clock (embedded backend): a
//! redelivered message sends nothing twice, the backoff holds each retry back exactly as long
//! as the schedule says, and an endpoint disabled after an event was queued gets nothing.

use std::time::Duration;

use mdm_core::domain::{TenantId, WebhookId};
use mdm_core::ports::Delivery;
use mdm_core::usecases::Page;
use mdm_core::usecases::consumer::{self, Outcome};
use mdm_core::usecases::integrations::events::{self, Event, EventKind};
use mdm_core::usecases::integrations::webhooks::{self, DeliveryState};
use mdm_tests::flow::webhooks::Receiver;
use serde_json::json;

const VISIBILITY: Duration = Duration::from_secs(30);

async fn register(app: &mdm_app::App, url: &str) -> WebhookId {
    let admin = mdm_tests::direct::admin_of("acme");
    let req = serde_json::from_value(json!({"url": url, "events": ["sim.changed"]})).unwrap();
    let created = webhooks::create(&app.services, &admin, req).await.unwrap();
    WebhookId::parse(&created.webhook.id).unwrap()
}

async fn publish(app: &mdm_app::App) {
    let event = Event::new(
        EventKind::SimChanged,
        None,
        json!({"imsi": "001010123456789"}),
    );
    events::publish(&app.services, &TenantId::parse("acme").unwrap(), event).await;
}

/// The visible messages now (and takes them: each is acked by the caller or left to lapse).
async fn take(app: &mdm_app::App) -> Vec<Delivery> {
    app.wake_queue
        .receive(10, VISIBILITY, Duration::ZERO)
        .await
        .unwrap()
}

async fn deliveries(app: &mdm_app::App, hook: &WebhookId) -> Vec<webhooks::DeliveryView> {
    let admin = mdm_tests::direct::admin_of("acme");
    webhooks::deliveries(&app.services, &admin, hook, Page::new(None, 10))
        .await
        .unwrap()
        .items
}

/// Given a delivered event, when its message is delivered again (at-least-once queues do
/// that), then the receiver is not called again and the record still says one attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_message_of_a_delivered_event_is_not_sent_again() {
    let (app, _clock) = mdm_tests::direct::app_on_clock(1_800_000_000_000);
    let rx = Receiver::start(0).await;
    let hook = register(&app, &rx.url).await;
    publish(&app).await;
    let batch = take(&app).await;
    assert_eq!(batch.len(), 1);
    for _ in 0..3 {
        assert_eq!(
            consumer::handle(&app.services, &batch[0].body).await,
            Outcome::Done
        );
    }
    assert_eq!(rx.received().len(), 1);
    let listed = deliveries(&app, &hook).await;
    assert_eq!(
        (listed.len(), listed[0].attempts, listed[0].state),
        (1, 1, DeliveryState::Delivered)
    );
}

/// Given a receiver that fails, when its event is handled, then the retry is held back for the
/// backoff (1 s, then 2 s in the test settings) on the injected clock, no sooner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_retry_waits_out_its_backoff_on_the_clock() {
    let (app, clock) = mdm_tests::direct::app_on_clock(1_800_000_000_000);
    let rx = Receiver::start(usize::MAX).await;
    let hook = register(&app, &rx.url).await;
    publish(&app).await;
    for (attempt, backoff_ms) in [(1u32, 1_000i64), (2, 2_000)] {
        let batch = take(&app).await;
        assert_eq!(batch.len(), 1, "attempt {attempt}");
        assert!(batch[0].body.contains(&format!("\"attempt\":{attempt}")));
        assert_eq!(
            consumer::handle(&app.services, &batch[0].body).await,
            Outcome::Done
        );
        app.wake_queue.ack(&batch[0].receipt).await.unwrap();
        let listed = deliveries(&app, &hook).await;
        assert_eq!(
            (
                listed[0].attempts,
                listed[0].state,
                listed[0].last_status_code
            ),
            (attempt, DeliveryState::Retrying, Some(500))
        );
        clock.advance_ms(backoff_ms - 1);
        assert!(
            take(&app).await.is_empty(),
            "too early after attempt {attempt}"
        );
        clock.advance_ms(1);
    }
    assert_eq!(rx.received().len(), 2);
}

/// Given an event queued for an endpoint, when an admin disables the endpoint before the
/// delivery runs, then nothing is sent and the delivery is recorded dead, unattempted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_disabled_after_its_event_was_queued_gets_nothing() {
    let (app, _clock) = mdm_tests::direct::app_on_clock(1_800_000_000_000);
    let rx = Receiver::start(0).await;
    let hook = register(&app, &rx.url).await;
    publish(&app).await;
    let admin = mdm_tests::direct::admin_of("acme");
    let off = serde_json::from_value(json!({"enabled": false})).unwrap();
    webhooks::update(&app.services, &admin, &hook, off)
        .await
        .unwrap();
    let batch = take(&app).await;
    assert_eq!(
        consumer::handle(&app.services, &batch[0].body).await,
        Outcome::Done
    );
    assert!(rx.received().is_empty());
    let listed = deliveries(&app, &hook).await;
    assert_eq!(
        (
            listed[0].attempts,
            listed[0].state,
            listed[0].last_error.as_deref()
        ),
        (0, DeliveryState::Dead, Some("the endpoint is disabled"))
    );
    // And a publish now queues nothing for it.
    publish(&app).await;
    assert!(take(&app).await.is_empty());
}
