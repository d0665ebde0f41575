//! Groups (the commands function): creating, renaming and deleting them, and their members.
//! `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::GroupId;
use mdm_core::domain::group::DeviceIds;
use mdm_core::usecases::fleet::groups::{self, Change, GroupRequest, GroupView, MembershipChange};
use mdm_core::usecases::fleet::views::{DeviceSummary, Listing};

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::{Created, NoContent};
use crate::path::IdPath;
use crate::problem::ApiResult;

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
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<GroupView>>> {
    Ok(Json(groups::list(&svc, &who, page).await?))
}

pub(crate) async fn get_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(groups::get(&svc, &who, &g).await?))
}

pub(crate) async fn rename_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
    JsonBody(req): JsonBody<GroupRequest>,
) -> ApiResult<Json<GroupView>> {
    Ok(Json(groups::rename(&svc, &who, &g, req).await?))
}

pub(crate) async fn delete_group(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
) -> ApiResult<NoContent> {
    groups::delete(&svc, &who, &g).await?;
    Ok(NoContent)
}

pub(crate) async fn list_members(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<DeviceSummary>>> {
    Ok(Json(groups::members(&svc, &who, &g, page).await?))
}

pub(crate) async fn add_members(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
    JsonBody(req): JsonBody<DeviceIds>,
) -> ApiResult<Json<MembershipChange>> {
    Ok(Json(
        groups::change_members(&svc, &who, &g, Change::Add, req).await?,
    ))
}

pub(crate) async fn remove_members(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
    JsonBody(req): JsonBody<DeviceIds>,
) -> ApiResult<Json<MembershipChange>> {
    Ok(Json(
        groups::change_members(&svc, &who, &g, Change::Remove, req).await?,
    ))
}
