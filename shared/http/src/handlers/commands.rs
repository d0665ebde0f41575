//! One device's commands (the commands function): queueing, listing open or closed ones, reading,
//! cancelling one and clearing the open ones. `routes.rs` says which path and method each handler
//! serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::{CommandId, DeviceId};
use mdm_core::usecases::fleet::commands;
use mdm_core::usecases::fleet::views::{CommandView, Listing};
use serde::Deserialize;

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

/// A device's commands: open or closed ones.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandListParams {
    /// Only open commands (oldest first) instead of closed ones (newest first).
    #[serde(default)]
    open: Option<bool>,
}

pub(crate) async fn queue_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    JsonBody(req): JsonBody<commands::QueueCommandRequest>,
) -> ApiResult<Created<CommandView>> {
    let view = commands::queue(&svc, &who, &device, req).await?;
    Ok(Created(view))
}

pub(crate) async fn list_commands(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    Paged(page, p): Paged<CommandListParams>,
) -> ApiResult<Json<Listing<CommandView>>> {
    let open = p.open.unwrap_or(false);
    Ok(Json(commands::list(&svc, &who, &device, open, page).await?))
}

pub(crate) async fn get_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath((device, command)): IdPath<(DeviceId, CommandId)>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(commands::get(&svc, &who, &device, &command).await?))
}

pub(crate) async fn cancel_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath((device, command)): IdPath<(DeviceId, CommandId)>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(commands::cancel(&svc, &who, &device, &command).await?))
}

pub(crate) async fn clear_commands(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
) -> ApiResult<Json<commands::Cleared>> {
    Ok(Json(commands::clear(&svc, &who, &device).await?))
}
