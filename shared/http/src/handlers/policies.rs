//! Routes for policies (the commands function): the documents, where they are assigned and
//! what each device ends up with. `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::group::DeviceIds;
use mdm_core::domain::{DeviceId, GroupId, PolicyId};
use mdm_core::usecases::fleet::groups::{self, GroupView};
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::policy::policies::{
    self, AssignGroupRequest, AssignRequest, AssignmentView, DefaultPolicyView, DevicesAssigned,
    EffectivePolicyView, PolicyRequest, PolicyVersionView, PolicyView,
};

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::{Created, NoContent};
use crate::path::{IdPath, PolicyVersion};
use crate::problem::ApiResult;

pub(crate) async fn create_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<PolicyRequest>,
) -> ApiResult<Created<PolicyView>> {
    Ok(Created(policies::create(&svc, &who, req).await?))
}

pub(crate) async fn list_policies(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<PolicyView>>> {
    Ok(Json(policies::list(&svc, &who, page).await?))
}

pub(crate) async fn get_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(p): IdPath<PolicyId>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(policies::get(&svc, &who, &p).await?))
}

pub(crate) async fn update_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(p): IdPath<PolicyId>,
    JsonBody(req): JsonBody<PolicyRequest>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(policies::update(&svc, &who, &p, req).await?))
}

pub(crate) async fn delete_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(p): IdPath<PolicyId>,
) -> ApiResult<NoContent> {
    policies::delete(&svc, &who, &p).await?;
    Ok(NoContent)
}

pub(crate) async fn list_policy_versions(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(p): IdPath<PolicyId>,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<PolicyVersionView>>> {
    Ok(Json(policies::versions(&svc, &who, &p, page).await?))
}

pub(crate) async fn get_policy_version(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath((p, PolicyVersion(version))): IdPath<(PolicyId, PolicyVersion)>,
) -> ApiResult<Json<PolicyVersionView>> {
    Ok(Json(policies::version(&svc, &who, &p, version).await?))
}

pub(crate) async fn list_policy_assignments(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(p): IdPath<PolicyId>,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<AssignmentView>>> {
    Ok(Json(policies::assignments(&svc, &who, &p, page).await?))
}

pub(crate) async fn assign_policy_to_devices(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(p): IdPath<PolicyId>,
    JsonBody(req): JsonBody<DeviceIds>,
) -> ApiResult<Json<DevicesAssigned>> {
    Ok(Json(policies::assign_devices(&svc, &who, &p, req).await?))
}

pub(crate) async fn device_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(d): IdPath<DeviceId>,
) -> ApiResult<Json<EffectivePolicyView>> {
    Ok(Json(policies::effective(&svc, &who, &d).await?))
}

pub(crate) async fn assign_device_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(d): IdPath<DeviceId>,
    JsonBody(req): JsonBody<AssignRequest>,
) -> ApiResult<Json<EffectivePolicyView>> {
    Ok(Json(
        policies::assign_device(&svc, &who, &d, Some(req)).await?,
    ))
}

pub(crate) async fn unassign_device_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(d): IdPath<DeviceId>,
) -> ApiResult<Json<EffectivePolicyView>> {
    Ok(Json(policies::assign_device(&svc, &who, &d, None).await?))
}

pub(crate) async fn assign_group_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
    JsonBody(req): JsonBody<AssignGroupRequest>,
) -> ApiResult<Json<GroupView>> {
    policies::assign_group(&svc, &who, &g, Some(req)).await?;
    Ok(Json(groups::get(&svc, &who, &g).await?))
}

pub(crate) async fn unassign_group_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(g): IdPath<GroupId>,
) -> ApiResult<Json<GroupView>> {
    policies::assign_group(&svc, &who, &g, None).await?;
    Ok(Json(groups::get(&svc, &who, &g).await?))
}

pub(crate) async fn default_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<DefaultPolicyView>> {
    Ok(Json(policies::get_default(&svc, &who).await?))
}

pub(crate) async fn set_default_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<AssignRequest>,
) -> ApiResult<Json<DefaultPolicyView>> {
    policies::assign_default(&svc, &who, Some(req)).await?;
    Ok(Json(policies::get_default(&svc, &who).await?))
}

pub(crate) async fn clear_default_policy(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<DefaultPolicyView>> {
    policies::assign_default(&svc, &who, None).await?;
    Ok(Json(policies::get_default(&svc, &who).await?))
}
