//! The `Queue` contract: at-least-once delivery with visibility timeout, fresh receipts,
//! release, redrive to dead letters, ordering, durability and long polling, written once for
//! every backend.
//!
//! Each case takes a fresh, empty queue built with `MAX_RECEIVES`, and the `Timeline` that
//! queue measures visibility on. Timeouts are a few seconds so that a queue on the wall clock
//! (SQS, whose timeouts are whole seconds kept by the server) runs the same cases quickly.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mdm_core::error::QueueError;
use mdm_core::ports::{Delivery, ManualClock, Queue};

/// The retry limit the queue under test must be configured with.
pub const MAX_RECEIVES: u32 = 3;

const VISIBILITY: Duration = Duration::from_secs(3);
/// Less than `VISIBILITY`: a message received this long ago is still hidden.
const WITHIN: u64 = 2;
/// Added to `WITHIN`, more than `VISIBILITY`: the timeout has passed, with a second to spare.
const BEYOND: u64 = 2;

/// How time passes for the queue under test.
#[derive(Clone)]
pub enum Timeline {
    /// The queue measures time on this clock, which the case advances (embedded queue).
    Manual(Arc<ManualClock>),
    /// The queue measures real time, so the case waits (SQS).
    Wall,
}

impl Timeline {
    pub async fn pass(&self, secs: u64) {
        self.pass_ms(secs * 1000).await;
    }

    pub async fn pass_ms(&self, ms: u64) {
        match self {
            Timeline::Manual(clock) => clock.advance_ms(ms as i64),
            Timeline::Wall => tokio::time::sleep(Duration::from_millis(ms)).await,
        }
    }
}
const NO_WAIT: Duration = Duration::ZERO;

fn bodies(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

async fn receive(queue: &dyn Queue, max: usize) -> Vec<Delivery> {
    queue
        .receive(max, VISIBILITY, NO_WAIT)
        .await
        .expect("a receive succeeds")
}

async fn receive_one(queue: &dyn Queue) -> Delivery {
    let mut got = receive(queue, 1).await;
    assert_eq!(got.len(), 1, "one message is visible");
    got.remove(0)
}

pub async fn a_sent_message_is_received_once_and_gone_once_acked(
    queue: Arc<dyn Queue>,
    time: Timeline,
) {
    // Given a sent message
    queue.send_batch(bodies(&["fan-out T#1"])).await.unwrap();
    // When it is received
    let delivery = receive_one(&*queue).await;
    // Then it carries its body and counts its first delivery, and is hidden from others
    assert_eq!(
        (delivery.body.as_str(), delivery.receive_count),
        ("fan-out T#1", 1)
    );
    assert!(receive(&*queue, 10).await.is_empty());
    // And once acked it never comes back
    queue.ack(&delivery.receipt).await.unwrap();
    time.pass(WITHIN + BEYOND).await;
    assert!(receive(&*queue, 10).await.is_empty());
}

pub async fn a_batch_of_25_bodies_is_received_in_full(queue: Arc<dyn Queue>, _time: Timeline) {
    let sent: Vec<String> = (0..25).map(|i| format!("job-{i}")).collect();
    queue.send_batch(sent.clone()).await.unwrap();
    let mut got = Vec::new();
    loop {
        let page = receive(&*queue, 10).await;
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        got.extend(page);
    }
    let received: BTreeSet<_> = got.iter().map(|d| d.body.clone()).collect();
    assert_eq!(got.len(), 25, "each message once");
    assert_eq!(received, sent.into_iter().collect());
    let ids: BTreeSet<_> = got.iter().map(|d| d.message_id.clone()).collect();
    assert_eq!(ids.len(), 25, "message ids are distinct");
}

pub async fn an_unacked_message_is_hidden_until_its_visibility_timeout_passes(
    queue: Arc<dyn Queue>,
    time: Timeline,
) {
    // Given a message received for 3 s and not acked
    queue.send_batch(bodies(&["m"])).await.unwrap();
    let first = receive_one(&*queue).await;
    // When 2 s pass, then it is still hidden
    time.pass(WITHIN).await;
    assert!(receive(&*queue, 10).await.is_empty());
    // When the timeout passes, then it is delivered again with a new receipt and count
    time.pass(BEYOND).await;
    let second = receive_one(&*queue).await;
    assert_eq!(second.message_id, first.message_id);
    assert_eq!(second.body, "m");
    assert_eq!(second.receive_count, 2);
    assert_ne!(second.receipt, first.receipt);
}

pub async fn a_stale_receipt_is_refused_after_redelivery(queue: Arc<dyn Queue>, time: Timeline) {
    queue.send_batch(bodies(&["m"])).await.unwrap();
    let first = receive_one(&*queue).await;
    time.pass(WITHIN + BEYOND).await;
    let second = receive_one(&*queue).await;
    // The first delivery's receipt no longer acks nor releases the message
    assert_eq!(
        queue.ack(&first.receipt).await,
        Err(QueueError::UnknownReceipt)
    );
    assert_eq!(
        queue.release(&first.receipt, NO_WAIT).await,
        Err(QueueError::UnknownReceipt)
    );
    // The current one does
    queue.ack(&second.receipt).await.unwrap();
    time.pass(WITHIN + BEYOND).await;
    assert!(receive(&*queue, 10).await.is_empty());
}

/// Holds on every backend; a stale receipt (above) is refused by the embedded queue only, as
/// SQS may still honour one.
pub async fn a_receipt_that_was_never_issued_is_refused(queue: Arc<dyn Queue>, _time: Timeline) {
    queue.send_batch(bodies(&["m"])).await.unwrap();
    let delivery = receive_one(&*queue).await;
    assert_eq!(
        queue.ack("not-a-receipt").await,
        Err(QueueError::UnknownReceipt)
    );
    assert_eq!(
        queue.release("not-a-receipt", NO_WAIT).await,
        Err(QueueError::UnknownReceipt)
    );
    queue.ack(&delivery.receipt).await.unwrap();
}

pub async fn a_released_message_is_visible_again_after_its_delay(
    queue: Arc<dyn Queue>,
    time: Timeline,
) {
    queue.send_batch(bodies(&["m"])).await.unwrap();
    // Released at once, it is received again straight away
    let first = receive_one(&*queue).await;
    queue.release(&first.receipt, NO_WAIT).await.unwrap();
    let second = receive_one(&*queue).await;
    assert_eq!(
        (second.message_id.as_str(), second.receive_count),
        (first.message_id.as_str(), 2)
    );
    // Released with a delay, it stays hidden until the delay passes
    queue.release(&second.receipt, VISIBILITY).await.unwrap();
    time.pass(WITHIN).await;
    assert!(receive(&*queue, 10).await.is_empty());
    time.pass(BEYOND).await;
    assert_eq!(receive_one(&*queue).await.receive_count, 3);
}

/// Given a body sent with a delay, it is not received before the delay passes, then once,
/// as a fresh message (a webhook retry's backoff).
pub async fn a_delayed_message_is_received_only_after_its_delay(
    queue: Arc<dyn Queue>,
    time: Timeline,
) {
    queue
        .send_delayed("later".to_owned(), VISIBILITY)
        .await
        .unwrap();
    time.pass(WITHIN).await;
    assert!(receive(&*queue, 10).await.is_empty());
    time.pass(BEYOND).await;
    let d = receive_one(&*queue).await;
    assert_eq!((d.body.as_str(), d.receive_count), ("later", 1));
    queue.ack(&d.receipt).await.unwrap();
}

pub async fn a_message_received_more_than_max_receives_times_becomes_a_dead_letter(
    queue: Arc<dyn Queue>,
    _time: Timeline,
) {
    // Given a message that failed every one of its allowed deliveries
    queue.send_batch(bodies(&["poison"])).await.unwrap();
    for attempt in 1..=MAX_RECEIVES {
        let delivery = receive_one(&*queue).await;
        assert_eq!(delivery.receive_count, attempt);
        queue.release(&delivery.receipt, NO_WAIT).await.unwrap();
    }
    // When it would be received once more than allowed, then it is not delivered
    assert!(receive(&*queue, 10).await.is_empty());
    // But kept as a dead letter with its body and the deliveries it had
    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].body.as_str(), dead[0].receive_count),
        ("poison", MAX_RECEIVES)
    );
    // And the queue goes on delivering other messages
    queue.send_batch(bodies(&["fine"])).await.unwrap();
    assert_eq!(receive_one(&*queue).await.body, "fine");
    assert_eq!(queue.dead_letters(10).await.unwrap().len(), 1);
}

pub async fn messages_are_received_oldest_first(queue: Arc<dyn Queue>, time: Timeline) {
    for name in ["first", "second", "third"] {
        queue.send_batch(bodies(&[name])).await.unwrap();
        time.pass_ms(1).await;
    }
    queue
        .send_batch(bodies(&["fourth", "fifth"]))
        .await
        .unwrap();
    let order: Vec<_> = receive(&*queue, 10)
        .await
        .into_iter()
        .map(|d| d.body)
        .collect();
    assert_eq!(order, ["first", "second", "third", "fourth", "fifth"]);
}

pub async fn a_receive_asks_for_one_to_ten_messages(queue: Arc<dyn Queue>, _time: Timeline) {
    for max in [0, 11] {
        let result = queue.receive(max, VISIBILITY, NO_WAIT).await;
        assert!(
            matches!(result, Err(QueueError::Invalid(_))),
            "max {max}: {result:?}"
        );
    }
}

pub async fn a_long_poll_wakes_when_a_message_is_sent(queue: Arc<dyn Queue>, _time: Timeline) {
    // Given a consumer waiting up to 10 s on an empty queue
    let consumer = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move { queue.receive(10, VISIBILITY, Duration::from_secs(10)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // When a message is sent, then the waiting consumer gets it
    queue.send_batch(bodies(&["wake"])).await.unwrap();
    let got = consumer.await.expect("the consumer ran").unwrap();
    assert_eq!(
        got.into_iter().map(|d| d.body).collect::<Vec<_>>(),
        ["wake"]
    );
}

pub async fn a_long_poll_on_an_empty_queue_returns_nothing_after_the_wait(
    queue: Arc<dyn Queue>,
    _time: Timeline,
) {
    let got = queue
        .receive(10, VISIBILITY, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(got.is_empty());
}

/// `open` returns a new handle on the same stored queue, measuring time on `time`; the
/// previous handle is dropped first.
pub async fn an_unacked_message_is_redelivered_after_a_restart<F, Fut>(open: F, time: Timeline)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Queue>>,
{
    // Given two sent messages, one handled and acked, one received but never acked
    let (handled, lost) = {
        let queue = open().await;
        queue
            .send_batch(bodies(&["handled", "lost"]))
            .await
            .unwrap();
        let got = receive(&*queue, 10).await;
        assert_eq!(got.len(), 2);
        let (handled, lost) = if got[0].body == "handled" {
            (got[0].clone(), got[1].clone())
        } else {
            (got[1].clone(), got[0].clone())
        };
        queue.ack(&handled.receipt).await.unwrap();
        (handled, lost)
    };
    // When the process restarts and the visibility timeout passes
    let queue = open().await;
    time.pass(WITHIN + BEYOND).await;
    // Then only the unacked message is delivered again
    let again = receive(&*queue, 10).await;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(
        (again[0].message_id.as_str(), again[0].body.as_str()),
        (lost.message_id.as_str(), "lost")
    );
    assert_eq!(again[0].receive_count, 2);
    assert_ne!(again[0].message_id, handled.message_id);
}
