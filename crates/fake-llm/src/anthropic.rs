//! Anthropic Messages wire format: `POST /v1/messages` streamed (named SSE events) and not, and
//! the model list.

use axum::Router;
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::behaviour::{Encoder, Frame, respond_chat, respond_json, sse};
use crate::config::{Behaviour, Format};
use crate::errors::{self, Failure};
use crate::exchange::{Captured, Exchange};
use crate::reply::{Finish, Prompt, Reply};
use crate::state::AppState;

/// The Messages route (`GET /v1/models` is shared with OpenAI and dispatched there).
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/v1/messages", post(create_message))
}

/// Anthropic's model list.
pub(crate) async fn models(ex: Exchange) -> Response {
    if let Err(response) = ex.check_key() {
        return ex.reject(response).await;
    }
    let data: Vec<Value> = ex
        .config
        .models
        .iter()
        .map(|id| {
            json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"})
        })
        .collect();
    let body = json!({
        "data": data,
        "has_more": false,
        "first_id": ex.config.models.first(),
        "last_id": ex.config.models.last(),
    });
    respond_json(ex, Behaviour::Ok, body).await
}

async fn create_message(captured: Captured) -> Response {
    let model = captured.body_str("model");
    let ex = captured.record(Format::Anthropic, model);
    if let Err(response) = validate(&ex) {
        return ex.reject(response).await;
    }
    let prompt = prompt(&ex.body);
    let behaviour = ex.next_behaviour();
    let reply = Reply::build(
        &ex.config,
        &prompt,
        &behaviour,
        ex.new_id("msg_"),
        ex.new_id("toolu_"),
        ex.model_name(),
    );
    respond_chat(ex, behaviour, prompt.stream, reply, Box::new(EventEncoder)).await
}

/// Key, version header, body shape, `max_tokens`, model: in the order Anthropic checks them.
fn validate(ex: &Exchange) -> Result<(), Failure> {
    ex.check_key()?;
    let bad = |message: &str| Err(errors::bad_request(Format::Anthropic, message));
    if ex.header("anthropic-version").is_none() {
        return bad("anthropic-version: header is required");
    }
    if !ex.body.is_object() {
        return bad("There was an issue with your request. The request body must be JSON.");
    }
    if ex.model.is_none() {
        return bad("model: Field required");
    }
    if !ex.body["max_tokens"].is_u64() {
        return bad("max_tokens: Field required");
    }
    if !ex.body["messages"].is_array() {
        return bad("messages: Field required");
    }
    ex.check_model()
}

/// What a Messages request asks.
fn prompt(body: &Value) -> Prompt {
    let mut prompt = Prompt {
        max_tokens: body["max_tokens"].as_u64(),
        stream: body["stream"].as_bool().unwrap_or(false),
        ..Prompt::default()
    };
    let system = blocks_text(&body["system"], &mut prompt.images);
    if !system.is_empty() {
        prompt.texts.push(system);
    }
    for message in body["messages"].as_array().into_iter().flatten() {
        let text = blocks_text(&message["content"], &mut prompt.images);
        if message["role"] == "user" {
            prompt.last_user.clone_from(&text);
        }
        prompt.texts.push(text);
    }
    prompt
}

/// Text of a string or a list of content blocks; counts image blocks (also inside tool results).
fn blocks_text(content: &Value, images: &mut u64) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => {
            let mut texts = Vec::new();
            for block in blocks {
                match block["type"].as_str() {
                    Some("text") => texts.extend(block["text"].as_str().map(str::to_owned)),
                    Some("image") => *images += 1,
                    Some("tool_result") => texts.push(blocks_text(&block["content"], images)),
                    _ => {}
                }
            }
            texts.join(" ")
        }
        _ => String::new(),
    }
}

fn stop_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop => "end_turn",
        Finish::Length => "max_tokens",
        Finish::Tool => "tool_use",
    }
}

/// Input tokens as Anthropic counts them: cache reads are reported apart, not included.
fn usage_json(reply: &Reply, output_tokens: Option<u64>) -> Option<Value> {
    reply.usage.map(|u| {
        json!({
            "input_tokens": u.prompt.saturating_sub(u.cached),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": u.cached,
            "output_tokens": output_tokens.unwrap_or(u.completion),
        })
    })
}

/// Writes `message` bodies and the named-event stream.
struct EventEncoder;

fn event(name: &str, data: &Value) -> Bytes {
    sse(Some(name), data)
}

impl Encoder for EventEncoder {
    fn stream_content_type(&self) -> &'static str {
        "text/event-stream; charset=utf-8"
    }

    fn complete(&self, reply: &Reply) -> Value {
        let content = match &reply.tool_call {
            Some(call) => json!([{
                "type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments,
            }]),
            None => json!([{"type": "text", "text": reply.text}]),
        };
        let mut body = json!({
            "id": reply.id,
            "type": "message",
            "role": "assistant",
            "model": reply.model,
            "content": content,
            "stop_reason": stop_reason(reply.finish),
            "stop_sequence": null,
        });
        if let Some(usage) = usage_json(reply, None) {
            body["usage"] = usage;
        }
        body
    }

    fn preamble(&mut self, reply: &Reply) -> Vec<Frame> {
        let mut message = json!({
            "id": reply.id,
            "type": "message",
            "role": "assistant",
            "model": reply.model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
        });
        if let Some(usage) = usage_json(reply, Some(1)) {
            message["usage"] = usage;
        }
        let mut frames = vec![Frame::framing(event(
            "message_start",
            &json!({"type": "message_start", "message": message}),
        ))];
        if reply.tool_call.is_none() {
            let start = json!({
                "type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""},
            });
            frames.push(Frame::framing(event("content_block_start", &start)));
        }
        frames.push(Frame::framing(event("ping", &json!({"type": "ping"}))));
        frames
    }

    fn text(&mut self, _reply: &Reply, piece: &str) -> Frame {
        let delta = json!({
            "type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": piece},
        });
        Frame::content(event("content_block_delta", &delta), piece)
    }

    fn tool_call(&mut self, reply: &Reply) -> Vec<Frame> {
        let Some(call) = &reply.tool_call else {
            return Vec::new();
        };
        let arguments = call.arguments.to_string();
        let start = json!({
            "type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": call.id, "name": call.name, "input": {}},
        });
        let delta = json!({
            "type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": arguments},
        });
        let stop = json!({"type": "content_block_stop", "index": 0});
        vec![
            Frame::framing(event("content_block_start", &start)),
            Frame::content(event("content_block_delta", &delta), &arguments),
            Frame::framing(event("content_block_stop", &stop)),
        ]
    }

    fn finish(&mut self, reply: &Reply) -> Vec<Frame> {
        let mut frames = Vec::new();
        if reply.tool_call.is_none() {
            let stop = json!({"type": "content_block_stop", "index": 0});
            frames.push(Frame::framing(event("content_block_stop", &stop)));
        }
        let mut delta = json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(reply.finish), "stop_sequence": null},
        });
        if let Some(usage) = reply.usage {
            delta["usage"] = json!({"output_tokens": usage.completion});
        }
        frames.push(Frame::framing(event("message_delta", &delta)));
        frames.push(Frame::framing(event(
            "message_stop",
            &json!({"type": "message_stop"}),
        )));
        frames
    }

    fn garbage(&self) -> Bytes {
        Bytes::from_static(b"event: content_block_delta\ndata: {not json\n\n")
    }
    fn error_event(&self, error: &Value) -> Bytes {
        event("error", error)
    }
}
