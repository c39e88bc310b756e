//! Reading Gemini answers: `GenerateContentResponse` objects, whole or as an SSE stream of
//! them, batch embeddings and model lists. Gemini gives function calls no ids (or not always),
//! so they get `call_<n>` in answer order.

use serde::Deserialize;
use serde_json::Value;

use crate::common::{from_value, generated_call_id, malformed, parse_body};
use crate::sse::SseParser;
use crate::types::{ChatResponse, EmbeddingResponse, FinishReason, StreamEvent, ToolCall, Usage};
use crate::{AdapterError, StreamDecoder};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateResponse {
    candidates: Option<Vec<Candidate>>,
    usage_metadata: Option<UsageMetadata>,
    model_version: Option<String>,
    response_id: Option<String>,
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    parts: Option<Vec<Part>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    text: Option<String>,
    thought: Option<bool>,
    function_call: Option<FunctionCall>,
}

#[derive(Deserialize)]
struct FunctionCall {
    id: Option<String>,
    name: Option<String>,
    args: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
}

impl UsageMetadata {
    /// Thinking tokens are billed as output, so they count as completion tokens.
    fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_token_count.unwrap_or_default(),
            completion_tokens: self.candidates_token_count.unwrap_or_default()
                + self.thoughts_token_count.unwrap_or_default(),
            cached_tokens: self.cached_content_token_count.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

impl GenerateResponse {
    /// The first candidate; the server relays one answer.
    fn first_candidate(&mut self) -> Option<Candidate> {
        self.candidates.take()?.into_iter().next()
    }

    /// True when the prompt itself was blocked (then there is no candidate).
    fn prompt_blocked(&self) -> bool {
        self.prompt_feedback
            .as_ref()
            .is_some_and(|f| f.block_reason.is_some())
    }
}

/// Maps `finishReason`; `STOP` after function calls means the model is calling tools.
fn finish_reason(reason: &str, made_calls: bool) -> FinishReason {
    match reason {
        "STOP" if made_calls => FinishReason::ToolCalls,
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            FinishReason::ContentFilter
        }
        other => FinishReason::Other(other.to_ascii_lowercase()),
    }
}

/// Text and function calls of a candidate's parts; thought summaries are skipped.
fn read_parts(candidate: Option<&mut Candidate>, next_call: &mut u32) -> (String, Vec<ToolCall>) {
    let mut text = String::new();
    let mut calls = Vec::new();
    let parts = candidate
        .and_then(|c| c.content.take())
        .and_then(|c| c.parts)
        .unwrap_or_default();
    for part in parts {
        if part.thought == Some(true) {
            continue;
        }
        if let Some(t) = part.text {
            text.push_str(&t);
        }
        if let Some(call) = part.function_call {
            let id = call.id.unwrap_or_else(|| generated_call_id(*next_call));
            *next_call += 1;
            calls.push(ToolCall {
                id,
                name: call.name.unwrap_or_default(),
                arguments: call.args.map_or_else(|| "{}".to_owned(), |a| a.to_string()),
            });
        }
    }
    (text, calls)
}

/// Reads a `GenerateContentResponse`.
pub fn parse_chat_response(body: &[u8]) -> Result<ChatResponse, AdapterError> {
    let mut response: GenerateResponse = parse_body(body, "generateContent response")?;
    let mut candidate = response.first_candidate();
    if candidate.is_none() && !response.prompt_blocked() {
        return Err(AdapterError::Malformed(
            "generateContent response has no candidates".into(),
        ));
    }
    let mut next_call = 0;
    let (content, tool_calls) = read_parts(candidate.as_mut(), &mut next_call);
    let finish = match candidate.and_then(|c| c.finish_reason) {
        Some(reason) => finish_reason(&reason, !tool_calls.is_empty()),
        None if response.prompt_blocked() => FinishReason::ContentFilter,
        None if tool_calls.is_empty() => FinishReason::Stop,
        None => FinishReason::ToolCalls,
    };
    Ok(ChatResponse {
        id: response.response_id,
        model: response.model_version,
        content,
        tool_calls,
        finish_reason: finish,
        usage: response.usage_metadata.as_ref().map(UsageMetadata::usage),
    })
}

/// Decodes a `streamGenerateContent?alt=sse` stream. Gemini has no end marker: the stream is
/// complete once a `finishReason` (or a blocked prompt) was seen.
#[derive(Debug, Default)]
pub struct Decoder {
    sse: SseParser,
    done: bool,
    next_call: u32,
    latest_usage: Option<Usage>,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    fn chunk(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> Result<(), AdapterError> {
        if data.trim().is_empty() {
            return Ok(());
        }
        let value: Value = serde_json::from_str(data).map_err(|e| malformed("stream chunk", e))?;
        let mut chunk: GenerateResponse = from_value(value, "stream chunk")?;
        if let Some(usage) = chunk.usage_metadata.as_ref().map(UsageMetadata::usage) {
            self.latest_usage = Some(usage);
            // Counts that follow the finish replace those sent with it.
            if self.done {
                out.push(StreamEvent::Usage(usage));
            }
        }
        if self.done {
            return Ok(());
        }
        let mut candidate = chunk.first_candidate();
        let first_call = self.next_call;
        let (text, calls) = read_parts(candidate.as_mut(), &mut self.next_call);
        if !text.is_empty() {
            out.push(StreamEvent::Delta(text));
        }
        // Gemini sends each call whole, in one piece: its position is its number in the answer.
        for (index, call) in (first_call..).zip(calls) {
            out.push(StreamEvent::ToolCallDelta {
                index,
                id: Some(call.id),
                name: Some(call.name),
                arguments: call.arguments,
            });
        }
        let finish = match candidate.and_then(|c| c.finish_reason) {
            Some(reason) => Some(finish_reason(&reason, self.next_call > 0)),
            None if chunk.prompt_blocked() => Some(FinishReason::ContentFilter),
            None => None,
        };
        if let Some(finish) = finish {
            out.push(StreamEvent::Finish(finish));
            self.done = true;
            if let Some(usage) = self.latest_usage {
                out.push(StreamEvent::Usage(usage));
            }
        }
        Ok(())
    }
}

impl StreamDecoder for Decoder {
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, AdapterError> {
        let mut out = Vec::new();
        for event in self.sse.feed(bytes)? {
            self.chunk(&event.data, &mut out)?;
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

#[derive(Deserialize)]
struct BatchEmbeddings {
    embeddings: Vec<Embedding>,
}

#[derive(Deserialize)]
struct Embedding {
    values: Vec<f32>,
}

/// Reads a `batchEmbedContents` answer (Gemini reports no token counts for it).
pub fn parse_embedding_response(body: &[u8]) -> Result<EmbeddingResponse, AdapterError> {
    let parsed: BatchEmbeddings = parse_body(body, "embeddings")?;
    Ok(EmbeddingResponse {
        vectors: parsed.embeddings.into_iter().map(|e| e.values).collect(),
        usage: None,
    })
}

#[derive(Deserialize)]
struct Models {
    models: Option<Vec<ModelItem>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelItem {
    name: String,
    supported_generation_methods: Option<Vec<String>>,
}

/// Reads a model list: names without `models/`, keeping chat and embedding models (and those
/// that do not say what they support).
pub fn parse_models_response(body: &[u8]) -> Result<Vec<String>, AdapterError> {
    let parsed: Models = parse_body(body, "model list")?;
    Ok(parsed
        .models
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            m.supported_generation_methods
                .as_ref()
                .is_none_or(|methods| {
                    methods
                        .iter()
                        .any(|x| x == "generateContent" || x == "embedContent")
                })
        })
        .map(|m| m.name.strip_prefix("models/").unwrap_or(&m.name).to_owned())
        .collect())
}
