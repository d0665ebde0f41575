//! The results Lambda function: serves POST /v1/device/commands/{id}/result: devices report command results.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_http::run(mdm_http::function_router(mdm_http::Function::Results, svc)).await
}
