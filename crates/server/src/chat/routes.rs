//! HTTP handlers of `/api/llm` (chat) and the public `/api/share/{token}`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use uuid::Uuid;

use super::personas;
use super::reply::{self, Started};
use super::runner::{ChatEvent, Run};
use super::service;
use super::share;
use super::store::SessionFilter;
use super::types::{
    ChatRequestBody, ChatResponseBody, EditMessageBody, ExportQuery, ItemList, MessageQuery,
    MessageResponse, ModelInfo, Page, PersonaBody, PersonaResponse, RegenerateBody, SessionQuery,
    SessionResponse, ShareResponse, StopResponse, UpdateSessionBody,
};
use crate::auth::extract::AuthUser;
use crate::auth::service::AuthContext;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

fn frame(id: u64, event: &ChatEvent) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!(
        "id: {id}\nevent: {}\ndata: {data}\n\n",
        event.name()
    ))
}

fn sse(run: Arc<Run>, after: u64) -> Response {
    crate::extract::event_stream(
        run.follow(after)
            .map(|(id, ev)| Ok::<_, Infallible>(frame(id, &ev))),
    )
}

async fn respond(
    state: &AppState,
    actor: &AuthContext,
    started: Started,
    stream: bool,
) -> ApiResult<Response> {
    if stream {
        Ok(sse(started.run, 0))
    } else {
        Ok(AppJson(started.finished(state, actor).await?).into_response())
    }
}

/// Sends a message and gets the reply (JSON, or `stream: true` for server-sent events).
#[utoipa::path(post, path = "/chat", tag = "chat", request_body = ChatRequestBody,
    responses((status = 200, description = "The stored question and reply, or an event stream (start, delta, usage, done, error)", body = ChatResponseBody),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "A reply is already running in the session", body = ErrorBody),
        (status = 422, description = "Invalid field (e.g. no provider serves the model)", body = ErrorBody)))]
pub async fn post_chat(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppJson(body): AppJson<ChatRequestBody>,
) -> ApiResult<Response> {
    let stream = body.stream.unwrap_or(false);
    let started = reply::chat(&state, &ctx, body).await?;
    respond(&state, &ctx, started, stream).await
}

/// The caller's conversations: pinned first, then the most recent.
#[utoipa::path(get, path = "/sessions", tag = "chat", params(SessionQuery),
    responses((status = 200, description = "A page of sessions", body = Page<SessionResponse>)))]
pub async fn get_sessions(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppQuery(q): AppQuery<SessionQuery>,
) -> ApiResult<AppJson<Page<SessionResponse>>> {
    let crate::extract::PageRequest { page, per_page } =
        crate::extract::PageRequest::new(q.page, q.per_page, 20, 100)?;
    let filter = SessionFilter {
        q: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        tag: q.tag.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    Ok(AppJson(
        service::list_sessions(&state, &ctx, filter, page, per_page).await?,
    ))
}

/// One conversation.
#[utoipa::path(get, path = "/sessions/{id}", tag = "chat", params(("id" = Uuid, Path, description = "Session")),
    responses((status = 200, description = "Session", body = SessionResponse), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn get_session(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<SessionResponse>> {
    let s = service::session(&state, &ctx, id).await?;
    Ok(AppJson(SessionResponse::from(&s)))
}

/// Renames, tags, pins, or changes persona, model, system prompt or parameters.
#[utoipa::path(patch, path = "/sessions/{id}", tag = "chat", params(("id" = Uuid, Path, description = "Session")), request_body = UpdateSessionBody,
    responses((status = 200, description = "Changed", body = SessionResponse), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn patch_session(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<UpdateSessionBody>,
) -> ApiResult<AppJson<SessionResponse>> {
    Ok(AppJson(
        service::update_session(&state, &ctx, id, body).await?,
    ))
}

/// Deletes a conversation with its messages and share link.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "chat", params(("id" = Uuid, Path, description = "Session")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn delete_session(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete_session(&state, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The messages of a conversation's current branch, oldest first.
#[utoipa::path(get, path = "/messages", tag = "chat", params(MessageQuery),
    responses((status = 200, description = "A page of messages", body = Page<MessageResponse>), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn get_messages(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppQuery(q): AppQuery<MessageQuery>,
) -> ApiResult<AppJson<Page<MessageResponse>>> {
    let crate::extract::PageRequest { page, per_page } =
        crate::extract::PageRequest::new(q.page, q.per_page, 50, 200)?;
    Ok(AppJson(
        service::messages(&state, &ctx, q.session_id, page, per_page).await?,
    ))
}

/// Stops the reply being written (cancels the upstream request).
#[utoipa::path(post, path = "/sessions/{id}/stop", tag = "chat", params(("id" = Uuid, Path, description = "Session")),
    responses((status = 200, description = "Whether a reply was running", body = StopResponse), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn post_stop(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<StopResponse>> {
    Ok(AppJson(StopResponse {
        stopped: service::stop(&state, &ctx, id).await?,
    }))
}

/// A new answer to the last question (the previous answer stays as an alternative).
#[utoipa::path(post, path = "/sessions/{id}/regenerate", tag = "chat", params(("id" = Uuid, Path, description = "Session")), request_body = RegenerateBody,
    responses((status = 200, description = "As /chat", body = ChatResponseBody), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn post_regenerate(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
    body: Bytes,
) -> ApiResult<Response> {
    let body: RegenerateBody = if body.iter().all(u8::is_ascii_whitespace) {
        RegenerateBody::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    let started = reply::regenerate(&state, &ctx, id).await?;
    respond(&state, &ctx, started, body.stream.unwrap_or(false)).await
}

/// Edits one of the caller's messages and continues from it (earlier answers stay reachable).
#[utoipa::path(put, path = "/messages/{id}", tag = "chat", params(("id" = Uuid, Path, description = "Message")), request_body = EditMessageBody,
    responses((status = 200, description = "As /chat", body = ChatResponseBody), (status = 404, description = "No such message", body = ErrorBody)))]
pub async fn put_message(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<EditMessageBody>,
) -> ApiResult<Response> {
    let stream = body.stream.unwrap_or(false);
    let started = reply::edit(&state, &ctx, id, body.content).await?;
    respond(&state, &ctx, started, stream).await
}

/// Re-attaches to the reply in progress: the events after `Last-Event-ID`, then live ones.
#[utoipa::path(get, path = "/sessions/{id}/stream", tag = "chat", params(("id" = Uuid, Path, description = "Session")),
    responses((status = 200, description = "Event stream"), (status = 204, description = "No reply is being written"),
        (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn get_stream(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    service::session(&state, &ctx, id).await?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Ok(match state.chat.runs.get(ctx.user.id, id) {
        Some(run) => sse(run, after),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The models the caller may chat with.
#[utoipa::path(get, path = "/models", tag = "chat",
    responses((status = 200, description = "Models", body = ItemList<ModelInfo>)))]
pub async fn get_models(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<ItemList<ModelInfo>>> {
    let names = crate::llm::route::model_names(&state, ctx.user.id).await?;
    Ok(AppJson(ItemList {
        items: names.into_iter().map(|id| ModelInfo { id }).collect(),
    }))
}

fn language(ctx: &AuthContext, headers: &HeaderMap) -> Option<String> {
    ctx.user.language.clone().or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

/// Built-in, shared and own personas (built-ins in the caller's language).
#[utoipa::path(get, path = "/personas", tag = "chat",
    responses((status = 200, description = "Personas", body = ItemList<PersonaResponse>)))]
pub async fn get_personas(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    headers: HeaderMap,
) -> ApiResult<AppJson<ItemList<PersonaResponse>>> {
    let lang = language(&ctx, &headers);
    Ok(AppJson(ItemList {
        items: personas::list(&state, &ctx, lang.as_deref()).await?,
    }))
}

/// Creates a persona (own; admins may publish it with `shared: true`).
#[utoipa::path(post, path = "/personas", tag = "chat", request_body = PersonaBody,
    responses((status = 201, description = "Created", body = PersonaResponse), (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn post_persona(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppJson(body): AppJson<PersonaBody>,
) -> ApiResult<(StatusCode, AppJson<PersonaResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(personas::create(&state, &ctx, body).await?),
    ))
}

/// Changes an own (or, for admins, shared) persona.
#[utoipa::path(put, path = "/personas/{id}", tag = "chat", params(("id" = String, Path, description = "Persona")), request_body = PersonaBody,
    responses((status = 200, description = "Changed", body = PersonaResponse), (status = 404, description = "No such persona", body = ErrorBody)))]
pub async fn put_persona(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<PersonaBody>,
) -> ApiResult<AppJson<PersonaResponse>> {
    Ok(AppJson(personas::update(&state, &ctx, &id, body).await?))
}

/// Deletes an own (or, for admins, shared) persona.
#[utoipa::path(delete, path = "/personas/{id}", tag = "chat", params(("id" = String, Path, description = "Persona")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such persona", body = ErrorBody)))]
pub async fn delete_persona(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<String>,
) -> ApiResult<StatusCode> {
    personas::delete(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates (or renews) the public read-only link of a conversation.
#[utoipa::path(post, path = "/sessions/{id}/share", tag = "chat", params(("id" = Uuid, Path, description = "Session")),
    responses((status = 201, description = "Link", body = ShareResponse), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn post_share(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<(StatusCode, AppJson<ShareResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(share::share(&state, &ctx, id).await?),
    ))
}

/// Revokes the public link (it then answers 404).
#[utoipa::path(delete, path = "/sessions/{id}/share", tag = "chat", params(("id" = Uuid, Path, description = "Session")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such session or not shared", body = ErrorBody)))]
pub async fn delete_share(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    share::unshare(&state, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Downloads a conversation as Markdown (`format=md`) or JSON.
#[utoipa::path(get, path = "/sessions/{id}/export", tag = "chat", params(("id" = Uuid, Path, description = "Session"), ExportQuery),
    responses((status = 200, description = "The file"), (status = 404, description = "No such session", body = ErrorBody)))]
pub async fn get_export(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
    AppQuery(q): AppQuery<ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or_else(|| "md".to_owned());
    let (name, content_type, body) = share::export(&state, &ctx, id, &format).await?;
    let disposition = format!("attachment; filename=\"{}\"", name.replace('"', ""));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// A shared conversation (public, read-only).
#[utoipa::path(get, path = "/{token}", tag = "chat", params(("token" = String, Path, description = "Share token")),
    responses((status = 200, description = "The snapshot"), (status = 404, description = "Revoked or unknown", body = ErrorBody)))]
pub async fn get_shared(
    State(state): State<AppState>,
    AppPath(token): AppPath<String>,
) -> ApiResult<AppJson<serde_json::Value>> {
    Ok(AppJson(share::shared(&state, &token).await?))
}
