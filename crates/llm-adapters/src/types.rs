//! The one internal model of a chat or embedding call that every adapter translates to and from
//! its wire format. The gateway parses OpenAI requests into it; chat (later) builds it directly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
    /// A tool result (answers an assistant tool call).
    Tool,
}

/// One part of a message's content.
#[derive(Clone, Debug, PartialEq)]
pub enum ContentPart {
    /// Text.
    Text(String),
    /// An image by URL: `https://…` or `data:<mime>;base64,<data>`.
    Image {
        /// The URL.
        url: String,
        /// OpenAI's `detail` (`low`, `high`, `auto`), passed on where the format has it.
        detail: Option<String>,
    },
}

/// A tool call the assistant made.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall {
    /// Call id (`call_…`; generated when the upstream gives none, as Gemini and Ollama do).
    pub id: String,
    /// Function name.
    pub name: String,
    /// Arguments as a JSON text.
    pub arguments: String,
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Author.
    pub role: Role,
    /// Text and image parts (may be empty for an assistant message that only calls tools).
    pub content: Vec<ContentPart>,
    /// Tool calls (assistant messages).
    pub tool_calls: Vec<ToolCall>,
    /// The call this message answers (tool messages).
    pub tool_call_id: Option<String>,
    /// Optional author name (OpenAI `name`).
    pub name: Option<String>,
}

impl Message {
    /// A message with one text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            content: vec![ContentPart::Text(text.into())],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        }
    }

    /// All text parts joined.
    pub fn joined_text(&self) -> String {
        let mut out = String::new();
        for part in &self.content {
            if let ContentPart::Text(t) = part {
                out.push_str(t);
            }
        }
        out
    }
}

/// A function the model may call.
#[derive(Clone, Debug, PartialEq)]
pub struct Tool {
    /// Function name.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    pub parameters: Value,
}

/// How the model must use tools.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolChoice {
    /// Model decides.
    Auto,
    /// No tool calls.
    None,
    /// At least one tool call.
    Required,
    /// This function.
    Function(String),
}

/// Output format.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseFormat {
    /// Free text.
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// Schema name.
        name: String,
        /// The schema.
        schema: Value,
        /// OpenAI `strict`.
        strict: bool,
    },
}

/// A chat call, already routed: `model` is the upstream's own model name.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChatRequest {
    /// Upstream model name.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Output token cap.
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Sampling seed.
    pub seed: Option<i64>,
    /// Output format.
    pub response_format: Option<ResponseFormat>,
    /// Tools offered.
    pub tools: Vec<Tool>,
    /// Tool choice.
    pub tool_choice: Option<ToolChoice>,
    /// Stream the answer.
    pub stream: bool,
    /// Other OpenAI parameters (`presence_penalty`, `logprobs`, `n`…), sent as they are to
    /// OpenAI-format upstreams and dropped for the others.
    pub extra: serde_json::Map<String, Value>,
}

/// Why generation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinishReason {
    /// Natural end or a stop sequence.
    Stop,
    /// Token cap reached.
    Length,
    /// The model called tools.
    ToolCalls,
    /// Filtered by the provider.
    ContentFilter,
    /// Anything else, as the provider named it.
    Other(String),
}

impl FinishReason {
    /// OpenAI's name for it.
    pub fn as_openai(&self) -> &str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::ContentFilter => "content_filter",
            Self::Other(s) => s,
        }
    }
}

/// Token counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens (including cached ones).
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
    /// Input tokens served from the provider's prompt cache.
    pub cached_tokens: u64,
}

impl Usage {
    /// Prompt + completion.
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// A complete (non-streamed) answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatResponse {
    /// The upstream's response id, if it gave one.
    pub id: Option<String>,
    /// The model the upstream says answered.
    pub model: Option<String>,
    /// Answer text.
    pub content: String,
    /// Tool calls.
    pub tool_calls: Vec<ToolCall>,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Token counts, when the upstream reported them.
    pub usage: Option<Usage>,
}

/// One piece of a streamed answer, in arrival order.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    /// More answer text.
    Delta(String),
    /// Part of a tool call: the first piece for an `index` carries `id` and `name`, later pieces
    /// append to `arguments`.
    ToolCallDelta {
        /// Position of the call in the answer.
        index: u32,
        /// Call id (first piece).
        id: Option<String>,
        /// Function name (first piece).
        name: Option<String>,
        /// More argument text.
        arguments: String,
    },
    /// Generation ended.
    Finish(FinishReason),
    /// Token counts (usually last).
    Usage(Usage),
}

/// An embedding call, already routed.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingRequest {
    /// Upstream model name.
    pub model: String,
    /// Texts to embed.
    pub input: Vec<String>,
    /// Requested vector size, where the model supports it.
    pub dimensions: Option<u32>,
}

/// Embedding vectors, in input order.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingResponse {
    /// One vector per input.
    pub vectors: Vec<Vec<f32>>,
    /// Input tokens, when reported.
    pub usage: Option<Usage>,
}

/// The wire formats an upstream can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI.
    Openai,
    /// Azure OpenAI (deployments, `api-key` header, `api-version`).
    AzureOpenai,
    /// OpenRouter (OpenAI format).
    Openrouter,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini generateContent.
    Gemini,
    /// Ollama `/api/chat`.
    Ollama,
    /// Any OpenAI-compatible server (vLLM, llama.cpp, DeepSeek, DashScope, Moonshot…).
    OpenaiCompatible,
    /// A local deployment of this server (OpenAI format; made and removed with the deployment).
    Local,
}

impl ProviderKind {
    /// Every kind.
    pub const ALL: [ProviderKind; 8] = [
        Self::Openai,
        Self::AzureOpenai,
        Self::Openrouter,
        Self::Anthropic,
        Self::Gemini,
        Self::Ollama,
        Self::OpenaiCompatible,
        Self::Local,
    ];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::AzureOpenai => "azure_openai",
            Self::Openrouter => "openrouter",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Ollama => "ollama",
            Self::OpenaiCompatible => "openai_compatible",
            Self::Local => "local",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Base URL used when none is given (`None`: the kind needs one).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::Openai => Some("https://api.openai.com/v1"),
            Self::Openrouter => Some("https://openrouter.ai/api/v1"),
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::Gemini => Some("https://generativelanguage.googleapis.com"),
            Self::Ollama => Some("http://127.0.0.1:11434"),
            Self::AzureOpenai | Self::OpenaiCompatible | Self::Local => None,
        }
    }

    /// Whether calls need an API key (Ollama and some compatible servers run without one).
    pub fn needs_key(self) -> bool {
        !matches!(self, Self::Ollama | Self::OpenaiCompatible)
    }
}

/// Where and how to call: one provider with one of its keys.
#[derive(Clone)]
pub struct Upstream {
    /// Wire format.
    pub kind: ProviderKind,
    /// Base URL without a trailing slash (e.g. `https://api.openai.com/v1`).
    pub base_url: String,
    /// API key (empty for keyless servers).
    pub api_key: secrecy::SecretString,
    /// `api-version` (Azure).
    pub api_version: Option<String>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}
