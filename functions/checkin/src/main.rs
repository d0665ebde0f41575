//! The checkin Lambda function: serves POST /v1/device/checkin, GET /v1/device/commands and
//! PUT /v1/device/inventory (the agent's idle path, pull and inventory), and Apple's check-in and
//! command endpoints, with the client certificate of API Gateway's mutual TLS when there is one.

mod mutual_tls;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let svc = mdm_app::lambda::init().await?;
    let router = mdm_http::function_router(mdm_http::Function::Checkin, svc);
    lambda_http::run(mutual_tls::with_client_certificates(router)).await
}
