//! Reading Ollama answers: one chat object, or a stream of them as NDJSON (one JSON object a
//! line, the last with `"done": true`), embeddings and the local model list.

use serde::Deserialize;
use serde_json::Value;

use crate::common::{from_value, generated_call_id, malformed, parse_body};
use crate::sse::LineBuffer;
use crate::types::{ChatResponse, EmbeddingResponse, FinishReason, StreamEvent, ToolCall, Usage};
use crate::{AdapterError, StreamDecoder};

#[derive(Deserialize)]
struct ChatChunk {
    model: Option<String>,
    message: Option<ChunkMessage>,
    done: Option<bool>,
    done_reason: Option<String>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
}

#[derive(Deserialize)]
struct ChunkMessage {
    content: Option<String>,
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    /// Only recent versions send one.
    id: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: Option<String>,
    arguments: Option<Value>,
}

impl ChatChunk {
    fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_eval_count.unwrap_or_default(),
            completion_tokens: self.eval_count.unwrap_or_default(),
            cached_tokens: 0,
        }
    }

    /// Tool calls, numbered from `next` on (Ollama gives each call whole).
    fn tool_calls(&mut self, next: &mut u32) -> Vec<ToolCall> {
        let calls = self
            .message
            .as_mut()
            .and_then(|m| m.tool_calls.take())
            .unwrap_or_default();
        calls
            .into_iter()
            .map(|c| {
                let id = c.id.unwrap_or_else(|| generated_call_id(*next));
                *next += 1;
                ToolCall {
                    id,
                    name: c.function.name.unwrap_or_default(),
                    arguments: match c.function.arguments {
                        None | Some(Value::Null) => "{}".to_owned(),
                        Some(Value::String(s)) => s,
                        Some(v) => v.to_string(),
                    },
                }
            })
            .collect()
    }

    fn content(&mut self) -> String {
        self.message
            .as_mut()
            .and_then(|m| m.content.take())
            .unwrap_or_default()
    }
}

/// Maps `done_reason`; Ollama reports `stop` after tool calls too.
fn finish_reason(reason: Option<&str>, made_calls: bool) -> FinishReason {
    match reason {
        Some("stop") | None if made_calls => FinishReason::ToolCalls,
        Some("stop") | None => FinishReason::Stop,
        Some("length") => FinishReason::Length,
        Some(other) => FinishReason::Other(other.to_owned()),
    }
}

/// Reads a non-streamed `/api/chat` answer.
pub fn parse_chat_response(body: &[u8]) -> Result<ChatResponse, AdapterError> {
    let mut chunk: ChatChunk = parse_body(body, "chat answer")?;
    let mut next = 0;
    let tool_calls = chunk.tool_calls(&mut next);
    Ok(ChatResponse {
        id: None,
        model: chunk.model.take(),
        content: chunk.content(),
        finish_reason: finish_reason(chunk.done_reason.as_deref(), !tool_calls.is_empty()),
        tool_calls,
        usage: Some(chunk.usage()),
    })
}

/// Decodes an `/api/chat` NDJSON stream.
#[derive(Debug, Default)]
pub struct Decoder {
    lines: LineBuffer,
    done: bool,
    next_call: u32,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    fn line(&mut self, line: &str, out: &mut Vec<StreamEvent>) -> Result<(), AdapterError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let value: Value = serde_json::from_str(line).map_err(|e| malformed("stream line", e))?;
        let mut chunk: ChatChunk = from_value(value, "stream line")?;
        let text = chunk.content();
        if !text.is_empty() {
            out.push(StreamEvent::Delta(text));
        }
        let first = self.next_call;
        for (index, call) in (first..).zip(chunk.tool_calls(&mut self.next_call)) {
            out.push(StreamEvent::ToolCallDelta {
                index,
                id: Some(call.id),
                name: Some(call.name),
                arguments: call.arguments,
            });
        }
        if chunk.done == Some(true) {
            out.push(StreamEvent::Finish(finish_reason(
                chunk.done_reason.as_deref(),
                self.next_call > 0,
            )));
            out.push(StreamEvent::Usage(chunk.usage()));
            self.done = true;
        }
        Ok(())
    }
}

impl StreamDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, AdapterError> {
        let mut out = Vec::new();
        for line in self.lines.feed(bytes)? {
            if !self.done {
                self.line(&line, &mut out)?;
            }
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

#[derive(Deserialize)]
struct Embeddings {
    embeddings: Vec<Vec<f32>>,
    prompt_eval_count: Option<u64>,
}

/// Reads an `/api/embed` answer.
pub fn parse_embedding_response(body: &[u8]) -> Result<EmbeddingResponse, AdapterError> {
    let parsed: Embeddings = parse_body(body, "embeddings")?;
    Ok(EmbeddingResponse {
        vectors: parsed.embeddings,
        usage: parsed.prompt_eval_count.map(|n| Usage {
            prompt_tokens: n,
            ..Usage::default()
        }),
    })
}

#[derive(Deserialize)]
struct Tags {
    models: Option<Vec<TagItem>>,
}

#[derive(Deserialize)]
struct TagItem {
    name: Option<String>,
    model: Option<String>,
}

/// Reads `/api/tags` (`models[].name`, or `model`).
pub fn parse_models_response(body: &[u8]) -> Result<Vec<String>, AdapterError> {
    let parsed: Tags = parse_body(body, "model list")?;
    Ok(parsed
        .models
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.name.or(m.model))
        .collect())
}
