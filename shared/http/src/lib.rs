//! The HTTP API as axum Routers. Each Lambda function serves one router; the local server
//! serves them all, so both run the very same handlers.

pub mod device_routes;
pub mod extract;
pub mod problem;
pub mod tenant_routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use mdm_core::Services;

pub use problem::Problem;

/// Largest request body any route accepts; enrolment and results are the biggest (~5 KiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Adds what every served router needs: its state, the body limit and problem+json fallbacks.
pub fn finish(router: Router<Arc<Services>>, svc: Arc<Services>) -> Router {
    router
        .fallback(|| async {
            Problem::new(StatusCode::NOT_FOUND, "route_not_found", "no such route")
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(svc)
}

/// Every route, for the local server.
pub fn all_routes(svc: Arc<Services>) -> Router {
    let router = Router::new()
        .merge(device_routes::enroll_router())
        .merge(device_routes::checkin_router())
        .merge(device_routes::results_router())
        .merge(tenant_routes::tenant_router())
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    finish(router, svc)
}
