//! The commands Lambda function: serves the tenant API (enrollment tokens, devices, command queueing, audit).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_http::run(mdm_http::function_router(mdm_http::Function::Commands, svc)).await
}
