//! Routes devices call with their credential: enroll, check in, pull commands, report results.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use mdm_core::Services;
use mdm_core::domain::{CheckinRequest, CommandId, EnrollRequest, ResultReport};
use mdm_core::usecases::{checkin, enrollment, fetch, results};
use serde::Serialize;

use crate::extract::{Device, JsonBody, path_id};
use crate::problem::ApiResult;

type Svc = State<Arc<Services>>;

/// POST /v1/enroll (the enroll function).
pub fn enroll_router() -> Router<Arc<Services>> {
    Router::new().route("/v1/enroll", post(enroll))
}

/// POST /v1/device/checkin and GET /v1/device/commands (the check-in function).
pub fn checkin_router() -> Router<Arc<Services>> {
    Router::new()
        .route("/v1/device/checkin", post(checkin))
        .route("/v1/device/commands", get(pending))
}

/// POST /v1/device/commands/{id}/result (the results function).
pub fn results_router() -> Router<Arc<Services>> {
    Router::new().route("/v1/device/commands/{command_id}/result", post(report))
}

async fn enroll(
    State(svc): Svc,
    JsonBody(req): JsonBody<EnrollRequest>,
) -> ApiResult<(StatusCode, Json<enrollment::Enrolled>)> {
    Ok((
        StatusCode::CREATED,
        Json(enrollment::enroll(&svc, req).await?),
    ))
}

async fn checkin(
    State(svc): Svc,
    Device(cred): Device,
    JsonBody(req): JsonBody<CheckinRequest>,
) -> ApiResult<Json<checkin::CheckinReply>> {
    Ok(Json(checkin::checkin(&svc, &cred, req).await?))
}

#[derive(Serialize)]
struct PendingReply {
    commands: Vec<mdm_core::usecases::views::DeliveredCommand>,
}

async fn pending(State(svc): Svc, Device(cred): Device) -> ApiResult<Json<PendingReply>> {
    Ok(Json(PendingReply {
        commands: fetch::pending(&svc, &cred).await?,
    }))
}

async fn report(
    State(svc): Svc,
    Device(cred): Device,
    Path(command_id): Path<String>,
    JsonBody(req): JsonBody<ResultReport>,
) -> ApiResult<Json<mdm_core::usecases::views::CommandView>> {
    let id = path_id(&command_id, CommandId::parse, "command")?;
    Ok(Json(results::report(&svc, &cred, &id, req).await?))
}
