//! Chat Completions and Embeddings requests parsed into the internal model; every problem
//! is named by its field.

use llm_adapters::types::{ChatRequest, EmbeddingRequest, Message};
use serde_json::{Map, Value};

use super::super::error::OaiError;
use super::message::{parse_message, parse_response_format, parse_tool_choice, parse_tools};

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

pub(super) fn invalid(msg: impl Into<String>, param: &str) -> OaiError {
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
    if crate::extract::json_has_nul(body) {
        return Err(OaiError::invalid(
            format!("Text in the request {}.", crate::extract::NUL_MESSAGE),
            None,
        ));
    }
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
    if let Some(field) = redirecting_field(&obj, "", 0) {
        return Err(OaiError::invalid(
            format!(
                "'{field}' is not allowed: the gateway chooses the upstream and its credentials"
            ),
            Some(&field),
        ));
    }
    Ok(obj)
}

/// The path of a field that would redirect the call, at the top level or nested in an object
/// passed on to the upstream (`extra_body`, `metadata`, …), a few levels deep.
fn redirecting_field(obj: &Map<String, Value>, prefix: &str, depth: usize) -> Option<String> {
    if let Some(field) = REDIRECTING_FIELDS.iter().find(|f| obj.contains_key(**f)) {
        return Some(format!("{prefix}{field}"));
    }
    if depth >= 4 {
        return None;
    }
    obj.iter()
        .filter(|(k, _)| depth > 0 || !KNOWN_FIELDS.contains(&k.as_str()))
        .find_map(|(k, v)| match v {
            Value::Object(inner) => redirecting_field(inner, &format!("{prefix}{k}."), depth + 1),
            _ => None,
        })
}

fn parse_model(obj: &Map<String, Value>) -> Result<String, OaiError> {
    match obj.get("model") {
        Some(Value::String(m)) if !m.trim().is_empty() && m.len() <= 256 => Ok(m.trim().to_owned()),
        None => Err(invalid("you must provide a model parameter", "model")),
        _ => Err(invalid("'model' must be a non-empty string", "model")),
    }
}

fn parse_messages(obj: &Map<String, Value>) -> Result<Vec<Message>, OaiError> {
    match obj.get("messages") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, m)| parse_message(i, m))
            .collect(),
        Some(Value::Array(_)) => Err(invalid(
            "'messages' must contain at least one message",
            "messages",
        )),
        None => Err(invalid("you must provide a messages parameter", "messages")),
        _ => Err(invalid("'messages' must be an array", "messages")),
    }
}

/// Fields this gateway refuses rather than ignores.
fn refuse_unsupported(obj: &Map<String, Value>) -> Result<(), OaiError> {
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
    Ok(())
}

fn parse_stop(obj: &Map<String, Value>) -> Result<Vec<String>, OaiError> {
    let bad = || invalid("'stop' must be a string or up to 4 strings", "stop");
    match obj.get("stop") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(list)) if list.len() <= 4 => list
            .iter()
            .map(|s| s.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn parse_seed(obj: &Map<String, Value>) -> Result<Option<i64>, OaiError> {
    match obj.get("seed") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid("'seed' must be an integer", "seed")),
    }
}

/// `stream`, and whether the stream ends with a usage chunk.
fn parse_stream(obj: &Map<String, Value>) -> Result<(bool, bool), OaiError> {
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        _ => return Err(invalid("'stream' must be a boolean", "stream")),
    };
    let options = obj.get("stream_options").filter(|o| !o.is_null());
    if options.is_some() && !stream {
        return Err(invalid(
            "'stream_options' is only allowed when 'stream' is true",
            "stream_options",
        ));
    }
    let include_usage = options
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok((stream, include_usage))
}

/// Parses a `/v1/chat/completions` body.
pub fn parse_chat(body: &[u8]) -> Result<ParsedChat, OaiError> {
    let obj = parse_object(body)?;
    let model = parse_model(&obj)?;
    let messages = parse_messages(&obj)?;
    refuse_unsupported(&obj)?;
    let max_tokens = match opt_u32(&obj, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u32(&obj, "max_tokens")?,
    };
    let (stream, include_usage) = parse_stream(&obj)?;
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
        stop: parse_stop(&obj)?,
        seed: parse_seed(&obj)?,
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
