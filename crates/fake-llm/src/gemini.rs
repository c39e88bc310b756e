//! Google Gemini wire format: `models/{model}:generateContent`, `:streamGenerateContent`
//! (SSE), `:embedContent`, `:batchEmbedContents`, `:countTokens` and the model list.

use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::behaviour::{Encoder, Frame, respond_chat, respond_json};
use crate::config::{Behaviour, Format};
use crate::embed;
use crate::errors;
use crate::exchange::{Captured, Exchange};
use crate::reply::{Finish, Prompt, Reply};
use crate::state::AppState;

/// Gemini routes; the action follows the model after a colon in one path segment.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1beta/models", get(list_models))
        .route("/v1beta/models/{model_action}", post(call_model))
}

async fn list_models(captured: Captured) -> Response {
    let ex = captured.record(Format::Gemini, None);
    if let Err(response) = ex.check_key() {
        return ex.reject(response).await;
    }
    let models: Vec<Value> = ex
        .config
        .models
        .iter()
        .map(|id| {
            let methods = if id.contains("embed") {
                json!(["embedContent", "batchEmbedContents"])
            } else {
                json!(["generateContent", "streamGenerateContent", "countTokens"])
            };
            json!({
                "name": format!("models/{id}"),
                "version": "001",
                "displayName": id,
                "description": "A fake model",
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 8192,
                "supportedGenerationMethods": methods,
            })
        })
        .collect();
    respond_json(ex, Behaviour::Ok, json!({"models": models})).await
}

async fn call_model(Path(model_action): Path<String>, captured: Captured) -> Response {
    let (model, action) = model_action
        .split_once(':')
        .map_or((model_action.as_str(), ""), |(m, a)| (m, a));
    let ex = captured.record(Format::Gemini, Some(model.to_owned()));
    if let Err(response) = ex.admit() {
        return ex.reject(response).await;
    }
    match action {
        "generateContent" => generate(ex, false).await,
        "streamGenerateContent" => generate(ex, true).await,
        "embedContent" => embed_content(ex).await,
        "batchEmbedContents" => batch_embed_contents(ex).await,
        "countTokens" => {
            let total = (ex.config.prompt_tokens).unwrap_or_else(|| prompt(&ex.body).tokens());
            respond_json(ex, Behaviour::Ok, json!({"totalTokens": total})).await
        }
        _ => ex.reject(errors::unknown_route(Format::Gemini)).await,
    }
}

/// A field in Gemini's camelCase or its accepted snake_case spelling.
fn field<'a>(value: &'a Value, camel: &str, snake: &str) -> &'a Value {
    match &value[camel] {
        Value::Null => &value[snake],
        found => found,
    }
}

/// What a generateContent request asks.
fn prompt(body: &Value) -> Prompt {
    let config = field(body, "generationConfig", "generation_config");
    let mut prompt = Prompt {
        max_tokens: field(config, "maxOutputTokens", "max_output_tokens").as_u64(),
        ..Prompt::default()
    };
    let system = field(body, "systemInstruction", "system_instruction");
    if !system.is_null() {
        let text = parts_text(&system["parts"], &mut prompt.images);
        prompt.texts.push(text);
    }
    for content in body["contents"].as_array().into_iter().flatten() {
        let text = parts_text(&content["parts"], &mut prompt.images);
        if content["role"] == "user" || content["role"].is_null() {
            prompt.last_user.clone_from(&text);
        }
        prompt.texts.push(text);
    }
    prompt
}

/// Text of the parts; counts inline and file data as images.
fn parts_text(parts: &Value, images: &mut u64) -> String {
    let mut texts = Vec::new();
    for part in parts.as_array().into_iter().flatten() {
        if let Some(text) = part["text"].as_str() {
            texts.push(text.to_owned());
        } else if !field(part, "inlineData", "inline_data").is_null()
            || !field(part, "fileData", "file_data").is_null()
        {
            *images += 1;
        }
    }
    texts.join(" ")
}

async fn generate(ex: Exchange, stream: bool) -> Response {
    if !ex.body["contents"].is_array() {
        let message = "* GenerateContentRequest.contents: contents is not specified";
        return ex
            .reject(errors::bad_request(Format::Gemini, message))
            .await;
    }
    let prompt = prompt(&ex.body);
    let behaviour = ex.next_behaviour();
    let reply = Reply::build(
        &ex.config,
        &prompt,
        &behaviour,
        ex.new_id("resp-"),
        ex.new_id("call-"),
        ex.model_name(),
    );
    respond_chat(ex, behaviour, stream, reply, Box::new(CandidateEncoder)).await
}

fn finish_reason(finish: Finish) -> &'static str {
    match finish {
        Finish::Stop | Finish::Tool => "STOP",
        Finish::Length => "MAX_TOKENS",
    }
}

/// Writes `GenerateContentResponse` bodies and their SSE stream (CRLF-framed, as Google does).
struct CandidateEncoder;

impl CandidateEncoder {
    fn response(reply: &Reply, parts: Value, last: bool) -> Value {
        let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        if last {
            candidate["finishReason"] = json!(finish_reason(reply.finish));
        }
        let mut body = json!({
            "candidates": [candidate],
            "modelVersion": reply.model,
            "responseId": reply.id,
        });
        if last && let Some(u) = reply.usage {
            let mut usage = json!({
                "promptTokenCount": u.prompt,
                "candidatesTokenCount": u.completion,
                "totalTokenCount": u.prompt + u.completion,
            });
            if u.cached > 0 {
                usage["cachedContentTokenCount"] = json!(u.cached);
            }
            body["usageMetadata"] = usage;
        }
        body
    }

    fn event(body: &Value) -> Bytes {
        format!("data: {body}\r\n\r\n").into()
    }

    fn parts(reply: &Reply) -> Value {
        match &reply.tool_call {
            Some(call) => json!([{"functionCall": {"name": call.name, "args": call.arguments}}]),
            None => json!([{"text": reply.text}]),
        }
    }
}

impl Encoder for CandidateEncoder {
    fn stream_content_type(&self) -> &'static str {
        "text/event-stream"
    }

    fn complete(&self, reply: &Reply) -> Value {
        Self::response(reply, Self::parts(reply), true)
    }

    fn preamble(&mut self, _reply: &Reply) -> Vec<Frame> {
        Vec::new()
    }

    fn text(&mut self, reply: &Reply, piece: &str) -> Frame {
        let body = Self::response(reply, json!([{"text": piece}]), false);
        Frame::content(Self::event(&body), piece)
    }

    fn tool_call(&mut self, reply: &Reply) -> Vec<Frame> {
        let body = Self::response(reply, Self::parts(reply), false);
        let name = reply.tool_call.as_ref().map_or("", |c| c.name.as_str());
        vec![Frame::content(Self::event(&body), name)]
    }

    fn finish(&mut self, reply: &Reply) -> Vec<Frame> {
        let body = Self::response(reply, json!([{"text": ""}]), true);
        vec![Frame::framing(Self::event(&body))]
    }

    fn garbage(&self) -> Bytes {
        Bytes::from_static(b"data: {not json\r\n\r\n")
    }
    fn error_event(&self, error: &Value) -> Bytes {
        Self::event(error)
    }
}

/// Dimensions asked for by `outputDimensionality`, else the configured ones.
fn dims(ex: &Exchange, request: &Value) -> usize {
    field(request, "outputDimensionality", "output_dimensionality")
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .unwrap_or(ex.config.embedding_dims)
}

fn content_text(request: &Value) -> String {
    parts_text(&request["content"]["parts"], &mut 0)
}

async fn embed_content(ex: Exchange) -> Response {
    let vector = embed::vector(&content_text(&ex.body), dims(&ex, &ex.body));
    let body = json!({"embedding": {"values": embed::json(&vector)}});
    let behaviour = ex.next_behaviour();
    respond_json(ex, behaviour, body).await
}

async fn batch_embed_contents(ex: Exchange) -> Response {
    let Some(requests) = ex.body["requests"].as_array() else {
        let message = "* BatchEmbedContentsRequest.requests: requests is not specified";
        return ex
            .reject(errors::bad_request(Format::Gemini, message))
            .await;
    };
    let embeddings: Vec<Value> = requests
        .iter()
        .map(|r| json!({"values": embed::json(&embed::vector(&content_text(r), dims(&ex, r)))}))
        .collect();
    let behaviour = ex.next_behaviour();
    respond_json(ex, behaviour, json!({"embeddings": embeddings})).await
}
