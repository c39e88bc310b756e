//! Provider adapters for LLM Manager: the internal request/answer/stream model ([`types`]) and,
//! one module per wire format, the pure translation between it and what each upstream speaks.
//! Nothing here does I/O: the server sends the [`WireRequest`]s and feeds the bytes it receives
//! back in.
//!
//! The free functions below dispatch on [`types::ProviderKind`]: `openai`, `openrouter`,
//! `openai_compatible` and `azure_openai` speak [`openai`]; the others have a module each.

// Indexing that can panic is a bug on a request path: use get() and iterators.
#![deny(clippy::indexing_slicing)]

pub mod anthropic;
mod common;
mod error_message;
pub mod gemini;
pub mod ollama;
pub mod openai;
pub mod sse;
#[cfg(test)]
mod test_support;
pub mod types;

use types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ProviderKind, StreamEvent,
    Upstream,
};

pub use error_message::upstream_error_message;

/// An HTTP request to send upstream.
#[derive(Clone, Debug)]
pub struct WireRequest {
    /// `POST` for calls, `GET` for model lists.
    pub method: http::Method,
    /// Full URL, query included.
    pub url: String,
    /// Auth and content-type headers; auth values are marked sensitive.
    pub headers: http::HeaderMap,
    /// JSON body, when the call has one.
    pub body: Option<Vec<u8>>,
}

/// Why a translation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// The request cannot be expressed for this upstream (Azure without `api_version`, an image
    /// URL form the format cannot take…). The message names the problem and is meant for the
    /// caller (a 400); it never contains the API key.
    #[error("{0}")]
    Unsupported(String),
    /// The upstream sent something we cannot read (malformed JSON, SSE or NDJSON, or an error
    /// object inside a stream). The message is short and quotes at most ~200 characters.
    #[error("malformed upstream response: {0}")]
    Malformed(String),
}

/// Turns a streamed answer's bytes into [`StreamEvent`]s, one wire format each.
pub trait StreamDecoder: Send {
    /// Feeds raw bytes as they arrive (any chunking: split in the middle of a line or of a UTF-8
    /// character, several events in one chunk). Returns the events completed so far, in order.
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, AdapterError>;

    /// True once the upstream's end marker was seen (OpenAI `data: [DONE]`, Anthropic
    /// `message_stop`, Gemini a `finishReason`, Ollama `"done": true`): tells a complete stream
    /// from a dropped connection.
    fn is_done(&self) -> bool;
}

/// The request for a chat call (streamed when `req.stream`).
pub fn chat_request(up: &Upstream, req: &ChatRequest) -> Result<WireRequest, AdapterError> {
    match up.kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local
        | ProviderKind::AzureOpenai => openai::chat_request(up, req),
        ProviderKind::Anthropic => anthropic::chat_request(up, req),
        ProviderKind::Gemini => gemini::chat_request(up, req),
        ProviderKind::Ollama => ollama::chat_request(up, req),
    }
}

/// Reads a non-streamed chat answer (a 2xx body).
pub fn parse_chat_response(kind: ProviderKind, body: &[u8]) -> Result<ChatResponse, AdapterError> {
    match kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local
        | ProviderKind::AzureOpenai => openai::parse_chat_response(body),
        ProviderKind::Anthropic => anthropic::parse_chat_response(body),
        ProviderKind::Gemini => gemini::parse_chat_response(body),
        ProviderKind::Ollama => ollama::parse_chat_response(body),
    }
}

/// A fresh decoder for one streamed answer.
pub fn stream_decoder(kind: ProviderKind) -> Box<dyn StreamDecoder> {
    match kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local
        | ProviderKind::AzureOpenai => Box::new(openai::Decoder::new()),
        ProviderKind::Anthropic => Box::new(anthropic::Decoder::new()),
        ProviderKind::Gemini => Box::new(gemini::Decoder::new()),
        ProviderKind::Ollama => Box::new(ollama::Decoder::new()),
    }
}

/// The request for an embedding call. Anthropic has none: `Unsupported`.
pub fn embedding_request(
    up: &Upstream,
    req: &EmbeddingRequest,
) -> Result<WireRequest, AdapterError> {
    match up.kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local
        | ProviderKind::AzureOpenai => openai::embedding_request(up, req),
        ProviderKind::Anthropic => Err(AdapterError::Unsupported(
            "Anthropic has no embeddings API".into(),
        )),
        ProviderKind::Gemini => gemini::embedding_request(up, req),
        ProviderKind::Ollama => ollama::embedding_request(up, req),
    }
}

/// Reads an embedding answer (a 2xx body).
pub fn parse_embedding_response(
    kind: ProviderKind,
    body: &[u8],
) -> Result<EmbeddingResponse, AdapterError> {
    match kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local
        | ProviderKind::AzureOpenai => openai::parse_embedding_response(body),
        ProviderKind::Anthropic => Err(AdapterError::Unsupported(
            "Anthropic has no embeddings API".into(),
        )),
        ProviderKind::Gemini => gemini::parse_embedding_response(body),
        ProviderKind::Ollama => ollama::parse_embedding_response(body),
    }
}

/// The request that lists the upstream's models. Azure cannot list deployments with an API key:
/// `Unsupported`.
pub fn models_request(up: &Upstream) -> Result<WireRequest, AdapterError> {
    match up.kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local => openai::models_request(up),
        ProviderKind::AzureOpenai => Err(AdapterError::Unsupported(
            "Azure deployments must be entered by hand".into(),
        )),
        ProviderKind::Anthropic => anthropic::models_request(up),
        ProviderKind::Gemini => gemini::models_request(up),
        ProviderKind::Ollama => ollama::models_request(up),
    }
}

/// Reads a model list: sorted, deduplicated model ids.
pub fn parse_models_response(kind: ProviderKind, body: &[u8]) -> Result<Vec<String>, AdapterError> {
    let mut ids = match kind {
        ProviderKind::Openai
        | ProviderKind::Openrouter
        | ProviderKind::OpenaiCompatible
        | ProviderKind::Local
        | ProviderKind::AzureOpenai => openai::parse_models_response(body)?,
        ProviderKind::Anthropic => anthropic::parse_models_response(body)?,
        ProviderKind::Gemini => gemini::parse_models_response(body)?,
        ProviderKind::Ollama => ollama::parse_models_response(body)?,
    };
    ids.retain(|id| !id.is_empty());
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::upstream;

    #[test]
    fn anthropic_has_no_embeddings() {
        let up = upstream(ProviderKind::Anthropic, "k");
        let req = EmbeddingRequest {
            model: "m".into(),
            input: vec!["x".into()],
            dimensions: None,
        };
        assert!(matches!(
            embedding_request(&up, &req),
            Err(AdapterError::Unsupported(m)) if m.contains("no embeddings")
        ));
    }

    #[test]
    fn azure_cannot_list_models() {
        let up = upstream(ProviderKind::AzureOpenai, "k");
        assert_eq!(
            models_request(&up).unwrap_err(),
            AdapterError::Unsupported("Azure deployments must be entered by hand".into())
        );
    }

    #[test]
    fn model_lists_are_sorted_and_deduplicated() {
        let body = br#"{"object":"list","data":[{"id":"b"},{"id":"a"},{"id":"b"}]}"#;
        assert_eq!(
            parse_models_response(ProviderKind::Openai, body).unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
    }

    #[test]
    fn every_kind_has_a_decoder_that_starts_not_done() {
        for kind in ProviderKind::ALL {
            assert!(!stream_decoder(kind).is_done(), "{kind:?}");
        }
    }
}
