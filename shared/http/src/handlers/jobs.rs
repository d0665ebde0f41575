//! Jobs (the commands function): one command sent to a group or the whole tenant, fanned out
//! through the queue, and its progress. `routes.rs` says which path and method each handler serves.

use axum::Json;
use axum::extract::State;
use mdm_core::domain::JobId;
use mdm_core::usecases::fleet::jobs::{self, CreateJobRequest, JobView};
use mdm_core::usecases::fleet::views::Listing;

use super::Svc;
use crate::extract::{JsonBody, Paged, Tenant};
use crate::openapi::Created;
use crate::path::IdPath;
use crate::problem::ApiResult;

pub(crate) async fn create_job(
    State(svc): Svc,
    Tenant(who): Tenant,
    JsonBody(req): JsonBody<CreateJobRequest>,
) -> ApiResult<Created<JobView>> {
    Ok(Created(jobs::create(&svc, &who, req).await?))
}

pub(crate) async fn list_jobs(
    State(svc): Svc,
    Tenant(who): Tenant,
    Paged(page, _): Paged,
) -> ApiResult<Json<Listing<JobView>>> {
    Ok(Json(jobs::list(&svc, &who, page).await?))
}

pub(crate) async fn get_job(
    State(svc): Svc,
    Tenant(who): Tenant,
    IdPath(j): IdPath<JobId>,
) -> ApiResult<Json<JobView>> {
    Ok(Json(jobs::get(&svc, &who, &j).await?))
}
