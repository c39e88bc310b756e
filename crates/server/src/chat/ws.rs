//! WebSocket chat (`GET /api/llm/ws`, seed 003): JSON frames in — `{"type": "message",
//! "message", "session_id"?, "model"?, "persona_id"?}` and `{"type": "stop", "session_id"}` —
//! and out — `start`, `delta`, `usage`, `done`, `error` with the same fields and numbering as
//! the SSE events (`{"type": "delta", "id": 3, "content": "…"}`). Authenticated by the cookie
//! session (then the `Origin` must be this server's, against cross-site WebSocket hijacking),
//! a bearer token, or `?token=<access token>` for browsers that cannot set headers. Replies
//! run in server tasks as with SSE: closing the socket does not stop them.

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::runner::{ChatEvent, Run};
use super::service;
use super::types::ChatRequestBody;
use crate::auth::extract::{SESSION_COOKIE, cookie_value};
use crate::auth::service::{AuthContext, authenticate_bearer, authenticate_cookie};
use crate::error::{ApiError, ApiResult};
use crate::extract::AppQuery;
use crate::state::AppState;

/// Largest frame accepted from a client.
const MAX_FRAME: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Incoming {
    Message {
        message: String,
        session_id: Option<Uuid>,
        model: Option<String>,
        persona_id: Option<String>,
        image_ids: Option<Vec<Uuid>>,
    },
    Stop {
        session_id: Uuid,
    },
}

/// The query of the WebSocket address.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// An access token, for browsers that cannot set headers.
    token: Option<String>,
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> ApiResult<AuthContext> {
    if let Some(token) = crate::extract::bearer(headers) {
        return authenticate_bearer(state, token).await;
    }
    if let Some(token) = query_token {
        return authenticate_bearer(state, token).await;
    }
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers = headers.clone();
    let Some(cookie) = cookie_value(&parts, SESSION_COOKIE) else {
        return Err(ApiError::Unauthorized("authentication required".to_owned()));
    };
    // A cookie rides along with any site's request: only this server's pages may use it.
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let own = state.config.base_url();
    if origin.is_some_and(|o| o.trim_end_matches('/') != own.trim_end_matches('/')) {
        return Err(ApiError::Forbidden(
            "WebSocket from another origin; use a token".to_owned(),
        ));
    }
    authenticate_cookie(state, &cookie).await
}

/// Upgrades to the chat WebSocket.
pub async fn get_ws(
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<WsQuery>,
) -> ApiResult<Response> {
    // Who is asking comes first: without credentials the answer is 401, upgrade or not.
    let ctx = authenticate(&state, &headers, query.token.as_deref()).await?;
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return Ok(upgrade_required(&e.body_text())),
    };
    Ok(ws
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| serve(state, ctx, socket)))
}

/// 426 with `Upgrade: websocket`: this address speaks only the WebSocket protocol.
fn upgrade_required(why: &str) -> Response {
    let mut res = crate::error::envelope(
        axum::http::StatusCode::UPGRADE_REQUIRED,
        "upgrade_required",
        &format!("this is the chat WebSocket: {why}"),
        None,
    );
    let h = res.headers_mut();
    h.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    h.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("Upgrade"),
    );
    res
}

fn event_frame(id: u64, event: &ChatEvent) -> String {
    let mut v = serde_json::to_value(event).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut v {
        map.insert("type".to_owned(), json!(event.name()));
        map.insert("id".to_owned(), json!(id));
    }
    v.to_string()
}

fn error_frame(code: &str, message: &str) -> String {
    json!({"type": "error", "code": code, "message": message}).to_string()
}

/// An error as the client may see it: the envelope's code, message and details (an internal
/// error's detail is logged, never sent).
fn api_error_frame(e: &crate::error::ApiError) -> String {
    let (code, message, details) = e.public();
    json!({"type": "error", "code": code, "message": message, "details": details}).to_string()
}

/// Sends a run's events to the socket's writer until the last one.
fn forward(state: &AppState, run: std::sync::Arc<Run>, out: mpsc::Sender<String>) {
    state.tasks.spawn(async move {
        let mut events = std::pin::pin!(run.follow(0));
        while let Some((id, ev)) = events.next().await {
            if out.send(event_frame(id, &ev)).await.is_err() {
                return;
            }
        }
    });
}

async fn handle(state: &AppState, ctx: &AuthContext, text: &str, out: &mpsc::Sender<String>) {
    let incoming: Incoming = match serde_json::from_str(text) {
        Ok(i) => i,
        Err(e) => {
            let _ = out
                .send(error_frame(
                    "bad_request",
                    &format!("unreadable frame: {e}"),
                ))
                .await;
            return;
        }
    };
    match incoming {
        Incoming::Message {
            message,
            session_id,
            model,
            persona_id,
            image_ids,
        } => {
            let body = ChatRequestBody {
                message,
                session_id,
                model,
                persona_id,
                stream: Some(true),
                image_ids,
            };
            match super::reply::chat(state, ctx, body).await {
                Ok(started) => forward(state, started.run, out.clone()),
                Err(e) => {
                    let _ = out.send(api_error_frame(&e)).await;
                }
            }
        }
        Incoming::Stop { session_id } => {
            if let Err(e) = service::stop(state, ctx, session_id).await {
                let _ = out.send(api_error_frame(&e)).await;
            }
        }
    }
}

async fn serve(state: AppState, ctx: AuthContext, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<String>(64);
    let writer = state.tasks.spawn(async move {
        use futures::SinkExt;
        while let Some(frame) = rx.recv().await {
            if sink.send(WsMessage::Text(frame.into())).await.is_err() {
                break;
            }
        }
    });
    let shutdown = state.shutdown.clone();
    loop {
        let next = tokio::select! {
            m = stream.next() => m,
            () = shutdown.cancelled() => break,
        };
        match next {
            Some(Ok(WsMessage::Text(text))) => handle(&state, &ctx, text.as_str(), &tx).await,
            Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {} // ping/pong are answered by the library; binary is ignored
        }
    }
    drop(tx);
    writer.abort();
}
