//! HTTP handlers of guest chat.

use axum::extract::State;
use axum::response::Response;

use super::service;
use super::{GuestChatBody, GuestInfo, GuestSettings};
use crate::auth::extract::{AdminUser, Client};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::state::AppState;

/// Whether guests may chat, and with what.
#[utoipa::path(get, path = "/guest", tag = "chat",
    responses((status = 200, description = "Guest chat", body = GuestInfo)))]
pub async fn get_guest(State(state): State<AppState>) -> ApiResult<AppJson<GuestInfo>> {
    Ok(AppJson(service::info(&state).await?))
}

/// Guest chat settings.
#[utoipa::path(get, path = "/guest-chat", tag = "admin",
    responses((status = 200, description = "Settings", body = GuestSettings)))]
pub async fn admin_get_guest(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<GuestSettings>> {
    Ok(AppJson(service::settings(&state).await?))
}

/// Turns guest chat on or off and sets its limits.
#[utoipa::path(put, path = "/guest-chat", tag = "admin", request_body = GuestSettings,
    responses((status = 200, description = "Saved", body = GuestSettings), (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn admin_put_guest(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppJson(body): AppJson<GuestSettings>,
) -> ApiResult<AppJson<GuestSettings>> {
    Ok(AppJson(
        service::save_settings(&state, &admin, &client, body).await?,
    ))
}

/// A guest's message: the reply streams back as `delta`, then `done` or `error` events.
#[utoipa::path(post, path = "/guest/chat", tag = "chat", request_body = GuestChatBody,
    responses((status = 200, description = "Event stream (delta, done, error)"),
        (status = 403, description = "Guest chat is off", body = ErrorBody),
        (status = 429, description = "Too many guest messages from this address", body = ErrorBody)))]
pub async fn post_guest_chat(
    State(state): State<AppState>,
    Client(client): Client,
    AppJson(body): AppJson<GuestChatBody>,
) -> ApiResult<Response> {
    let events = service::chat(&state, &client, body).await?;
    Ok(crate::extract::event_stream(events))
}
