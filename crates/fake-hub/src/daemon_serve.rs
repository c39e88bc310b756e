//! The fake Ollama daemon serving models made from uploaded GGUFs, as the real one does for
//! `ollama create`: `HEAD`/`POST /api/blobs/sha256:…` (the body must hash to the digest),
//! `POST /api/create` with `files` naming uploaded blobs, `POST /api/generate` with
//! `keep_alive: 0` to unload, `DELETE /api/delete`, `GET /api/version`, and an
//! OpenAI-compatible `POST /v1/chat/completions` whose reply names the model and its context.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::state::{Shared, read, write};

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// `HEAD /api/blobs/{digest}`.
pub async fn has_blob(State(hub): State<Shared>, Path(digest): Path<String>) -> StatusCode {
    if read(&hub.created).0.contains_key(&digest) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `POST /api/blobs/{digest}`: the body must hash to the digest.
pub async fn put_blob(
    State(hub): State<Shared>,
    Path(digest): Path<String>,
    body: Bytes,
) -> Response {
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
    if actual != digest {
        return error(StatusCode::BAD_REQUEST, "digest mismatch");
    }
    write(&hub.created).0.insert(digest, body.len() as u64);
    StatusCode::CREATED.into_response()
}

/// `POST /api/create` `{"model", "files": {"name": "sha256:…"}, "parameters", "stream": false}`.
pub async fn create(State(hub): State<Shared>, body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(model) = req.get("model").and_then(Value::as_str) else {
        return error(StatusCode::BAD_REQUEST, "model is required");
    };
    let Some(files) = req.get("files").and_then(Value::as_object) else {
        return error(StatusCode::BAD_REQUEST, "files are required");
    };
    let mut created = write(&hub.created);
    for digest in files.values() {
        let known = digest.as_str().is_some_and(|d| created.0.contains_key(d));
        if !known {
            return error(StatusCode::BAD_REQUEST, &format!("blob {digest} not found"));
        }
    }
    created.1.insert(model.to_owned(), (req.clone(), false));
    Json(json!({ "status": "success" })).into_response()
}

/// `DELETE /api/delete` `{"model"}`.
pub async fn delete(State(hub): State<Shared>, body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = req.get("model").and_then(Value::as_str).unwrap_or_default();
    match write(&hub.created).1.remove(model) {
        Some(_) => StatusCode::OK.into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("model '{model}' not found")),
    }
}

/// `POST /api/generate` with `keep_alive: 0` and no prompt: unloads the model.
pub async fn generate(State(hub): State<Shared>, body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = req.get("model").and_then(Value::as_str).unwrap_or_default();
    match write(&hub.created).1.get_mut(model) {
        Some(entry) => {
            entry.1 = req.get("keep_alive") != Some(&json!(0));
            Json(json!({ "model": model, "done": true, "done_reason": "unload" })).into_response()
        }
        None => error(StatusCode::NOT_FOUND, &format!("model '{model}' not found")),
    }
}

/// `GET /api/version`.
pub async fn version() -> Json<Value> {
    Json(json!({ "version": "0.13.0" }))
}

/// `POST /v1/chat/completions` for a created model (loading it).
pub async fn chat(State(hub): State<Shared>, body: Bytes) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let num_ctx = {
        let mut created = write(&hub.created);
        let Some(entry) = created.1.get_mut(&model) else {
            let message = format!("model \"{model}\" not found, try pulling it first");
            return (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": { "message": message, "type": "api_error" } })),
            )
                .into_response();
        };
        entry.1 = true;
        entry
            .0
            .pointer("/parameters/num_ctx")
            .cloned()
            .unwrap_or(Value::Null)
    };
    let text = format!("ollama serving {model} with num_ctx {num_ctx}");
    let words = text.split_whitespace().count();
    Json(json!({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 9, "completion_tokens": words, "total_tokens": 9 + words },
    }))
    .into_response()
}
