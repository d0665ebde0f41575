//! The wake function's handler as a library function, so tests drive the code Lambda runs with
//! real SQS events instead of a copy of it.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use mdm_core::Services;
use mdm_core::ports::Delivery;

use crate::worker;

/// An SQS record as the consumer's delivery. The event source mapping deletes and retries by
/// message id, so the id is the receipt too.
fn delivery(record: SqsMessage) -> Delivery {
    let message_id = record.message_id.unwrap_or_default();
    Delivery {
        receipt: message_id.clone(),
        message_id,
        body: record.body.unwrap_or_default(),
        receive_count: record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1),
    }
}

/// Handles one SQS batch and names the records to retry. Everything else is deleted by the
/// event source mapping, including malformed messages, which are logged and dropped because no
/// retry can make them parse (the DLQ is kept for messages that failed for a reason that may
/// pass).
pub async fn handle_sqs_event(svc: &Services, event: SqsEvent) -> SqsBatchResponse {
    let deliveries: Vec<Delivery> = event.records.into_iter().map(delivery).collect();
    let failed = worker::handle_batch(svc, &deliveries).await;
    // The struct is non-exhaustive: build it from its default.
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
