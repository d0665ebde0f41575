//! The sweep Lambda function: run by an EventBridge schedule, it queues an evaluation for each
//! device whose compliance deadline passed and fires the push certificate expiry warnings that
//! are due (the same sweep the local process runs on a timer).

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let svc = svc.clone();
        async move {
            // A failed sweep fails the invocation (visible in metrics); the next one retries.
            let swept = mdm_core::usecases::posture::compliance_sweep::sweep(&svc).await?;
            tracing::info!(
                slots = swept.slots,
                devices = swept.devices,
                certificate_warnings = swept.certificate_warnings,
                "compliance sweep"
            );
            Ok::<_, lambda_runtime::Error>(serde_json::json!(swept))
        }
    }))
    .await
}
