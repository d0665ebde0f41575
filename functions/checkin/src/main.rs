//! The checkin Lambda function: serves POST /v1/device/checkin and GET /v1/device/commands: the device's idle path and its pull.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_http::run(mdm_http::function_router(mdm_http::Function::Checkin, svc)).await
}
