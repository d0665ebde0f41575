//! Routes end users call about themselves (role `user`, the commands function): a token to
//! enroll their own device, their devices, and the self-service commands on them.
//! `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::{CommandId, DeviceId};
use mdm_core::usecases::device::enrollment::{self, SelfTokenRequest, TokenCreated};
use mdm_core::usecases::fleet::commands::QueueCommandRequest;
use mdm_core::usecases::fleet::self_service;
use mdm_core::usecases::fleet::views::{CommandView, DeviceSummary, Listing};

use super::Svc;
use crate::extract::{JsonBody, ServerUrl, Tenant};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn create_my_token(
    State(svc): Svc,
    Tenant(who): Tenant,
    ServerUrl(server): ServerUrl,
    JsonBody(req): JsonBody<SelfTokenRequest>,
) -> ApiResult<Created<TokenCreated>> {
    let created = enrollment::create_self_token(&svc, &who, req).await?;
    Ok(Created(match server {
        Some(server) => created.with_qr(&server, &who.tenant),
        None => created,
    }))
}

pub(crate) async fn my_devices(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<Listing<DeviceSummary>>> {
    Ok(Json(self_service::devices(&svc, &who).await?))
}

pub(crate) async fn queue_my_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(d): IdPath<DeviceId>,
    JsonBody(req): JsonBody<QueueCommandRequest>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(self_service::queue(&svc, &who, &d, req).await?))
}

pub(crate) async fn my_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath((d, c)): IdPath<(DeviceId, CommandId)>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(self_service::command(&svc, &who, &d, &c).await?))
}
