//! Guest chat (seed 000): when an admin turns it on, visitors without an account chat with one
//! admin-chosen model through the shared providers. Nothing is stored: the page keeps the
//! history and sends it with each message. Limited per client IP (requests per hour) and in
//! message size; every reply is still a usage event (source `guest`, no user).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use futures::StreamExt;
use llm_adapters::types::{ChatRequest, Message as LlmMessage, Role, StreamEvent, Usage};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::extract::{AdminUser, Client};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::gateway::relay;
use crate::gateway::service::{channels_for_user, with_failover};
use crate::state::AppState;
use crate::system::store as settings;
use crate::usage::UsageEvent;

const SETTING: &str = "guest_chat";
const WINDOW: Duration = Duration::from_secs(3600);

/// Guest chat settings (admin).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestSettings {
    /// Guests may chat.
    pub enabled: bool,
    /// The model guests talk to (served by a shared provider).
    pub model: Option<String>,
    /// Replies per client IP per hour (1–10000).
    pub requests_per_hour: u32,
    /// Longest guest message, in characters (1–20000).
    pub max_message_chars: u32,
}

impl Default for GuestSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            model: None,
            requests_per_hour: 20,
            max_message_chars: 2000,
        }
    }
}

/// What the chat page needs to know.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GuestInfo {
    /// Guests may chat.
    pub enabled: bool,
    /// The model.
    pub model: Option<String>,
    /// Longest message.
    pub max_message_chars: u32,
}

/// One earlier turn kept by the page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestTurn {
    /// `user` or `assistant`.
    pub role: String,
    /// Text.
    pub content: String,
}

/// `POST /api/llm/guest/chat`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestChatBody {
    /// The new message.
    pub message: String,
    /// Earlier turns (at most 20 are used).
    pub history: Option<Vec<GuestTurn>>,
    /// Built-in persona (`fox`, `dog`, `snake`).
    pub persona_id: Option<String>,
}

/// Per-IP counters of guest replies in the current hour.
#[derive(Default)]
pub struct GuestLimiter {
    map: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl std::fmt::Debug for GuestLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuestLimiter")
    }
}

impl GuestLimiter {
    /// Counts one request; `Err(seconds until reset)` over the limit.
    fn hit(&self, ip: IpAddr, limit: u32) -> Result<(), u64> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return Err(WINDOW
                .saturating_sub(now.duration_since(entry.0))
                .as_secs()
                .max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

async fn load(state: &AppState) -> ApiResult<GuestSettings> {
    Ok(settings::get_setting(&state.db.conn, SETTING)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// Whether guests may chat, and with what.
#[utoipa::path(get, path = "/guest", tag = "chat",
    responses((status = 200, description = "Guest chat", body = GuestInfo)))]
pub async fn get_guest(State(state): State<AppState>) -> ApiResult<AppJson<GuestInfo>> {
    let s = load(&state).await?;
    Ok(AppJson(GuestInfo {
        enabled: s.enabled && s.model.is_some(),
        model: s.model.filter(|_| s.enabled),
        max_message_chars: s.max_message_chars,
    }))
}

/// Guest chat settings.
#[utoipa::path(get, path = "/guest-chat", tag = "admin",
    responses((status = 200, description = "Settings", body = GuestSettings)))]
pub async fn admin_get_guest(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<GuestSettings>> {
    Ok(AppJson(load(&state).await?))
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
    if !(1..=10_000).contains(&body.requests_per_hour) {
        return Err(ApiError::field(
            "requests_per_hour",
            "must be between 1 and 10000",
        ));
    }
    if !(1..=20_000).contains(&body.max_message_chars) {
        return Err(ApiError::field(
            "max_message_chars",
            "must be between 1 and 20000",
        ));
    }
    if body.enabled && body.model.as_deref().is_none_or(|m| m.trim().is_empty()) {
        return Err(ApiError::field("model", "is required to enable guest chat"));
    }
    settings::put_setting(
        &state.db.conn,
        SETTING,
        serde_json::to_value(&body).map_err(anyhow::Error::from)?,
    )
    .await?;
    crate::audit::record(
        &state.db.conn,
        crate::audit::AuditEvent::new(
            "admin.guest_chat_changed",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .details(json!({ "enabled": body.enabled, "model": body.model })),
    )
    .await?;
    Ok(AppJson(body))
}

fn sse_event(name: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
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
    let s = load(&state).await?;
    let (true, Some(model)) = (s.enabled, s.model.clone()) else {
        return Err(ApiError::Forbidden(
            "guest chat is turned off; sign in to chat".to_owned(),
        ));
    };
    let limit = s.max_message_chars as usize;
    if body.message.trim().is_empty() || body.message.chars().count() > limit {
        return Err(ApiError::field(
            "message",
            format!("must be 1 to {limit} characters"),
        ));
    }
    let ip: IpAddr = client
        .ip
        .as_deref()
        .and_then(|ip| ip.parse().ok())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    state
        .chat
        .guests
        .hit(ip, s.requests_per_hour)
        .map_err(|secs| ApiError::TooManyRequests {
            message: format!(
                "guests may send {} messages an hour; sign in for more",
                s.requests_per_hour
            ),
            retry_after_secs: secs,
        })?;
    let mut messages = Vec::new();
    if let Some(p) = body.persona_id.as_deref() {
        let persona = super::personas::find(&state, uuid::Uuid::nil(), p, None)
            .await?
            .filter(|p| p.kind == "builtin")
            .ok_or_else(|| {
                ApiError::field("persona_id", "guests may use the built-in personas only")
            })?;
        messages.push(LlmMessage::text(Role::System, persona.system_prompt));
    }
    let history = body.history.unwrap_or_default();
    let start = history.len().saturating_sub(20);
    for (i, turn) in history.iter().enumerate().skip(start) {
        let role = match turn.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => {
                return Err(ApiError::field(
                    format!("history[{i}].role"),
                    "must be user or assistant",
                ));
            }
        };
        if turn.content.chars().count() > limit * 4 {
            return Err(ApiError::field(
                format!("history[{i}].content"),
                "is too long",
            ));
        }
        messages.push(LlmMessage::text(role, turn.content.clone()));
    }
    messages.push(LlmMessage::text(Role::User, body.message));
    let request = ChatRequest {
        messages,
        max_tokens: Some(1024),
        stream: true,
        ..ChatRequest::default()
    };
    // Guests reach shared providers only: the nil id owns no personal provider.
    let channels = channels_for_user(&state, uuid::Uuid::nil(), &model)
        .await
        .map_err(|e| {
            ApiError::Unavailable(format!("the guest model is unavailable: {}", e.message))
        })?;
    let started = Instant::now();
    let created_at = Utc::now();
    let opened = with_failover(&state, &channels, |ch| {
        let request = &request;
        let state = &state;
        async move { relay::open(state, &ch, request).await }
    })
    .await;
    let (opened, channel) = opened.map_err(|(e, _)| ApiError::Unavailable(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::convert::Infallible>>(16);
    let task_state = state.clone();
    state.tasks.spawn(async move {
        let relay::Opened {
            mut body,
            mut decoder,
            first,
        } = opened;
        let idle = task_state.gateway.config.stream_idle_timeout;
        let mut text = String::new();
        let mut usage: Option<Usage> = None;
        let mut pending = first;
        let ok = 'read: loop {
            for ev in pending.drain(..) {
                match ev {
                    StreamEvent::Delta(t) if !t.is_empty() => {
                        text.push_str(&t);
                        if tx
                            .send(Ok(sse_event("delta", &json!({"content": t}))))
                            .await
                            .is_err()
                        {
                            break 'read false;
                        }
                    }
                    StreamEvent::Usage(u) => usage = Some(u),
                    _ => {}
                }
            }
            if decoder.is_done() {
                break true;
            }
            match tokio::time::timeout(idle, body.next()).await {
                Ok(Some(Ok(bytes))) => match decoder.feed(&bytes) {
                    Ok(events) => pending = events,
                    Err(_) => break false,
                },
                _ => break false,
            }
        };
        drop(body);
        let event = if ok {
            sse_event("done", &json!({"content": text}))
        } else {
            sse_event(
                "error",
                &json!({"code": "incomplete", "message": "the reply was cut off"}),
            )
        };
        let _ = tx.send(Ok(event)).await;
        let u = usage.unwrap_or_else(|| Usage {
            prompt_tokens: task_state
                .gateway
                .tokenizer
                .count_messages(&request.messages),
            completion_tokens: task_state.gateway.tokenizer.count(&text),
            cached_tokens: 0,
        });
        task_state.gateway.usage.record(UsageEvent {
            user_id: None,
            api_key_id: None,
            provider_id: Some(channel.target.provider_id),
            provider_key_id: channel.target.key_id,
            source: "guest",
            model,
            upstream_model: Some(channel.upstream_model.clone()),
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cached_tokens: u.cached_tokens,
            latency: started.elapsed(),
            ttft: None,
            status: if ok { 200 } else { 502 },
            error_code: (!ok).then(|| "incomplete".to_owned()),
            stream: true,
            created_at,
        });
    });
    Ok(crate::extract::event_stream(
        tokio_stream::wrappers::ReceiverStream::new(rx),
    ))
}
