//! HTTP handlers of `/api/deployments` (admins and users with the `deployments` permission). HTTP only: the rules are in `service`.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use super::service;
use super::types::{CreateDeploymentRequest, DeploymentView, LogsQuery, LogsResponse};
use crate::auth::extract::{Client, DeploymentsManager};
use crate::chat::types::ItemList;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// Deploys a local model (and starts it unless `start` is false).
#[utoipa::path(post, path = "", tag = "deployments", request_body = CreateDeploymentRequest,
    responses((status = 201, description = "Created", body = DeploymentView),
        (status = 422, description = "A bad option, or a model the backend cannot serve (the reason named)", body = ErrorBody),
        (status = 409, description = "The name is taken, or the model does not fit in free memory", body = ErrorBody)))]
pub async fn post_deployment(
    State(state): State<AppState>,
    DeploymentsManager(admin): DeploymentsManager,
    Client(client): Client,
    AppJson(body): AppJson<CreateDeploymentRequest>,
) -> ApiResult<(StatusCode, AppJson<DeploymentView>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(service::create(&state, &admin, body, &client).await?),
    ))
}

/// What a deployment would need (weights, KV cache for the context), where it would run (the
/// GPU with most free memory, or the CPU) and whether it fits.
#[utoipa::path(post, path = "/estimate", tag = "deployments", request_body = super::estimate::EstimateRequest,
    responses((status = 200, description = "The estimate", body = super::estimate::Estimate),
        (status = 422, description = "A bad option (the reason named)", body = ErrorBody)))]
pub async fn post_estimate(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
    AppJson(body): AppJson<super::estimate::EstimateRequest>,
) -> ApiResult<AppJson<super::estimate::Estimate>> {
    Ok(AppJson(service::estimate(&state, body).await?))
}

/// Every deployment.
#[utoipa::path(get, path = "", tag = "deployments",
    responses((status = 200, description = "Deployments", body = ItemList<DeploymentView>)))]
pub async fn get_deployments(
    State(state): State<AppState>,
    DeploymentsManager(_admin): DeploymentsManager,
) -> ApiResult<AppJson<ItemList<DeploymentView>>> {
    Ok(AppJson(ItemList {
        items: service::list(&state).await?,
    }))
}

/// One deployment: status, port, pid, restarts, last error.
#[utoipa::path(get, path = "/{id}", tag = "deployments", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "The deployment", body = DeploymentView),
        (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn get_deployment(
    State(state): State<AppState>,
    DeploymentsManager(_admin): DeploymentsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DeploymentView>> {
    let row = service::get(&state, id).await?;
    Ok(AppJson(service::view(&state, row).await?))
}

/// Stops a deployment and deletes it with its route.
#[utoipa::path(delete, path = "/{id}", tag = "deployments", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn delete_deployment(
    State(state): State<AppState>,
    DeploymentsManager(admin): DeploymentsManager,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &admin, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a deployment (a failed one too).
#[utoipa::path(post, path = "/{id}/start", tag = "deployments", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "Starting", body = DeploymentView), (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn post_start(
    State(state): State<AppState>,
    DeploymentsManager(_admin): DeploymentsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DeploymentView>> {
    Ok(AppJson(service::start(&state, id).await?))
}

/// Stops a deployment: SIGTERM, SIGKILL after ten seconds; its route closes.
#[utoipa::path(post, path = "/{id}/stop", tag = "deployments", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "Stopped", body = DeploymentView), (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn post_stop(
    State(state): State<AppState>,
    DeploymentsManager(_admin): DeploymentsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DeploymentView>> {
    Ok(AppJson(service::stop(&state, id).await?))
}

/// Stops and starts a deployment.
#[utoipa::path(post, path = "/{id}/restart", tag = "deployments", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "Starting", body = DeploymentView), (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn post_restart(
    State(state): State<AppState>,
    DeploymentsManager(_admin): DeploymentsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DeploymentView>> {
    Ok(AppJson(service::restart(&state, id).await?))
}

/// The process's output: the last lines, or (`follow=true`) those and every new one as
/// server-sent events (`event: line`).
#[utoipa::path(get, path = "/{id}/logs", tag = "deployments", params(("id" = Uuid, Path, description = "Id"), LogsQuery),
    responses((status = 200, description = "Lines", body = LogsResponse), (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn get_logs(
    State(state): State<AppState>,
    DeploymentsManager(_admin): DeploymentsManager,
    AppPath(id): AppPath<Uuid>,
    AppQuery(q): AppQuery<LogsQuery>,
) -> ApiResult<Response> {
    service::get(&state, id).await?;
    let log = state.deployments.log(&state, id);
    let lines = log.tail(q.tail.unwrap_or(200).min(2000));
    if !q.follow.unwrap_or(false) {
        return Ok(AppJson(LogsResponse { lines }).into_response());
    }
    let frame = |line: &str| -> Result<Bytes, Infallible> {
        let data = serde_json::to_string(line).unwrap_or_else(|_| "\"\"".to_owned());
        Ok(Bytes::from(format!("event: line\ndata: {data}\n\n")))
    };
    let first: Vec<_> = lines.iter().map(|l| frame(l)).collect();
    let live = BroadcastStream::new(log.follow())
        .filter_map(move |line| async move { line.ok().map(|l| frame(&l)) });
    Ok(crate::extract::event_stream(
        futures::stream::iter(first).chain(live),
    ))
}
