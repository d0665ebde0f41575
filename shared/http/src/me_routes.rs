//! Routes end users call about themselves (role `user`, the commands function): a token to
//! enroll their own device, their devices, and the self-service commands on them.
//! `routes.rs` says which path and method each handler serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use mdm_core::Services;
use mdm_core::domain::{CommandId, DeviceId};
use mdm_core::usecases::device::enrollment::{self, SelfTokenRequest, TokenCreated};
use mdm_core::usecases::fleet::commands::QueueCommandRequest;
use mdm_core::usecases::fleet::self_service;
use mdm_core::usecases::fleet::views::{CommandView, DeviceSummary, Listing};

use crate::extract::{JsonBody, ServerUrl, Tenant, path_id};
use crate::openapi::Created;
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

fn device_id(raw: &str) -> Result<DeviceId, mdm_core::Error> {
    path_id(raw, DeviceId::parse, "device")
}

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
    Path(d): Path<String>,
    JsonBody(req): JsonBody<QueueCommandRequest>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(
        self_service::queue(&svc, &who, &device_id(&d)?, req).await?,
    ))
}

pub(crate) async fn my_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path((d, c)): Path<(String, String)>,
) -> ApiResult<Json<CommandView>> {
    let c = path_id(&c, CommandId::parse, "command")?;
    Ok(Json(
        self_service::command(&svc, &who, &device_id(&d)?, &c).await?,
    ))
}
