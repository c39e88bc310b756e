//! Guest chat rules: the admin's settings, the per-client limit, the request built from the
//! page's history, and the reply streamed through the call pipeline as `delta`, then `done`
//! or `error` events.

use std::convert::Infallible;
use std::net::IpAddr;

use bytes::Bytes;
use futures::Stream;
use llm_adapters::types::{ChatRequest, Message as LlmMessage, Role, StreamEvent};
use serde_json::json;

use super::{GuestChatBody, GuestInfo, GuestSettings, GuestTurn};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::llm::stream::BodySender;
use crate::llm::{self, Call, Caller, LlmError, Outcome, Sink, Source};
use crate::state::AppState;
use crate::system::store as settings_store;

const SETTING: &str = "guest_chat";
/// Earlier turns used at most.
const HISTORY_TURNS: usize = 20;

/// The settings (defaults until an admin saves some).
pub async fn settings(state: &AppState) -> ApiResult<GuestSettings> {
    Ok(settings_store::get_setting(&state.db.conn, SETTING)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// What the chat page needs to know.
pub async fn info(state: &AppState) -> ApiResult<GuestInfo> {
    let s = settings(state).await?;
    Ok(GuestInfo {
        enabled: s.enabled && s.model.is_some(),
        model: s.model.filter(|_| s.enabled),
        max_message_chars: s.max_message_chars,
    })
}

/// Validates and saves the settings, with an audit record.
pub async fn save_settings(
    state: &AppState,
    admin: &AuthContext,
    client: &ClientInfo,
    body: GuestSettings,
) -> ApiResult<GuestSettings> {
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
    let value = serde_json::to_value(&body).map_err(anyhow::Error::from)?;
    settings_store::put_setting(&state.db.conn, SETTING, value).await?;
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
    Ok(body)
}

/// The messages for the model: a built-in persona's prompt, the last turns, the message.
async fn messages(
    state: &AppState,
    limit: usize,
    body: GuestChatBody,
) -> ApiResult<Vec<LlmMessage>> {
    let mut messages = Vec::new();
    if let Some(p) = body.persona_id.as_deref() {
        let persona = crate::chat::personas::find(state, uuid::Uuid::nil(), p, None)
            .await?
            .filter(|p| p.kind == "builtin")
            .ok_or_else(|| {
                ApiError::field("persona_id", "guests may use the built-in personas only")
            })?;
        messages.push(LlmMessage::text(Role::System, persona.system_prompt));
    }
    let history: Vec<GuestTurn> = body.history.unwrap_or_default();
    let start = history.len().saturating_sub(HISTORY_TURNS);
    for (i, turn) in history.into_iter().enumerate().skip(start) {
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
        if turn.content.chars().count() > limit.saturating_mul(4) {
            return Err(ApiError::field(
                format!("history[{i}].content"),
                "is too long",
            ));
        }
        messages.push(LlmMessage::text(role, turn.content));
    }
    messages.push(LlmMessage::text(Role::User, body.message));
    Ok(messages)
}

/// A guest's message: checks, the limit, then the reply as an event stream.
pub async fn chat(
    state: &AppState,
    client: &ClientInfo,
    body: GuestChatBody,
) -> ApiResult<impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static> {
    let s = settings(state).await?;
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
    let request = ChatRequest {
        messages: messages(state, limit, body).await?,
        max_tokens: Some(1024),
        stream: true,
        ..ChatRequest::default()
    };
    let caller = Caller {
        user_id: None,
        api_key_id: None,
        source: Source::Guest,
        role: "guest",
    };
    // Guests reach shared providers only: the nil id owns no personal provider.
    let channels = match llm::route::channels(state, uuid::Uuid::nil(), &model).await {
        Ok(c) => c,
        Err(e) => {
            llm::refuse(state, caller, &model, true, &e).await;
            return Err(unavailable(&e));
        }
    };
    let call = Call::new(state, caller, &model, channels, request);
    let streaming = llm::open(state, call).await.map_err(|e| unavailable(&e))?;
    let (body, rx) = BodySender::channel();
    let task_state = state.clone();
    state.tasks.spawn(async move {
        streaming.relay(&task_state, &mut GuestSink { body }).await;
    });
    Ok(rx)
}

fn unavailable(e: &LlmError) -> ApiError {
    ApiError::Unavailable(format!("the guest model is unavailable: {e}"))
}

fn sse_event(name: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// Text deltas as `delta` events.
struct GuestSink {
    body: BodySender,
}

impl Sink for GuestSink {
    async fn send(&mut self, events: &[StreamEvent]) -> bool {
        for ev in events {
            if let StreamEvent::Delta(t) = ev
                && !t.is_empty()
                && !self
                    .body
                    .send(sse_event("delta", &json!({"content": t})))
                    .await
            {
                return false;
            }
        }
        true
    }

    async fn gone(&self) {
        self.body.gone().await;
    }

    async fn end(&mut self, outcome: &Outcome) {
        let end = match &outcome.result {
            Ok(()) => sse_event("done", &json!({"content": outcome.text})),
            Err(e) => sse_event(
                "error",
                &json!({"code": e.code(), "message": e.to_string()}),
            ),
        };
        // A guest who left gets nothing more.
        self.body.send(end).await;
        self.body.close();
    }
}
