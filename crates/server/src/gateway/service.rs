//! Gateway rules on top of the call pipeline: the key's allow-list, then the OpenAI shapes of
//! completions, embeddings and the model list. No axum and no SQL here.

use base64::Engine;
use chrono::Utc;
use serde_json::{Value, json};

use super::openai::{self, ParsedChat, ParsedEmbedding};
use crate::keys::service::KeyContext;
use crate::llm::{self, Call, Caller, Channel, LlmError, Source};
use crate::state::AppState;

/// The caller behind an API key.
pub fn caller(key: &KeyContext) -> Caller {
    Caller {
        user_id: Some(key.user.id),
        api_key_id: Some(key.key.id),
        source: Source::Api,
        role: llm::meter::role_name(&key.user.role),
    }
}

/// The channels for a model the key may use; a refusal is accounted as a usage event.
pub async fn channels_for(
    state: &AppState,
    key: &KeyContext,
    model: &str,
    stream: bool,
) -> Result<Vec<Channel>, LlmError> {
    let found = if key.allows(model) {
        llm::route::channels(state, key.user.id, model).await
    } else {
        Err(LlmError::ModelNotAllowed(model.to_owned()))
    };
    if let Err(e) = &found {
        llm::refuse(state, caller(key), model, stream, e).await;
    }
    found
}

/// A completion id in OpenAI's style.
pub fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

/// A non-streamed chat completion.
pub async fn chat_complete(
    state: &AppState,
    key: &KeyContext,
    parsed: ParsedChat,
    channels: Vec<Channel>,
) -> Result<Value, LlmError> {
    let call = Call::new(state, caller(key), &parsed.model, channels, parsed.request);
    let done = llm::complete(state, call).await?;
    Ok(openai::render_completion(
        &completion_id(),
        Utc::now().timestamp(),
        &parsed.model,
        &done.response,
        &done.usage,
    ))
}

/// Embeddings, as OpenAI returns them.
pub async fn embeddings(
    state: &AppState,
    key: &KeyContext,
    parsed: ParsedEmbedding,
    channels: Vec<Channel>,
) -> Result<Value, LlmError> {
    let call = Call::new(
        state,
        caller(key),
        &parsed.model,
        channels,
        llm_adapters::types::ChatRequest::default(),
    );
    let (res, usage) = llm::embed(state, call, parsed.request).await?;
    let data: Vec<Value> = res
        .vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let embedding = if parsed.base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    Ok(json!({
        "object": "list",
        "data": data,
        "model": parsed.model,
        "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.prompt_tokens},
    }))
}

/// `/v1/models`: what the key may use.
pub async fn models(state: &AppState, key: &KeyContext) -> Result<Vec<String>, LlmError> {
    Ok(llm::route::model_names(state, key.user.id)
        .await?
        .into_iter()
        .filter(|m| key.allows(m))
        .collect())
}
