//! Tenant routes of the Apple channel: the profile-signing identity admins set for enrolment
//! profiles. (The device side of Apple's protocol is in `apple_routes`.)

use axum::Json;
use axum::extract::State;
use mdm_core::apple::signing;

use super::Svc;
use crate::extract::{JsonBody, Tenant};
use crate::openapi::NoContent;
use crate::problem::ApiResult;

pub(crate) async fn set_signing_identity(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<signing::SetSigningIdentity>,
) -> ApiResult<Json<signing::SigningIdentityView>> {
    Ok(Json(signing::set(&svc, &who, req).await?))
}

pub(crate) async fn get_signing_identity(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<Json<signing::SigningIdentityView>> {
    Ok(Json(signing::get(&svc, &who).await?))
}

pub(crate) async fn delete_signing_identity(
    State(svc): Svc,
    Tenant(who): Tenant,
) -> ApiResult<NoContent> {
    signing::delete(&svc, &who).await?;
    Ok(NoContent)
}
