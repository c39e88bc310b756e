//! The `/v1` operations in the platform's OpenAPI document. Their bodies are OpenAI's (see
//! OpenAI's own reference for every field); the shapes here name what this gateway reads and
//! answers, and OpenAI's error object.

use utoipa::{OpenApi, ToSchema};

/// OpenAI's error object, answered by every `/v1` failure.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a shape for the OpenAPI document only")]
pub struct OpenAiError {
    error: OpenAiErrorDetail,
}

/// The detail of an [`OpenAiError`].
#[derive(ToSchema)]
#[expect(dead_code, reason = "a shape for the OpenAPI document only")]
pub struct OpenAiErrorDetail {
    /// What went wrong, in words.
    message: String,
    /// `invalid_request_error`, `rate_limit_error`, `insufficient_quota`, `server_error`, …
    r#type: String,
    /// The request field at fault.
    param: Option<String>,
    /// `invalid_api_key`, `model_not_found`, `rate_limit_exceeded`, `budget_exceeded`, …
    code: Option<String>,
}

/// A Chat Completions request: OpenAI's fields (`model`, `messages`, `stream`,
/// `stream_options`, `temperature`, `top_p`, `max_tokens`, `max_completion_tokens`, `stop`,
/// `seed`, `response_format`, `tools`, `tool_choice`; others pass to OpenAI-format upstreams).
#[derive(ToSchema)]
#[expect(dead_code, reason = "a shape for the OpenAPI document only")]
pub struct ChatCompletionRequest {
    /// A model this key may use (`GET /v1/models`).
    model: String,
    /// The conversation: `{"role", "content"}` objects.
    messages: Vec<serde_json::Value>,
    /// Server-sent events of `chat.completion.chunk` objects, ending with `data: [DONE]`.
    stream: Option<bool>,
}

/// An Embeddings request.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a shape for the OpenAPI document only")]
pub struct EmbeddingsRequest {
    /// An embedding model this key may use.
    model: String,
    /// A text or a list of texts.
    input: serde_json::Value,
    /// `float` (default) or `base64`.
    encoding_format: Option<String>,
    /// Vector size, where the model supports it.
    dimensions: Option<u32>,
}

/// `POST /v1/chat/completions`.
#[utoipa::path(post, path = "/v1/chat/completions", tag = "gateway",
    request_body = ChatCompletionRequest,
    responses((status = 200, description = "A `chat.completion` object, or with `stream: true` server-sent `chat.completion.chunk` events", body = Object),
        (status = 400, description = "Invalid request (the field is named in `param`)", body = OpenAiError),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = OpenAiError),
        (status = 403, description = "The key may not use this model", body = OpenAiError),
        (status = 404, description = "No such model for this key", body = OpenAiError),
        (status = 429, description = "Rate limit or budget reached (`Retry-After`, `x-ratelimit-*`)", body = OpenAiError),
        (status = "5XX", description = "The upstream failed, timed out or is resting", body = OpenAiError)))]
pub fn chat_completions() {}

/// `POST /v1/embeddings`.
#[utoipa::path(post, path = "/v1/embeddings", tag = "gateway",
    request_body = EmbeddingsRequest,
    responses((status = 200, description = "A list of `embedding` objects", body = Object),
        (status = 400, description = "Invalid request", body = OpenAiError),
        (status = 401, description = "Missing or invalid API key", body = OpenAiError),
        (status = 403, description = "The key may not use this model", body = OpenAiError),
        (status = 404, description = "No such model for this key", body = OpenAiError),
        (status = 429, description = "Rate limit or budget reached", body = OpenAiError),
        (status = "5XX", description = "The upstream failed", body = OpenAiError)))]
pub fn embeddings() {}

/// `GET /v1/models`.
#[utoipa::path(get, path = "/v1/models", tag = "gateway",
    responses((status = 200, description = "`{\"object\": \"list\", \"data\": [model objects]}`: the models this key may use", body = Object),
        (status = 401, description = "Missing or invalid API key", body = OpenAiError)))]
pub fn models() {}

/// `GET /v1/models/{id}`.
#[utoipa::path(get, path = "/v1/models/{id}", tag = "gateway",
    params(("id" = String, Path, description = "Model name (may contain `/`)")),
    responses((status = 200, description = "A model object", body = Object),
        (status = 401, description = "Missing or invalid API key", body = OpenAiError),
        (status = 404, description = "No such model for this key", body = OpenAiError)))]
pub fn model() {}

/// `GET /api/llm/ws`.
#[utoipa::path(get, path = "/api/llm/ws", tag = "chat",
    params(("token" = Option<String>, Query, description = "Access token, for browsers that cannot set headers (else the bearer header or the session cookie)")),
    responses((status = 101, description = "Switching to the chat WebSocket: JSON messages `send`, `stop`, `subscribe` in, the chat's events out"),
        (status = 426, description = "Not a WebSocket upgrade (`Upgrade: websocket` names the protocol)", body = crate::error::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::error::ErrorBody)))]
pub fn chat_ws() {}

/// The `/v1` gateway and the chat WebSocket, for the document.
#[derive(OpenApi)]
#[openapi(
    paths(chat_completions, embeddings, models, model, chat_ws),
    components(schemas(OpenAiError, OpenAiErrorDetail)),
    tags((name = "gateway", description = "OpenAI-compatible API, authenticated by API keys (`sk-llmm-…`)"))
)]
pub struct GatewayDoc;
