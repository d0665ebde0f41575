//! What runs in front of every handler, in this order: find out who calls (device credential,
//! verified JWT or the enrollment token's tenant), apply that caller's rate limit, refuse the
//! callers of a suspended tenant, then honour an Idempotency-Key where the route takes one.
//! Rate limits come first so that a limited request never reads or writes the store. (The
//! enrolment's tenant is admitted by the enrolment itself, which needs its limits too.)

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mdm_core::domain::{DeviceCredential, EnrollmentSecret, TenantId};
use mdm_core::usecases::tenancy::idempotency::IdempotencyKey;
use mdm_core::usecases::tenancy::tenants;
use mdm_core::{Error, Services};

use crate::extract::bearer;
use crate::idempotency;
use crate::problem::Problem;
use crate::rate_limit::Limiter;
use crate::routes::{Caller, Route};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// What the middleware of every route shares: the services and this process's limits.
pub struct Edge {
    pub svc: Arc<Services>,
    pub limiter: Limiter,
}

impl Edge {
    pub fn new(svc: Arc<Services>) -> Arc<Self> {
        let limiter = Limiter::new(&svc.settings.rate_limits);
        Arc::new(Self { svc, limiter })
    }
}

pub(crate) async fn guard(
    State((edge, route)): State<(Arc<Edge>, &'static Route)>,
    req: Request,
    next: Next,
) -> Response {
    // The method router also answers other methods (405); those are not this route's calls.
    if req.method() != route.method {
        return next.run(req).await;
    }
    match guarded(&edge, route, req, next).await {
        Ok(res) => res,
        Err(problem) => problem.into_response(),
    }
}

async fn guarded(
    edge: &Edge,
    route: &'static Route,
    req: Request,
    next: Next,
) -> Result<Response, Problem> {
    let (mut parts, body) = req.into_parts();
    let key = parts
        .headers
        .get(IDEMPOTENCY_KEY)
        .filter(|_| route.idempotent)
        .map(|v| {
            v.to_str()
                .map_err(|_| Error::Invalid("Idempotency-Key must be printable ASCII".into()))
                .and_then(IdempotencyKey::parse)
        });
    let (scope, body): (Option<TenantId>, Payload) = match route.caller {
        Caller::Device => {
            // A malformed credential is refused by the handler without touching the store.
            if let Some(cred) = bearer(&parts).and_then(|b| DeviceCredential::parse(b).ok()) {
                edge.limiter.device(&cred)?;
                tenants::admit(&edge.svc, &cred.tenant).await?;
            }
            (None, Payload::take(body, route).await?)
        }
        Caller::Tenant(_) => {
            let token = bearer(&parts).ok_or_else(|| {
                Error::Unauthenticated("send Authorization: Bearer <token>".into())
            })?;
            let who = edge.svc.verifier.verify(token).await?;
            edge.limiter.tenant(&who.tenant)?;
            tenants::admit(&edge.svc, &who.tenant).await?;
            let tenant = who.tenant.clone();
            // The `Tenant` extractor takes it from here instead of verifying again.
            parts.extensions.insert(who);
            (Some(tenant), Payload::take(body, route).await?)
        }
        Caller::Platform => {
            let token = bearer(&parts).ok_or_else(|| {
                Error::Unauthenticated("send Authorization: Bearer <token>".into())
            })?;
            // One operator's few calls: no quota of their own, and no tenant to scope keys by.
            let who = edge.svc.verifier.verify_platform(token).await?;
            parts.extensions.insert(who);
            (None, Payload::take(body, route).await?)
        }
        // The API's description: no credential, no store, nothing to limit per caller.
        Caller::Public => (None, Payload::take(body, route).await?),
        Caller::EnrollmentToken => {
            // The enrolment's tenant is named by the token in its body.
            let bytes = read_body(body, route.body_limit).await?;
            // Without a well-formed token the handler refuses the request before the store.
            let tenant = enrollment_tenant(&bytes);
            if let Some(t) = &tenant {
                edge.limiter.enroll(t)?;
            }
            (tenant, Payload::Read(bytes))
        }
    };
    let key = match (key, scope) {
        (None, _) => None,
        (Some(key), Some(tenant)) => Some((key?, tenant)),
        (Some(key), None) => {
            // No tenant to scope the key by: the request is refused anyway (bad enrollment
            // token), so it runs without the key and the handler says why.
            key?;
            None
        }
    };
    let Some((key, tenant)) = key else {
        return Ok(next.run(Request::from_parts(parts, body.into_body())).await);
    };
    // A key's fingerprint covers the body, so it is read now (within the route's cap).
    let bytes = match body {
        Payload::Read(bytes) => bytes,
        Payload::Unread(b) => read_body(b, route.body_limit).await?,
    };
    Ok(idempotency::run(&edge.svc, &tenant, &key, parts, bytes, next).await)
}

/// A request body, read already (every route that takes one: the enrolment's token and a key's
/// fingerprint need it, and an oversized one is drained before the 413) or left unread.
enum Payload {
    Unread(Body),
    Read(Bytes),
}

impl Payload {
    /// Reads a route's body up front, within its cap, where the route takes one; others (reads,
    /// cancels) never look at theirs.
    async fn take(body: Body, route: &Route) -> Result<Self, Problem> {
        Ok(if route.body_limit > 0 {
            Payload::Read(read_body(body, route.body_limit).await?)
        } else {
            Payload::Unread(body)
        })
    }

    fn into_body(self) -> Body {
        match self {
            Payload::Unread(b) => b,
            Payload::Read(bytes) => Body::from(bytes),
        }
    }
}

/// How much of an oversized body is still read (and dropped) before the 413 goes out. Closing
/// a connection with unread request bytes makes the kernel send a reset, which can destroy the
/// response before the client reads it; draining a bounded excess lets clients that sent a
/// little too much see the 413.
const DRAIN_BYTES: usize = 256 * 1024;

async fn read_body(body: Body, limit: usize) -> Result<Bytes, Problem> {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than this route accepts",
        )
    };
    let bytes = axum::body::to_bytes(body, limit + DRAIN_BYTES)
        .await
        .map_err(|_| too_large())?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The tenant an enrolment claims through its token; only the token's format is checked here,
/// its secret is checked by the enrolment's own store condition.
fn enrollment_tenant(body: &[u8]) -> Option<TenantId> {
    #[derive(serde::Deserialize)]
    struct Token {
        enrollment_token: String,
    }
    let t: Token = serde_json::from_slice(body).ok()?;
    EnrollmentSecret::parse(&t.enrollment_token)
        .ok()
        .map(|s| s.tenant)
}
