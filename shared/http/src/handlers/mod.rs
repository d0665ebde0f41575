//! The handlers of the HTTP API, one file per resource. Each handler parses its request at the
//! edge (path ids, query, body), calls one use case and shapes its answer; which path, method,
//! function, roles and body cap each serves is said once, in `routes.rs`.

use std::sync::Arc;

use axum::extract::State;
use mdm_core::Services;

pub mod agent;
pub mod apple_signing;
pub mod apps;
pub mod audit;
pub mod commands;
pub mod compliance;
pub mod devices;
pub mod enrollment_tokens;
pub mod geofences;
pub mod groups;
pub mod jobs;
pub mod me;
pub mod policies;
pub mod settings;
pub mod tenants;
pub mod webhooks;

/// The state every handler reads: the services of the backend this process runs on.
pub(crate) type Svc = State<Arc<Services>>;
