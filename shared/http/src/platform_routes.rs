//! Routes the platform operator calls with a platform JWT: the tenant lifecycle (the commands
//! function). No tenant user reaches them, and the operator reaches no tenant route.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use mdm_core::Services;
use mdm_core::domain::{TenantId, TenantLimits};
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::tenancy::tenants::{self, CreateTenant, TenantView};
use serde::Deserialize;

use crate::extract::{JsonBody, Platform, QueryParams, path_id};
use crate::openapi::Created;
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantListParams {
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    #[schemars(range(min = 1, max = 200))]
    limit: Option<usize>,
}

fn tenant_id(raw: &str) -> Result<TenantId, mdm_core::Error> {
    path_id(raw, TenantId::parse, "tenant")
}

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
    QueryParams(p): QueryParams<TenantListParams>,
) -> ApiResult<Json<Listing<TenantView>>> {
    let limit = p.limit.unwrap_or(50);
    Ok(Json(tenants::list(&svc, &who, p.cursor, limit).await?))
}

pub(crate) async fn get_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    Path(t): Path<String>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::get(&svc, &who, &tenant_id(&t)?).await?))
}

pub(crate) async fn suspend_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    Path(t): Path<String>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::suspend(&svc, &who, &tenant_id(&t)?).await?))
}

pub(crate) async fn resume_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    Path(t): Path<String>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::resume(&svc, &who, &tenant_id(&t)?).await?))
}

pub(crate) async fn set_tenant_limits(
    State(svc): Svc,
    Platform(who): Platform,
    Path(t): Path<String>,
    JsonBody(limits): JsonBody<TenantLimits>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(
        tenants::set_limits(&svc, &who, &tenant_id(&t)?, limits).await?,
    ))
}

pub(crate) async fn delete_tenant(
    State(svc): Svc,
    Platform(who): Platform,
    Path(t): Path<String>,
) -> ApiResult<Json<TenantView>> {
    Ok(Json(tenants::delete(&svc, &who, &tenant_id(&t)?).await?))
}
