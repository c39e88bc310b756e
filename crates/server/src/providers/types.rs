//! Request and response types of provider management.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Parameters applied when a request does not set them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultParams {
    /// Sampling temperature (0–2).
    #[schema(minimum = 0, maximum = 2)]
    pub temperature: Option<f64>,
    /// Output token cap (1–10,000,000).
    #[schema(minimum = 1, maximum = 10000000)]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling (0–1).
    #[schema(minimum = 0, maximum = 1)]
    pub top_p: Option<f64>,
    /// The models' context window in tokens: chat trims history to fit it (default 16000).
    #[serde(default)]
    #[schema(minimum = 512, maximum = 10000000)]
    pub context_window: Option<u32>,
}

/// The pattern of a one-line name ([`crate::text::one_line`]): no control characters, not
/// only spaces.
pub const ONE_LINE_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// An upstream model name (for the document): 1–128 characters, no control characters.
#[derive(Debug)]
pub struct ModelNameText(pub String);

impl utoipa::PartialSchema for ModelNameText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(128))
            .pattern(Some(ONE_LINE_PATTERN))
            .into()
    }
}

impl ToSchema for ModelNameText {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ModelName")
    }
}

/// `POST /api/admin/providers` and `POST /api/providers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProviderRequest {
    /// Display name, 1–64 characters, unique per owner.
    #[schema(
        max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// `openai`, `azure_openai`, `openrouter`, `anthropic`, `gemini`, `ollama` or
    /// `openai_compatible`.
    #[schema(
        pattern = "^(openai|azure_openai|openrouter|anthropic|gemini|ollama|openai_compatible)$"
    )]
    pub kind: String,
    /// Base URL (default from the kind; required for `azure_openai` and `openai_compatible`).
    pub base_url: Option<String>,
    /// `api-version` (required for `azure_openai`).
    #[schema(pattern = "^[ \\t\\r\\n]*[A-Za-z0-9.-]{0,32}[ \\t\\r\\n]*$")]
    pub api_version: Option<String>,
    /// One API key (stored encrypted, shown masked afterwards).
    #[schema(pattern = "^[ \\t\\r\\n]*[!-~]{1,1024}[ \\t\\r\\n]*$")]
    pub api_key: Option<String>,
    /// Several API keys (channels).
    pub api_keys: Option<Vec<String>>,
    /// Upstream model names served.
    #[schema(value_type = Option<Vec<ModelNameText>>, max_items = 1000)]
    pub models: Option<Vec<String>>,
    /// Public name → upstream model name.
    pub model_aliases: Option<BTreeMap<String, String>>,
    /// Default parameters.
    pub default_params: Option<DefaultParams>,
    /// Seconds to wait for the response head (1–600, default 60).
    #[schema(minimum = 1, maximum = 600)]
    pub timeout_secs: Option<i32>,
    /// Higher goes first (-1000–1000, default 0).
    #[schema(minimum = -1000, maximum = 1000)]
    pub priority: Option<i32>,
    /// Share among equal priority (1–1000, default 1).
    #[schema(minimum = 1, maximum = 1000)]
    pub weight: Option<i32>,
    /// Used for routing (default true).
    pub enabled: Option<bool>,
}

/// `PATCH …/providers/{id}`: only the fields present change; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProviderRequest {
    /// Display name.
    #[schema(
        max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: Option<String>,
    /// Base URL.
    pub base_url: Option<String>,
    /// `api-version`.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>, pattern = "^[ \\t\\r\\n]*[A-Za-z0-9.-]{0,32}[ \\t\\r\\n]*$")]
    pub api_version: Option<Option<String>>,
    /// Upstream model names.
    #[schema(value_type = Option<Vec<ModelNameText>>, max_items = 1000)]
    pub models: Option<Vec<String>>,
    /// Public name → upstream model name.
    pub model_aliases: Option<BTreeMap<String, String>>,
    /// Default parameters (replaced as a whole).
    pub default_params: Option<DefaultParams>,
    /// Seconds to wait for the response head (1–600).
    #[schema(minimum = 1, maximum = 600)]
    pub timeout_secs: Option<i32>,
    /// Priority (-1000–1000).
    #[schema(minimum = -1000, maximum = 1000)]
    pub priority: Option<i32>,
    /// Weight (1–1000).
    #[schema(minimum = 1, maximum = 1000)]
    pub weight: Option<i32>,
    /// Used for routing.
    pub enabled: Option<bool>,
}

/// `POST /api/providers/{id}/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddKeyRequest {
    /// The API key.
    #[schema(pattern = "^[ \\t\\r\\n]*[!-~]{1,1024}[ \\t\\r\\n]*$")]
    pub api_key: String,
}

/// A key as the API shows it: never the key itself.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyInfo {
    /// Id.
    pub id: Uuid,
    /// Masked form, e.g. `sk-…a1b2`.
    pub hint: String,
    /// Used for routing.
    pub enabled: bool,
    /// Added.
    pub created_at: DateTime<Utc>,
}

/// A provider.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderResponse {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Wire format.
    pub kind: String,
    /// Base URL.
    pub base_url: String,
    /// `api-version` (Azure).
    pub api_version: Option<String>,
    /// `shared` or `personal`.
    pub owner: String,
    /// Keys, masked (always empty for shared providers shown to non-admins).
    pub keys: Vec<KeyInfo>,
    /// Upstream model names.
    pub models: Vec<String>,
    /// Public name → upstream model name.
    pub model_aliases: BTreeMap<String, String>,
    /// Default parameters.
    pub default_params: DefaultParams,
    /// Seconds to wait for the response head.
    pub timeout_secs: i32,
    /// Priority.
    pub priority: i32,
    /// Weight.
    pub weight: i32,
    /// Used for routing.
    pub enabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A list of providers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProviderList {
    /// Providers.
    pub items: Vec<ProviderResponse>,
}

/// `POST /api/providers/{id}/test`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestProviderRequest {
    /// Model to try (default: the provider's first model).
    pub model: Option<String>,
}

/// Outcome of a connection test.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TestProviderResponse {
    /// The call succeeded.
    pub ok: bool,
    /// Model tried.
    pub model: String,
    /// Round trip in milliseconds.
    pub latency_ms: u64,
    /// The model's answer (when ok).
    pub reply: Option<String>,
    /// What went wrong (when not ok), without secrets.
    pub error: Option<String>,
}
