//! The model's context for a reply: system prompt (session's or persona's), parameters
//! (persona's, then the session's own), and as much of the branch as fits the smallest context
//! window among the channels — counted on a blocking thread — with images as data URLs.

use llm_adapters::types::{ChatRequest, ContentPart, Message as LlmMessage, Role};
use serde_json::{Value, json};
use uuid::Uuid;

use super::store::{Message, Session};
use super::types::PersonaResponse;
use crate::error::ApiResult;
use crate::llm::Channel;
use crate::state::AppState;

/// Tokens of history sent at most when the provider names no context window (the newest turns
/// are kept; the system prompt always).
pub const CONTEXT_TOKENS: u64 = 16_000;
/// Tokens kept free for the answer when the window is known.
const ANSWER_RESERVE: u64 = 1024;

/// The request: system prompt, parameters, and as much of the branch as fits the smallest
/// context window among the channels (or [`CONTEXT_TOKENS`]).
pub async fn request(
    state: &AppState,
    user_id: Uuid,
    session: &Session,
    persona: Option<PersonaResponse>,
    branch: Vec<Message>,
    channels: &[Channel],
) -> ApiResult<ChatRequest> {
    let system = session
        .system_prompt
        .clone()
        .or_else(|| persona.as_ref().map(|p| p.system_prompt.clone()));
    let mut params = persona.map_or_else(|| json!({}), |p| p.params);
    if let (Some(into), Ok(Value::Object(own))) = (
        params.as_object_mut(),
        serde_json::from_str::<Value>(&session.params),
    ) {
        into.extend(own);
    }
    let window = channels
        .iter()
        .filter_map(|c| c.defaults.context_window)
        .min();
    let reserve = params
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(ANSWER_RESERVE);
    let budget = window.map_or(CONTEXT_TOKENS, |w| u64::from(w).saturating_sub(reserve));
    let kept = fit(state, system.clone(), branch, budget).await;
    let mut messages = Vec::with_capacity(kept.len() + 1);
    if let Some(s) = system {
        messages.push(LlmMessage::text(Role::System, s));
    }
    for m in kept {
        messages.push(with_images(state, user_id, m).await?);
    }
    Ok(ChatRequest {
        messages,
        temperature: params.get("temperature").and_then(Value::as_f64),
        top_p: params.get("top_p").and_then(Value::as_f64),
        max_tokens: params
            .get("max_tokens")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        stream: true,
        ..ChatRequest::default()
    })
}

/// The newest usable messages of `branch` that fit in `budget` tokens (the question always),
/// oldest first. Counted on a blocking thread.
async fn fit(
    state: &AppState,
    system: Option<String>,
    branch: Vec<Message>,
    budget: u64,
) -> Vec<Message> {
    state
        .llm
        .tokenizer
        .count_off_thread(move |t| {
            let mut budget = budget.saturating_sub(system.as_deref().map_or(0, |s| t.count(s)));
            let mut kept = Vec::new();
            for m in branch.into_iter().rev() {
                let usable = m.role == "user" || (!m.content.is_empty() && m.status != "error");
                if !usable {
                    continue;
                }
                let cost = t.count(&m.content) + 4;
                if cost > budget && !kept.is_empty() {
                    break;
                }
                budget = budget.saturating_sub(cost);
                kept.push(m);
            }
            kept.reverse();
            kept
        })
        .await
}

/// A stored message for the model, with its images as data URLs.
async fn with_images(state: &AppState, user_id: Uuid, m: Message) -> ApiResult<LlmMessage> {
    let role = if m.role == "assistant" {
        Role::Assistant
    } else {
        Role::User
    };
    let ids: Vec<Uuid> = m
        .image_ids
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let mut message = LlmMessage::text(role, m.content);
    for id in ids {
        // An image deleted since is left out rather than failing the reply.
        if let Some((_, url)) = crate::files::service::data_url(state, user_id, id).await? {
            message
                .content
                .push(ContentPart::Image { url, detail: None });
        }
    }
    Ok(message)
}
