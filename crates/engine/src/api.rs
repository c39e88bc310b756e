//! The OpenAI wire format as the engine speaks it: requests of `/v1/chat/completions` and
//! `/v1/completions`, their answers and stream chunks, and the error envelope.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `stop`: one string or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// `stream_options`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the usage.
    #[serde(default)]
    pub include_usage: bool,
}

/// What both endpoints accept besides the prompt.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Sampling {
    /// The model (any name is this engine's one model).
    pub model: Option<String>,
    /// Stream as server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// Usage in the stream.
    pub stream_options: Option<StreamOptions>,
    /// 0–2; default 0.8.
    pub temperature: Option<f64>,
    /// 0–1.
    pub top_p: Option<f64>,
    /// ≥ 1.
    pub top_k: Option<usize>,
    /// Seed for reproducible sampling.
    pub seed: Option<u64>,
    /// Stop strings (up to 4).
    pub stop: Option<Stop>,
    /// Tokens to generate at most.
    pub max_tokens: Option<usize>,
    /// The newer name of `max_tokens`.
    pub max_completion_tokens: Option<usize>,
}

/// A message's content: text, or parts of which the text ones are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Parts (`{"type": "text", "text": …}`; other kinds are refused).
    Parts(Vec<Value>),
}

/// A chat message.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` (`developer` counts as `system`).
    pub role: String,
    /// Its content.
    pub content: Option<Content>,
}

/// `POST /v1/chat/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Everything else.
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// `POST /v1/completions`.
#[derive(Debug, Clone, Deserialize)]
pub struct CompletionRequest {
    /// The text to continue.
    pub prompt: String,
    /// Everything else.
    #[serde(flatten)]
    pub sampling: Sampling,
}

/// Token counts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: usize,
    /// Generated tokens.
    pub completion_tokens: usize,
    /// Both.
    pub total_tokens: usize,
}

/// An error in OpenAI's envelope.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `invalid_request_error`, `server_error`, …
    pub kind: &'static str,
    /// Machine-readable code.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    /// A 400 about the request.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code,
            message: message.into(),
        }
    }

    /// A 500 of the engine.
    pub fn engine(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "server_error",
            code: "engine_error",
            message: message.into(),
        }
    }

    /// The envelope's JSON.
    pub fn body(&self) -> Value {
        json!({ "error": { "message": self.message, "type": self.kind, "code": self.code } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
