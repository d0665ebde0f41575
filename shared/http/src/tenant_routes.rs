//! Routes tenant users call with a JWT: enrollment tokens, devices, commands and the audit log
//! (the commands function).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use mdm_core::Services;
use mdm_core::domain::{CommandId, DeviceId, Platform};
use mdm_core::usecases::views::{CommandView, DeviceView, Listing};
use mdm_core::usecases::{audit, commands, devices, enrollment, push_config};
use serde::Deserialize;

use crate::extract::{JsonBody, QueryParams, Tenant, path_id};
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

pub fn tenant_router() -> Router<Arc<Services>> {
    Router::new()
        .route("/v1/enrollment-tokens", post(create_token))
        .route("/v1/devices/{device_id}", get(get_device))
        .route(
            "/v1/devices/{device_id}/commands",
            post(queue_command).get(list_commands),
        )
        .route(
            "/v1/devices/{device_id}/commands/{command_id}",
            get(get_command),
        )
        .route(
            "/v1/devices/{device_id}/commands/{command_id}/cancel",
            post(cancel_command),
        )
        .route("/v1/audit", get(list_audit))
        .route("/v1/push-config", get(list_push_config))
        .route("/v1/push-config/{platform}", put(set_push_config))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    /// Only open commands (oldest first) instead of closed ones (newest first).
    #[serde(default)]
    open: Option<bool>,
}

fn device_id(raw: &str) -> Result<DeviceId, mdm_core::Error> {
    path_id(raw, DeviceId::parse, "device")
}

async fn create_token(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<enrollment::CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<enrollment::TokenCreated>)> {
    Ok((
        StatusCode::CREATED,
        Json(enrollment::create_token(&svc, &who, req).await?),
    ))
}

async fn get_device(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(device): Path<String>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(devices::get(&svc, &who, &device_id(&device)?).await?))
}

async fn queue_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(device): Path<String>,
    JsonBody(req): JsonBody<commands::QueueCommandRequest>,
) -> ApiResult<(StatusCode, Json<CommandView>)> {
    let view = commands::queue(&svc, &who, &device_id(&device)?, req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn list_commands(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(device): Path<String>,
    QueryParams(p): QueryParams<ListParams>,
) -> ApiResult<Json<Listing<CommandView>>> {
    let device = device_id(&device)?;
    let open = p.open.unwrap_or(false);
    let page = commands::list(&svc, &who, &device, open, p.cursor, p.limit.unwrap_or(50)).await?;
    Ok(Json(page))
}

async fn get_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path((device, command)): Path<(String, String)>,
) -> ApiResult<Json<CommandView>> {
    let command = path_id(&command, CommandId::parse, "command")?;
    Ok(Json(
        commands::get(&svc, &who, &device_id(&device)?, &command).await?,
    ))
}

async fn cancel_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path((device, command)): Path<(String, String)>,
) -> ApiResult<Json<CommandView>> {
    let command = path_id(&command, CommandId::parse, "command")?;
    Ok(Json(
        commands::cancel(&svc, &who, &device_id(&device)?, &command).await?,
    ))
}

async fn list_audit(
    State(svc): Svc,
    Tenant(who): Tenant,
    QueryParams(p): QueryParams<ListParams>,
) -> ApiResult<Json<Listing<audit::AuditView>>> {
    if p.open.is_some() {
        return Err(
            mdm_core::Error::invalid_field("open", "not a parameter of the audit log").into(),
        );
    }
    Ok(Json(
        audit::list(&svc, &who, p.cursor, p.limit.unwrap_or(50)).await?,
    ))
}

async fn list_push_config(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<Vec<push_config::PushConfigView>>> {
    Ok(Json(push_config::list(&svc, &who).await?))
}

async fn set_push_config(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(platform): Path<String>,
    JsonBody(req): JsonBody<push_config::SetPushConfig>,
) -> ApiResult<Json<push_config::PushConfigView>> {
    let platform = Platform::parse(&platform).ok_or(mdm_core::Error::NotFound("platform"))?;
    Ok(Json(push_config::set(&svc, &who, platform, req).await?))
}
