//! Building Ollama requests. Ollama takes message content as one string with images beside it
//! (bare base64), tool-call arguments as objects, and sampling settings under `options`.

use http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use crate::common::{
    ImageSource, arguments_object, base_url, get, image_source, post_json, put_opt, set_auth,
    tool_name_for,
};
use crate::types::{
    ChatRequest, ContentPart, EmbeddingRequest, Message, ResponseFormat, Role, ToolChoice, Upstream,
};
use crate::{AdapterError, WireRequest};

/// No auth unless a key is set (Ollama behind an authenticating proxy).
fn headers(up: &Upstream) -> Result<HeaderMap, AdapterError> {
    let mut headers = HeaderMap::new();
    set_auth(&mut headers, header::AUTHORIZATION, "Bearer ", &up.api_key)?;
    Ok(headers)
}

/// `POST {base}/api/chat`.
pub fn chat_request(up: &Upstream, req: &ChatRequest) -> Result<WireRequest, AdapterError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    let messages = req
        .messages
        .iter()
        .enumerate()
        .map(|(at, m)| message(&req.messages, at, m))
        .collect::<Result<Vec<_>, _>>()?;
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(req.stream));
    let mut options = Map::new();
    put_opt(&mut options, "temperature", req.temperature);
    put_opt(&mut options, "top_p", req.top_p);
    put_opt(&mut options, "num_predict", req.max_tokens);
    if !req.stop.is_empty() {
        options.insert("stop".into(), json!(req.stop));
    }
    put_opt(&mut options, "seed", req.seed);
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            body.insert("format".into(), json!("json"));
        }
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            body.insert("format".into(), schema.clone());
        }
        Some(ResponseFormat::Text) | None => {}
    }
    // Ollama has no tool choice: "none" is honoured by not offering the tools, the other
    // choices are left to the model.
    if !req.tools.is_empty() && req.tool_choice != Some(ToolChoice::None) {
        let tools = req.tools.iter().map(|t| {
            let mut function = Map::new();
            function.insert("name".into(), json!(t.name));
            put_opt(&mut function, "description", t.description.clone());
            let parameters = if t.parameters.is_null() {
                json!({"type": "object", "properties": {}})
            } else {
                t.parameters.clone()
            };
            function.insert("parameters".into(), parameters);
            json!({"type": "function", "function": function})
        });
        body.insert("tools".into(), Value::Array(tools.collect()));
    }
    let url = format!("{}/api/chat", base_url(&up.base_url));
    Ok(post_json(url, headers(up)?, &Value::Object(body)))
}

fn message(messages: &[Message], at: usize, m: &Message) -> Result<Value, AdapterError> {
    let role = match m.role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    };
    let mut out = Map::new();
    out.insert("role".into(), json!(role));
    out.insert("content".into(), json!(m.joined_text()));
    let mut images = Vec::new();
    for part in &m.content {
        if let ContentPart::Image { url, .. } = part {
            match image_source(url)? {
                ImageSource::Inline { data, .. } => images.push(json!(data)),
                ImageSource::Remote(_) => {
                    return Err(AdapterError::Unsupported(
                        "Ollama takes images as data: URLs only".into(),
                    ));
                }
            }
        }
    }
    if !images.is_empty() {
        out.insert("images".into(), Value::Array(images));
    }
    if !m.tool_calls.is_empty() {
        let calls = m
            .tool_calls
            .iter()
            .map(|c| Ok(json!({"function": {"name": c.name, "arguments": arguments_object(c)?}})))
            .collect::<Result<Vec<_>, AdapterError>>()?;
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    if m.role == Role::Tool {
        // Recent Ollama versions match results to calls by name; older ones ignore the field.
        let name = m
            .tool_call_id
            .as_deref()
            .and_then(|id| tool_name_for(messages, at, id));
        put_opt(&mut out, "tool_name", name);
    }
    Ok(Value::Object(out))
}

/// `POST {base}/api/embed`.
pub fn embedding_request(
    up: &Upstream,
    req: &EmbeddingRequest,
) -> Result<WireRequest, AdapterError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("input".into(), json!(req.input));
    put_opt(&mut body, "dimensions", req.dimensions);
    let url = format!("{}/api/embed", base_url(&up.base_url));
    Ok(post_json(url, headers(up)?, &Value::Object(body)))
}

/// `GET {base}/api/tags`: the locally pulled models.
pub fn models_request(up: &Upstream) -> Result<WireRequest, AdapterError> {
    Ok(get(
        format!("{}/api/tags", base_url(&up.base_url)),
        headers(up)?,
    ))
}
