//! The local driver of the queue consumers: what the SQS event source mapping does on AWS. It
//! long-polls the embedded queue and hands each message to the same consumer function the
//! Lambda calls, deleting what succeeded and leaving failures for redelivery.

use std::sync::Arc;
use std::time::Duration;

use mdm_core::Services;
use mdm_core::ports::{Delivery, Queue};
use mdm_core::usecases::consumer::{self, Outcome};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long a received message stays hidden while it is handled (the consumer's timeout).
pub const VISIBILITY: Duration = Duration::from_secs(30);
const BATCH: usize = 10;

/// Handles one batch concurrently and returns the ids of the messages to retry (what a Lambda
/// reports as batchItemFailures).
pub async fn handle_batch(svc: &Services, batch: &[Delivery]) -> Vec<String> {
    let mut tasks = JoinSet::new();
    for d in batch {
        let (svc, id, body) = (svc.clone(), d.message_id.clone(), d.body.clone());
        tasks.spawn(async move {
            let outcome = consumer::handle(&svc, &body).await;
            (id, outcome)
        });
    }
    // Anything not known to have finished (a retry, or a panicked task) is retried.
    let mut finished = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((id, Outcome::Done)) => finished.push(id),
            Ok((id, Outcome::Dropped(reason))) => {
                tracing::error!(message = %id, %reason, "dropping a message that can never succeed");
                finished.push(id);
            }
            Ok((id, Outcome::Retry(reason))) => {
                tracing::warn!(message = %id, %reason, "message will be retried");
            }
            Err(e) => {
                tracing::error!(error = %e, "consumer task panicked; message will be retried")
            }
        }
    }
    batch
        .iter()
        .filter(|d| !finished.contains(&d.message_id))
        .map(|d| d.message_id.clone())
        .collect()
}

/// Receives, handles and settles one batch. Returns how many messages it received.
pub async fn drain_once(svc: &Services, queue: &dyn Queue, wait: Duration) -> usize {
    let batch = match queue.receive(BATCH, VISIBILITY, wait).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "queue receive failed");
            tokio::time::sleep(Duration::from_millis(200)).await;
            return 0;
        }
    };
    if batch.is_empty() {
        return 0;
    }
    let failed = handle_batch(svc, &batch).await;
    for d in &batch {
        let settled = if failed.contains(&d.message_id) {
            // Back off a little more on every try, as SQS redrive with a short visibility does.
            let delay = Duration::from_secs(u64::from(d.receive_count.min(6)).pow(2));
            queue.release(&d.receipt, delay).await
        } else {
            queue.ack(&d.receipt).await
        };
        if let Err(e) = settled {
            // The message reappears after its visibility timeout; handling is idempotent.
            tracing::warn!(error = %e, message = %d.message_id, "could not settle message");
        }
    }
    batch.len()
}

/// How often the local process runs the compliance sweep (the scheduled function's rate on
/// AWS is in infra/template.yaml).
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Runs the consumer, and the compliance sweep on its timer, until `stop` turns true. The sweep
/// runs between batches (a batch waits at most a second for messages), never by interrupting
/// one: a batch cut short would leave its messages hidden until their visibility timeout.
pub async fn run(svc: Arc<Services>, queue: Arc<dyn Queue>, mut stop: watch::Receiver<bool>) {
    let mut swept_at: Option<tokio::time::Instant> = None;
    loop {
        if swept_at.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            sweep_once(&svc).await;
            swept_at = Some(tokio::time::Instant::now());
        }
        tokio::select! {
            _ = stop.changed() => if *stop.borrow() { break },
            _ = drain_once(&svc, queue.as_ref(), Duration::from_secs(1)) => {}
        }
    }
}

/// One compliance sweep; a failure is logged and the next tick tries again.
pub async fn sweep_once(svc: &Services) {
    match mdm_core::usecases::posture::compliance_sweep::sweep(svc).await {
        Ok(swept) if swept.devices > 0 || swept.certificate_warnings > 0 => {
            tracing::info!(
                slots = swept.slots,
                devices = swept.devices,
                certificate_warnings = swept.certificate_warnings,
                "compliance sweep"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "compliance sweep failed; the next one retries"),
    }
}
