//! HTTP handlers of the system endpoints.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::service;
use super::types::{HealthResponse, ReadyResponse, SystemInfoResponse};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::state::AppState;

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "Alive", body = HealthResponse)))]
pub async fn get_health() -> AppJson<HealthResponse> {
    AppJson(HealthResponse {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database answers, every migration is applied and Redis (if configured)
/// answers. Load balancers should route only to ready instances.
#[utoipa::path(get, path = "/ready", tag = "system",
    responses(
        (status = 200, description = "Ready", body = ReadyResponse),
        (status = 503, description = "Not ready; the checks say why", body = ReadyResponse),
    ))]
pub async fn get_ready(State(state): State<AppState>) -> Response {
    let ready = service::readiness(&state).await;
    let status = if service::is_ready(&ready.checks) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, AppJson(ready)).into_response()
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn get_metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let text = state.metrics.render(state.db.pool_stats())?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Version, database backend and uptime of this instance.
#[utoipa::path(get, path = "/info", tag = "system",
    responses(
        (status = 200, description = "Instance facts", body = SystemInfoResponse),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
pub async fn get_system_info(
    State(state): State<AppState>,
) -> ApiResult<AppJson<SystemInfoResponse>> {
    Ok(AppJson(service::system_info(&state).await?))
}
