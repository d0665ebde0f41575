//! The tenant's settings and push credentials (the commands function); secrets are write-only.
//! `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::Platform;
use mdm_core::usecases::{tenancy::push_config, tenancy::settings};

use super::Svc;
use crate::extract::{JsonBody, Tenant};
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn list_push_config(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<Vec<push_config::PushConfigView>>> {
    Ok(Json(push_config::list(&svc, &who).await?))
}

pub(crate) async fn set_push_config(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(platform): IdPath<Platform>,
    JsonBody(req): JsonBody<push_config::SetPushConfig>,
) -> ApiResult<Json<push_config::PushConfigView>> {
    Ok(Json(push_config::set(&svc, &who, platform, req).await?))
}

pub(crate) async fn get_settings(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<settings::SettingsView>> {
    Ok(Json(settings::get(&svc, &who).await?))
}

pub(crate) async fn set_settings(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<settings::SetSettings>,
) -> ApiResult<Json<settings::SettingsView>> {
    Ok(Json(settings::set(&svc, &who, req).await?))
}
