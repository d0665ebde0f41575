//! The tenant's devices (the commands function): one device, the directory listing with its
//! filters, lookup by hardware or phone identifiers, unenrolling and retiring. `routes.rs` says
//! which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::DeviceId;
use mdm_core::domain::directory::{DeviceFilterParams, LookupParams};
use mdm_core::usecases::fleet::views::{DeviceSummary, DeviceView, Listing};
use mdm_core::usecases::{READERS, fleet::devices, fleet::directory, require_role};
use serde::Deserialize;

use super::Svc;
use crate::extract::{Paged, QueryParams, Tenant};
use crate::path::IdPath;
use crate::problem::ApiResult;

/// The fleet listing's directory filters (all optional, combined).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceListParams {
    /// android, ios or macos.
    #[serde(default)]
    #[schemars(with = "Option<mdm_core::domain::Platform>")]
    platform: Option<String>,
    /// Exactly this OS version.
    #[serde(default)]
    #[schemars(length(max = 50), regex(pattern = mdm_core::domain::device::SHORT_TEXT))]
    os_version: Option<String>,
    /// OS versions numerically below this dotted version, such as 16.4.
    #[serde(default)]
    #[schemars(length(max = 50), regex(pattern = r"^[0-9]+(\.[0-9]+)*$"))]
    os_version_below: Option<String>,
    /// enrolled, wiped, unenrolled, retired or all; by default every state but retired.
    #[serde(default)]
    #[schemars(extend("enum" = ["enrolled", "wiped", "unenrolled", "retired", "all"]))]
    state: Option<String>,
    /// corporate or personal.
    #[serde(default)]
    #[schemars(with = "Option<mdm_core::domain::directory::Ownership>")]
    ownership: Option<String>,
    /// Members of this group.
    #[serde(default)]
    #[schemars(length(max = 100), regex(pattern = mdm_core::domain::device::SHORT_TEXT))]
    group: Option<String>,
    /// unknown, compliant or noncompliant.
    #[serde(default)]
    #[schemars(extend("enum" = ["unknown", "compliant", "noncompliant"]))]
    compliance: Option<String>,
    /// Last seen before this RFC 3339 time (the directory's last seen lags by under an hour).
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    last_seen_before: Option<String>,
    /// Last seen after this RFC 3339 time.
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    last_seen_after: Option<String>,
}

pub(crate) async fn get_device(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(devices::get(&svc, &who, &device).await?))
}

pub(crate) async fn list_devices(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, p): Paged<DeviceListParams>,
) -> ApiResult<Json<Listing<DeviceSummary>>> {
    // The role is checked before the parameters, so a refused caller learns nothing from them.
    require_role(&who, READERS, "list devices")?;
    let filter = DeviceFilterParams {
        platform: p.platform,
        os_version: p.os_version,
        os_version_below: p.os_version_below,
        state: p.state,
        ownership: p.ownership,
        group: p.group,
        compliance: p.compliance,
        last_seen_before: p.last_seen_before,
        last_seen_after: p.last_seen_after,
    }
    .parse()?;
    Ok(Json(directory::list(&svc, &who, &filter, page).await?))
}

pub(crate) async fn lookup_devices(
    State(svc): Svc,
    Tenant(who): Tenant,
    QueryParams(p): QueryParams<LookupParams>,
) -> ApiResult<Json<Listing<DeviceSummary>>> {
    require_role(&who, READERS, "look devices up")?;
    Ok(Json(directory::lookup(&svc, &who, &p.parse()?).await?))
}

pub(crate) async fn unenroll_device(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(devices::unenroll(&svc, &who, &device).await?))
}

pub(crate) async fn retire_device(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(devices::retire(&svc, &who, &device).await?))
}
