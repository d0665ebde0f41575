//! Routes for groups and jobs (the commands function): organising devices and sending one
//! command to many. `routes.rs` says which path and method each handler serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use mdm_core::Services;
use mdm_core::domain::group::DeviceIds;
use mdm_core::domain::{GroupId, JobId};
use mdm_core::usecases::fleet::groups::{self, Change, GroupRequest, GroupView, MembershipChange};
use mdm_core::usecases::fleet::jobs::{self, CreateJobRequest, JobView};
use mdm_core::usecases::fleet::views::{DeviceSummary, Listing};
use serde::Deserialize;

use crate::extract::{JsonBody, QueryParams, Tenant, path_id};
use crate::openapi::{Created, NoContent};
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

/// A page of a listing.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageParams {
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub(crate) cursor: Option<String>,
    #[serde(default)]
    #[schemars(range(min = 1, max = 200))]
    pub(crate) limit: Option<usize>,
}

fn group_id(raw: &str) -> Result<GroupId, mdm_core::Error> {
    path_id(raw, GroupId::parse, "group")
}

fn job_id(raw: &str) -> Result<JobId, mdm_core::Error> {
    path_id(raw, JobId::parse, "job")
}

pub(crate) async fn create_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<GroupRequest>,
) -> ApiResult<Created<GroupView>> {
    Ok(Created(groups::create(&svc, &who, req).await?))
}

pub(crate) async fn list_groups(
    State(svc): Svc,
    Tenant(who): Tenant,
    QueryParams(p): QueryParams<PageParams>,
) -> ApiResult<Json<Listing<GroupView>>> {
    let limit = p.limit.unwrap_or(100);
    Ok(Json(
        groups::list(&svc, &who, p.cursor.as_deref(), limit).await?,
    ))
}

pub(crate) async fn get_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(groups::get(&svc, &who, &group_id(&g)?).await?))
}

pub(crate) async fn rename_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
    JsonBody(req): JsonBody<GroupRequest>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(groups::rename(&svc, &who, &group_id(&g)?, req).await?))
}

pub(crate) async fn delete_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
) -> ApiResult<NoContent> {
    groups::delete(&svc, &who, &group_id(&g)?).await?;
    Ok(NoContent)
}

pub(crate) async fn list_members(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
    QueryParams(p): QueryParams<PageParams>,
) -> ApiResult<Json<Listing<DeviceSummary>>> {
    let limit = p.limit.unwrap_or(100);
    Ok(Json(
        groups::members(&svc, &who, &group_id(&g)?, p.cursor.as_deref(), limit).await?,
    ))
}

pub(crate) async fn add_members(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
    JsonBody(req): JsonBody<DeviceIds>,
) -> ApiResult<Json<MembershipChange>> {
    Ok(Json(
        groups::change_members(&svc, &who, &group_id(&g)?, Change::Add, req).await?,
    ))
}

pub(crate) async fn remove_members(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(g): Path<String>,
    JsonBody(req): JsonBody<DeviceIds>,
) -> ApiResult<Json<MembershipChange>> {
    Ok(Json(
        groups::change_members(&svc, &who, &group_id(&g)?, Change::Remove, req).await?,
    ))
}

pub(crate) async fn create_job(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<CreateJobRequest>,
) -> ApiResult<Created<JobView>> {
    Ok(Created(jobs::create(&svc, &who, req).await?))
}

pub(crate) async fn list_jobs(
    State(svc): Svc,
    Tenant(who): Tenant,
    QueryParams(p): QueryParams<PageParams>,
) -> ApiResult<Json<Listing<JobView>>> {
    let limit = p.limit.unwrap_or(20);
    Ok(Json(
        jobs::list(&svc, &who, p.cursor.as_deref(), limit).await?,
    ))
}

pub(crate) async fn get_job(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(j): Path<String>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(jobs::get(&svc, &who, &job_id(&j)?).await?))
}
