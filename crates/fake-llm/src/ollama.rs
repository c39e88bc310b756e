//! Ollama wire format: `/api/chat` (NDJSON stream by default), `/api/embed`, the legacy
//! `/api/embeddings`, `/api/tags` and `/api/version`.

use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::behaviour::{Encoder, Frame, respond_chat, respond_json};
use crate::config::{Behaviour, Format};
use crate::embed;
use crate::errors::{self, Failure};
use crate::exchange::{Captured, Exchange};
use crate::reply::{Finish, Prompt, Reply, word_count};
use crate::state::AppState;

/// Nanoseconds reported per token for the eval durations.
const NANOS_PER_TOKEN: u64 = 10_000_000;

/// Ollama routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/chat", post(chat))
        .route("/api/embed", post(embed_batch))
        .route("/api/embeddings", post(embed_legacy))
        .route("/api/tags", get(list_tags))
        .route(
            "/api/version",
            get(|| async { Json(json!({"version": "0.6.5"})) }),
        )
}

fn record(captured: Captured) -> Exchange {
    let model = captured.body_str("model");
    captured.record(Format::Ollama, model)
}

/// `admit` plus Ollama's own "model is required".
fn validate(ex: &Exchange) -> Result<(), Failure> {
    ex.check_key()?;
    if ex.model.is_none() {
        return Err(errors::bad_request(Format::Ollama, "model is required"));
    }
    ex.check_model()
}

async fn list_tags(captured: Captured) -> Response {
    let ex = captured.record(Format::Ollama, None);
    if let Err(response) = ex.check_key() {
        return ex.reject(response).await;
    }
    let models: Vec<Value> = ex
        .config
        .models
        .iter()
        .map(|name| {
            // Looks like Ollama's sha256 digest: 64 hex digits, stable per name.
            let digest: String = embed::vector(name, 8)
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .map(|b| format!("{b:02x}"))
                .collect();
            json!({
                "name": name,
                "model": name,
                "modified_at": "2025-01-01T00:00:00.000000000Z",
                "size": 4_661_224_676_u64,
                "digest": digest,
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "8.0B",
                    "quantization_level": "Q4_0",
                },
            })
        })
        .collect();
    respond_json(ex, Behaviour::Ok, json!({"models": models})).await
}

async fn chat(captured: Captured) -> Response {
    let ex = record(captured);
    if let Err(response) = validate(&ex) {
        return ex.reject(response).await;
    }
    let prompt = prompt(&ex.body);
    let behaviour = ex.next_behaviour();
    let reply = Reply::build(
        &ex.config,
        &prompt,
        &behaviour,
        ex.new_id("ollama-"),
        ex.new_id("call_"),
        ex.model_name(),
    );
    respond_chat(ex, behaviour, prompt.stream, reply, Box::new(LineEncoder)).await
}

/// What an `/api/chat` request asks; `stream` defaults to true as in Ollama.
fn prompt(body: &Value) -> Prompt {
    let mut prompt = Prompt {
        max_tokens: body["options"]["num_predict"].as_u64(),
        stream: body["stream"].as_bool().unwrap_or(true),
        ..Prompt::default()
    };
    for message in body["messages"].as_array().into_iter().flatten() {
        let text = message["content"].as_str().unwrap_or_default().to_owned();
        prompt.images += message["images"].as_array().map_or(0, |i| i.len() as u64);
        if message["role"] == "user" {
            prompt.last_user.clone_from(&text);
        }
        prompt.texts.push(text);
    }
    prompt
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Writes chat objects and their NDJSON stream.
struct LineEncoder;

impl LineEncoder {
    fn line(body: &Value) -> Bytes {
        format!("{body}\n").into()
    }

    fn partial(reply: &Reply, message: Value) -> Value {
        json!({"model": reply.model, "created_at": now(), "message": message, "done": false})
    }

    fn last(reply: &Reply, message: Value) -> Value {
        let mut body = json!({
            "model": reply.model,
            "created_at": now(),
            "message": message,
            "done_reason": match reply.finish {
                Finish::Length => "length",
                Finish::Stop | Finish::Tool => "stop",
            },
            "done": true,
        });
        if let Some(u) = reply.usage {
            let durations = json!({
                "total_duration": (u.prompt + u.completion + 1) * NANOS_PER_TOKEN,
                "load_duration": NANOS_PER_TOKEN,
                "prompt_eval_count": u.prompt,
                "prompt_eval_duration": u.prompt * NANOS_PER_TOKEN,
                "eval_count": u.completion,
                "eval_duration": u.completion * NANOS_PER_TOKEN,
            });
            if let (Some(body), Some(extra)) = (body.as_object_mut(), durations.as_object()) {
                body.extend(extra.clone());
            }
        }
        body
    }

    fn tool_message(reply: &Reply) -> Value {
        let calls: Vec<Value> = reply
            .tool_call
            .iter()
            .map(|c| json!({"function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
        json!({"role": "assistant", "content": "", "tool_calls": calls})
    }
}

impl Encoder for LineEncoder {
    fn stream_content_type(&self) -> &'static str {
        "application/x-ndjson"
    }

    fn complete(&self, reply: &Reply) -> Value {
        let message = match reply.tool_call {
            Some(_) => Self::tool_message(reply),
            None => json!({"role": "assistant", "content": reply.text}),
        };
        Self::last(reply, message)
    }

    fn preamble(&mut self, _reply: &Reply) -> Vec<Frame> {
        Vec::new()
    }

    fn text(&mut self, reply: &Reply, piece: &str) -> Frame {
        let body = Self::partial(reply, json!({"role": "assistant", "content": piece}));
        Frame::content(Self::line(&body), piece)
    }

    fn tool_call(&mut self, reply: &Reply) -> Vec<Frame> {
        let body = Self::partial(reply, Self::tool_message(reply));
        let name = reply.tool_call.as_ref().map_or("", |c| c.name.as_str());
        vec![Frame::content(Self::line(&body), name)]
    }

    fn finish(&mut self, reply: &Reply) -> Vec<Frame> {
        let body = Self::last(reply, json!({"role": "assistant", "content": ""}));
        vec![Frame::framing(Self::line(&body))]
    }

    fn garbage(&self) -> Bytes {
        Bytes::from_static(b"{not json\n")
    }
    fn error_event(&self, error: &Value) -> Bytes {
        Self::line(error)
    }
}

/// `input` as texts (a string or a list of strings).
fn inputs(input: &Value) -> Vec<String> {
    match input {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn dims(ex: &Exchange) -> usize {
    ex.body["dimensions"]
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(ex.config.embedding_dims)
}

async fn embed_batch(captured: Captured) -> Response {
    let ex = record(captured);
    if let Err(response) = validate(&ex) {
        return ex.reject(response).await;
    }
    let texts = inputs(&ex.body["input"]);
    let embeddings: Vec<Value> = texts
        .iter()
        .map(|t| embed::json(&embed::vector(t, dims(&ex))))
        .collect();
    let mut body = json!({"model": ex.model_name(), "embeddings": embeddings});
    if ex.config.report_usage {
        let tokens = ex
            .config
            .prompt_tokens
            .unwrap_or_else(|| texts.iter().map(|t| word_count(t)).sum());
        body["total_duration"] = json!((tokens + 1) * NANOS_PER_TOKEN);
        body["load_duration"] = json!(NANOS_PER_TOKEN);
        body["prompt_eval_count"] = json!(tokens);
    }
    let behaviour = ex.next_behaviour();
    respond_json(ex, behaviour, body).await
}

async fn embed_legacy(captured: Captured) -> Response {
    let ex = record(captured);
    if let Err(response) = validate(&ex) {
        return ex.reject(response).await;
    }
    let text = ex.body["prompt"].as_str().unwrap_or_default();
    let body = json!({"embedding": embed::json(&embed::vector(text, dims(&ex)))});
    let behaviour = ex.next_behaviour();
    respond_json(ex, behaviour, body).await
}
