//! The wake Lambda function: consumes the wake queue (SQS) with partial batch failures, calling
//! the same consumer the local worker calls.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{LambdaEvent, service_fn};
use mdm_app::lambda::to_deliveries;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let svc = svc.clone();
        async move {
            let deliveries = to_deliveries(event.payload.records.into_iter().map(|r| {
                (
                    r.message_id,
                    r.body,
                    r.attributes.get("ApproximateReceiveCount").cloned(),
                )
            }));
            let failed = mdm_app::worker::handle_batch(&svc, &deliveries).await;
            let mut response = SqsBatchResponse::default();
            response.batch_item_failures = failed
                .into_iter()
                .map(|id| {
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    f
                })
                .collect();
            Ok::<_, lambda_runtime::Error>(response)
        }
    }))
    .await
}
