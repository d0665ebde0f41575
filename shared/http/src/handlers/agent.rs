//! Handlers devices call with their credential: enroll, check in, pull commands, report
//! results and inventory. `routes.rs` says which path and method each serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::inventory::InventoryReport;
use mdm_core::domain::{CheckinRequest, CommandId, EnrollRequest, ResultReport};
use mdm_core::usecases::{
    device::checkin, device::enrollment, device::fetch, device::inventory, device::results,
};
use serde::Serialize;

use super::Svc;
use crate::extract::{Device, JsonBody};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn enroll(
    State(svc): Svc,
    JsonBody(req): JsonBody<EnrollRequest>,
) -> ApiResult<Created<enrollment::Enrolled>> {
    Ok(Created(enrollment::enroll(&svc, req).await?))
}

pub(crate) async fn checkin(
    State(svc): Svc,
    Device(cred): Device,
    JsonBody(req): JsonBody<CheckinRequest>,
) -> ApiResult<Json<checkin::CheckinReply>> {
    Ok(Json(checkin::checkin(&svc, &cred, req).await?))
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PendingReply {
    commands: Vec<mdm_core::usecases::fleet::views::DeliveredCommand>,
}

pub(crate) async fn pending(
    State(svc): Svc,
    Device(cred): Device,
) -> ApiResult<Json<PendingReply>> {
    Ok(Json(PendingReply {
        commands: fetch::pending(&svc, &cred).await?,
    }))
}

pub(crate) async fn report(
    State(svc): Svc,
    Device(cred): Device,
    IdPath(id): IdPath<CommandId>,
    JsonBody(req): JsonBody<ResultReport>,
) -> ApiResult<Json<mdm_core::usecases::fleet::views::CommandView>> {
    Ok(Json(results::report(&svc, &cred, &id, req).await?))
}

pub(crate) async fn inventory(
    State(svc): Svc,
    Device(cred): Device,
    JsonBody(req): JsonBody<InventoryReport>,
) -> ApiResult<Json<inventory::InventoryAccepted>> {
    Ok(Json(inventory::report(&svc, &cred, req).await?))
}
