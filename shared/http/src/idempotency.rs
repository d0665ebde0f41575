//! Idempotency-Key at the HTTP edge: claims the key for this request (or replays, or refuses),
//! runs the handler, and keeps the response when it is deterministic. The rules themselves are
//! mdm-core's `usecases::idempotency`.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mdm_core::Services;
use mdm_core::domain::TenantId;
use mdm_core::usecases::tenancy::idempotency::{
    self, Begun, Claim, IdempotencyKey, StoredResponse, fingerprint,
};

use crate::problem::Problem;

pub const IDEMPOTENCY_REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");

/// Responses larger than this are not kept (ours are a few KiB at most); the key is released.
const MAX_STORED_BYTES: usize = 64 * 1024;

pub(crate) async fn run(
    svc: &Services,
    tenant: &TenantId,
    key: &IdempotencyKey,
    parts: Parts,
    body: Bytes,
    next: Next,
) -> Response {
    let fp = fingerprint(parts.method.as_str(), parts.uri.path(), &body);
    let owner = svc.ids.secret();
    let claim = match idempotency::begin(&*svc.table, svc.now(), &owner, tenant, key, &fp).await {
        Ok(Begun::Run(claim)) => claim,
        Ok(Begun::Replay(stored)) => return replay(stored),
        Err(e) => return Problem::from(e).into_response(),
    };
    let res = next.run(Request::from_parts(parts, Body::from(body))).await;
    if !worth_keeping(res.status()) {
        release(svc, &claim).await;
        return res;
    }
    let (res_parts, res_body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(res_body, MAX_STORED_BYTES).await else {
        release(svc, &claim).await;
        return Problem::from(mdm_core::Error::Internal(
            "response too large to keep".into(),
        ))
        .into_response();
    };
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => {
            let stored = StoredResponse {
                status: res_parts.status.as_u16(),
                content_type: res_parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("application/json")
                    .to_owned(),
                body: text,
            };
            // The effect happened: if its response cannot be kept, the key stays pending until
            // its lease passes rather than letting an immediate retry act twice.
            if let Err(e) = idempotency::complete(&*svc.table, &claim, &stored).await {
                tracing::warn!(error = %e, "idempotent response not kept");
            }
        }
        Err(_) => release(svc, &claim).await,
    }
    Response::from_parts(res_parts, Body::from(bytes))
}

/// Successes and the client's own mistakes are answered the same way next time; failures that
/// a retry may cure (auth, conflicts, limits, server errors) are not kept, so the retry runs.
fn worth_keeping(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && ![
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                StatusCode::REQUEST_TIMEOUT,
                StatusCode::CONFLICT,
                StatusCode::TOO_MANY_REQUESTS,
            ]
            .contains(&status))
}

async fn release(svc: &Services, claim: &Claim) {
    if let Err(e) = idempotency::release(&*svc.table, claim).await {
        // Harmless but slow for the client: its retry waits for the lease to pass.
        tracing::warn!(error = %e, "idempotency key not released");
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut res = (status, stored.body).into_response();
    let headers = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(&stored.content_type) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    headers.insert(IDEMPOTENCY_REPLAYED, HeaderValue::from_static("true"));
    res
}
