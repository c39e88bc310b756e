//! HTTP handlers of `/api/downloads` (admins and users with the `models` permission). HTTP only:
//! the rules are in `service`.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use super::service;
use super::types::{CreateDownloadRequest, DownloadView};
use crate::auth::extract::ModelsManager;
use crate::chat::types::ItemList;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// Starts a download (or returns the running one that fetches the same files, with 200).
#[utoipa::path(post, path = "", tag = "models", request_body = CreateDownloadRequest,
    responses((status = 201, description = "Started", body = DownloadView),
        (status = 200, description = "The same files are already being downloaded by this task", body = DownloadView),
        (status = 400, description = "A malformed name (repository, file path, digest)", body = ErrorBody),
        (status = 404, description = "No such repository, file or model on the hub", body = ErrorBody),
        (status = 409, description = "Already downloaded, or not enough disk space", body = ErrorBody),
        (status = 502, description = "The hub failed", body = ErrorBody)))]
pub async fn post_download(
    State(state): State<AppState>,
    ModelsManager(ctx): ModelsManager,
    AppJson(body): AppJson<CreateDownloadRequest>,
) -> ApiResult<(StatusCode, AppJson<DownloadView>)> {
    let (view, created) = service::create(&state, ctx.user.id, &body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(view)))
}

/// Every download, newest first.
#[utoipa::path(get, path = "", tag = "models",
    responses((status = 200, description = "Downloads", body = ItemList<DownloadView>)))]
pub async fn get_downloads(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
) -> ApiResult<AppJson<ItemList<DownloadView>>> {
    Ok(AppJson(ItemList {
        items: service::list(&state).await?,
    }))
}

/// One download.
#[utoipa::path(get, path = "/{id}", tag = "models", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "The download", body = DownloadView),
        (status = 404, description = "No such download", body = ErrorBody)))]
pub async fn get_download(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DownloadView>> {
    Ok(AppJson(service::view(&state, id).await?))
}

/// Pauses a download; its partial files are kept.
#[utoipa::path(post, path = "/{id}/pause", tag = "models", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "Paused", body = DownloadView),
        (status = 409, description = "Not pending or running", body = ErrorBody)))]
pub async fn post_pause(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DownloadView>> {
    Ok(AppJson(service::pause(&state, id).await?))
}

/// Resumes a paused or failed download from where it stopped.
#[utoipa::path(post, path = "/{id}/resume", tag = "models", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "Resumed", body = DownloadView),
        (status = 409, description = "Not paused or failed", body = ErrorBody)))]
pub async fn post_resume(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DownloadView>> {
    Ok(AppJson(service::resume(&state, id).await?))
}

/// Cancels a download and removes its files.
#[utoipa::path(post, path = "/{id}/cancel", tag = "models", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "Cancelled", body = DownloadView),
        (status = 409, description = "Already completed or cancelled", body = ErrorBody)))]
pub async fn post_cancel(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DownloadView>> {
    Ok(AppJson(service::cancel(&state, id).await?))
}

fn frame(view: &DownloadView) -> Bytes {
    let data = serde_json::to_string(view).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("event: download\ndata: {data}\n\n"))
}

/// Live progress: every download once, then each one again whenever it changes (event
/// `download`, data: the download as `GET /api/downloads/{id}` shows it).
#[utoipa::path(get, path = "/events", tag = "models",
    responses((status = 200, description = "Server-sent events", content_type = "text/event-stream")))]
pub async fn get_download_events(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
) -> ApiResult<Response> {
    let changes = state.downloads.subscribe();
    let first: Vec<Result<Bytes, Infallible>> = service::list(&state)
        .await?
        .iter()
        .map(|v| Ok(frame(v)))
        .collect();
    let live = BroadcastStream::new(changes).filter_map(move |id| {
        let state = state.clone();
        async move {
            let id = id.ok()?;
            let view = service::view(&state, id).await.ok()?;
            Some(Ok(frame(&view)))
        }
    });
    Ok(crate::extract::event_stream(
        futures::stream::iter(first).chain(live),
    ))
}
