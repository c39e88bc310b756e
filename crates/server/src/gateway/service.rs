//! Gateway rules: resolve the model to channels for the key's owner, try them in order with
//! back-off (retrying only before anything reached the client), and account every call as a
//! usage event. No axum and no SQL here.

use std::future::Future;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::Utc;
use llm_adapters::types::{ChatRequest, Usage};
use serde_json::{Value, json};

use super::error::OaiError;
use super::openai::{self, ParsedChat, ParsedEmbedding};
use super::routing::Channel;
use super::upstream::{self, UpstreamError};
use crate::keys::service::KeyContext;
use crate::state::AppState;
use crate::usage::UsageEvent;

/// Facts about one call, for its usage event.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// Caller's key.
    pub key: KeyContext,
    /// Public model name.
    pub model: String,
    /// Start.
    pub started: Instant,
    /// Start, wall clock.
    pub created_at: chrono::DateTime<Utc>,
    /// Streamed.
    pub stream: bool,
}

impl CallInfo {
    /// Builds the usage event of this call.
    pub fn event(
        &self,
        channel: Option<&Channel>,
        usage: Usage,
        ttft: Option<Duration>,
        status: u16,
        error_code: Option<String>,
    ) -> UsageEvent {
        UsageEvent {
            user_id: Some(self.key.user.id),
            api_key_id: Some(self.key.key.id),
            provider_id: channel.map(|c| c.target.provider_id),
            provider_key_id: channel.and_then(|c| c.target.key_id),
            source: "api",
            model: self.model.clone(),
            upstream_model: channel.map(|c| c.upstream_model.clone()),
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cached_tokens: usage.cached_tokens,
            latency: self.started.elapsed(),
            ttft,
            status,
            error_code,
            stream: self.stream,
            created_at: self.created_at,
        }
    }

    /// Records a call that failed before any upstream answered.
    pub fn record_failure(&self, state: &AppState, channel: Option<&Channel>, err: &OaiError) {
        state.gateway.usage.record(self.event(
            channel,
            Usage::default(),
            None,
            err.status.as_u16(),
            Some(err.code_name()),
        ));
    }
}

/// The channels for a model, or the error to answer.
pub async fn channels_for(
    state: &AppState,
    key: &KeyContext,
    model: &str,
) -> Result<Vec<Channel>, OaiError> {
    if !key.allows(model) {
        return Err(OaiError::model_not_allowed(model));
    }
    channels_for_user(state, key.user.id, model).await
}

/// The channels that may serve `model` for a user (chat: no API key involved).
pub async fn channels_for_user(
    state: &AppState,
    user_id: uuid::Uuid,
    model: &str,
) -> Result<Vec<Channel>, OaiError> {
    let snap = state.gateway.router.snapshot(state).await.map_err(|e| {
        tracing::error!(error = %e, "reading providers failed");
        OaiError::internal()
    })?;
    let channels = state.gateway.router.candidates(&snap, user_id, model);
    if channels.is_empty() {
        if state.gateway.router.all_resting(&snap, user_id, model) {
            return Err(OaiError::resting(model));
        }
        return Err(OaiError::model_not_found(model));
    }
    Ok(channels)
}

/// The model names a user may call.
pub async fn model_names_for_user(
    state: &AppState,
    user_id: uuid::Uuid,
) -> Result<Vec<String>, OaiError> {
    let snap = state.gateway.router.snapshot(state).await.map_err(|e| {
        tracing::error!(error = %e, "reading providers failed");
        OaiError::internal()
    })?;
    Ok(snap.model_names(user_id).into_iter().collect())
}

/// Pause before attempt `n` (1-based retry number): 100 ms, 200 ms, 400 ms… capped at 2 s, or
/// the upstream's short `Retry-After`.
fn backoff(n: u32, err: &UpstreamError) -> Duration {
    if let UpstreamError::Status {
        retry_after: Some(secs),
        ..
    } = err
        && *secs <= 2
    {
        return Duration::from_secs(*secs).max(Duration::from_millis(50));
    }
    Duration::from_millis(100u64.saturating_mul(1 << n.min(5))).min(Duration::from_secs(2))
}

/// Tries `call` on the channels in order (wrapping around when there are fewer channels than
/// attempts) until one succeeds, an error that retrying cannot fix comes back, or the
/// attempts run out. Each outcome feeds the channel's circuit breaker.
pub async fn with_failover<T, F, Fut>(
    state: &AppState,
    channels: &[Channel],
    mut call: F,
) -> Result<(T, Channel), (UpstreamError, Channel)>
where
    F: FnMut(Channel) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let attempts = state.gateway.config.retries as usize + 1;
    let mut last: Option<(UpstreamError, Channel)> = None;
    for i in 0..attempts {
        let Some(channel) = channels.get(i % channels.len().max(1)).cloned() else {
            break;
        };
        if let Some((err, _)) = &last {
            tokio::time::sleep(backoff(u32::try_from(i).unwrap_or(u32::MAX), err)).await;
        }
        match call(channel.clone()).await {
            Ok(v) => {
                state.gateway.router.record_success(&channel.target);
                return Ok((v, channel));
            }
            Err(e) => {
                let retry = e.retryable();
                if retry {
                    state.gateway.router.record_failure(&channel.target);
                }
                tracing::warn!(
                    provider = %channel.target.provider_name,
                    attempt = i + 1,
                    error = %e,
                    will_retry = retry && i + 1 < attempts,
                    "upstream attempt failed"
                );
                if !retry {
                    return Err((e, channel));
                }
                last = Some((e, channel));
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        (
            UpstreamError::Connect("no channel".to_owned()),
            channels[0].clone(),
        )
    }))
}

/// Fills parameters the request left unset from the provider's defaults.
pub fn apply_defaults(req: &ChatRequest, channel: &Channel) -> ChatRequest {
    let mut req = req.clone();
    req.model = channel.upstream_model.clone();
    req.temperature = req.temperature.or(channel.defaults.temperature);
    req.top_p = req.top_p.or(channel.defaults.top_p);
    req.max_tokens = req.max_tokens.or(channel.defaults.max_tokens);
    req
}

/// A completion id in OpenAI's style.
pub fn completion_id() -> String {
    format!("chatcmpl-{}", uuid::Uuid::new_v4().simple())
}

/// A non-streamed chat completion.
pub async fn chat_complete(
    state: &AppState,
    info: &CallInfo,
    parsed: &ParsedChat,
    channels: &[Channel],
) -> Result<Value, OaiError> {
    let outcome = with_failover(state, channels, |ch| {
        let req = apply_defaults(&parsed.request, &ch);
        async move { upstream::chat_once(state, &ch.target, &req).await }
    })
    .await;
    match outcome {
        Ok((res, channel)) => {
            let usage = res.usage.unwrap_or_else(|| Usage {
                prompt_tokens: state
                    .gateway
                    .tokenizer
                    .count_messages(&parsed.request.messages),
                completion_tokens: state.gateway.tokenizer.count(&res.content),
                cached_tokens: 0,
            });
            let body = openai::render_completion(
                &completion_id(),
                Utc::now().timestamp(),
                &parsed.model,
                &res,
                &usage,
            );
            state
                .gateway
                .usage
                .record(info.event(Some(&channel), usage, None, 200, None));
            Ok(body)
        }
        Err((e, channel)) => {
            let err = OaiError::from_upstream(&e);
            info.record_failure(state, Some(&channel), &err);
            Err(err)
        }
    }
}

/// Embeddings, as OpenAI returns them.
pub async fn embeddings(
    state: &AppState,
    info: &CallInfo,
    parsed: &ParsedEmbedding,
    channels: &[Channel],
) -> Result<Value, OaiError> {
    let outcome = with_failover(state, channels, |ch| {
        let mut req = parsed.request.clone();
        req.model = ch.upstream_model.clone();
        async move { upstream::embed(state, &ch.target, &req).await }
    })
    .await;
    match outcome {
        Ok((res, channel)) => {
            let usage = res.usage.unwrap_or_else(|| Usage {
                prompt_tokens: parsed
                    .request
                    .input
                    .iter()
                    .map(|t| state.gateway.tokenizer.count(t))
                    .sum(),
                ..Usage::default()
            });
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
            state
                .gateway
                .usage
                .record(info.event(Some(&channel), usage, None, 200, None));
            Ok(json!({
                "object": "list",
                "data": data,
                "model": parsed.model,
                "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.prompt_tokens},
            }))
        }
        Err((e, channel)) => {
            let err = OaiError::from_upstream(&e);
            info.record_failure(state, Some(&channel), &err);
            Err(err)
        }
    }
}

/// `/v1/models`: what the key may use.
pub async fn models(state: &AppState, key: &KeyContext) -> Result<Vec<String>, OaiError> {
    let snap = state.gateway.router.snapshot(state).await.map_err(|e| {
        tracing::error!(error = %e, "reading providers failed");
        OaiError::internal()
    })?;
    Ok(snap
        .model_names(key.user.id)
        .into_iter()
        .filter(|m| key.allows(m))
        .collect())
}
