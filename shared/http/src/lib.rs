//! The HTTP API as axum Routers. Each Lambda function serves one router; the local server
//! serves them all, so both run the very same handlers.

pub mod apple_routes;
pub mod edge_errors;
pub mod extract;
pub mod guard;
pub mod handlers;
pub mod idempotency;
pub mod openapi;
pub mod path;
pub mod problem;
pub mod rate_limit;
pub mod routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, map_response};
use mdm_core::Services;

pub use guard::Edge;
pub use problem::Problem;
pub use routes::{Function, ROUTES, Route, router_for};

/// Largest request body any route accepts; each route has its own, smaller or equal, cap in
/// the route table.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Adds what every served router needs: its state, the body limit, the URI limit and
/// problem+json for every error answer, the fallbacks' included (see `edge_errors`).
pub fn finish(router: Router<Arc<Services>>, svc: Arc<Services>) -> Router {
    router
        .fallback(edge_errors::route_not_found)
        .method_not_allowed_fallback(edge_errors::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(map_response(edge_errors::problem_json_only))
        .layer(from_fn(edge_errors::refuse_long_uris))
        .with_state(svc)
}

/// The served router of one Lambda function.
pub fn function_router(function: Function, svc: Arc<Services>) -> Router {
    let edge = Edge::new(svc.clone());
    let router = router_for(function, &edge).merge(apple_routes::router_for(function, &edge));
    finish(router, svc)
}

/// Every route, for the local server.
pub fn all_routes(svc: Arc<Services>) -> Router {
    // One edge for all: a tenant's quota is shared by every route this process serves.
    let edge = Edge::new(svc.clone());
    let router = Function::ALL
        .into_iter()
        .fold(Router::new(), |router, f| {
            router
                .merge(router_for(f, &edge))
                .merge(apple_routes::router_for(f, &edge))
        })
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    finish(router, svc)
}
