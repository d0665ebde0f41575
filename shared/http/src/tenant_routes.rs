//! Routes tenant users call with a JWT: enrollment tokens, devices, commands, the audit log and
//! the tenant's settings (the commands function). `routes.rs` says which path and method each handler serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use mdm_core::Services;
use mdm_core::domain::directory::{DeviceFilterParams, LookupParams};
use mdm_core::domain::{CommandId, DeviceId, EnrollmentTokenId, Platform};
use mdm_core::usecases::fleet::views::{CommandView, DeviceSummary, DeviceView, Listing};
use mdm_core::usecases::{
    READERS, device::enrollment, fleet::commands, fleet::devices, fleet::directory,
    fleet::enrollment_tokens, require_role, tenancy::audit, tenancy::push_config,
    tenancy::settings,
};
use serde::Deserialize;

use crate::extract::{JsonBody, Paged, QueryParams, ServerUrl, Tenant};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

/// The audit log's filters (all optional, combined).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Entries by this actor: a user's subject, or `device/<id>`.
    #[serde(default)]
    actor: Option<String>,
    /// Entries of this action, such as `command.queue` or `enrollment_token.revoke`.
    #[serde(default)]
    action: Option<String>,
    /// Entries about this device or its commands.
    #[serde(default)]
    #[schemars(with = "Option<mdm_core::domain::DeviceId>")]
    device: Option<String>,
    /// Entries at or after this RFC 3339 time.
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    /// Entries at or before this RFC 3339 time.
    #[serde(default)]
    #[schemars(extend("format" = "date-time"))]
    until: Option<String>,
}

/// A device's commands: open or closed ones.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandListParams {
    /// Only open commands (oldest first) instead of closed ones (newest first).
    #[serde(default)]
    open: Option<bool>,
}

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

pub(crate) async fn create_token(
    State(svc): Svc,
    Tenant(who): Tenant,
    ServerUrl(server): ServerUrl,
    JsonBody(req): JsonBody<enrollment::CreateTokenRequest>,
) -> ApiResult<Created<enrollment::TokenCreated>> {
    let created = enrollment::create_token(&svc, &who, req).await?;
    Ok(Created(match server {
        Some(server) => created.with_qr(&server, &who.tenant),
        None => created,
    }))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenListParams {
    /// Only tokens devices may still enroll with (not revoked, expired or used up).
    #[serde(default)]
    active: Option<bool>,
}

pub(crate) async fn list_tokens(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, p): Paged<TokenListParams>,
) -> ApiResult<Json<Listing<enrollment_tokens::TokenView>>> {
    let active = p.active.unwrap_or(false);
    Ok(Json(
        enrollment_tokens::list(&svc, &who, active, page).await?,
    ))
}

pub(crate) async fn get_token(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(id): IdPath<EnrollmentTokenId>,
) -> ApiResult<Json<enrollment_tokens::TokenView>> {
    Ok(Json(enrollment_tokens::get(&svc, &who, &id).await?))
}

pub(crate) async fn revoke_token(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(id): IdPath<EnrollmentTokenId>,
) -> ApiResult<Json<enrollment_tokens::TokenView>> {
    Ok(Json(enrollment_tokens::revoke(&svc, &who, &id).await?))
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

pub(crate) async fn queue_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    JsonBody(req): JsonBody<commands::QueueCommandRequest>,
) -> ApiResult<Created<CommandView>> {
    let view = commands::queue(&svc, &who, &device, req).await?;
    Ok(Created(view))
}

pub(crate) async fn list_commands(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
    Paged(page, p): Paged<CommandListParams>,
) -> ApiResult<Json<Listing<CommandView>>> {
    let open = p.open.unwrap_or(false);
    Ok(Json(commands::list(&svc, &who, &device, open, page).await?))
}

pub(crate) async fn get_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath((device, command)): IdPath<(DeviceId, CommandId)>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(commands::get(&svc, &who, &device, &command).await?))
}

pub(crate) async fn cancel_command(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath((device, command)): IdPath<(DeviceId, CommandId)>,
) -> ApiResult<Json<CommandView>> {
    Ok(Json(commands::cancel(&svc, &who, &device, &command).await?))
}

pub(crate) async fn clear_commands(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(device): IdPath<DeviceId>,
) -> ApiResult<Json<commands::Cleared>> {
    Ok(Json(commands::clear(&svc, &who, &device).await?))
}

pub(crate) async fn list_audit(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, p): Paged<AuditParams>,
) -> ApiResult<Json<Listing<audit::AuditView>>> {
    let time = |field, v: &Option<String>| {
        v.as_deref()
            .map(|s| mdm_core::domain::time::parse_rfc3339(field, s))
            .transpose()
    };
    let filter = audit::AuditFilter {
        actor: p.actor,
        action: p.action,
        device: p
            .device
            .as_deref()
            .map(|d| {
                DeviceId::parse(d)
                    .map_err(|_| mdm_core::Error::invalid_field("device", "not a device id"))
            })
            .transpose()?,
        since: time("since", &p.since)?,
        until: time("until", &p.until)?,
    };
    Ok(Json(audit::list(&svc, &who, &filter, page).await?))
}

pub(crate) async fn list_push_config(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<Vec<push_config::PushConfigView>>> {
    Ok(Json(push_config::list(&svc, &who).await?))
}

pub(crate) async fn set_push_config(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(platform): IdPath<Platform>,
    JsonBody(req): JsonBody<push_config::SetPushConfig>,
) -> ApiResult<Json<push_config::PushConfigView>> {
    Ok(Json(push_config::set(&svc, &who, platform, req).await?))
}

pub(crate) async fn get_settings(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<settings::SettingsView>> {
    Ok(Json(settings::get(&svc, &who).await?))
}

pub(crate) async fn set_settings(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<settings::SetSettings>,
) -> ApiResult<Json<settings::SettingsView>> {
    Ok(Json(settings::set(&svc, &who, req).await?))
}
