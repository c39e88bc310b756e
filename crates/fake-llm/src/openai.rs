//! OpenAI wire format (and Azure OpenAI, which shares its bodies): chat completions streamed and
//! not, embeddings, and the model list.

use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::anthropic;
use crate::behaviour::{Encoder, Frame, respond_chat, respond_json, sse};
use crate::config::{Behaviour, Format};
use crate::embed;
use crate::errors;
use crate::exchange::{Captured, Exchange};
use crate::reply::{Finish, Prompt, Reply, word_count};
use crate::state::AppState;

/// `created` of every listed model.
const MODEL_CREATED: u64 = 1_700_000_000;

/// OpenAI and Azure routes (`GET /v1/models` also serves Anthropic's list).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chat/completions", post(create_chat_completion))
        .route("/v1/embeddings", post(create_embeddings))
        .route("/v1/models", get(list_models))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(create_azure_chat_completion),
        )
        .route(
            "/openai/deployments/{deployment}/embeddings",
            post(create_azure_embeddings),
        )
}

async fn create_chat_completion(captured: Captured) -> Response {
    let model = captured.body_str("model");
    chat(captured.record(Format::OpenAi, model)).await
}

async fn create_embeddings(captured: Captured) -> Response {
    let model = captured.body_str("model");
    embeddings(captured.record(Format::OpenAi, model)).await
}

async fn create_azure_chat_completion(
    Path(deployment): Path<String>,
    captured: Captured,
) -> Response {
    let ex = captured.record(Format::Azure, Some(deployment));
    match ex.query("api-version") {
        Some(_) => chat(ex).await,
        None => ex.reject(errors::Failure::AzureResourceNotFound).await,
    }
}

async fn create_azure_embeddings(Path(deployment): Path<String>, captured: Captured) -> Response {
    let ex = captured.record(Format::Azure, Some(deployment));
    match ex.query("api-version") {
        Some(_) => embeddings(ex).await,
        None => ex.reject(errors::Failure::AzureResourceNotFound).await,
    }
}

async fn list_models(captured: Captured) -> Response {
    if captured.has_header("anthropic-version") || captured.has_header("x-api-key") {
        return anthropic::models(captured.record(Format::Anthropic, None)).await;
    }
    let ex = captured.record(Format::OpenAi, None);
    if let Err(response) = ex.check_key() {
        return ex.reject(response).await;
    }
    let data: Vec<Value> = ex
        .config
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": MODEL_CREATED, "owned_by": "fake-llm"}))
        .collect();
    respond_json(ex, Behaviour::Ok, json!({"object": "list", "data": data})).await
}

/// Chat completions for OpenAI and Azure.
async fn chat(ex: Exchange) -> Response {
    if let Err(response) = ex.admit() {
        return ex.reject(response).await;
    }
    if !ex.body.is_object() {
        let message = "We could not parse the JSON body of your request.";
        return ex.reject(errors::bad_request(ex.format, message)).await;
    }
    if ex.model.is_none() {
        let message = "you must provide a model parameter";
        return ex.reject(errors::bad_request(ex.format, message)).await;
    }
    let prompt = prompt(&ex.body);
    let behaviour = ex.next_behaviour();
    let reply = Reply::build(
        &ex.config,
        &prompt,
        &behaviour,
        ex.new_id("chatcmpl-"),
        ex.new_id("call_"),
        ex.model_name(),
    );
    let include_usage = ex.body["stream_options"]["include_usage"] == Value::Bool(true);
    let encoder = Box::new(ChunkEncoder { include_usage });
    respond_chat(ex, behaviour, prompt.stream, reply, encoder).await
}

/// What an OpenAI chat request asks.
fn prompt(body: &Value) -> Prompt {
    let mut prompt = Prompt {
        max_tokens: body["max_completion_tokens"]
            .as_u64()
            .or_else(|| body["max_tokens"].as_u64()),
        stream: body["stream"].as_bool().unwrap_or(false),
        ..Prompt::default()
    };
    for message in body["messages"].as_array().into_iter().flatten() {
        let text = match &message["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => {
                let mut texts = Vec::new();
                for part in parts {
                    match part["type"].as_str() {
                        Some("text") => texts.extend(part["text"].as_str().map(str::to_owned)),
                        Some("image_url") => prompt.images += 1,
                        _ => {}
                    }
                }
                texts.join(" ")
            }
            _ => String::new(),
        };
        if message["role"] == "user" {
            prompt.last_user.clone_from(&text);
        }
        prompt.texts.push(text);
    }
    prompt
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "stop",
        Finish::Length => "length",
        Finish::Tool => "tool_calls",
    }
}

fn usage_json(reply: &Reply) -> Option<Value> {
    reply.usage.map(|u| {
        json!({
            "prompt_tokens": u.prompt,
            "completion_tokens": u.completion,
            "total_tokens": u.prompt + u.completion,
            "prompt_tokens_details": {"cached_tokens": u.cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        })
    })
}

/// Writes `chat.completion` bodies and `chat.completion.chunk` streams.
struct ChunkEncoder {
    /// `stream_options.include_usage` was true.
    include_usage: bool,
}

impl ChunkEncoder {
    fn chunk(&self, reply: &Reply, delta: Value, finish: Option<Finish>) -> Bytes {
        let mut chunk = json!({
            "id": reply.id,
            "object": "chat.completion.chunk",
            "created": reply.created,
            "model": reply.model,
            "system_fingerprint": "fp_fake",
            "choices": [{
                "index": 0,
                "delta": delta,
                "logprobs": null,
                "finish_reason": finish.map(finish_reason),
            }],
        });
        if self.include_usage {
            chunk["usage"] = Value::Null;
        }
        sse(None, &chunk)
    }
}

impl Encoder for ChunkEncoder {
    fn stream_content_type(&self) -> &'static str {
        "text/event-stream; charset=utf-8"
    }

    fn complete(&self, reply: &Reply) -> Value {
        let mut message = json!({"role": "assistant", "content": reply.text, "refusal": null});
        if let Some(call) = &reply.tool_call {
            message["content"] = Value::Null;
            message["tool_calls"] = json!([{
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments.to_string()},
            }]);
        }
        let mut body = json!({
            "id": reply.id,
            "object": "chat.completion",
            "created": reply.created,
            "model": reply.model,
            "system_fingerprint": "fp_fake",
            "choices": [{
                "index": 0,
                "message": message,
                "logprobs": null,
                "finish_reason": finish_reason(reply.finish),
            }],
        });
        if let Some(usage) = usage_json(reply) {
            body["usage"] = usage;
        }
        body
    }

    fn preamble(&mut self, reply: &Reply) -> Vec<Frame> {
        let delta = json!({"role": "assistant", "content": "", "refusal": null});
        vec![Frame::framing(self.chunk(reply, delta, None))]
    }

    fn text(&mut self, reply: &Reply, piece: &str) -> Frame {
        Frame::content(self.chunk(reply, json!({"content": piece}), None), piece)
    }

    fn tool_call(&mut self, reply: &Reply) -> Vec<Frame> {
        let Some(call) = &reply.tool_call else {
            return Vec::new();
        };
        let arguments = call.arguments.to_string();
        let head = json!({"tool_calls": [{
            "index": 0,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }]});
        let args = json!({"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]});
        vec![
            Frame::content(self.chunk(reply, head, None), &call.name),
            Frame::content(self.chunk(reply, args, None), &arguments),
        ]
    }

    fn finish(&mut self, reply: &Reply) -> Vec<Frame> {
        let mut frames = vec![Frame::framing(self.chunk(
            reply,
            json!({}),
            Some(reply.finish),
        ))];
        if self.include_usage
            && let Some(usage) = usage_json(reply)
        {
            let chunk = json!({
                "id": reply.id,
                "object": "chat.completion.chunk",
                "created": reply.created,
                "model": reply.model,
                "system_fingerprint": "fp_fake",
                "choices": [],
                "usage": usage,
            });
            frames.push(Frame::framing(sse(None, &chunk)));
        }
        frames.push(Frame::framing("data: [DONE]\n\n"));
        frames
    }

    fn garbage(&self) -> Bytes {
        Bytes::from_static(b"data: {not json\n\n")
    }
    fn error_event(&self, error: &Value) -> Bytes {
        sse(None, error)
    }
}

/// Embeddings for OpenAI and Azure.
async fn embeddings(ex: Exchange) -> Response {
    if let Err(response) = ex.admit() {
        return ex.reject(response).await;
    }
    let inputs = embedding_inputs(&ex.body["input"]);
    if inputs.is_empty() {
        let message = "'input' is a required property and must not be empty";
        return ex.reject(errors::bad_request(ex.format, message)).await;
    }
    let dims = ex.body["dimensions"]
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(ex.config.embedding_dims);
    let base64 = ex.body["encoding_format"] == "base64";
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let vector = embed::vector(text, dims);
            let embedding = if base64 {
                Value::from(embed::base64_f32(&vector))
            } else {
                embed::json(&vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let mut body = json!({"object": "list", "data": data, "model": ex.model_name()});
    if ex.config.report_usage {
        let tokens = ex
            .config
            .prompt_tokens
            .unwrap_or_else(|| inputs.iter().map(|t| word_count(t)).sum());
        body["usage"] = json!({"prompt_tokens": tokens, "total_tokens": tokens});
    }
    let behaviour = ex.next_behaviour();
    respond_json(ex, behaviour, body).await
}

/// `input` as texts: a string, strings, or token arrays (taken as their numbers' text).
fn embedding_inputs(input: &Value) -> Vec<String> {
    let tokens = |items: &[Value]| {
        items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    match input {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if items.iter().all(Value::is_number) && !items.is_empty() => {
            vec![tokens(items)]
        }
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Array(t) => Some(tokens(t)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
