//! Reading OpenAI-format answers: chat completions, `chat.completion.chunk` streams, embeddings
//! and model lists. Lenient where compatible servers differ (missing indexes, object
//! arguments, content part arrays), strict where the data would be wrong.

use serde::Deserialize;
use serde_json::Value;

use crate::common::{from_value, malformed, parse_body};
use crate::sse::SseParser;
use crate::types::{ChatResponse, EmbeddingResponse, FinishReason, StreamEvent, ToolCall, Usage};
use crate::{AdapterError, StreamDecoder};

#[derive(Deserialize)]
struct Completion {
    id: Option<String>,
    model: Option<String>,
    choices: Option<Vec<Choice>>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Choice {
    index: Option<u32>,
    message: Option<ChoiceMessage>,
    delta: Option<ChoiceMessage>,
    finish_reason: Option<String>,
}

/// A whole message (`message`) or a piece of one (`delta`).
#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<Value>,
    refusal: Option<String>,
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    index: Option<u32>,
    id: Option<String>,
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    name: Option<String>,
    /// JSON text; a few compatible servers send the object itself.
    arguments: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<PromptDetails>,
    /// DeepSeek's name for cached prompt tokens.
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct PromptDetails {
    cached_tokens: Option<u64>,
}

impl WireUsage {
    fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.unwrap_or_default(),
            completion_tokens: self.completion_tokens.unwrap_or_default(),
            cached_tokens: self
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens)
                .or(self.prompt_cache_hit_tokens)
                .unwrap_or_default(),
        }
    }
}

/// OpenAI's finish reason names.
pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_owned()),
    }
}

/// Text content: a string, or (some compatible servers) an array of text parts.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

fn arguments_text(arguments: Option<&Value>) -> String {
    match arguments {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The first choice (index 0): the server relays one answer.
fn first_choice(choices: Option<Vec<Choice>>) -> Option<Choice> {
    choices?
        .into_iter()
        .find(|c| c.index.unwrap_or_default() == 0)
}

/// Reads a `chat.completion` object.
pub fn parse_chat_response(body: &[u8]) -> Result<ChatResponse, AdapterError> {
    let completion: Completion = parse_body(body, "chat completion")?;
    let choice = first_choice(completion.choices)
        .ok_or_else(|| AdapterError::Malformed("chat completion has no choices".into()))?;
    let message = choice.message.or(choice.delta);
    let (content, tool_calls) = match message {
        Some(m) => {
            let text = content_text(m.content.as_ref());
            let text = if text.is_empty() {
                m.refusal.unwrap_or_default()
            } else {
                text
            };
            let calls = m.tool_calls.unwrap_or_default();
            (text, calls)
        }
        None => (String::new(), Vec::new()),
    };
    let tool_calls: Vec<ToolCall> = tool_calls
        .into_iter()
        .enumerate()
        .map(|(n, c)| {
            let function = c.function.as_ref();
            ToolCall {
                id: c
                    .id
                    .clone()
                    .unwrap_or_else(|| crate::common::generated_call_id(n as u32)),
                name: function.and_then(|f| f.name.clone()).unwrap_or_default(),
                arguments: arguments_text(function.and_then(|f| f.arguments.as_ref())),
            }
        })
        .collect();
    let finish = match choice.finish_reason.as_deref() {
        Some(r) => finish_reason(r),
        None if tool_calls.is_empty() => FinishReason::Stop,
        None => FinishReason::ToolCalls,
    };
    Ok(ChatResponse {
        id: completion.id,
        model: completion.model,
        content,
        tool_calls,
        finish_reason: finish,
        usage: completion.usage.as_ref().map(WireUsage::usage),
    })
}

/// Decodes an OpenAI `chat.completion.chunk` SSE stream.
#[derive(Debug, Default)]
pub struct Decoder {
    sse: SseParser,
    done: bool,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    fn chunk(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> Result<(), AdapterError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let value: Value = serde_json::from_str(data).map_err(|e| malformed("stream chunk", e))?;
        let chunk: Completion = from_value(value, "stream chunk")?;
        if let Some(choice) = first_choice(chunk.choices) {
            if let Some(delta) = choice.delta.or(choice.message) {
                let text = content_text(delta.content.as_ref());
                if !text.is_empty() {
                    out.push(StreamEvent::Delta(text));
                }
                if let Some(refusal) = delta.refusal.filter(|r| !r.is_empty()) {
                    out.push(StreamEvent::Delta(refusal));
                }
                for (n, call) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
                    let function = call.function.as_ref();
                    out.push(StreamEvent::ToolCallDelta {
                        index: call.index.unwrap_or(n as u32),
                        id: call.id,
                        name: function.and_then(|f| f.name.clone()),
                        arguments: arguments_text(function.and_then(|f| f.arguments.as_ref())),
                    });
                }
            }
            if let Some(reason) = choice.finish_reason {
                out.push(StreamEvent::Finish(finish_reason(&reason)));
            }
        }
        if let Some(usage) = chunk.usage {
            out.push(StreamEvent::Usage(usage.usage()));
        }
        Ok(())
    }
}

impl StreamDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, AdapterError> {
        let mut out = Vec::new();
        for event in self.sse.feed(bytes)? {
            // Anything after `[DONE]` is not part of the answer.
            if !self.done {
                self.chunk(&event.data, &mut out)?;
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
    data: Vec<EmbeddingItem>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    index: Option<usize>,
    embedding: Vec<f32>,
}

/// Reads an embeddings list, ordered by `index`.
pub fn parse_embedding_response(body: &[u8]) -> Result<EmbeddingResponse, AdapterError> {
    let parsed: Embeddings = parse_body(body, "embeddings")?;
    let mut items: Vec<(usize, Vec<f32>)> = parsed
        .data
        .into_iter()
        .enumerate()
        .map(|(n, item)| (item.index.unwrap_or(n), item.embedding))
        .collect();
    items.sort_by_key(|(index, _)| *index);
    Ok(EmbeddingResponse {
        vectors: items.into_iter().map(|(_, v)| v).collect(),
        usage: parsed.usage.map(|u| Usage {
            prompt_tokens: u.prompt_tokens.unwrap_or_default(),
            ..Usage::default()
        }),
    })
}

#[derive(Deserialize)]
struct Models {
    data: Vec<ModelItem>,
}

#[derive(Deserialize)]
struct ModelItem {
    id: String,
}

/// Reads a model list (`data[].id`), unsorted.
pub fn parse_models_response(body: &[u8]) -> Result<Vec<String>, AdapterError> {
    let parsed: Models = parse_body(body, "model list")?;
    Ok(parsed.data.into_iter().map(|m| m.id).collect())
}
