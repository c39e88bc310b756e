//! One chat message and its parts, the response format, tools and tool choice, as OpenAI
//! clients send them.

use llm_adapters::types::{ContentPart, Message, ResponseFormat, Role, Tool, ToolCall, ToolChoice};
use serde_json::{Value, json};

use super::super::error::OaiError;
use super::parse::invalid;

pub(super) fn parse_message(i: usize, v: &Value) -> Result<Message, OaiError> {
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
    let tool_calls = parse_tool_calls(obj.get("tool_calls"), &p("tool_calls"))?;
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

/// An assistant message's `tool_calls` (field name `field` for errors).
fn parse_tool_calls(v: Option<&Value>, field: &str) -> Result<Vec<ToolCall>, OaiError> {
    let Some(calls) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let calls = calls
        .as_array()
        .ok_or_else(|| invalid(format!("'{field}' must be an array"), field))?;
    calls
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let f = c.get("function");
            let name = f.and_then(|f| f.get("name")).and_then(Value::as_str);
            let (Some(id), Some(name)) = (c.get("id").and_then(Value::as_str), name) else {
                return Err(invalid(
                    format!("'{field}[{j}]' needs an id and function.name"),
                    field,
                ));
            };
            let arguments = f
                .and_then(|f| f.get("arguments"))
                .and_then(Value::as_str)
                .unwrap_or("{}")
                .to_owned();
            Ok(ToolCall {
                id: id.to_owned(),
                name: name.to_owned(),
                arguments,
            })
        })
        .collect()
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

pub(super) fn parse_response_format(v: Option<&Value>) -> Result<Option<ResponseFormat>, OaiError> {
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

pub(super) fn parse_tools(v: Option<&Value>) -> Result<Vec<Tool>, OaiError> {
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

pub(super) fn parse_tool_choice(v: Option<&Value>) -> Result<Option<ToolChoice>, OaiError> {
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
