//! The `Queue` port: an SQS-shaped work queue (the system's event loop) with at-least-once
//! delivery, visibility timeout, a retry limit and a dead-letter list.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::QueueError;

/// SQS accepts at most ten messages per send or receive request; adapters split larger sends.
pub const MAX_BATCH: usize = 10;

/// The longest delay of `send_delayed` (SQS's DelaySeconds maximum).
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// The port's rule for `receive`'s `max`, shared by every adapter: 1 to `MAX_BATCH`.
pub fn check_receive_max(max: usize) -> Result<(), QueueError> {
    if (1..=MAX_BATCH).contains(&max) {
        Ok(())
    } else {
        Err(QueueError::Invalid(format!(
            "a receive asks for 1 to {MAX_BATCH} messages, not {max}"
        )))
    }
}

/// One received message. `receipt` identifies this delivery: a later delivery of the same
/// message has a new receipt, and the old one stops working on the embedded queue (SQS may still
/// honour it; handling is idempotent, so nothing relies on either).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    /// How many times the message has been received, this delivery included.
    pub receive_count: u32,
}

/// A message that exhausted its retries.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    pub receive_count: u32,
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues the bodies durably (in requests of at most `MAX_BATCH`).
    async fn send_batch(&self, bodies: Vec<String>) -> Result<(), QueueError>;

    /// Enqueues one body durably that becomes visible only after `delay` (at most 15 minutes,
    /// SQS's DelaySeconds bound; longer delays are cut to it). How webhook retries back off
    /// without holding a consumer or depending on the queue's own receive count.
    async fn send_delayed(&self, body: String, delay: Duration) -> Result<(), QueueError>;

    /// Receives up to `max` visible messages and hides them for `visibility`. Waits up to `wait`
    /// for a message to arrive when none is visible (long polling).
    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError>;

    /// Deletes a message that was handled.
    async fn ack(&self, receipt: &str) -> Result<(), QueueError>;

    /// Makes a message visible again after `delay` (zero: at once), counting as a failed try.
    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError>;

    /// Messages moved to the dead-letter list after exceeding the retry limit.
    async fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError>;
}
