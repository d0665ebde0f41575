//! Routes for a tenant's geofences (the commands function): the circles and polygons that
//! compliance rules name. `routes.rs` says which path and method each handler serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use mdm_core::Services;
use mdm_core::domain::GeofenceId;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::policy::geofences::{self, GeofenceRequest, GeofenceView};

use crate::extract::{JsonBody, QueryParams, Tenant, path_id};
use crate::group_routes::PageParams;
use crate::openapi::{Created, NoContent};
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

fn geofence_id(raw: &str) -> Result<GeofenceId, mdm_core::Error> {
    path_id(raw, GeofenceId::parse, "geofence")
}

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
    QueryParams(p): QueryParams<PageParams>,
) -> ApiResult<Json<Listing<GeofenceView>>> {
    let limit = p.limit.unwrap_or(100);
    Ok(Json(
        geofences::list(&svc, &who, p.cursor.as_deref(), limit).await?,
    ))
}

pub(crate) async fn get_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
) -> ApiResult<Json<GeofenceView>> {
    Ok(Json(geofences::get(&svc, &who, &geofence_id(&g)?).await?))
}

pub(crate) async fn replace_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
    JsonBody(req): JsonBody<GeofenceRequest>,
) -> ApiResult<Json<GeofenceView>> {
    Ok(Json(
        geofences::replace(&svc, &who, &geofence_id(&g)?, req).await?,
    ))
}

pub(crate) async fn delete_geofence(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
) -> ApiResult<NoContent> {
    geofences::delete(&svc, &who, &geofence_id(&g)?).await?;
    Ok(NoContent)
}
