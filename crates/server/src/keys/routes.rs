//! HTTP handlers of `/api/keys`: the caller's own gateway API keys.

use axum::extract::State;
use axum::http::StatusCode;

use super::service;
use super::types::{CreateKeyRequest, CreatedKeyResponse, KeyList, KeyResponse, UpdateKeyRequest};
use crate::auth::extract::{AuthUser, Client};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// The caller's API keys (never the keys themselves).
#[utoipa::path(get, path = "", tag = "keys",
    responses((status = 200, description = "Keys", body = KeyList)))]
pub async fn get_keys(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<KeyList>> {
    Ok(AppJson(KeyList {
        items: service::list(&state, &ctx).await?,
    }))
}

/// Creates an API key for `/v1`. The response is the only time the key is shown.
#[utoipa::path(post, path = "", tag = "keys", request_body = CreateKeyRequest,
    responses((status = 201, description = "Created", body = CreatedKeyResponse),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn post_key(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppJson(req): AppJson<CreateKeyRequest>,
) -> ApiResult<(StatusCode, AppJson<CreatedKeyResponse>)> {
    let created = service::create(&state, &ctx, req, &client).await?;
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// Edits one of the caller's keys: name, `models`, `expires_at` and the limit fields (absent:
/// unchanged, `null`: cleared).
#[utoipa::path(patch, path = "/{id}", tag = "keys", params(("id" = uuid::Uuid, Path, description = "Key")),
    request_body = UpdateKeyRequest,
    responses((status = 200, description = "Saved", body = KeyResponse),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn patch_key(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<uuid::Uuid>,
    AppJson(req): AppJson<UpdateKeyRequest>,
) -> ApiResult<AppJson<KeyResponse>> {
    Ok(AppJson(
        service::update(&state, &ctx, id, req, &client).await?,
    ))
}

/// Revokes one of the caller's keys; it stops working at once.
#[utoipa::path(delete, path = "/{id}", tag = "keys", params(("id" = uuid::Uuid, Path, description = "Key")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such key", body = ErrorBody)))]
pub async fn delete_key(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    service::revoke(&state, &ctx, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
