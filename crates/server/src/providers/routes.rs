//! HTTP handlers of `/api/providers` (the caller's own and shared providers) and
//! `/api/admin/providers` (shared providers).

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::keys;
use super::probe;
use super::service::{self, Access};
use super::types::{
    AddKeyRequest, CreateProviderRequest, ProviderList, ProviderResponse, TestProviderRequest,
    TestProviderResponse, UpdateProviderRequest,
};
use crate::auth::extract::{AdminUser, AuthUser, Client};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// The caller's personal providers, then the shared ones they may use.
#[utoipa::path(get, path = "", tag = "providers",
    responses((status = 200, description = "Providers", body = ProviderList)))]
pub async fn get_providers(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<ProviderList>> {
    Ok(AppJson(ProviderList {
        items: service::list_for_user(&state, &ctx).await?,
    }))
}

/// Adds a personal provider (its base URL must pass the SSRF guard).
#[utoipa::path(post, path = "", tag = "providers", request_body = CreateProviderRequest,
    responses((status = 201, description = "Created", body = ProviderResponse),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn post_provider(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppJson(req): AppJson<CreateProviderRequest>,
) -> ApiResult<(StatusCode, AppJson<ProviderResponse>)> {
    let owner = Some(ctx.user.id);
    let p = service::create(&state, &ctx, owner, req, &client).await?;
    Ok((StatusCode::CREATED, AppJson(p)))
}

/// One provider the caller may see.
#[utoipa::path(get, path = "/{id}", tag = "providers", params(("id" = Uuid, Path, description = "Provider")),
    responses((status = 200, description = "Provider", body = ProviderResponse),
        (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn get_provider(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<ProviderResponse>> {
    Ok(AppJson(service::get(&state, &ctx, id).await?))
}

/// Changes a personal provider (admins: also shared ones).
#[utoipa::path(patch, path = "/{id}", tag = "providers", params(("id" = Uuid, Path, description = "Provider")), request_body = UpdateProviderRequest,
    responses((status = 200, description = "Changed", body = ProviderResponse),
        (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn patch_provider(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<UpdateProviderRequest>,
) -> ApiResult<AppJson<ProviderResponse>> {
    let p = service::load(&state, &ctx, id, Access::Manage).await?;
    Ok(AppJson(
        service::update(&state, &ctx, p, req, &client).await?,
    ))
}

/// Deletes a personal provider (admins: also shared ones) with its keys.
#[utoipa::path(delete, path = "/{id}", tag = "providers", params(("id" = Uuid, Path, description = "Provider")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn delete_provider(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    let p = service::load(&state, &ctx, id, Access::Manage).await?;
    service::delete(&state, &ctx, p, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an API key to a provider (another channel).
#[utoipa::path(post, path = "/{id}/keys", tag = "providers", params(("id" = Uuid, Path, description = "Provider")), request_body = AddKeyRequest,
    responses((status = 201, description = "Added", body = ProviderResponse),
        (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn post_key(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<AddKeyRequest>,
) -> ApiResult<(StatusCode, AppJson<ProviderResponse>)> {
    let p = service::load(&state, &ctx, id, Access::Manage).await?;
    let p = keys::add_key(&state, &ctx, p, &req.api_key, &client).await?;
    Ok((StatusCode::CREATED, AppJson(p)))
}

/// Removes one of a provider's keys.
#[utoipa::path(delete, path = "/{id}/keys/{key_id}", tag = "providers",
    params(("id" = Uuid, Path, description = "Provider"), ("key_id" = Uuid, Path, description = "Key")),
    responses((status = 200, description = "Removed", body = ProviderResponse),
        (status = 404, description = "No such provider or key", body = ErrorBody)))]
pub async fn delete_key(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath((id, key_id)): AppPath<(Uuid, Uuid)>,
) -> ApiResult<AppJson<ProviderResponse>> {
    let p = service::load(&state, &ctx, id, Access::Manage).await?;
    Ok(AppJson(
        keys::delete_key(&state, &ctx, p, key_id, &client).await?,
    ))
}

/// Tests the connection with a real minimal call.
#[utoipa::path(post, path = "/{id}/test", tag = "providers", params(("id" = Uuid, Path, description = "Provider")), request_body = TestProviderRequest,
    responses((status = 200, description = "Outcome (ok or the upstream's error)", body = TestProviderResponse),
        (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn post_test(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
    body: axum::body::Bytes,
) -> ApiResult<AppJson<TestProviderResponse>> {
    let p = service::load(&state, &ctx, id, Access::Manage).await?;
    // The body is optional: `{}` or nothing tries the provider's first model.
    let model = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        crate::extract::parse_json::<TestProviderRequest>(&body)?.model
    };
    Ok(AppJson(probe::test(&state, &ctx, &p, model).await?))
}

/// Replaces the model list with what the upstream lists.
#[utoipa::path(post, path = "/{id}/models/refresh", tag = "providers", params(("id" = Uuid, Path, description = "Provider")),
    responses((status = 200, description = "Refreshed", body = ProviderResponse),
        (status = 422, description = "The upstream cannot list models", body = ErrorBody)))]
pub async fn post_refresh_models(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<ProviderResponse>> {
    let p = service::load(&state, &ctx, id, Access::Manage).await?;
    Ok(AppJson(
        probe::refresh_models(&state, &ctx, p, &client).await?,
    ))
}

/// Shared providers with key hints.
#[utoipa::path(get, path = "", tag = "admin",
    responses((status = 200, description = "Shared providers", body = ProviderList)))]
pub async fn admin_get_providers(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<ProviderList>> {
    Ok(AppJson(ProviderList {
        items: service::list_shared(&state).await?,
    }))
}

/// Adds a shared provider (may point anywhere, e.g. Ollama on localhost).
#[utoipa::path(post, path = "", tag = "admin", request_body = CreateProviderRequest,
    responses((status = 201, description = "Created", body = ProviderResponse),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn admin_post_provider(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppJson(req): AppJson<CreateProviderRequest>,
) -> ApiResult<(StatusCode, AppJson<ProviderResponse>)> {
    let p = service::create(&state, &admin, None, req, &client).await?;
    Ok((StatusCode::CREATED, AppJson(p)))
}

async fn shared(
    state: &AppState,
    admin: &crate::auth::service::AuthContext,
    id: Uuid,
) -> ApiResult<super::store::Provider> {
    let p = service::load(state, admin, id, Access::Manage).await?;
    if p.owner_id.is_some() {
        return Err(ApiError::NotFound("no such shared provider".to_owned()));
    }
    Ok(p)
}

/// One shared provider.
#[utoipa::path(get, path = "/{id}", tag = "admin", params(("id" = Uuid, Path, description = "Provider")),
    responses((status = 200, description = "Provider", body = ProviderResponse),
        (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn admin_get_provider(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<ProviderResponse>> {
    let p = shared(&state, &admin, id).await?;
    Ok(AppJson(service::get(&state, &admin, p.id).await?))
}

/// Changes a shared provider.
#[utoipa::path(patch, path = "/{id}", tag = "admin", params(("id" = Uuid, Path, description = "Provider")), request_body = UpdateProviderRequest,
    responses((status = 200, description = "Changed", body = ProviderResponse),
        (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn admin_patch_provider(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<UpdateProviderRequest>,
) -> ApiResult<AppJson<ProviderResponse>> {
    let p = shared(&state, &admin, id).await?;
    Ok(AppJson(
        service::update(&state, &admin, p, req, &client).await?,
    ))
}

/// Deletes a shared provider with its keys.
#[utoipa::path(delete, path = "/{id}", tag = "admin", params(("id" = Uuid, Path, description = "Provider")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn admin_delete_provider(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    let p = shared(&state, &admin, id).await?;
    service::delete(&state, &admin, p, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
