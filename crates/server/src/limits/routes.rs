//! HTTP handlers of limits: per user and per role (admins), per API key (its owner).

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::service::{self, Subject};
use super::types::{LimitBody, LimitResponse};
use crate::auth::extract::{AdminUser, AuthUser, Client};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

fn role(name: &str) -> ApiResult<Subject<'_>> {
    match name {
        "admin" | "user" => Ok(Subject::Role(name)),
        _ => Err(ApiError::NotFound("roles are admin and user".to_owned())),
    }
}

/// A user's own limits (their role's apply when none are set).
#[utoipa::path(get, path = "/users/{id}/quota", tag = "admin", params(("id" = Uuid, Path, description = "User")),
    responses((status = 200, description = "Limits (null: none of their own)", body = Option<LimitResponse>)))]
pub async fn admin_get_user_quota(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Option<LimitResponse>>> {
    service::ensure_user(&state, id).await?;
    Ok(AppJson(service::get(&state, Subject::User(id)).await?))
}

/// Sets a user's limits: a budget per day, month or in total (cost and/or tokens) and
/// requests and tokens per minute.
#[utoipa::path(put, path = "/users/{id}/quota", tag = "admin", params(("id" = Uuid, Path, description = "User")),
    request_body = LimitBody,
    responses((status = 200, description = "Saved", body = LimitResponse),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn admin_put_user_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<LimitBody>,
) -> ApiResult<AppJson<LimitResponse>> {
    service::ensure_user(&state, id).await?;
    Ok(AppJson(
        service::put(&state, &admin, &client, Subject::User(id), &body).await?,
    ))
}

/// Removes a user's own limits (their role's apply again).
#[utoipa::path(delete, path = "/users/{id}/quota", tag = "admin", params(("id" = Uuid, Path, description = "User")),
    responses((status = 204, description = "Removed"), (status = 404, description = "None set", body = ErrorBody)))]
pub async fn admin_delete_user_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &admin, &client, Subject::User(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The default limits of a role (`user` or `admin`).
#[utoipa::path(get, path = "/quotas/roles/{role}", tag = "admin", params(("role" = String, Path, description = "Role")),
    responses((status = 200, description = "Limits (null: none)", body = Option<LimitResponse>)))]
pub async fn admin_get_role_quota(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    AppPath(name): AppPath<String>,
) -> ApiResult<AppJson<Option<LimitResponse>>> {
    Ok(AppJson(service::get(&state, role(&name)?).await?))
}

/// Sets the default limits of a role.
#[utoipa::path(put, path = "/quotas/roles/{role}", tag = "admin", params(("role" = String, Path, description = "Role")),
    request_body = LimitBody,
    responses((status = 200, description = "Saved", body = LimitResponse), (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn admin_put_role_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(name): AppPath<String>,
    AppJson(body): AppJson<LimitBody>,
) -> ApiResult<AppJson<LimitResponse>> {
    Ok(AppJson(
        service::put(&state, &admin, &client, role(&name)?, &body).await?,
    ))
}

/// The rate limits set on models (each shared by every caller of the model).
#[utoipa::path(get, path = "/quotas/models", tag = "admin",
    responses((status = 200, description = "Limits per model", body = Vec<LimitResponse>)))]
pub async fn admin_list_model_quotas(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<Vec<LimitResponse>>> {
    Ok(AppJson(service::list_models(&state).await?))
}

/// Sets a model's requests and tokens per minute, for all its callers together (a name with
/// `/` is sent as `%2F`).
#[utoipa::path(put, path = "/quotas/models/{model}", tag = "admin",
    params(("model" = String, Path, description = "Public model name (1–64 characters)", max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$")),
    request_body = super::types::ModelLimitBody,
    responses((status = 200, description = "Saved", body = LimitResponse), (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn admin_put_model_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(model): AppPath<String>,
    AppJson(body): AppJson<LimitBody>,
) -> ApiResult<AppJson<LimitResponse>> {
    Ok(AppJson(
        service::put(&state, &admin, &client, Subject::Model(&model), &body).await?,
    ))
}

/// Removes a model's rate limits.
#[utoipa::path(delete, path = "/quotas/models/{model}", tag = "admin", params(("model" = String, Path, description = "Public model name")),
    responses((status = 204, description = "Removed"), (status = 404, description = "None set", body = ErrorBody)))]
pub async fn admin_delete_model_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(model): AppPath<String>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &admin, &client, Subject::Model(&model)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The limits of one of the caller's API keys.
#[utoipa::path(get, path = "/{id}/quota", tag = "keys", params(("id" = Uuid, Path, description = "Key")),
    responses((status = 200, description = "Limits (null: none)", body = Option<LimitResponse>), (status = 404, description = "No such key", body = ErrorBody)))]
pub async fn get_key_quota(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<Option<LimitResponse>>> {
    crate::keys::service::get_own(&state, &ctx, id).await?;
    Ok(AppJson(service::get(&state, Subject::Key(id)).await?))
}

/// Sets limits on one of the caller's API keys (on top of the caller's own).
#[utoipa::path(put, path = "/{id}/quota", tag = "keys", params(("id" = Uuid, Path, description = "Key")),
    request_body = LimitBody,
    responses((status = 200, description = "Saved", body = LimitResponse), (status = 404, description = "No such key", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn put_key_quota(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<LimitBody>,
) -> ApiResult<AppJson<LimitResponse>> {
    crate::keys::service::get_own(&state, &ctx, id).await?;
    Ok(AppJson(
        service::put(&state, &ctx, &client, Subject::Key(id), &body).await?,
    ))
}
