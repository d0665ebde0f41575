//! `EmbeddedQueue`: the `Queue` port as a durable outbox in the table's redb file, with SQS's
//! at-least-once semantics (visibility timeout, fresh receipt per delivery, redrive to a
//! dead-letter list) measured on the injected clock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mdm_ports::error::QueueError;
use mdm_ports::queue::check_receive_max;
use mdm_ports::{Clock, DeadLetter, Delivery, Queue};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::db::{DEAD, Db, READY, Tables};
use crate::failure::{Failure, refuse, settle, text};
use crate::writer::WriteFailed;

/// SQS's limits, enforced here too so that code tested locally also runs on SQS (the receive
/// limit is the port's `check_receive_max`).
const MAX_BODY_BYTES: usize = 256 * 1024;

/// How often a long poll looks again for messages whose visibility timeout ran out (nothing
/// signals those, unlike sends and releases).
const RECHECK: Duration = Duration::from_millis(250);

/// The counter that numbers messages across all queues of the file.
const SEQUENCE: &str = "queue_seq";

/// How a queue treats failing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// Deliveries before a message moves to the dead-letter list (SQS maxReceiveCount).
    pub max_receives: u32,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self { max_receives: 5 }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredMessage {
    body: String,
    receive_count: u32,
    /// Epoch ms from which the message may be received; also its position in `READY`.
    visible_at: i64,
    /// The receipt of the latest delivery; an older delivery's receipt no longer matches.
    receipt: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredDeadLetter {
    body: String,
    receive_count: u32,
}

type Outcome<T> = Result<T, Failure<QueueError>>;

/// One named queue in the embedded database. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedQueue {
    db: Arc<Db>,
    name: Arc<str>,
    config: QueueConfig,
    clock: Arc<dyn Clock>,
}

impl EmbeddedQueue {
    pub(crate) fn new(db: Arc<Db>, name: &str, config: QueueConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            name: name.into(),
            config,
            clock,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    async fn write<T, F>(&self, op: F) -> Result<T, QueueError>
    where
        F: FnOnce(&mut Tables<'_>) -> Outcome<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .writer
            .submit(move |tables| settle(op(tables)))
            .await
            .map_err(|WriteFailed(reason)| QueueError::Unavailable(reason))?
    }

    /// Whether a receive now would find anything, read without a write transaction, so an
    /// idle long poll costs no commit.
    fn anything_due(&self) -> Result<bool, QueueError> {
        let txn = self.db.read().map_err(unavailable)?;
        let ready = txn.open_table(READY).map_err(unavailable)?;
        let now = self.clock.now_ms();
        let mut due = ready
            .range::<(&str, i64, u64)>((&*self.name, i64::MIN, 0)..=(&*self.name, now, u64::MAX))
            .map_err(unavailable)?;
        Ok(due.next().is_some())
    }

    async fn receive_now(
        &self,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        let (name, clock, max_receives) = (
            Arc::clone(&self.name),
            Arc::clone(&self.clock),
            self.config.max_receives,
        );
        self.write(move |tables| {
            receive(tables, &name, clock.now_ms(), max, visibility, max_receives)
        })
        .await
    }
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(text(e))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn encode<T: Serialize>(value: &T) -> Outcome<Vec<u8>> {
    serde_json::to_vec(value).or_else(|e| refuse(QueueError::Invalid(e.to_string())))
}

fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Outcome<T> {
    serde_json::from_slice(bytes).or_else(|e| {
        refuse(QueueError::Unavailable(format!(
            "corrupt queue record: {e}"
        )))
    })
}

/// Stores the bodies, visible from `visible_at` (now, or later for a delayed send).
fn send(tables: &mut Tables<'_>, name: &str, visible_at: i64, bodies: &[String]) -> Outcome<()> {
    let mut seq = tables.counters.get(SEQUENCE)?.map_or(0, |v| v.value());
    for body in bodies {
        seq += 1;
        let message = StoredMessage {
            body: body.clone(),
            receive_count: 0,
            visible_at,
            receipt: None,
        };
        tables
            .messages
            .insert((name, seq), encode(&message)?.as_slice())?;
        tables.ready.insert((name, visible_at, seq), ())?;
    }
    tables.counters.insert(SEQUENCE, seq)?;
    Ok(())
}

/// Delivers the due messages in the order they became visible (send order for fresh ones),
/// moving those out of retries to the dead-letter list instead (SQS redrive).
fn receive(
    tables: &mut Tables<'_>,
    name: &str,
    now: i64,
    max: usize,
    visibility: Duration,
    max_receives: u32,
) -> Outcome<Vec<Delivery>> {
    let mut due = Vec::new();
    let mut deliverable = 0;
    for entry in tables
        .ready
        .range::<(&str, i64, u64)>((name, i64::MIN, 0)..=(name, now, u64::MAX))?
    {
        let (key, _) = entry?;
        let (_, visible_at, seq) = key.value();
        let Some(stored) = tables.messages.get((name, seq))? else {
            tracing::warn!(
                queue = name,
                seq,
                "dropping a queue index entry without its message"
            );
            due.push((visible_at, seq, None));
            continue;
        };
        let message: StoredMessage = decode(stored.value())?;
        deliverable += usize::from(message.receive_count < max_receives);
        due.push((visible_at, seq, Some(message)));
        if deliverable == max {
            break;
        }
    }
    let mut deliveries = Vec::with_capacity(deliverable);
    for (visible_at, seq, message) in due {
        tables.ready.remove((name, visible_at, seq))?;
        let Some(mut message) = message else { continue };
        if message.receive_count >= max_receives {
            let dead = StoredDeadLetter {
                body: message.body,
                receive_count: message.receive_count,
            };
            tables.messages.remove((name, seq))?;
            tables.dead.insert((name, seq), encode(&dead)?.as_slice())?;
            continue;
        }
        message.receive_count += 1;
        // Unique per delivery because the count only grows; the stored copy is what an ack
        // must match, so the previous delivery's receipt stops working here.
        let receipt = format!("{seq}:{}", message.receive_count);
        message.receipt = Some(receipt.clone());
        message.visible_at = now.saturating_add(millis(visibility));
        tables
            .messages
            .insert((name, seq), encode(&message)?.as_slice())?;
        tables.ready.insert((name, message.visible_at, seq), ())?;
        deliveries.push(Delivery {
            message_id: seq.to_string(),
            receipt,
            body: message.body,
            receive_count: message.receive_count,
        });
    }
    Ok(deliveries)
}

/// The message a receipt names, if that receipt is still its latest delivery's.
fn current(tables: &Tables<'_>, name: &str, receipt: &str) -> Outcome<(u64, StoredMessage)> {
    let Some(seq) = receipt
        .split_once(':')
        .and_then(|(seq, _)| seq.parse::<u64>().ok())
    else {
        return refuse(QueueError::UnknownReceipt);
    };
    let Some(stored) = tables.messages.get((name, seq))? else {
        return refuse(QueueError::UnknownReceipt);
    };
    let message: StoredMessage = decode(stored.value())?;
    if message.receipt.as_deref() != Some(receipt) {
        return refuse(QueueError::UnknownReceipt);
    }
    Ok((seq, message))
}

fn ack(tables: &mut Tables<'_>, name: &str, receipt: &str) -> Outcome<()> {
    let (seq, message) = current(tables, name, receipt)?;
    tables.ready.remove((name, message.visible_at, seq))?;
    tables.messages.remove((name, seq))?;
    Ok(())
}

fn release(tables: &mut Tables<'_>, name: &str, receipt: &str, visible_at: i64) -> Outcome<()> {
    let (seq, mut message) = current(tables, name, receipt)?;
    tables.ready.remove((name, message.visible_at, seq))?;
    message.visible_at = visible_at;
    tables
        .messages
        .insert((name, seq), encode(&message)?.as_slice())?;
    tables.ready.insert((name, visible_at, seq), ())?;
    Ok(())
}

#[async_trait]
impl Queue for EmbeddedQueue {
    async fn send_batch(&self, bodies: Vec<String>) -> Result<(), QueueError> {
        if bodies.is_empty() {
            return Ok(());
        }
        if let Some(body) = bodies
            .iter()
            .find(|b| b.is_empty() || b.len() > MAX_BODY_BYTES)
        {
            return Err(QueueError::Invalid(format!(
                "a message body takes 1 to {MAX_BODY_BYTES} bytes, not {}",
                body.len()
            )));
        }
        let (name, now) = (Arc::clone(&self.name), self.clock.now_ms());
        // All bodies in one commit: the embedded queue has no per-request cost to split for.
        self.write(move |tables| send(tables, &name, now, &bodies))
            .await?;
        self.db.arrivals.notify_waiters();
        Ok(())
    }

    async fn send_delayed(&self, body: String, delay: Duration) -> Result<(), QueueError> {
        if body.is_empty() || body.len() > MAX_BODY_BYTES {
            return Err(QueueError::Invalid(format!(
                "a message body takes 1 to {MAX_BODY_BYTES} bytes, not {}",
                body.len()
            )));
        }
        let delay = delay.min(mdm_ports::queue::MAX_DELAY);
        let name = Arc::clone(&self.name);
        let visible_at = self.clock.now_ms().saturating_add(millis(delay));
        self.write(move |tables| send(tables, &name, visible_at, &[body]))
            .await?;
        // A long poll rechecks for due messages on its own (RECHECK); an undelayed one is due now.
        if delay.is_zero() {
            self.db.arrivals.notify_waiters();
        }
        Ok(())
    }

    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        check_receive_max(max)?;
        let deadline = Instant::now() + wait;
        loop {
            // Registered before looking, so a send that lands between the look and the wait
            // still wakes this poll.
            let arrival = self.db.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            if self.anything_due()? {
                let deliveries = self.receive_now(max, visibility).await?;
                if !deliveries.is_empty() {
                    return Ok(deliveries);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let _ = tokio::time::timeout((deadline - now).min(RECHECK), arrival).await;
        }
    }

    async fn ack(&self, receipt: &str) -> Result<(), QueueError> {
        let (name, receipt) = (Arc::clone(&self.name), receipt.to_owned());
        self.write(move |tables| ack(tables, &name, &receipt)).await
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        let (name, receipt) = (Arc::clone(&self.name), receipt.to_owned());
        let visible_at = self.clock.now_ms().saturating_add(millis(delay));
        self.write(move |tables| release(tables, &name, &receipt, visible_at))
            .await?;
        if delay.is_zero() {
            self.db.arrivals.notify_waiters();
        }
        Ok(())
    }

    async fn dead_letters(&self, max: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let txn = self.db.read().map_err(unavailable)?;
        let dead = txn.open_table(DEAD).map_err(unavailable)?;
        let name = &*self.name;
        dead.range::<(&str, u64)>((name, 0)..=(name, u64::MAX))
            .map_err(unavailable)?
            .take(max)
            .map(|entry| {
                let (key, value) = entry.map_err(unavailable)?;
                let letter: StoredDeadLetter = serde_json::from_slice(value.value())
                    .map_err(|e| unavailable(format!("corrupt dead letter: {e}")))?;
                Ok(DeadLetter {
                    message_id: key.value().1.to_string(),
                    body: letter.body,
                    receive_count: letter.receive_count,
                })
            })
            .collect()
    }
}
