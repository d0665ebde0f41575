//! Routes for the app catalogue (the commands function): the apps a tenant manages and the jobs
//! that install or remove them. `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::{CatalogueId, Platform};
use mdm_core::usecases::fleet::jobs::JobView;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::policy::apps::{
    self, AppJobRequest, AppView, CreateAppRequest, UpdateAppRequest,
};
use serde::Deserialize;

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::{Created, NoContent};
use crate::path::IdPath;
use crate::problem::ApiResult;

/// The catalogue, or one platform's apps.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppListParams {
    #[serde(default)]
    platform: Option<Platform>,
}

pub(crate) async fn create_app(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<CreateAppRequest>,
) -> ApiResult<Created<AppView>> {
    Ok(Created(apps::create(&svc, &who, req).await?))
}

pub(crate) async fn list_apps(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, p): Paged<AppListParams>,
) -> ApiResult<Json<Listing<AppView>>> {
    Ok(Json(apps::list(&svc, &who, p.platform, page).await?))
}

pub(crate) async fn get_app(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(a): IdPath<CatalogueId>,
) -> ApiResult<Json<AppView>> {
    Ok(Json(apps::get(&svc, &who, &a).await?))
}

pub(crate) async fn update_app(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(a): IdPath<CatalogueId>,
    JsonBody(req): JsonBody<UpdateAppRequest>,
) -> ApiResult<Json<AppView>> {
    Ok(Json(apps::update(&svc, &who, &a, req).await?))
}

pub(crate) async fn delete_app(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(a): IdPath<CatalogueId>,
) -> ApiResult<NoContent> {
    apps::delete(&svc, &who, &a).await?;
    Ok(NoContent)
}

pub(crate) async fn install_app(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(a): IdPath<CatalogueId>,
    JsonBody(req): JsonBody<AppJobRequest>,
) -> ApiResult<Created<JobView>> {
    Ok(Created(apps::install(&svc, &who, &a, req).await?))
}

pub(crate) async fn remove_app(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(a): IdPath<CatalogueId>,
    JsonBody(req): JsonBody<AppJobRequest>,
) -> ApiResult<Created<JobView>> {
    Ok(Created(apps::remove(&svc, &who, &a, req).await?))
}
