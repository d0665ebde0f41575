//! The enroll Lambda function: serves POST /v1/enroll: a device exchanges an enrollment token for its credential.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let svc = mdm_app::lambda::init().await?;
    lambda_http::run(mdm_http::function_router(mdm_http::Function::Enroll, svc)).await
}
