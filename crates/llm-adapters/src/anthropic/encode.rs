//! Building Anthropic Messages requests: system prompt out of the message list, strictly
//! alternating user/assistant turns, tool use as content blocks, and JSON output emulated with
//! a forced tool.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::{JSON_OBJECT_INSTRUCTION, JSON_TOOL_PREFIX};
use crate::common::{
    ImageSource, arguments_object, base_url, get, image_source, post_json, put_opt, set_auth,
    system_text,
};
use crate::types::{ChatRequest, ContentPart, Message, ResponseFormat, Role, ToolChoice, Upstream};
use crate::{AdapterError, WireRequest};

/// The API version every request pins, so the wire format cannot change under us.
const API_VERSION: &str = "2023-06-01";
/// Anthropic requires `max_tokens`; used when the caller set none.
const DEFAULT_MAX_TOKENS: u32 = 4096;
/// Longest tool name Anthropic accepts.
const MAX_TOOL_NAME: usize = 64;

fn headers(up: &Upstream) -> Result<HeaderMap, AdapterError> {
    let mut headers = HeaderMap::new();
    set_auth(
        &mut headers,
        HeaderName::from_static("x-api-key"),
        "",
        &up.api_key,
    )?;
    headers.insert(
        HeaderName::from_static("anthropic-version"),
        HeaderValue::from_static(API_VERSION),
    );
    Ok(headers)
}

/// `POST {base}/v1/messages`.
pub fn chat_request(up: &Upstream, req: &ChatRequest) -> Result<WireRequest, AdapterError> {
    let url = format!("{}/v1/messages", base_url(&up.base_url));
    Ok(post_json(url, headers(up)?, &Value::Object(body(req)?)))
}

/// `GET {base}/v1/models`, as many as one page holds (the default page is 20).
pub fn models_request(up: &Upstream) -> Result<WireRequest, AdapterError> {
    Ok(get(
        format!("{}/v1/models?limit=1000", base_url(&up.base_url)),
        headers(up)?,
    ))
}

/// The name of the tool that carries a JSON-schema answer: the reserved prefix, then the schema
/// name in the characters tool names allow, within the length limit.
pub(crate) fn json_tool_name(schema_name: &str) -> String {
    let cleaned: String = schema_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TOOL_NAME - JSON_TOOL_PREFIX.len())
        .collect();
    format!("{JSON_TOOL_PREFIX}{cleaned}")
}

fn body(req: &ChatRequest) -> Result<Map<String, Value>, AdapterError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    let mut system = system_text(&req.messages);
    if req.response_format == Some(ResponseFormat::JsonObject) {
        // No JSON mode: the instruction is the closest Anthropic equivalent.
        system = Some(match system {
            Some(s) => format!("{s}\n\n{JSON_OBJECT_INSTRUCTION}"),
            None => JSON_OBJECT_INSTRUCTION.to_owned(),
        });
    }
    put_opt(&mut body, "system", system);
    body.insert("messages".into(), Value::Array(messages(&req.messages)?));
    body.insert(
        "max_tokens".into(),
        json!(req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    // OpenAI's range is 0–2, Anthropic's 0–1: clamp rather than have the call refused.
    put_opt(
        &mut body,
        "temperature",
        req.temperature.map(|t| t.clamp(0.0, 1.0)),
    );
    put_opt(&mut body, "top_p", req.top_p);
    if !req.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(req.stop));
    }
    let mut tools: Vec<Value> = req
        .tools
        .iter()
        .map(|t| {
            let mut tool = Map::new();
            tool.insert("name".into(), json!(t.name));
            put_opt(&mut tool, "description", t.description.clone());
            let schema = if t.parameters.is_null() {
                json!({"type": "object", "properties": {}})
            } else {
                t.parameters.clone()
            };
            tool.insert("input_schema".into(), schema);
            Value::Object(tool)
        })
        .collect();
    let mut choice = req.tool_choice.as_ref().map(|c| match c {
        ToolChoice::Auto => json!({"type": "auto"}),
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Required => json!({"type": "any"}),
        ToolChoice::Function(name) => json!({"type": "tool", "name": name}),
    });
    if let Some(ResponseFormat::JsonSchema { name, schema, .. }) = &req.response_format {
        // The answer arrives as the forced tool's input; the decoder turns it back into text.
        let name = json_tool_name(name);
        tools.push(json!({
            "name": name,
            "description": "Respond with a JSON object matching this schema.",
            "input_schema": schema,
        }));
        choice = Some(json!({"type": "tool", "name": name}));
    }
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
        // A tool choice without tools is refused.
        put_opt(&mut body, "tool_choice", choice);
    }
    body.insert("stream".into(), json!(req.stream));
    Ok(body)
}

/// The conversation as alternating turns: system messages left out (they are top-level), tool
/// results in user turns, consecutive same-role turns merged.
fn messages(messages: &[Message]) -> Result<Vec<Value>, AdapterError> {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in messages {
        let (role, blocks) = match m.role {
            Role::System => continue,
            Role::User => ("user", content_blocks(&m.content)?),
            Role::Assistant => {
                let mut blocks = content_blocks(&m.content)?;
                for call in &m.tool_calls {
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": arguments_object(call)?,
                    }));
                }
                ("assistant", blocks)
            }
            Role::Tool => ("user", vec![tool_result(m)?]),
        };
        // Anthropic refuses empty turns; leaving them out keeps the rest valid.
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    Ok(turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect())
}

fn tool_result(m: &Message) -> Result<Value, AdapterError> {
    let id = m.tool_call_id.as_deref().ok_or_else(|| {
        AdapterError::Unsupported("a tool message needs the tool_call_id it answers".into())
    })?;
    let only_text = m.content.iter().all(|p| matches!(p, ContentPart::Text(_)));
    let content = if only_text {
        json!(m.joined_text())
    } else {
        Value::Array(content_blocks(&m.content)?)
    };
    Ok(json!({"type": "tool_result", "tool_use_id": id, "content": content}))
}

/// Text and image blocks; empty text parts are dropped because Anthropic refuses them.
fn content_blocks(parts: &[ContentPart]) -> Result<Vec<Value>, AdapterError> {
    let mut blocks = Vec::new();
    for part in parts {
        match part {
            ContentPart::Text(text) if text.is_empty() => {}
            ContentPart::Text(text) => blocks.push(json!({"type": "text", "text": text})),
            ContentPart::Image { url, .. } => {
                let source = match image_source(url)? {
                    ImageSource::Inline { mime, data } => {
                        json!({"type": "base64", "media_type": mime, "data": data})
                    }
                    ImageSource::Remote(url) => json!({"type": "url", "url": url}),
                };
                blocks.push(json!({"type": "image", "source": source}));
            }
        }
    }
    Ok(blocks)
}
