//! Building OpenAI-format requests: Chat Completions, embeddings and the model list, for
//! OpenAI, OpenRouter, compatible servers and Azure deployments.

use http::{HeaderMap, HeaderName, header};
use serde_json::{Map, Value, json};

use crate::common::{base_url, encode_component, get, path_segment, post_json, put_opt, set_auth};
use crate::types::{
    ChatRequest, ContentPart, EmbeddingRequest, Message, ProviderKind, ResponseFormat, Role,
    ToolChoice, Upstream,
};
use crate::{AdapterError, WireRequest};

/// The URL of `endpoint` (e.g. `chat/completions`) for `model`, and the auth headers. Azure
/// addresses a deployment and versions the API in the query; the others name the model in the
/// body.
fn endpoint(
    up: &Upstream,
    model: &str,
    endpoint: &str,
) -> Result<(String, HeaderMap), AdapterError> {
    let base = base_url(&up.base_url);
    let mut headers = HeaderMap::new();
    if up.kind == ProviderKind::AzureOpenai {
        let version = up
            .api_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AdapterError::Unsupported("Azure OpenAI needs an api_version".into()))?;
        set_auth(
            &mut headers,
            HeaderName::from_static("api-key"),
            "",
            &up.api_key,
        )?;
        let url = format!(
            "{base}/openai/deployments/{}/{endpoint}?api-version={}",
            path_segment(model)?,
            encode_component(version)
        );
        Ok((url, headers))
    } else {
        set_auth(&mut headers, header::AUTHORIZATION, "Bearer ", &up.api_key)?;
        Ok((format!("{base}/{endpoint}"), headers))
    }
}

/// `POST …/chat/completions`.
pub fn chat_request(up: &Upstream, req: &ChatRequest) -> Result<WireRequest, AdapterError> {
    let (url, headers) = endpoint(up, &req.model, "chat/completions")?;
    let body = chat_body(req, up.kind != ProviderKind::AzureOpenai);
    Ok(post_json(url, headers, &Value::Object(body)))
}

/// The Chat Completions body; `with_model` is false for Azure, where the deployment in the URL
/// chooses the model.
pub(crate) fn chat_body(req: &ChatRequest, with_model: bool) -> Map<String, Value> {
    let mut body = Map::new();
    if with_model {
        body.insert("model".into(), json!(req.model));
    }
    body.insert(
        "messages".into(),
        Value::Array(req.messages.iter().map(message).collect()),
    );
    put_opt(&mut body, "temperature", req.temperature);
    put_opt(&mut body, "top_p", req.top_p);
    // `max_tokens` rather than `max_completion_tokens`: every compatible server knows it.
    put_opt(&mut body, "max_tokens", req.max_tokens);
    if !req.stop.is_empty() {
        body.insert("stop".into(), json!(req.stop));
    }
    put_opt(&mut body, "seed", req.seed);
    put_opt(
        &mut body,
        "response_format",
        req.response_format.as_ref().and_then(response_format),
    );
    if !req.tools.is_empty() {
        let tools = req.tools.iter().map(|t| {
            let mut function = Map::new();
            function.insert("name".into(), json!(t.name));
            put_opt(&mut function, "description", t.description.clone());
            if !t.parameters.is_null() {
                function.insert("parameters".into(), t.parameters.clone());
            }
            json!({"type": "function", "function": function})
        });
        body.insert("tools".into(), Value::Array(tools.collect()));
    }
    put_opt(
        &mut body,
        "tool_choice",
        req.tool_choice.as_ref().map(tool_choice),
    );
    body.insert("stream".into(), json!(req.stream));
    if req.stream {
        // Usage is only reported in a stream when asked for; the server always needs it.
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    for (key, value) in &req.extra {
        let ours = body.contains_key(key)
            || (!with_model && key == "model")
            // OpenAI refuses `stream_options` on a non-streamed call.
            || (!req.stream && key == "stream_options");
        if !ours {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

fn message(m: &Message) -> Value {
    let mut out = Map::new();
    out.insert("role".into(), json!(role(m.role)));
    let content = match m.content.as_slice() {
        _ if m.role == Role::Assistant && crate::common::content_is_empty(&m.content) => {
            Value::Null
        }
        [] => json!(""),
        [ContentPart::Text(text)] => json!(text),
        parts => Value::Array(parts.iter().map(part).collect()),
    };
    out.insert("content".into(), content);
    put_opt(&mut out, "name", m.name.clone());
    if !m.tool_calls.is_empty() {
        let calls = m.tool_calls.iter().map(|c| {
            json!({
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            })
        });
        out.insert("tool_calls".into(), Value::Array(calls.collect()));
    }
    put_opt(&mut out, "tool_call_id", m.tool_call_id.clone());
    Value::Object(out)
}

fn part(p: &ContentPart) -> Value {
    match p {
        ContentPart::Text(text) => json!({"type": "text", "text": text}),
        ContentPart::Image { url, detail } => {
            let mut image = Map::new();
            image.insert("url".into(), json!(url));
            put_opt(&mut image, "detail", detail.clone());
            json!({"type": "image_url", "image_url": image})
        }
    }
}

fn role(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

fn response_format(f: &ResponseFormat) -> Option<Value> {
    match f {
        ResponseFormat::Text => None,
        ResponseFormat::JsonObject => Some(json!({"type": "json_object"})),
        ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        } => Some(json!({
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": strict},
        })),
    }
}

fn tool_choice(c: &ToolChoice) -> Value {
    match c {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Function(name) => json!({"type": "function", "function": {"name": name}}),
    }
}

/// `POST …/embeddings`, asking for floats (the server re-encodes to base64 if the caller wants
/// it).
pub fn embedding_request(
    up: &Upstream,
    req: &EmbeddingRequest,
) -> Result<WireRequest, AdapterError> {
    let (url, headers) = endpoint(up, &req.model, "embeddings")?;
    let mut body = Map::new();
    if up.kind != ProviderKind::AzureOpenai {
        body.insert("model".into(), json!(req.model));
    }
    body.insert("input".into(), json!(req.input));
    put_opt(&mut body, "dimensions", req.dimensions);
    body.insert("encoding_format".into(), json!("float"));
    Ok(post_json(url, headers, &Value::Object(body)))
}

/// `GET …/models`.
pub fn models_request(up: &Upstream) -> Result<WireRequest, AdapterError> {
    if up.kind == ProviderKind::AzureOpenai {
        return Err(AdapterError::Unsupported(
            "Azure deployments must be entered by hand".into(),
        ));
    }
    let (url, headers) = endpoint(up, "", "models")?;
    Ok(get(url, headers))
}
