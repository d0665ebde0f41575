//! The wake Lambda function: consumes the wake queue (SQS) with partial batch failures, calling
//! the same consumer the local worker calls.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let svc = svc.clone();
        async move {
            Ok::<_, lambda_runtime::Error>(
                mdm_app::sqs_driver::handle_sqs_event(&svc, event.payload).await,
            )
        }
    }))
    .await
}
