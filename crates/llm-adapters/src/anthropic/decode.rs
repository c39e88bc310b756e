//! Reading Anthropic Messages answers and their event streams. A `tool_use` block whose name
//! carries the reserved JSON prefix is the emulated JSON answer and becomes plain text.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::JSON_TOOL_PREFIX;
use crate::common::{from_value, malformed, parse_body};
use crate::sse::SseParser;
use crate::types::{ChatResponse, FinishReason, StreamEvent, ToolCall, Usage};
use crate::{AdapterError, StreamDecoder};

#[derive(Deserialize)]
struct MessageBody {
    id: Option<String>,
    model: Option<String>,
    content: Option<Vec<Block>>,
    stop_reason: Option<String>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    id: Option<String>,
    name: Option<String>,
    input: Option<Value>,
}

/// Token counts; in a stream, `message_delta` repeats the fields that changed.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Later counts override earlier ones field by field.
    fn merge(&mut self, later: WireUsage) {
        self.input_tokens = later.input_tokens.or(self.input_tokens);
        self.output_tokens = later.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = later
            .cache_creation_input_tokens
            .or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = later
            .cache_read_input_tokens
            .or(self.cache_read_input_tokens);
    }

    /// Anthropic's `input_tokens` excludes cache reads and writes; our prompt count includes
    /// them.
    fn usage(&self) -> Usage {
        let read = self.cache_read_input_tokens.unwrap_or_default();
        Usage {
            prompt_tokens: self.input_tokens.unwrap_or_default()
                + self.cache_creation_input_tokens.unwrap_or_default()
                + read,
            completion_tokens: self.output_tokens.unwrap_or_default(),
            cached_tokens: read,
        }
    }
}

/// Maps `stop_reason`. A `tool_use` stop caused only by the emulated JSON tool is a plain stop.
fn finish_reason(reason: Option<&str>, json_answer: bool, real_tools: bool) -> FinishReason {
    match reason {
        Some("end_turn" | "stop_sequence") => FinishReason::Stop,
        Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
        Some("tool_use") if json_answer && !real_tools => FinishReason::Stop,
        Some("tool_use") => FinishReason::ToolCalls,
        Some("refusal") => FinishReason::ContentFilter,
        Some(other) => FinishReason::Other(other.to_owned()),
        None if real_tools => FinishReason::ToolCalls,
        None => FinishReason::Stop,
    }
}

fn is_json_tool(name: Option<&str>) -> bool {
    name.is_some_and(|n| n.starts_with(JSON_TOOL_PREFIX))
}

/// Reads a `message` object.
pub fn parse_chat_response(body: &[u8]) -> Result<ChatResponse, AdapterError> {
    let message: MessageBody = parse_body(body, "message")?;
    let mut content = String::new();
    let mut tool_calls = Vec::new();
    let mut json_answer = false;
    for block in message.content.unwrap_or_default() {
        match block.kind.as_str() {
            "text" => content.push_str(block.text.as_deref().unwrap_or_default()),
            "tool_use" if is_json_tool(block.name.as_deref()) => {
                json_answer = true;
                content.push_str(&input_text(block.input.as_ref()));
            }
            "tool_use" => tool_calls.push(ToolCall {
                id: block.id.unwrap_or_default(),
                name: block.name.unwrap_or_default(),
                arguments: input_text(block.input.as_ref()),
            }),
            // Thinking and server-tool blocks are not part of the relayed answer.
            _ => {}
        }
    }
    Ok(ChatResponse {
        id: message.id,
        model: message.model,
        finish_reason: finish_reason(
            message.stop_reason.as_deref(),
            json_answer,
            !tool_calls.is_empty(),
        ),
        content,
        tool_calls,
        usage: message.usage.as_ref().map(WireUsage::usage),
    })
}

fn input_text(input: Option<&Value>) -> String {
    input.map_or_else(|| "{}".to_owned(), Value::to_string)
}

#[derive(Deserialize)]
struct StreamData {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<MessageBody>,
    index: Option<u32>,
    content_block: Option<Block>,
    delta: Option<StreamDelta>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct StreamDelta {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    partial_json: Option<String>,
    stop_reason: Option<String>,
}

/// What a content block of the stream is, by its index.
#[derive(Clone, Copy, Debug)]
enum BlockRole {
    /// A real tool call, with its position among the answer's tool calls.
    Tool(u32),
    /// The emulated JSON answer: its argument pieces are answer text.
    JsonAnswer,
}

/// Decodes an Anthropic Messages event stream.
#[derive(Debug, Default)]
pub struct Decoder {
    sse: SseParser,
    done: bool,
    usage: WireUsage,
    blocks: HashMap<u32, BlockRole>,
    tool_calls: u32,
    json_answer: bool,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    fn event(
        &mut self,
        name: Option<&str>,
        data: &str,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), AdapterError> {
        let value: Value = serde_json::from_str(data).map_err(|e| malformed("stream event", e))?;
        // `error` events carry `{"type": "error", "error": {…}}`: `from_value` reports them.
        let data: StreamData = from_value(value, "stream event")?;
        let kind = data.kind.as_deref().or(name).unwrap_or_default();
        match kind {
            "message_start" => {
                if let Some(usage) = data.message.and_then(|m| m.usage) {
                    self.usage.merge(usage);
                }
            }
            "content_block_start" => {
                self.block_start(data.index.unwrap_or_default(), data.content_block, out)
            }
            "content_block_delta" => {
                let index = data.index.unwrap_or_default();
                if let Some(delta) = data.delta {
                    self.block_delta(index, delta, out);
                }
            }
            "message_delta" => {
                if let Some(reason) = data.delta.and_then(|d| d.stop_reason) {
                    out.push(StreamEvent::Finish(finish_reason(
                        Some(&reason),
                        self.json_answer,
                        self.tool_calls > 0,
                    )));
                }
                if let Some(usage) = data.usage {
                    self.usage.merge(usage);
                    out.push(StreamEvent::Usage(self.usage.usage()));
                }
            }
            "message_stop" => self.done = true,
            // `ping`, `content_block_stop` and event types added later carry nothing we relay.
            _ => {}
        }
        Ok(())
    }

    fn block_start(&mut self, index: u32, block: Option<Block>, out: &mut Vec<StreamEvent>) {
        let Some(block) = block else { return };
        match block.kind.as_str() {
            "text" => {
                if let Some(text) = block.text.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::Delta(text));
                }
            }
            "tool_use" if is_json_tool(block.name.as_deref()) => {
                self.json_answer = true;
                self.blocks.insert(index, BlockRole::JsonAnswer);
            }
            "tool_use" => {
                let position = self.tool_calls;
                self.tool_calls += 1;
                self.blocks.insert(index, BlockRole::Tool(position));
                out.push(StreamEvent::ToolCallDelta {
                    index: position,
                    id: block.id,
                    name: block.name,
                    arguments: String::new(),
                });
            }
            _ => {}
        }
    }

    fn block_delta(&mut self, index: u32, delta: StreamDelta, out: &mut Vec<StreamEvent>) {
        match delta.kind.as_deref() {
            Some("text_delta") => {
                if let Some(text) = delta.text.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::Delta(text));
                }
            }
            Some("input_json_delta") => {
                let Some(json) = delta.partial_json.filter(|j| !j.is_empty()) else {
                    return;
                };
                match self.blocks.get(&index) {
                    Some(BlockRole::JsonAnswer) => out.push(StreamEvent::Delta(json)),
                    Some(BlockRole::Tool(position)) => out.push(StreamEvent::ToolCallDelta {
                        index: *position,
                        id: None,
                        name: None,
                        arguments: json,
                    }),
                    // Input of a server tool (web search…): not ours to relay.
                    None => {}
                }
            }
            // Thinking, signatures and citations are not relayed.
            _ => {}
        }
    }
}

impl StreamDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, AdapterError> {
        let mut out = Vec::new();
        for event in self.sse.feed(bytes)? {
            if !self.done {
                self.event(event.event.as_deref(), &event.data, &mut out)?;
            }
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }
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
