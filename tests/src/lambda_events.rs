//! The Lambda handlers driven by real API Gateway (HTTP API, payload 2.0) and SQS events from
//! infra/events, written once and run on every backend: proves the events deserialize, route and
//! answer the way API Gateway and the SQS event source expect, without the Lambda runtime.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use crate::stack::TEST_SECRET;
use aws_lambda_events::event::sqs::SqsEvent;
use axum::Router;
use axum::http::StatusCode;
use base64::Engine;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent};
use mdm_app::App;
use mdm_auth::{DevClaims, mint_hs256};
use mdm_core::Services;
use mdm_core::domain::{Role, TenantId};
use mdm_http::{Function, function_router};
use serde_json::{Value, json};
use tower::ServiceExt;

const TENANT: &str = "acme";

/// What a function returned, as API Gateway reads it.
struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

/// A fixture with its `{{NAME}}` placeholders filled in, and its content-length made true to
/// the filled-in body, as API Gateway would have sent it.
fn fixture(name: &str, vars: &[(&str, &str)]) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../infra/events")
        .join(name);
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    for (key, value) in vars {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(
        !text.contains("{{"),
        "{name} still has a placeholder after substitution"
    );
    let mut event: Value = serde_json::from_str(&text).expect("fixture is JSON");
    if let Some(body) = event["body"].as_str() {
        // A base64 body (API Gateway's for content that is not text) counts decoded.
        let len = if event["isBase64Encoded"] == true {
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .expect("a base64 body")
                .len()
        } else {
            body.len()
        };
        event["headers"]["content-length"] = json!(len.to_string());
    }
    event.to_string()
}

/// Replaces the body of an HTTP event (for the bad-request cases).
fn with_body(event: &str, body: &Value) -> String {
    let mut event: Value = serde_json::from_str(event).expect("event is JSON");
    let body = body.to_string();
    event["headers"]["content-length"] = json!(body.len().to_string());
    event["body"] = json!(body);
    event.to_string()
}

/// Invokes `router` the way `lambda_http::run` does: the runtime's JSON payload deserialized as
/// a `LambdaRequest`, passed through lambda_http's `Adapter` (event → http::Request → router →
/// API Gateway response), and the response serialized as the runtime would send it back.
async fn invoke(router: Router, event: &str) -> Reply {
    let request: LambdaRequest = serde_json::from_slice(event.as_bytes()).expect("a Lambda event");
    assert!(
        matches!(request, LambdaRequest::ApiGatewayV2(_)),
        "the fixture must read as an HTTP API (payload 2.0) event"
    );
    let response = Adapter::from(router)
        .oneshot(LambdaEvent::new(request, Context::default()))
        .await
        .unwrap_or_else(|never: Infallible| match never {});
    let wire = serde_json::to_value(&response).expect("the response serializes");
    assert_eq!(
        wire["isBase64Encoded"], false,
        "JSON bodies go back as text: {wire}"
    );
    let status = wire["statusCode"].as_u64().expect("statusCode") as u16;
    let content_type = wire["headers"]["content-type"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = match wire["body"].as_str() {
        Some(text) if !text.is_empty() => serde_json::from_str(text).expect("a JSON body"),
        _ => Value::Null,
    };
    Reply {
        status,
        content_type,
        body,
    }
}

// The routers as the functions' main() serve them. The checkin function wraps its router in a
// layer that turns API Gateway's mutual-TLS client certificate into an extension; it does nothing
// to events without one (these fixtures) and has its own tests in functions/checkin.
fn enroll_fn(svc: &Arc<Services>) -> Router {
    function_router(Function::Enroll, svc.clone())
}
fn checkin_fn(svc: &Arc<Services>) -> Router {
    function_router(Function::Checkin, svc.clone())
}
fn results_fn(svc: &Arc<Services>) -> Router {
    function_router(Function::Results, svc.clone())
}
fn commands_fn(svc: &Arc<Services>) -> Router {
    function_router(Function::Commands, svc.clone())
}

fn admin_token() -> String {
    mint_hs256(
        TEST_SECRET.as_bytes(),
        &DevClaims {
            iss: "mdm-dev".into(),
            aud: "mdm".into(),
            sub: format!("admin@{TENANT}"),
            tenant: TenantId::parse(TENANT).expect("valid tenant"),
            role: Role::Admin,
            ttl_secs: 600,
        },
    )
    .expect("mint an admin token")
}

/// An admin creates an enrollment token through the commands function; returns the token.
async fn create_enrollment_token(svc: &Arc<Services>) -> String {
    let admin = admin_token();
    let event = fixture("enrollment-tokens-create.json", &[("ADMIN_TOKEN", &admin)]);
    let reply = invoke(commands_fn(svc), &event).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["token"].as_str().expect("token").to_owned()
}

/// A device enrolls through the enroll function; returns (device id, credential).
async fn enroll(svc: &Arc<Services>, push_token: &str) -> (String, String) {
    let token = create_enrollment_token(svc).await;
    let event = fixture(
        "enroll.json",
        &[("ENROLLMENT_TOKEN", &token), ("PUSH_TOKEN", push_token)],
    );
    let reply = invoke(enroll_fn(svc), &event).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.content_type.starts_with("application/json"));
    (
        reply.body["device_id"]
            .as_str()
            .expect("device id")
            .to_owned(),
        reply.body["device_credential"]
            .as_str()
            .expect("credential")
            .to_owned(),
    )
}

/// An admin queues a lock through the commands function; returns the command id.
async fn queue_lock(svc: &Arc<Services>, device: &str) -> String {
    let admin = admin_token();
    let event = fixture(
        "device-command-queue.json",
        &[("ADMIN_TOKEN", &admin), ("DEVICE_ID", device)],
    );
    let reply = invoke(commands_fn(svc), &event).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().expect("command id").to_owned()
}

pub async fn an_enrolment_event_gets_201_and_a_device_credential(app: App) {
    let svc = app.services.clone();
    let (device, credential) = enroll(&svc, "sink:lambda-1").await;
    assert!(!device.is_empty());
    assert!(!credential.is_empty());
}

pub async fn a_device_checks_in_pulls_its_queued_command_and_reports_it_through_events(app: App) {
    let svc = app.services.clone();
    let (device, credential) = enroll(&svc, "sink:lambda-2").await;

    // Given an idle device, when it checks in, then nothing is pending.
    let checkin = fixture("device-checkin.json", &[("DEVICE_CREDENTIAL", &credential)]);
    let reply = invoke(checkin_fn(&svc), &checkin).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["pending_commands"], 0);

    // When an admin queues a lock, then the next check-in says so and the pull serves it.
    let command = queue_lock(&svc, &device).await;
    let reply = invoke(checkin_fn(&svc), &checkin).await;
    assert_eq!(reply.body["pending_commands"], 1, "{}", reply.body);
    let pull = fixture(
        "device-commands.json",
        &[("DEVICE_CREDENTIAL", &credential)],
    );
    let reply = invoke(checkin_fn(&svc), &pull).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let served = reply.body["commands"].as_array().expect("commands");
    assert_eq!(served.len(), 1, "{}", reply.body);
    assert_eq!(served[0]["id"], command.as_str());
    assert_eq!(served[0]["type"], "lock");

    // When the device reports it done (the command id comes as a path parameter), then the
    // command is acknowledged.
    let result = fixture(
        "device-command-result.json",
        &[("DEVICE_CREDENTIAL", &credential), ("COMMAND_ID", &command)],
    );
    let reply = invoke(results_fn(&svc), &result).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "acknowledged");

    // Then the admin's view of the device shows it locked with nothing pending.
    let admin = admin_token();
    let read = fixture(
        "device-get.json",
        &[("ADMIN_TOKEN", &admin), ("DEVICE_ID", &device)],
    );
    let reply = invoke(commands_fn(&svc), &read).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["id"], device.as_str());
    assert_eq!(reply.body["pending_commands"], 0);
    assert_eq!(reply.body["locked"], true);
    assert_eq!(reply.body["battery_level"], 87);
}

pub async fn bad_bodies_get_400_problem_json_with_their_stable_codes(app: App) {
    let svc = app.services.clone();
    let admin = admin_token();
    let create = fixture("enrollment-tokens-create.json", &[("ADMIN_TOKEN", &admin)]);

    let reply = invoke(
        commands_fn(&svc),
        &with_body(&create, &json!({"max_uses": 0})),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(reply.body["code"], "invalid_field");
    assert_eq!(reply.body["field"], "max_uses");

    let token = create_enrollment_token(&svc).await;
    let enrol = fixture(
        "enroll.json",
        &[("ENROLLMENT_TOKEN", &token), ("PUSH_TOKEN", "sink:x")],
    );
    let unknown_field = json!({"enrollment_token": token, "platform": "android", "colour": "red"});
    let reply = invoke(enroll_fn(&svc), &with_body(&enrol, &unknown_field)).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(reply.body["code"], "invalid_request");
}

pub async fn a_tenant_event_without_a_token_is_refused_as_unauthenticated(app: App) {
    let svc = app.services.clone();
    let mut event: Value = serde_json::from_str(&fixture(
        "enrollment-tokens-create.json",
        &[("ADMIN_TOKEN", "x")],
    ))
    .expect("JSON");
    event["headers"]
        .as_object_mut()
        .expect("headers")
        .remove("authorization");
    let reply = invoke(commands_fn(&svc), &event.to_string()).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.body["code"], "unauthenticated");
}

pub async fn an_event_for_a_route_of_another_function_is_not_found_there(app: App) {
    let svc = app.services.clone();
    let checkin = fixture("device-checkin.json", &[("DEVICE_CREDENTIAL", "whatever")]);
    let reply = invoke(enroll_fn(&svc), &checkin).await;
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND.as_u16(),
        "{}",
        reply.body
    );
    assert_eq!(reply.body["code"], "route_not_found");
}

/// Each function's router answers the operations the document assigns to it
/// (`x-lambda-function`) and none of the others', as API Gateway's routes assume.
pub async fn each_function_serves_exactly_the_operations_documented_for_it(app: App) {
    let svc = app.services.clone();
    let doc = mdm_http::openapi::document();
    for f in Function::ALL {
        for (template, item) in doc["paths"].as_object().expect("paths") {
            let path = template
                .replace("{platform}", "android")
                .replace(['{', '}'], "");
            for (method, op) in item.as_object().expect("path item") {
                let request = axum::http::Request::builder()
                    .method(method.to_ascii_uppercase().as_str())
                    .uri(&path)
                    .body(axum::body::Body::empty())
                    .expect("request");
                let res = function_router(f, svc.clone())
                    .oneshot(request)
                    .await
                    .expect("infallible");
                let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
                    .await
                    .expect("body");
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let code = body["code"].as_str().unwrap_or_default();
                let unrouted = code == "route_not_found" || code == "method_not_allowed";
                let mine = op["x-lambda-function"] == f.name();
                assert_eq!(
                    unrouted,
                    !mine,
                    "{method} {template} on the {} function: {body}",
                    f.name()
                );
            }
        }
    }
}

/// GET /v1/devices/{device_id}/commands/{command_id}: the device read event with this route's
/// path, route key and path parameters.
fn read_command_event(device: &str, command: &str) -> String {
    let admin = admin_token();
    let mut event: Value = serde_json::from_str(&fixture(
        "device-get.json",
        &[("ADMIN_TOKEN", &admin), ("DEVICE_ID", device)],
    ))
    .expect("JSON");
    let path = format!("/v1/devices/{device}/commands/{command}");
    let route = "GET /v1/devices/{device_id}/commands/{command_id}";
    event["rawPath"] = json!(path);
    event["routeKey"] = json!(route);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["routeKey"] = json!(route);
    event["pathParameters"] = json!({"device_id": device, "command_id": command});
    event.to_string()
}

/// A loopback webhook that answers every wake with 503, which the local push sink maps to a
/// retryable push failure (as FCM or APNs being unavailable would be).
async fn unavailable_webhook() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}/wake", listener.local_addr().expect("addr"));
    let app = Router::new().route(
        "/wake",
        axum::routing::post(|| async { StatusCode::SERVICE_UNAVAILABLE }),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

pub async fn a_wake_batch_acknowledges_a_malformed_message_and_returns_only_the_failed_push_for_retry(
    app: App,
) {
    let local = app;
    let svc = local.services.clone();
    let (webhook, server) = unavailable_webhook().await;
    let (good_device, _) = enroll(&svc, "sink:lambda-good").await;
    let (failing_device, _) = enroll(&svc, &webhook).await;
    let good_command = queue_lock(&svc, &good_device).await;
    let failing_command = queue_lock(&svc, &failing_device).await;

    // Given a batch of a good message, a malformed one and one whose push fails retryably.
    let text = fixture(
        "sqs-wake-batch.json",
        &[
            ("TENANT", TENANT),
            ("GOOD_DEVICE_ID", &good_device),
            ("GOOD_COMMAND_ID", &good_command),
            ("FAILING_DEVICE_ID", &failing_device),
            ("FAILING_COMMAND_ID", &failing_command),
        ],
    );
    let event: SqsEvent = serde_json::from_str(&text).expect("an SQS event");
    let ids: Vec<String> = event
        .records
        .iter()
        .map(|r| r.message_id.clone().expect("message id"))
        .collect();

    // When the wake function handles it.
    let response = mdm_app::sqs_driver::handle_sqs_event(&svc, event).await;

    // Then only the failed push is handed back for redelivery: the malformed message is
    // acknowledged (a retry cannot make it parse) and so is the delivered wake.
    let failures: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failures, vec![ids[2].clone()]);
    let wire = serde_json::to_value(&response).expect("the response serializes");
    assert_eq!(
        wire,
        json!({"batchItemFailures": [{"itemIdentifier": ids[2]}]})
    );

    // And the good command was pushed while the failing one is still queued for a retry.
    let pushed: Vec<String> = local
        .pusher
        .as_ref()
        .expect("the embedded app has a push sink")
        .sent()
        .into_iter()
        .map(|t| t.device)
        .collect();
    assert_eq!(pushed, vec![good_device.clone()]);
    for (device, command, status) in [
        (&good_device, &good_command, "push_sent"),
        (&failing_device, &failing_command, "queued"),
    ] {
        let reply = invoke(commands_fn(&svc), &read_command_event(device, command)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], status, "{}", reply.body);
    }
    server.abort();
}

/// An Apple check-in as API Gateway passes it: a plist body (content API Gateway does not take
/// for text) base64-encoded, the tenant a path parameter, the signature in `Mdm-Signature`.
pub async fn an_apple_checkin_event_reaches_the_checkin_function_as_its_plist(app: App) {
    let svc = app.services.clone();
    let tenant = TenantId::parse(TENANT).expect("valid tenant");
    let signature = "bm90IGEgQ01TIHNpZ25hdHVyZQ==";
    let event = fixture("apple-checkin.json", &[("MDM_SIGNATURE", signature)]);

    // Given the event, lambda_http hands the router the decoded plist: Apple's Authenticate.
    let request: LambdaRequest = serde_json::from_str(&event).expect("a Lambda event");
    let request = lambda_http::Request::from(request);
    assert!(
        matches!(
            mdm_apple::checkin::parse(request.body().as_ref()),
            Ok(mdm_apple::checkin::CheckinMessage::Authenticate(_))
        ),
        "the body reaches the router as the plist it was"
    );

    // When the tenant has a device CA and the check-in carries a signature that is not one,
    // then the checkin function refuses it at the identity check: the route and the header
    // made it through.
    mdm_core::apple::ca::authority(&svc, &tenant)
        .await
        .expect("the tenant's CA");
    let reply = invoke(checkin_fn(&svc), &event).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(
        reply.body["code"], "apple_signature_invalid",
        "{}",
        reply.body
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("identity refused")),
        "{}",
        reply.body
    );

    // And another function does not serve the route.
    let reply = invoke(enroll_fn(&svc), &event).await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert_eq!(reply.body["code"], "route_not_found");
}

/// Calls `$m!` with every case, so each backend's test file runs the same list.
#[macro_export]
macro_rules! lambda_event_cases {
    ($m:ident) => {
        $m!(
            an_enrolment_event_gets_201_and_a_device_credential,
            a_device_checks_in_pulls_its_queued_command_and_reports_it_through_events,
            bad_bodies_get_400_problem_json_with_their_stable_codes,
            a_tenant_event_without_a_token_is_refused_as_unauthenticated,
            an_event_for_a_route_of_another_function_is_not_found_there,
            each_function_serves_exactly_the_operations_documented_for_it,
            a_wake_batch_acknowledges_a_malformed_message_and_returns_only_the_failed_push_for_retry,
            an_apple_checkin_event_reaches_the_checkin_function_as_its_plist,
        );
    };
}
