//! HTTP handlers of `/api/models` (admins and users with the `models` permission; importing a
//! path of the server's file system is for admins only). HTTP only: the rules are in `service`.

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::service;
use super::source::Hit;
use super::types::{
    DaemonModels, FilesQuery, FilesResponse, ImportRequest, LocalModel, SearchQuery,
};
use crate::auth::extract::{AdminUser, ModelsManager};
use crate::chat::types::ItemList;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// Searches a hub (Hugging Face, ModelScope, the Ollama registry).
#[utoipa::path(get, path = "/search", tag = "models", params(SearchQuery),
    responses((status = 200, description = "Hits", body = ItemList<Hit>),
        (status = 422, description = "Unknown source or a bad limit", body = ErrorBody),
        (status = 502, description = "The hub failed", body = ErrorBody)))]
pub async fn get_search(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppQuery(q): AppQuery<SearchQuery>,
) -> ApiResult<AppJson<ItemList<Hit>>> {
    Ok(AppJson(ItemList {
        items: service::search(&state, &q).await?,
    }))
}

/// A repository's files, GGUF grouped by quantisation.
#[utoipa::path(get, path = "/files", tag = "models", params(FilesQuery),
    responses((status = 200, description = "Files", body = FilesResponse),
        (status = 404, description = "No such repository", body = ErrorBody),
        (status = 403, description = "Gated: the hub refused our token", body = ErrorBody)))]
pub async fn get_files(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppQuery(q): AppQuery<FilesQuery>,
) -> ApiResult<AppJson<FilesResponse>> {
    Ok(AppJson(service::files(&state, &q).await?))
}

/// The models of the Ollama daemon at `OLLAMA_HOST`.
#[utoipa::path(get, path = "/ollama", tag = "models",
    responses((status = 200, description = "The daemon's models", body = DaemonModels),
        (status = 409, description = "OLLAMA_HOST is not set", body = ErrorBody),
        (status = 502, description = "The daemon failed", body = ErrorBody)))]
pub async fn get_daemon_models(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
) -> ApiResult<AppJson<DaemonModels>> {
    Ok(AppJson(service::daemon_models(&state).await?))
}

/// The local registry (for those who manage models or deploy them).
#[utoipa::path(get, path = "", tag = "models",
    responses((status = 200, description = "Models on disk", body = ItemList<LocalModel>)))]
pub async fn get_models(
    State(state): State<AppState>,
    crate::auth::extract::AuthUser(who): crate::auth::extract::AuthUser,
) -> ApiResult<AppJson<ItemList<LocalModel>>> {
    use crate::auth::permissions::Permission;
    if !who.may(Permission::Models) && !who.may(Permission::Deployments) {
        return Err(crate::error::ApiError::Forbidden(
            "the model registry needs the `models` permission or the `deployments` permission (or an admin)"
                .to_owned(),
        ));
    }
    Ok(AppJson(ItemList {
        items: service::list(&state).await?,
    }))
}

/// Deletes a model and (unless it was imported in place) its files.
#[utoipa::path(delete, path = "/{id}", tag = "models", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such model", body = ErrorBody)))]
pub async fn delete_model(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Registers a GGUF file in place from `MODELS_DIR` or an import directory (admins only).
#[utoipa::path(post, path = "/import", tag = "models", request_body = ImportRequest,
    responses((status = 201, description = "Registered", body = LocalModel),
        (status = 422, description = "Not an allowed, readable .gguf file", body = ErrorBody)))]
pub async fn post_import(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    AppJson(body): AppJson<ImportRequest>,
) -> ApiResult<(StatusCode, AppJson<LocalModel>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(service::import(&state, &body.path).await?),
    ))
}

/// Reads `MODELS_DIR` again: files put there appear, files gone disappear.
#[utoipa::path(post, path = "/rescan", tag = "models",
    responses((status = 200, description = "The registry after the scan", body = ItemList<LocalModel>)))]
pub async fn post_rescan(
    State(state): State<AppState>,
    ModelsManager(_who): ModelsManager,
) -> ApiResult<AppJson<ItemList<LocalModel>>> {
    super::registry::rescan(&state).await?;
    Ok(AppJson(ItemList {
        items: service::list(&state).await?,
    }))
}
