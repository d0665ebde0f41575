//! Routes for a tenant's geofences (the commands function): the circles and polygons that
//! compliance rules name. `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::GeofenceId;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::policy::geofences::{self, GeofenceRequest, GeofenceView};

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::{Created, NoContent};
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn create_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<GeofenceRequest>,
) -> ApiResult<Created<GeofenceView>> {
    Ok(Created(geofences::create(&svc, &who, req).await?))
}

pub(crate) async fn list_geofences(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<GeofenceView>>> {
    Ok(Json(geofences::list(&svc, &who, page).await?))
}

pub(crate) async fn get_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GeofenceId>,
) -> ApiResult<Json<GeofenceView>> {
    Ok(Json(geofences::get(&svc, &who, &g).await?))
}

pub(crate) async fn replace_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GeofenceId>,
    JsonBody(req): JsonBody<GeofenceRequest>,
) -> ApiResult<Json<GeofenceView>> {
    Ok(Json(geofences::replace(&svc, &who, &g, req).await?))
}

pub(crate) async fn delete_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GeofenceId>,
) -> ApiResult<NoContent> {
    geofences::delete(&svc, &who, &g).await?;
    Ok(NoContent)
}
