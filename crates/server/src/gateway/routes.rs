//! HTTP handlers of `/v1`: API-key authentication and the OpenAI endpoints.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::OaiError;
use super::service;
use super::{openai, relay};
use crate::keys::service::{self as keys, KeyContext, KeyError};
use crate::llm::{Channel, LlmError};
use crate::state::AppState;

/// The key from `Authorization: Bearer …`, or `api-key` (Azure clients), or `x-api-key`
/// (Anthropic clients).
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if headers.contains_key(header::AUTHORIZATION) {
        return crate::extract::bearer(headers);
    }
    headers
        .get("api-key")
        .or_else(|| headers.get("x-api-key"))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<KeyContext, OaiError> {
    let Some(token) = presented_key(headers) else {
        return Err(OaiError::invalid_key(
            "You didn't provide an API key. Send it as 'Authorization: Bearer sk-llmm-…'.",
        ));
    };
    keys::authenticate(state, token).await.map_err(|e| match e {
        KeyError::Db(err) => {
            tracing::error!(error = %err, "API key lookup failed");
            OaiError::internal()
        }
        other => OaiError::invalid_key(other.to_string()),
    })
}

/// Authenticates, parses the body and finds the channels: what every model call starts with.
async fn prepare<P>(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<P, OaiError>,
    model_of: impl Fn(&P) -> (&str, bool),
) -> Result<(P, KeyContext, Vec<Channel>), Response> {
    let key = authenticate(state, headers)
        .await
        .map_err(IntoResponse::into_response)?;
    let parsed = parse(body).map_err(IntoResponse::into_response)?;
    let (model, stream) = model_of(&parsed);
    match service::channels_for(state, &key, model, stream).await {
        Ok(channels) => Ok((parsed, key, channels)),
        Err(e) => Err(OaiError::from(e).into_response()),
    }
}

/// `POST /v1/chat/completions`.
pub async fn post_chat_completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (parsed, key, channels) = match prepare(&state, &headers, &body, openai::parse_chat, |p| {
        (p.model.as_str(), p.request.stream)
    })
    .await
    {
        Ok(v) => v,
        Err(res) => return res,
    };
    if parsed.request.stream {
        match relay::chat_stream(&state, &key, parsed, channels).await {
            Ok(stream) => crate::extract::event_stream(stream),
            Err(e) => OaiError::from(e).into_response(),
        }
    } else {
        match service::chat_complete(&state, &key, parsed, channels).await {
            Ok(body) => axum::Json(body).into_response(),
            Err(e) => OaiError::from(e).into_response(),
        }
    }
}

/// `POST /v1/embeddings`.
pub async fn post_embeddings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (parsed, key, channels) =
        match prepare(&state, &headers, &body, openai::parse_embeddings, |p| {
            (p.model.as_str(), false)
        })
        .await
        {
            Ok(v) => v,
            Err(res) => return res,
        };
    match service::embeddings(&state, &key, parsed, channels).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(e) => OaiError::from(e).into_response(),
    }
}

fn model_json(id: &str, created: i64) -> serde_json::Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": "llm-manager"})
}

/// `GET /v1/models`.
pub async fn get_models(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let key = match authenticate(&state, &headers).await {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    match service::models(&state, &key).await {
        Ok(models) => {
            let created = state.started_at.timestamp();
            let data: Vec<_> = models.iter().map(|m| model_json(m, created)).collect();
            axum::Json(json!({"object": "list", "data": data})).into_response()
        }
        Err(e) => OaiError::from(e).into_response(),
    }
}

/// `GET /v1/models/{id}`.
pub async fn get_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let key = match authenticate(&state, &headers).await {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    match service::models(&state, &key).await {
        Ok(models) if models.contains(&id) => {
            axum::Json(model_json(&id, state.started_at.timestamp())).into_response()
        }
        Ok(_) => OaiError::from(LlmError::ModelNotFound(id)).into_response(),
        Err(e) => OaiError::from(e).into_response(),
    }
}
