//! The tenant's audit log (the commands function), with its filters. `routes.rs` says which path
//! and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::DeviceId;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::tenancy::audit;
use serde::Deserialize;

use super::Svc;
use crate::extract::{Paged, Tenant};
use crate::problem::ApiResult;

/// The audit log's filters (all optional, combined).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Entries by this actor: a user's subject, or `device/<id>`.
    #[serde(default)]
    actor: Option<String>,
    /// Entries of this action, such as `command.queue` or `enrollment_token.revoke`.
    #[serde(default)]
    action: Option<String>,
    /// Entries about this device or its commands.
    #[serde(default)]
    #[schemars(with = "Option<mdm_core::domain::DeviceId>")]
    device: Option<String>,
    /// Entries at or after this RFC 3339 time.
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    /// Entries at or before this RFC 3339 time.
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    until: Option<String>,
}

pub(crate) async fn list_audit(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, p): Paged<AuditParams>,
) -> ApiResult<Json<Listing<audit::AuditView>>> {
    let time = |field, v: &Option<String>| {
        v.as_deref()
            .map(|s| mdm_core::domain::time::parse_rfc3339(field, s))
            .transpose()
    };
    let filter = audit::AuditFilter {
        actor: p.actor,
        action: p.action,
        device: p
            .device
            .as_deref()
            .map(|d| {
                DeviceId::parse(d)
                    .map_err(|_| mdm_core::Error::invalid_field("device", "not a device id"))
            })
            .transpose()?,
        since: time("since", &p.since)?,
        until: time("until", &p.until)?,
    };
    Ok(Json(audit::list(&svc, &who, &filter, page).await?))
}
