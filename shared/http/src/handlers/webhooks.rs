//! Routes for tenants' webhook endpoints and their deliveries (the commands function).
//! `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::WebhookId;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::integrations::webhooks::{
    self, CreateWebhook, CreatedWebhook, DeliveryView, RotatedSecret, UpdateWebhook, WebhookView,
};

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::{Created, NoContent};
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn create_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<CreateWebhook>,
) -> ApiResult<Created<CreatedWebhook>> {
    Ok(Created(webhooks::create(&svc, &who, req).await?))
}

pub(crate) async fn list_webhooks(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<WebhookView>>> {
    Ok(Json(webhooks::list(&svc, &who, page).await?))
}

pub(crate) async fn get_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(w): IdPath<WebhookId>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(webhooks::get(&svc, &who, &w).await?))
}

pub(crate) async fn update_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(w): IdPath<WebhookId>,
    JsonBody(req): JsonBody<UpdateWebhook>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(webhooks::update(&svc, &who, &w, req).await?))
}

pub(crate) async fn delete_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(w): IdPath<WebhookId>,
) -> ApiResult<NoContent> {
    webhooks::delete(&svc, &who, &w).await?;
    Ok(NoContent)
}

pub(crate) async fn rotate_webhook_secret(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(w): IdPath<WebhookId>,
) -> ApiResult<Json<RotatedSecret>> {
    Ok(Json(webhooks::rotate_secret(&svc, &who, &w).await?))
}

pub(crate) async fn list_webhook_deliveries(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(w): IdPath<WebhookId>,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<DeliveryView>>> {
    Ok(Json(webhooks::deliveries(&svc, &who, &w, page).await?))
}
