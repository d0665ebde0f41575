//! The wake function's handler as a library function, so tests drive the code Lambda runs with
//! real SQS events instead of a copy of it.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use mdm_core::Services;

use crate::lambda::to_deliveries;
use crate::worker;

/// Handles one SQS batch and names the records to retry. Everything else is deleted by the
/// event source mapping, including malformed messages, which are logged and dropped because no
/// retry can make them parse (the DLQ is kept for messages that failed for a reason that may
/// pass).
pub async fn handle_sqs_event(svc: &Services, event: SqsEvent) -> SqsBatchResponse {
    let deliveries = to_deliveries(event.records.into_iter().map(|r| {
        (
            r.message_id,
            r.body,
            r.attributes.get("ApproximateReceiveCount").cloned(),
        )
    }));
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
