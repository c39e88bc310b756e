//! Request and response types of chat.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::store;

/// `POST /api/llm/chat`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequestBody {
    /// The user's message.
    #[schema(pattern = "^[^\\u0000]*\\S[^\\u0000]*$")]
    pub message: String,
    /// Continue this session (absent: a new one).
    pub session_id: Option<Uuid>,
    /// Model (default: the session's, the persona's, or the first the user may use).
    pub model: Option<String>,
    /// Persona (`fox`, `dog`, `snake` or a persona id).
    pub persona_id: Option<String>,
    /// Stream the answer as server-sent events.
    pub stream: Option<bool>,
    /// Uploaded images (`POST /api/files`) to attach, at most 4.
    pub image_ids: Option<Vec<Uuid>>,
}

/// `POST …/regenerate`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateBody {
    /// Stream the answer.
    pub stream: Option<bool>,
}

/// `PUT /api/llm/messages/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageBody {
    /// New text of the user message.
    #[schema(min_length = 1, max_length = 100000)]
    pub content: String,
    /// Stream the answer.
    pub stream: Option<bool>,
}

/// A message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageResponse {
    /// Id.
    pub id: Uuid,
    /// Session.
    pub session_id: Uuid,
    /// The message this one follows or answers.
    pub parent_id: Option<Uuid>,
    /// `user` or `assistant`.
    pub role: String,
    /// Text.
    pub content: String,
    /// `complete`, `streaming`, `cancelled`, `error`, `incomplete`.
    pub status: String,
    /// Model.
    pub model: Option<String>,
    /// Persona.
    pub persona_id: Option<String>,
    /// Input tokens.
    pub prompt_tokens: i64,
    /// Output tokens.
    pub completion_tokens: i64,
    /// What went wrong.
    pub error: Option<String>,
    /// Attached images (file ids).
    pub image_ids: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last written.
    pub updated_at: DateTime<Utc>,
}

impl From<&store::Message> for MessageResponse {
    fn from(m: &store::Message) -> Self {
        Self {
            id: m.id,
            session_id: m.session_id,
            parent_id: m.parent_id,
            role: m.role.clone(),
            content: m.content.clone(),
            status: m.status.clone(),
            model: m.model.clone(),
            persona_id: m.persona_id.clone(),
            prompt_tokens: m.prompt_tokens,
            completion_tokens: m.completion_tokens,
            error: m.error.clone(),
            image_ids: m
                .image_ids
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Persona.
    pub persona_id: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Own system prompt.
    pub system_prompt: Option<String>,
    /// Parameters.
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// Tags.
    pub tags: Vec<String>,
    /// Pinned.
    pub pinned: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last activity.
    pub updated_at: DateTime<Utc>,
}

impl From<&store::Session> for SessionResponse {
    fn from(s: &store::Session) -> Self {
        Self {
            id: s.id,
            title: s.title.clone(),
            persona_id: s.persona_id.clone(),
            model: s.model.clone(),
            system_prompt: s.system_prompt.clone(),
            params: serde_json::from_str(&s.params).unwrap_or_else(|_| serde_json::json!({})),
            tags: serde_json::from_str(&s.tags).unwrap_or_default(),
            pinned: s.pinned,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// `PATCH /api/llm/sessions/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionBody {
    /// Title (1–200 characters).
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub title: Option<String>,
    /// Tags (each 1–32 characters, at most 20).
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Pinned.
    pub pinned: Option<bool>,
    /// Persona (`null` clears).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub persona_id: Option<Option<String>>,
    /// Model (`null` clears).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    /// System prompt (`null` clears).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub system_prompt: Option<Option<String>>,
    /// Parameters (`temperature`, `top_p`, `max_tokens`).
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
}

/// Paging and filters of the session list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SessionQuery {
    /// Page (from 1).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
    /// Full-text search in titles and messages.
    pub q: Option<String>,
    /// Only sessions with this tag.
    pub tag: Option<String>,
}

/// Paging of the messages of a session.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    /// Session.
    pub session_id: Uuid,
    /// Page (from 1).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<u64>,
    /// Items per page (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// A page of items.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// Items.
    pub items: Vec<T>,
    /// All matching items.
    pub total: u64,
    /// This page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// A non-streamed chat answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChatResponseBody {
    /// Session.
    pub session_id: Uuid,
    /// The stored user message.
    pub user_message: MessageResponse,
    /// The stored assistant message.
    pub assistant_message: MessageResponse,
}

/// A persona.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonaResponse {
    /// `fox`, `dog`, `snake`, or a UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// One line.
    pub description: String,
    /// Emoji.
    pub avatar: String,
    /// System prompt.
    pub system_prompt: String,
    /// Preferred model.
    pub model: Option<String>,
    /// Parameters.
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// `builtin`, `shared` or `own`.
    pub kind: String,
}

/// `POST /api/llm/personas` and `PUT …/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaBody {
    /// Name (1–64).
    #[schema(
        max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// One line (≤ 500).
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Emoji (≤ 16 characters).
    #[schema(max_length = 16)]
    pub avatar: Option<String>,
    /// System prompt (1–20 000, not only spaces).
    #[schema(max_length = 20000, pattern = "^[^\\u0000]*\\S[^\\u0000]*$")]
    pub system_prompt: String,
    /// Preferred model.
    pub model: Option<String>,
    /// Parameters.
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
    /// Admins: publish to every user.
    pub shared: Option<bool>,
}

/// A list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ItemList<T> {
    /// Items.
    pub items: Vec<T>,
}

/// A model the user may chat with.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModelInfo {
    /// Model name.
    pub id: String,
}

/// A share link.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShareResponse {
    /// The token (shown once; the link is `/s/{token}`).
    pub token: String,
    /// Full URL.
    pub url: String,
}

/// Export format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `md` or `json`.
    #[param(pattern = "^(md|json)$")]
    pub format: Option<String>,
}

/// Outcome of a stop request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StopResponse {
    /// A reply was running and is being stopped.
    pub stopped: bool,
}
