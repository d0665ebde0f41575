//! Routes for compliance as tenant users see it: alerts, a device's compliance, and reporting
//! a device lost (by an operator, or by its own user). `routes.rs` says which path and method
//! each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::DeviceId;
use mdm_core::usecases::fleet::lost::{self, LostReply, LostRequest};
use mdm_core::usecases::fleet::self_service;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::posture::alerts::{self, AlertView, ComplianceView};
use serde::Deserialize;

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::path::IdPath;
use crate::problem::ApiResult;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertParams {
    /// Only this device's alerts.
    #[serde(default)]
    #[schemars(with = "Option<mdm_core::domain::DeviceId>")]
    device: Option<String>,
}

pub(crate) async fn list_alerts(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, p): Paged<AlertParams>,
) -> ApiResult<Json<Listing<AlertView>>> {
    let device = p
        .device
        .as_deref()
        .map(|d| {
            mdm_core::domain::DeviceId::parse(d)
                .map_err(|_| mdm_core::Error::invalid_field("device", "not a device id"))
        })
        .transpose()?;
    Ok(Json(alerts::list(&svc, &who, device.as_ref(), page).await?))
}

pub(crate) async fn device_alerts(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<AlertView>>> {
    // An unknown device is 404, not an empty list.
    alerts::of_device(&svc, &who, &device).await?;
    Ok(Json(alerts::list(&svc, &who, Some(&device), page).await?))
}

pub(crate) async fn device_compliance(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
) -> ApiResult<Json<ComplianceView>> {
    Ok(Json(alerts::of_device(&svc, &who, &device).await?))
}

pub(crate) async fn report_lost(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    JsonBody(req): JsonBody<LostRequest>,
) -> ApiResult<Json<LostReply>> {
    Ok(Json(lost::report(&svc, &who, &device, req).await?))
}

pub(crate) async fn report_my_device_lost(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    JsonBody(req): JsonBody<LostRequest>,
) -> ApiResult<Json<LostReply>> {
    Ok(Json(
        self_service::report_lost(&svc, &who, &device, req).await?,
    ))
}
