//! Answers, stream chunks and usage rendered exactly as OpenAI does.

use llm_adapters::types::{ChatResponse, FinishReason, StreamEvent, ToolCall, Usage};
use serde_json::{Value, json};

use super::super::error::OaiError;

/// Sets `key` on a JSON object (built here, so always an object).
fn set(target: &mut Value, key: &str, value: Value) {
    if let Some(obj) = target.as_object_mut() {
        obj.insert(key.to_owned(), value);
    }
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
        set(&mut message, "tool_calls", tool_calls_json(&res.tool_calls));
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
            set(&mut chunk, "usage", usage.unwrap_or(Value::Null));
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
                    set(&mut call, "id", json!(id));
                    set(&mut call, "type", json!("function"));
                }
                if let Some(name) = name
                    && let Some(function) = call.get_mut("function")
                {
                    set(function, "name", json!(name));
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
