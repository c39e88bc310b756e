//! Request and response types of the usage endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `PUT /api/admin/prices/{model}`: rates per million tokens as decimal strings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceBody {
    /// Input tokens, e.g. `"2.50"`.
    #[schema(pattern = "^(1000000(\\.0{1,9})?|[0-9]{1,6}(\\.[0-9]{1,9})?)$")]
    pub input_per_mtok: String,
    /// Output tokens, e.g. `"10.00"`.
    #[schema(pattern = "^(1000000(\\.0{1,9})?|[0-9]{1,6}(\\.[0-9]{1,9})?)$")]
    pub output_per_mtok: String,
    /// Cached input tokens (absent or null: the input rate).
    #[serde(default)]
    #[schema(pattern = "^(1000000(\\.0{1,9})?|[0-9]{1,6}(\\.[0-9]{1,9})?)$")]
    pub cached_input_per_mtok: Option<String>,
    /// ISO 4217 code (default `USD`).
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Longest answer the model gives; budgets reserve this much when a call sets no
    /// `max_tokens` (default 4,096).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000000)]
    pub max_output_tokens: Option<u64>,
}

/// One model's price.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceResponse {
    /// Model name (public, or the upstream name).
    pub model: String,
    /// Input tokens per million.
    pub input_per_mtok: String,
    /// Output tokens per million.
    pub output_per_mtok: String,
    /// Cached input tokens per million (null: the input rate).
    pub cached_input_per_mtok: Option<String>,
    /// Currency.
    pub currency: String,
    /// Longest answer, for reservations.
    pub max_output_tokens: Option<u64>,
    /// Last change.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
