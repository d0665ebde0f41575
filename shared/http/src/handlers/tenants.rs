//! Routes the platform operator calls with a platform JWT: the tenant lifecycle (the commands
//! function). No tenant user reaches them, and the operator reaches no tenant route.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::{TenantId, TenantLimits};
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::tenancy::tenants::{self, CreateTenant, TenantView};

use super::Svc;
use crate::extract::{JsonBody, Paged, Platform};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn create_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    JsonBody(req): JsonBody<CreateTenant>,
) -> ApiResult<Created<TenantView>> {
    Ok(Created(tenants::create(&svc, &who, req).await?))
}

pub(crate) async fn list_tenants(
    State(svc): Svc,
    Platform(who): Platform,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<TenantView>>> {
    Ok(Json(tenants::list(&svc, &who, page).await?))
}

pub(crate) async fn get_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    IdPath(t): IdPath<TenantId>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::get(&svc, &who, &t).await?))
}

pub(crate) async fn suspend_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    IdPath(t): IdPath<TenantId>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::suspend(&svc, &who, &t).await?))
}

pub(crate) async fn resume_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    IdPath(t): IdPath<TenantId>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::resume(&svc, &who, &t).await?))
}

pub(crate) async fn set_tenant_limits(
    State(svc): Svc,
    Platform(who): Platform,
    IdPath(t): IdPath<TenantId>,
    JsonBody(limits): JsonBody<TenantLimits>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::set_limits(&svc, &who, &t, limits).await?))
}

pub(crate) async fn delete_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    IdPath(t): IdPath<TenantId>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::delete(&svc, &who, &t).await?))
}
