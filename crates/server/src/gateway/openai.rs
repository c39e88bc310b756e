//! The `/v1` wire format as clients speak it: OpenAI Chat Completions and Embeddings requests
//! parsed into the internal model (every problem named by its field), and answers, stream
//! chunks and usage rendered back exactly as OpenAI does.

use llm_adapters::types::{
    ChatRequest, ChatResponse, ContentPart, EmbeddingRequest, FinishReason, Message,
    ResponseFormat, Role, StreamEvent, Tool, ToolCall, ToolChoice, Usage,
};
use serde_json::{Map, Value, json};

use super::error::OaiError;

/// Body fields that would send the call elsewhere or with other credentials.
const REDIRECTING_FIELDS: &[&str] = &[
    "api_base",
    "base_url",
    "api_key",
    "api_type",
    "api_version",
    "custom_llm_provider",
    "organization",
    "azure_endpoint",
    "azure_ad_token",
    "aws_access_key_id",
    "aws_secret_access_key",
    "vertex_credentials",
    "extra_headers",
];

/// Fields we read ourselves (everything else goes to OpenAI-format upstreams as it is).
const KNOWN_FIELDS: &[&str] = &[
    "model",
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "seed",
    "response_format",
    "tools",
    "tool_choice",
    "stream",
    "stream_options",
    "n",
    "functions",
    "function_call",
];

/// A parsed chat request: the public model name, the internal request, and stream options.
#[derive(Debug)]
pub struct ParsedChat {
    /// Model as the client named it.
    pub model: String,
    /// The request (its `model` is set by routing).
    pub request: ChatRequest,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

fn invalid(msg: impl Into<String>, param: &str) -> OaiError {
    OaiError::invalid(msg, Some(param))
}

fn opt_f64(
    obj: &Map<String, Value>,
    key: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, OaiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(f) if (min..=max).contains(&f) => Ok(Some(f)),
            _ => Err(invalid(
                format!("'{key}' must be a number between {min} and {max}"),
                key,
            )),
        },
    }
}

fn opt_u32(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, OaiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(invalid(format!("'{key}' must be a positive integer"), key)),
        },
    }
}

/// A request body as a JSON object without fields that would redirect the call.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, OaiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        OaiError::invalid(
            format!("We could not parse the JSON body of your request: {e}"),
            None,
        )
    })?;
    let Value::Object(obj) = value else {
        return Err(OaiError::invalid(
            "The request body must be a JSON object.",
            None,
        ));
    };
    if let Some(field) = REDIRECTING_FIELDS.iter().find(|f| obj.contains_key(**f)) {
        return Err(invalid(
            format!(
                "'{field}' is not allowed: the gateway chooses the upstream and its credentials"
            ),
            field,
        ));
    }
    Ok(obj)
}

/// Parses a `/v1/chat/completions` body.
pub fn parse_chat(body: &[u8]) -> Result<ParsedChat, OaiError> {
    let obj = parse_object(body)?;
    let model = match obj.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() && m.len() <= 256 => m.trim().to_owned(),
        None => return Err(invalid("you must provide a model parameter", "model")),
        _ => return Err(invalid("'model' must be a non-empty string", "model")),
    };
    let messages = match obj.get("messages") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, m)| parse_message(i, m))
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Array(_)) => {
            return Err(invalid(
                "'messages' must contain at least one message",
                "messages",
            ));
        }
        None => return Err(invalid("you must provide a messages parameter", "messages")),
        _ => return Err(invalid("'messages' must be an array", "messages")),
    };
    if let Some(n) = obj.get("n").and_then(Value::as_u64)
        && n != 1
    {
        return Err(invalid("only n=1 is supported", "n"));
    }
    if obj.contains_key("functions") || obj.contains_key("function_call") {
        return Err(invalid(
            "'functions' is deprecated and not supported; use 'tools'",
            "functions",
        ));
    }
    let max_tokens = match opt_u32(&obj, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u32(&obj, "max_tokens")?,
    };
    let stop = match obj.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) if list.len() <= 4 => list
            .iter()
            .map(|s| {
                s.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| invalid("'stop' must be a string or up to 4 strings", "stop"))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "'stop' must be a string or up to 4 strings",
                "stop",
            ));
        }
    };
    let seed = match obj.get("seed") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| invalid("'seed' must be an integer", "seed"))?,
        ),
    };
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        _ => return Err(invalid("'stream' must be a boolean", "stream")),
    };
    let include_usage = obj
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if obj.contains_key("stream_options") && !stream && !obj["stream_options"].is_null() {
        return Err(invalid(
            "'stream_options' is only allowed when 'stream' is true",
            "stream_options",
        ));
    }
    let extra: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let request = ChatRequest {
        model: String::new(),
        messages,
        temperature: opt_f64(&obj, "temperature", 0.0, 2.0)?,
        top_p: opt_f64(&obj, "top_p", 0.0, 1.0)?,
        max_tokens,
        stop,
        seed,
        response_format: parse_response_format(obj.get("response_format"))?,
        tools: parse_tools(obj.get("tools"))?,
        tool_choice: parse_tool_choice(obj.get("tool_choice"))?,
        stream,
        extra,
    };
    Ok(ParsedChat {
        model,
        request,
        include_usage,
    })
}

fn parse_message(i: usize, v: &Value) -> Result<Message, OaiError> {
    let p = |field: &str| format!("messages[{i}].{field}");
    let obj = v.as_object().ok_or_else(|| {
        invalid(
            format!("'messages[{i}]' must be an object"),
            &format!("messages[{i}]"),
        )
    })?;
    let role = match obj.get("role").and_then(Value::as_str) {
        Some("system" | "developer") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        _ => {
            return Err(invalid(
                format!(
                    "'{}' must be one of system, developer, user, assistant, tool",
                    p("role")
                ),
                &p("role"),
            ));
        }
    };
    let content = match obj.get("content") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![ContentPart::Text(s.clone())],
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, part)| parse_part(i, j, part))
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                format!("'{}' must be a string or an array of parts", p("content")),
                &p("content"),
            ));
        }
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = obj.get("tool_calls").filter(|v| !v.is_null()) {
        let calls = calls.as_array().ok_or_else(|| {
            invalid(
                format!("'{}' must be an array", p("tool_calls")),
                &p("tool_calls"),
            )
        })?;
        for (j, c) in calls.iter().enumerate() {
            let f = c.get("function");
            let name = f.and_then(|f| f.get("name")).and_then(Value::as_str);
            let (Some(id), Some(name)) = (c.get("id").and_then(Value::as_str), name) else {
                return Err(invalid(
                    format!("'{}[{j}]' needs an id and function.name", p("tool_calls")),
                    &p("tool_calls"),
                ));
            };
            let arguments = f
                .and_then(|f| f.get("arguments"))
                .and_then(Value::as_str)
                .unwrap_or("{}")
                .to_owned();
            tool_calls.push(ToolCall {
                id: id.to_owned(),
                name: name.to_owned(),
                arguments,
            });
        }
    }
    let tool_call_id = obj
        .get("tool_call_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if role == Role::Tool && tool_call_id.is_none() {
        return Err(invalid(
            format!("'{}' is required for tool messages", p("tool_call_id")),
            &p("tool_call_id"),
        ));
    }
    if content.is_empty() && tool_calls.is_empty() && role != Role::Assistant {
        return Err(invalid(
            format!("'{}' is required", p("content")),
            &p("content"),
        ));
    }
    Ok(Message {
        role,
        content,
        tool_calls,
        tool_call_id,
        name: obj.get("name").and_then(Value::as_str).map(str::to_owned),
    })
}

fn parse_part(i: usize, j: usize, v: &Value) -> Result<ContentPart, OaiError> {
    let param = format!("messages[{i}].content[{j}]");
    match v.get("type").and_then(Value::as_str) {
        Some("text") => v
            .get("text")
            .and_then(Value::as_str)
            .map(|t| ContentPart::Text(t.to_owned()))
            .ok_or_else(|| invalid(format!("'{param}.text' must be a string"), &param)),
        Some("image_url") => {
            let image = v.get("image_url");
            let url = image
                .and_then(|i| i.get("url").and_then(Value::as_str).or_else(|| i.as_str()))
                .ok_or_else(|| {
                    invalid(format!("'{param}.image_url.url' must be a string"), &param)
                })?;
            if !(url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("data:image/"))
            {
                return Err(invalid(
                    format!("'{param}.image_url.url' must be an http(s) URL or a data:image/… URL"),
                    &param,
                ));
            }
            Ok(ContentPart::Image {
                url: url.to_owned(),
                detail: image
                    .and_then(|i| i.get("detail"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
        Some(other) => Err(invalid(
            format!("content part type '{other}' is not supported (text, image_url)"),
            &param,
        )),
        None => Err(invalid(format!("'{param}.type' is required"), &param)),
    }
}

fn parse_response_format(v: Option<&Value>) -> Result<Option<ResponseFormat>, OaiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let param = "response_format";
    match v.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let js = v
                .get("json_schema")
                .ok_or_else(|| invalid("'response_format.json_schema' is required", param))?;
            let name = js
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("'response_format.json_schema.name' is required", param))?;
            let schema = js.get("schema").cloned().unwrap_or_else(|| json!({}));
            if !schema.is_object() {
                return Err(invalid(
                    "'response_format.json_schema.schema' must be an object",
                    param,
                ));
            }
            Ok(Some(ResponseFormat::JsonSchema {
                name: name.to_owned(),
                schema,
                strict: js.get("strict").and_then(Value::as_bool).unwrap_or(false),
            }))
        }
        _ => Err(invalid(
            "'response_format.type' must be text, json_object or json_schema",
            param,
        )),
    }
}

fn parse_tools(v: Option<&Value>) -> Result<Vec<Tool>, OaiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = v
        .as_array()
        .ok_or_else(|| invalid("'tools' must be an array", "tools"))?;
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let f = t.get("function");
            let name = f.and_then(|f| f.get("name")).and_then(Value::as_str);
            match (t.get("type").and_then(Value::as_str), name) {
                (Some("function"), Some(name)) => Ok(Tool {
                    name: name.to_owned(),
                    description: f
                        .and_then(|f| f.get("description"))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    parameters: f
                        .and_then(|f| f.get("parameters"))
                        .cloned()
                        .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                }),
                _ => Err(invalid(
                    format!("'tools[{i}]' must be {{\"type\": \"function\", \"function\": {{\"name\": …}}}}"),
                    &format!("tools[{i}]"),
                )),
            }
        })
        .collect()
}

fn parse_tool_choice(v: Option<&Value>) -> Result<Option<ToolChoice>, OaiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match v {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(Some(ToolChoice::Auto)),
            "none" => Ok(Some(ToolChoice::None)),
            "required" => Ok(Some(ToolChoice::Required)),
            _ => Err(invalid(
                "'tool_choice' must be auto, none, required or a function",
                "tool_choice",
            )),
        },
        _ => v
            .get("function")
            .and_then(|f| f.get("name"))
            .and_then(Value::as_str)
            .map(|n| Some(ToolChoice::Function(n.to_owned())))
            .ok_or_else(|| invalid("'tool_choice.function.name' is required", "tool_choice")),
    }
}

/// A parsed embeddings request and whether vectors go back as base64.
pub struct ParsedEmbedding {
    /// Public model name.
    pub model: String,
    /// The request (model set by routing).
    pub request: EmbeddingRequest,
    /// `encoding_format: "base64"`.
    pub base64: bool,
}

/// Parses a `/v1/embeddings` body.
pub fn parse_embeddings(body: &[u8]) -> Result<ParsedEmbedding, OaiError> {
    let obj = parse_object(body)?;
    let model = obj
        .get("model")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("you must provide a model parameter", "model"))?
        .to_owned();
    let input = match obj.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= 2048 => list
            .iter()
            .map(|s| {
                s.as_str().map(str::to_owned).ok_or_else(|| {
                    invalid("'input' must be a string or an array of strings", "input")
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "'input' must be a string or an array of 1 to 2048 strings",
                "input",
            ));
        }
    };
    let base64 = match obj.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(_) => {
            return Err(invalid(
                "'encoding_format' must be float or base64",
                "encoding_format",
            ));
        }
    };
    let dimensions = opt_u32(&obj, "dimensions")?;
    Ok(ParsedEmbedding {
        model,
        request: EmbeddingRequest {
            model: String::new(),
            input,
            dimensions,
        },
        base64,
    })
}

/// OpenAI's usage object.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total(),
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
    })
}

fn tool_calls_json(calls: &[ToolCall]) -> Value {
    Value::Array(
        calls
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                })
            })
            .collect(),
    )
}

/// A `chat.completion` object.
pub fn render_completion(
    id: &str,
    created: i64,
    model: &str,
    res: &ChatResponse,
    usage: &Usage,
) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": if res.content.is_empty() && !res.tool_calls.is_empty() { Value::Null } else { Value::String(res.content.clone()) },
        "refusal": null,
    });
    if !res.tool_calls.is_empty() {
        message["tool_calls"] = tool_calls_json(&res.tool_calls);
    }
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": res.finish_reason.as_openai(),
        }],
        "usage": usage_json(usage),
        "system_fingerprint": null,
    })
}

/// Renders `chat.completion.chunk` objects as SSE `data:` frames.
pub struct ChunkWriter {
    id: String,
    created: i64,
    model: String,
    include_usage: bool,
}

impl ChunkWriter {
    /// For one stream.
    pub fn new(id: String, created: i64, model: String, include_usage: bool) -> Self {
        Self {
            id,
            created,
            model,
            include_usage,
        }
    }

    fn frame(&self, choices: Value, usage: Option<Value>) -> String {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": choices,
        });
        if self.include_usage {
            chunk["usage"] = usage.unwrap_or(Value::Null);
        }
        format!("data: {chunk}\n\n")
    }

    /// The opening chunk (`role: assistant`).
    pub fn start(&self) -> String {
        self.frame(
            json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]),
            None,
        )
    }

    /// The frame for one event; `None` for events rendered elsewhere (usage).
    pub fn event(&self, event: &StreamEvent) -> Option<String> {
        let choice = match event {
            StreamEvent::Delta(text) => {
                json!({"index": 0, "delta": {"content": text}, "logprobs": null, "finish_reason": null})
            }
            StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            } => {
                let mut call = json!({"index": index, "function": {"arguments": arguments}});
                if let Some(id) = id {
                    call["id"] = json!(id);
                    call["type"] = json!("function");
                }
                if let Some(name) = name {
                    call["function"]["name"] = json!(name);
                }
                json!({"index": 0, "delta": {"tool_calls": [call]}, "logprobs": null, "finish_reason": null})
            }
            StreamEvent::Finish(reason) => {
                json!({"index": 0, "delta": {}, "logprobs": null, "finish_reason": reason.as_openai()})
            }
            StreamEvent::Usage(_) => return None,
        };
        Some(self.frame(json!([choice]), None))
    }

    /// The usage chunk (only when the client asked for it).
    pub fn usage(&self, usage: &Usage) -> Option<String> {
        self.include_usage
            .then(|| self.frame(json!([]), Some(usage_json(usage))))
    }

    /// An error frame for a stream that broke after it started.
    pub fn error(&self, err: &OaiError) -> String {
        format!("data: {}\n\n", err.body())
    }
}

/// The end marker.
pub const DONE: &str = "data: [DONE]\n\n";

/// Finish reason used when a stream ended without naming one.
pub fn default_finish(saw_tool_call: bool) -> FinishReason {
    if saw_tool_call {
        FinishReason::ToolCalls
    } else {
        FinishReason::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_request_parses() {
        let body = json!({
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
            ],
            "temperature": 0.2, "max_completion_tokens": 50, "stop": "END", "seed": 7,
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}],
            "tool_choice": "auto", "stream": true, "stream_options": {"include_usage": true},
            "presence_penalty": 0.5
        });
        let p = parse_chat(body.to_string().as_bytes()).unwrap();
        assert_eq!(p.model, "gpt-4o");
        assert!(p.include_usage);
        let r = p.request;
        assert_eq!(r.messages.len(), 4);
        assert_eq!(r.messages[0].role, Role::System);
        assert!(matches!(
            r.messages[1].content[1],
            ContentPart::Image { .. }
        ));
        assert_eq!(r.messages[2].tool_calls[0].name, "look");
        assert_eq!(r.max_tokens, Some(50));
        assert_eq!(r.stop, vec!["END"]);
        assert!(matches!(
            r.response_format,
            Some(ResponseFormat::JsonSchema { .. })
        ));
        assert_eq!(r.extra.get("presence_penalty"), Some(&json!(0.5)));
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases = [
            (
                json!({"messages": [{"role": "user", "content": "hi"}]}),
                "model",
            ),
            (json!({"model": "m"}), "messages"),
            (
                json!({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 5}),
                "temperature",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "api_base": "http://evil"}),
                "api_base",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "api_key": "sk-x"}),
                "api_key",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}),
                "messages[0].content[0]",
            ),
        ];
        for (body, param) in cases {
            let err = parse_chat(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(err.status, 400);
            assert_eq!(err.param.as_deref(), Some(param), "{body}");
        }
        assert_eq!(parse_chat(b"{not json").unwrap_err().status, 400);
    }

    #[test]
    fn chunks_have_openais_shape() {
        let w = ChunkWriter::new("chatcmpl-1".into(), 1, "m".into(), true);
        let start = w.start();
        assert!(start.starts_with("data: {") && start.ends_with("\n\n"));
        let v: Value = serde_json::from_str(start.trim_start_matches("data: ").trim()).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["choices"][0]["delta"]["role"], "assistant");
        assert!(v["usage"].is_null());
        let u = w
            .usage(&Usage {
                prompt_tokens: 3,
                completion_tokens: 4,
                cached_tokens: 1,
            })
            .unwrap();
        let v: Value = serde_json::from_str(u.trim_start_matches("data: ").trim()).unwrap();
        assert_eq!(v["usage"]["total_tokens"], 7);
        assert_eq!(v["choices"], json!([]));
    }
}
