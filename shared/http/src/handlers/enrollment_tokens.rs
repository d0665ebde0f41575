//! Enrollment tokens (the commands function): creating one (with its QR code when the server knows
//! its own URL), listing, reading and revoking them. `routes.rs` says which path and method each
//! handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::EnrollmentTokenId;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::{device::enrollment, fleet::enrollment_tokens};
use serde::Deserialize;

use super::Svc;
use crate::extract::{JsonBody, Paged, ServerUrl, Tenant};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

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
