//! The tenant's settings and push credentials (the commands function); secrets are write-only.
//! `routes.rs` says which path and method each handler serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use mdm_core::Services;
use mdm_core::domain::directory::{DeviceFilterParams, LookupParams};
use mdm_core::domain::{CommandId, DeviceId, EnrollmentTokenId, Platform};
use mdm_core::usecases::fleet::views::{CommandView, DeviceSummary, DeviceView, Listing};
use mdm_core::usecases::{
    READERS, device::enrollment, fleet::commands, fleet::devices, fleet::directory,
    fleet::enrollment_tokens, require_role, tenancy::audit, tenancy::push_config,
    tenancy::settings,
};
use serde::Deserialize;

use crate::extract::{JsonBody, Paged, QueryParams, ServerUrl, Tenant};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;
use super::Svc;

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
