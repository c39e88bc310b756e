//! Building Gemini API requests: `generateContent` / `streamGenerateContent`, batch embeddings
//! and the model list, all under `/v1beta`.

use http::{HeaderMap, HeaderName};
use serde_json::{Map, Value, json};

use crate::common::{
    ImageSource, arguments_object, base_url, get, image_source, path_segment, post_json, put_opt,
    set_auth, system_text, tool_name_for,
};
use crate::types::{
    ChatRequest, ContentPart, EmbeddingRequest, Message, ResponseFormat, Role, ToolChoice, Upstream,
};
use crate::{AdapterError, WireRequest};

fn headers(up: &Upstream) -> Result<HeaderMap, AdapterError> {
    let mut headers = HeaderMap::new();
    set_auth(
        &mut headers,
        HeaderName::from_static("x-goog-api-key"),
        "",
        &up.api_key,
    )?;
    Ok(headers)
}

/// `{base}/v1beta/models/{model}:{method}`. Callers may name models with or without the
/// `models/` prefix the API uses in its own lists.
fn model_url(up: &Upstream, model: &str, method: &str) -> Result<String, AdapterError> {
    let model = model.strip_prefix("models/").unwrap_or(model);
    Ok(format!(
        "{}/v1beta/models/{}:{method}",
        base_url(&up.base_url),
        path_segment(model)?
    ))
}

/// `POST …:generateContent`, or `…:streamGenerateContent?alt=sse` when streaming.
pub fn chat_request(up: &Upstream, req: &ChatRequest) -> Result<WireRequest, AdapterError> {
    let method = if req.stream {
        "streamGenerateContent?alt=sse"
    } else {
        "generateContent"
    };
    let url = model_url(up, &req.model, method)?;
    Ok(post_json(url, headers(up)?, &Value::Object(body(req)?)))
}

fn body(req: &ChatRequest) -> Result<Map<String, Value>, AdapterError> {
    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents(&req.messages)?));
    if let Some(system) = system_text(&req.messages) {
        body.insert(
            "systemInstruction".into(),
            json!({"parts": [{"text": system}]}),
        );
    }
    let mut config = Map::new();
    put_opt(&mut config, "temperature", req.temperature);
    put_opt(&mut config, "topP", req.top_p);
    put_opt(&mut config, "maxOutputTokens", req.max_tokens);
    if !req.stop.is_empty() {
        config.insert("stopSequences".into(), json!(req.stop));
    }
    put_opt(&mut config, "seed", req.seed);
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            config.insert("responseMimeType".into(), json!("application/json"));
        }
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            config.insert("responseMimeType".into(), json!("application/json"));
            config.insert("responseJsonSchema".into(), schema.clone());
        }
        Some(ResponseFormat::Text) | None => {}
    }
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    if !req.tools.is_empty() {
        let declarations = req.tools.iter().map(|t| {
            let mut declaration = Map::new();
            declaration.insert("name".into(), json!(t.name));
            put_opt(&mut declaration, "description", t.description.clone());
            // `parametersJsonSchema` takes the JSON Schema as OpenAI callers write it;
            // `parameters` only takes an OpenAPI subset and refuses `additionalProperties`,
            // `$schema`, `$defs`…
            if !t.parameters.is_null() {
                declaration.insert("parametersJsonSchema".into(), t.parameters.clone());
            }
            Value::Object(declaration)
        });
        body.insert(
            "tools".into(),
            json!([{"functionDeclarations": declarations.collect::<Vec<_>>()}]),
        );
        if let Some(choice) = &req.tool_choice {
            let config = match choice {
                ToolChoice::Auto => json!({"mode": "AUTO"}),
                ToolChoice::None => json!({"mode": "NONE"}),
                ToolChoice::Required => json!({"mode": "ANY"}),
                ToolChoice::Function(name) => {
                    json!({"mode": "ANY", "allowedFunctionNames": [name]})
                }
            };
            body.insert(
                "toolConfig".into(),
                json!({"functionCallingConfig": config}),
            );
        }
    }
    Ok(body)
}

/// The conversation as `user`/`model` turns: system messages left out (they become the
/// system instruction), tool results as `functionResponse` parts of user turns, consecutive
/// same-role turns merged.
fn contents(messages: &[Message]) -> Result<Vec<Value>, AdapterError> {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (at, m) in messages.iter().enumerate() {
        let (role, parts) = match m.role {
            Role::System => continue,
            Role::User => ("user", parts(&m.content)?),
            Role::Assistant => {
                let mut parts = parts(&m.content)?;
                for call in &m.tool_calls {
                    parts.push(json!({
                        "functionCall": {"name": call.name, "args": arguments_object(call)?}
                    }));
                }
                ("model", parts)
            }
            Role::Tool => ("user", vec![function_response(messages, at, m)?]),
        };
        if parts.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last_role, last_parts)) if *last_role == role => last_parts.extend(parts),
            _ => turns.push((role, parts)),
        }
    }
    Ok(turns
        .into_iter()
        .map(|(role, parts)| json!({"role": role, "parts": parts}))
        .collect())
}

/// A tool result. Gemini matches results to calls by function name, which the tool message
/// does not carry: it is the name of the assistant call the message answers.
fn function_response(messages: &[Message], at: usize, m: &Message) -> Result<Value, AdapterError> {
    let name = m
        .tool_call_id
        .as_deref()
        .and_then(|id| tool_name_for(messages, at, id))
        .or_else(|| m.name.clone())
        .ok_or_else(|| {
            AdapterError::Unsupported(
                "a tool message answers no earlier assistant tool call".into(),
            )
        })?;
    let text = m.joined_text();
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(object @ Value::Object(_)) => object,
        _ => json!({"content": text}),
    };
    Ok(json!({"functionResponse": {"name": name, "response": response}}))
}

/// Text and image parts; empty text parts are dropped because Gemini refuses them.
fn parts(content: &[ContentPart]) -> Result<Vec<Value>, AdapterError> {
    let mut parts = Vec::new();
    for part in content {
        match part {
            ContentPart::Text(text) if text.is_empty() => {}
            ContentPart::Text(text) => parts.push(json!({"text": text})),
            ContentPart::Image { url, .. } => parts.push(match image_source(url)? {
                ImageSource::Inline { mime, data } => {
                    json!({"inlineData": {"mimeType": mime, "data": data}})
                }
                ImageSource::Remote(url) => {
                    json!({"fileData": {"mimeType": guess_image_type(url), "fileUri": url}})
                }
            }),
        }
    }
    Ok(parts)
}

/// The media type of a remote image from its extension; Gemini needs one and JPEG is the most
/// likely when the URL does not say.
fn guess_image_type(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let extension = last
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "image/jpeg",
    }
}

/// `POST …:batchEmbedContents`, one request per input.
pub fn embedding_request(
    up: &Upstream,
    req: &EmbeddingRequest,
) -> Result<WireRequest, AdapterError> {
    let url = model_url(up, &req.model, "batchEmbedContents")?;
    let model = req.model.strip_prefix("models/").unwrap_or(&req.model);
    let requests = req.input.iter().map(|text| {
        let mut one = Map::new();
        one.insert("model".into(), json!(format!("models/{model}")));
        one.insert("content".into(), json!({"parts": [{"text": text}]}));
        put_opt(&mut one, "outputDimensionality", req.dimensions);
        Value::Object(one)
    });
    let body = json!({"requests": requests.collect::<Vec<_>>()});
    Ok(post_json(url, headers(up)?, &body))
}

/// `GET …/v1beta/models`, as many as one page holds (the default page is 50).
pub fn models_request(up: &Upstream) -> Result<WireRequest, AdapterError> {
    Ok(get(
        format!("{}/v1beta/models?pageSize=1000", base_url(&up.base_url)),
        headers(up)?,
    ))
}
