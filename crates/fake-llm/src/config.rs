//! Public configuration and data types: server defaults, scripted behaviours and the record of a
//! received request.

use std::time::Duration;

/// The wire format a request was spoken in (decided by its path, and for `GET /v1/models` by the
/// presence of Anthropic headers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenAI Chat Completions, embeddings and models (`/v1/...`).
    OpenAi,
    /// Azure OpenAI (`/openai/deployments/{deployment}/...?api-version=...`).
    Azure,
    /// Anthropic Messages (`/v1/messages`, `/v1/models` with `anthropic-version` or `x-api-key`).
    Anthropic,
    /// Google Gemini (`/v1beta/models/...`).
    Gemini,
    /// Ollama (`/api/...`).
    Ollama,
}

/// Defaults applied to every request that no scripted [`Behaviour`] overrides.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Delay before the response head (default 0).
    pub latency: Duration,
    /// Pacing between stream chunks: a chunk of `n` words waits `n / tokens_per_second` after the
    /// previous one (`None` = as fast as possible).
    pub tokens_per_second: Option<f64>,
    /// Fixed reply text; `None` answers `Hello! You said: <last user text>`.
    pub reply: Option<String>,
    /// Words per stream chunk (default 1; 0 is taken as 1).
    pub chunk_words: usize,
    /// Prompt tokens reported; `None` counts the words of all message text, plus 85 per image.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens reported; `None` counts the words of the reply.
    pub completion_tokens: Option<u64>,
    /// Cached prompt tokens reported (part of the prompt tokens).
    pub cached_tokens: u64,
    /// `false` never sends usage figures (default `true`).
    pub report_usage: bool,
    /// When set, requests without exactly this key in the format's own place get its 401 error.
    pub required_key: Option<String>,
    /// Models that exist; others get the format's 404. Empty accepts every model.
    pub models: Vec<String>,
    /// Length of the embedding vectors (default 8).
    pub embedding_dims: usize,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            tokens_per_second: None,
            reply: None,
            chunk_words: 1,
            prompt_tokens: None,
            completion_tokens: None,
            cached_tokens: 0,
            report_usage: true,
            required_key: None,
            models: vec!["fake-model".to_owned(), "fake-embed".to_owned()],
            embedding_dims: 8,
        }
    }
}

/// What the fake does with one request; queued per model by [`crate::FakeLlm::script`].
#[derive(Clone, Debug, PartialEq)]
pub enum Behaviour {
    /// Answer normally.
    Ok,
    /// Answer with this status and the format's error body (429 adds `Retry-After: 0`).
    Status(u16),
    /// Read the request, then close the connection without a response.
    DropBeforeHead,
    /// Streams: send this many content chunks, then cut the connection (no end marker).
    /// Non-streamed answers: send the head and half the body, then cut.
    DropMidStream {
        /// Content chunks (text deltas or tool-call pieces) sent before the cut.
        after_chunks: usize,
    },
    /// Wait this long before the response head (instead of the configured latency).
    SlowFirstByte(Duration),
    /// Streams: one garbage event after the first content chunk. Non-streamed: invalid JSON, 200.
    Malformed,
    /// A stream that never ends: one chunk every 50 ms until the client goes away.
    Endless,
    /// Send this many content chunks, then keep the connection open and silent.
    Stall {
        /// Content chunks sent before going silent.
        after_chunks: usize,
    },
    /// Streams: the whole answer and its finish event, then the body ends without the
    /// format's end marker (OpenAI's `data: [DONE]`). Non-streamed answers: as `Ok`.
    NoEndMarker,
    /// A hostile upstream that echoes the key it received in its error text ("Incorrect API
    /// key provided: …"). Streams: this many content chunks, then the format's error event and
    /// the end of the body. Non-streamed answers: a 200 whose body is the format's error object.
    EchoKey {
        /// Content chunks sent before the error event.
        after_chunks: usize,
    },
    /// An error status whose message echoes the key received (streamed or not).
    EchoKeyStatus(u16),
    /// Answer with one tool call instead of text, in the format's own way (streamed too).
    ToolCall {
        /// The function's name.
        name: String,
        /// The arguments object.
        arguments: serde_json::Value,
    },
}

/// One request as the fake received it, recorded before any behaviour is applied.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method (`POST`, `GET`).
    pub method: String,
    /// Path including the query string.
    pub path: String,
    /// Headers in arrival order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The JSON body; `Null` when empty or not JSON.
    pub body: serde_json::Value,
    /// The wire format the path belongs to.
    pub format: Format,
    /// The model asked for (body `model`, Azure deployment or Gemini path), if any.
    pub model: Option<String>,
}

impl RecordedRequest {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
