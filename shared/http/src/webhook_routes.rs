//! Routes for tenants' webhook endpoints and their deliveries (the commands function).
//! `routes.rs` says which path and method each handler serves.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use mdm_core::Services;
use mdm_core::domain::WebhookId;
use mdm_core::usecases::fleet::views::Listing;
use mdm_core::usecases::integrations::webhooks::{
    self, CreateWebhook, CreatedWebhook, DeliveryView, RotatedSecret, UpdateWebhook, WebhookView,
};

use crate::extract::{JsonBody, QueryParams, Tenant, path_id};
use crate::group_routes::PageParams;
use crate::openapi::{Created, NoContent};
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

fn webhook_id(raw: &str) -> Result<WebhookId, mdm_core::Error> {
    path_id(raw, WebhookId::parse, "webhook")
}

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
    QueryParams(p): QueryParams<PageParams>,
) -> ApiResult<Json<Listing<WebhookView>>> {
    let limit = p.limit.unwrap_or(100);
    Ok(Json(
        webhooks::list(&svc, &who, p.cursor.as_deref(), limit).await?,
    ))
}

pub(crate) async fn get_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(w): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(webhooks::get(&svc, &who, &webhook_id(&w)?).await?))
}

pub(crate) async fn update_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(w): Path<String>,
    JsonBody(req): JsonBody<UpdateWebhook>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(
        webhooks::update(&svc, &who, &webhook_id(&w)?, req).await?,
    ))
}

pub(crate) async fn delete_webhook(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(w): Path<String>,
) -> ApiResult<NoContent> {
    webhooks::delete(&svc, &who, &webhook_id(&w)?).await?;
    Ok(NoContent)
}

pub(crate) async fn rotate_webhook_secret(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(w): Path<String>,
) -> ApiResult<Json<RotatedSecret>> {
    Ok(Json(
        webhooks::rotate_secret(&svc, &who, &webhook_id(&w)?).await?,
    ))
}

pub(crate) async fn list_webhook_deliveries(
    State(svc): Svc,
    Tenant(who): Tenant,
    Path(w): Path<String>,
    QueryParams(p): QueryParams<PageParams>,
) -> ApiResult<Json<Listing<DeliveryView>>> {
    let limit = p.limit.unwrap_or(50);
    Ok(Json(
        webhooks::deliveries(&svc, &who, &webhook_id(&w)?, p.cursor.as_deref(), limit).await?,
    ))
}
