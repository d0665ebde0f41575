//! Apple's MDM protocol over HTTP: the enrolment profile, SCEP, the check-in endpoint and the
//! command endpoint. Not JSON and not in the OpenAPI document (Apple defines these formats);
//! errors are problem+json all the same. Bodies are taken whatever their content type says, as
//! devices and clients differ there, and parsed strictly.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use mdm_core::Services;
use mdm_core::apple::identity::{AppleIdentity, Proof};
use mdm_core::apple::{checkin, endpoint, enrolment, scep};
use mdm_core::domain::{EnrollmentSecret, TenantId};

use crate::extract::ServerUrl;
use crate::guard::Edge;
use crate::path::IdPath;
use crate::problem::{ApiResult, Problem};
use crate::routes::Function;

type Svc = State<Arc<Services>>;

/// The TLS client certificate (DER) of the request, put in the request's extensions by a TLS
/// terminator doing mutual TLS (API Gateway's, read by the Lambda driver; or a local listener):
/// the alternative to the `Mdm-Signature` header.
#[derive(Debug, Clone)]
pub struct ClientCertificate(pub Vec<u8>);

/// Largest check-in message (Authenticate with a long DeviceName is well under 4 KiB).
pub const CHECKIN_BODY_LIMIT: usize = 64 * 1024;
/// Largest command answer: an InstalledApplicationList of a Mac with many apps.
pub const COMMAND_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest SCEP message: a CSR of a 4096-bit key, encrypted and signed, is about 4 KiB.
pub const SCEP_BODY_LIMIT: usize = 32 * 1024;

/// Every Apple route with the function serving it, for the deployment's checks (the SAM
/// template must route exactly these, besides the route table's).
pub const ROUTES: &[(Function, &str, &str)] = &[
    (Function::Enroll, "GET", "/apple/enroll/{token}"),
    (Function::Enroll, "GET", "/apple/{tenant}/scep"),
    (Function::Enroll, "POST", "/apple/{tenant}/scep"),
    (Function::Checkin, "PUT", "/apple/{tenant}/checkin"),
    (Function::Checkin, "PUT", "/apple/{tenant}/mdm"),
];

/// The routes of one Lambda function: enrolment and SCEP on `enroll`, the two device
/// endpoints on `checkin`. The edge's rate limits hold here too: a tenant's enrolment quota
/// for profiles and SCEP (before any key is used), each device's quota for its requests
/// (once its signature says which device it is).
pub fn router_for(function: Function, edge: &Arc<Edge>) -> Router<Arc<Services>> {
    let router = match function {
        Function::Enroll => Router::new()
            .route("/apple/enroll/{token}", get(profile))
            .route(
                "/apple/{tenant}/scep",
                get(scep_get)
                    .post(scep_post)
                    .layer(DefaultBodyLimit::max(SCEP_BODY_LIMIT)),
            ),
        Function::Checkin => Router::new()
            .route(
                "/apple/{tenant}/checkin",
                put(checkin_put).layer(DefaultBodyLimit::max(CHECKIN_BODY_LIMIT)),
            )
            .route(
                "/apple/{tenant}/mdm",
                put(command_put).layer(DefaultBodyLimit::max(COMMAND_BODY_LIMIT)),
            ),
        Function::Results | Function::Commands => Router::new(),
    };
    router.layer(Extension(edge.clone()))
}

/// The per-device quota, as the core's admission hook.
fn device_quota(edge: &Edge) -> impl Fn(&AppleIdentity) -> Result<(), mdm_core::Error> + Sync {
    |id: &AppleIdentity| edge.limiter.device(&id.credential(""))
}

fn with_type(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

async fn profile(
    State(svc): Svc,
    Extension(edge): Extension<Arc<Edge>>,
    IdPath(token): IdPath<EnrollmentSecret>,
    ServerUrl(server): ServerUrl,
) -> ApiResult<Response> {
    edge.limiter.enroll(&token.tenant)?;
    let server = server.ok_or_else(|| {
        Problem::from(mdm_core::Error::Invalid(
            "the Host header is needed to name this server in the profile".into(),
        ))
    })?;
    let body = enrolment::profile(&svc, &token.encode(), &server).await?;
    let mut res = with_type(body, "application/x-apple-aspen-config");
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"enrol.mobileconfig\""),
    );
    Ok(res)
}

/// GET with `operation`: GetCACaps, GetCACert, or PKIOperation with the message in `message`.
async fn scep_get(
    State(svc): Svc,
    Extension(edge): Extension<Arc<Edge>>,
    IdPath(t): IdPath<TenantId>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    edge.limiter.enroll(&t)?;
    match q.get("operation").map(String::as_str) {
        Some("GetCACaps") => Ok(with_type(
            scep::capabilities(&svc, &t).await?.into_bytes(),
            "text/plain",
        )),
        Some("GetCACert") => Ok(with_type(
            scep::ca_certificate(&svc, &t).await?,
            "application/x-x509-ca-cert",
        )),
        Some("PKIOperation") => {
            let message = q.get("message").ok_or_else(|| {
                Problem::from(mdm_core::Error::ScepRequestInvalid(
                    "PKIOperation by GET needs the message parameter".into(),
                ))
            })?;
            let der = mdm_pki::scep::decode_get_message(message)
                .map_err(|e| mdm_core::Error::ScepRequestInvalid(format!("message: {e}")))?;
            pki(&svc, &t, &der).await
        }
        _ => Err(unknown_operation()),
    }
}

/// POST PKIOperation: the message is the body (or, from some clients, the `message` parameter).
async fn scep_post(
    State(svc): Svc,
    Extension(edge): Extension<Arc<Edge>>,
    IdPath(t): IdPath<TenantId>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Response> {
    edge.limiter.enroll(&t)?;
    if q.get("operation").map(String::as_str) != Some("PKIOperation") {
        return Err(unknown_operation());
    }
    let der = match (body.is_empty(), q.get("message")) {
        (true, Some(m)) => mdm_pki::scep::decode_get_message(m)
            .map_err(|e| mdm_core::Error::ScepRequestInvalid(format!("message: {e}")))?,
        _ => body.to_vec(),
    };
    pki(&svc, &t, &der).await
}

async fn pki(svc: &Services, t: &TenantId, der: &[u8]) -> ApiResult<Response> {
    Ok(with_type(
        scep::pki_operation(svc, t, der).await?,
        "application/x-pki-message",
    ))
}

fn unknown_operation() -> Problem {
    mdm_core::Error::ScepRequestInvalid(
        "operation must be GetCACaps, GetCACert or PKIOperation".into(),
    )
    .into()
}

/// The identity proof of a device request: the TLS client certificate if a terminator passed
/// one, else the `Mdm-Signature` header.
fn proof<'a>(headers: &'a HeaderMap, cert: Option<&'a ClientCertificate>) -> Proof<'a> {
    if let Some(c) = cert {
        return Proof::ClientCertificate(&c.0);
    }
    match headers.get("mdm-signature").and_then(|v| v.to_str().ok()) {
        Some(s) => Proof::Signature(s),
        None => Proof::None,
    }
}

fn plist_answer(body: Option<Vec<u8>>) -> Response {
    match body {
        Some(b) => with_type(b, "application/xml"),
        None => StatusCode::OK.into_response(),
    }
}

/// The two device endpoints: the CheckInURL's messages and the ServerURL's command exchange.
#[derive(Clone, Copy)]
enum DeviceEndpoint {
    Checkin,
    Commands,
}

async fn device_put(
    endpoint: DeviceEndpoint,
    svc: &Services,
    edge: &Edge,
    t: &TenantId,
    cert: Option<&ClientCertificate>,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Response> {
    let quota = device_quota(edge);
    let proof = proof(headers, cert);
    let answer = match endpoint {
        DeviceEndpoint::Checkin => checkin::handle(svc, t, proof, body, &quota).await?,
        DeviceEndpoint::Commands => endpoint::handle(svc, t, proof, body, &quota).await?,
    };
    Ok(plist_answer(answer))
}

async fn checkin_put(
    State(svc): Svc,
    Extension(edge): Extension<Arc<Edge>>,
    IdPath(t): IdPath<TenantId>,
    cert: Option<Extension<ClientCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let cert = cert.map(|c| c.0);
    device_put(
        DeviceEndpoint::Checkin,
        &svc,
        &edge,
        &t,
        cert.as_ref(),
        &headers,
        &body,
    )
    .await
}

async fn command_put(
    State(svc): Svc,
    Extension(edge): Extension<Arc<Edge>>,
    IdPath(t): IdPath<TenantId>,
    cert: Option<Extension<ClientCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let cert = cert.map(|c| c.0);
    device_put(
        DeviceEndpoint::Commands,
        &svc,
        &edge,
        &t,
        cert.as_ref(),
        &headers,
        &body,
    )
    .await
}
