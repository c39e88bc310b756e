//! Request and response types of the limit endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The limits of a role, a user or an API key. A null field sets no limit of that kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitBody {
    /// Budget window: `day`, `month` or `total` (UTC; default `day`).
    #[serde(default)]
    #[schema(pattern = "^(day|month|total)$")]
    pub period: Option<String>,
    /// Budget in the price table's currency, as a decimal string (e.g. `"0.05"`).
    #[serde(default)]
    #[schema(pattern = "^(1000000(\\.0{1,9})?|[0-9]{1,6}(\\.[0-9]{1,9})?)$")]
    pub max_cost: Option<String>,
    /// Budget in tokens (prompt + completion).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub max_tokens: Option<u64>,
    /// Requests per minute.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub rpm: Option<u64>,
    /// Tokens per minute.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub tpm: Option<u64>,
}

/// The limits of a model (for the document: a model takes rates only; budgets are per role,
/// user or key, and the server refuses them here by name).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelLimitBody {
    /// Requests per minute, over all callers.
    #[schema(minimum = 1)]
    pub rpm: Option<u64>,
    /// Tokens per minute, over all callers.
    #[schema(minimum = 1)]
    pub tpm: Option<u64>,
}

impl LimitBody {
    /// Whether no limit at all is set (a window alone limits nothing).
    pub fn is_empty(&self) -> bool {
        self.max_cost.is_none()
            && self.max_tokens.is_none()
            && self.rpm.is_none()
            && self.tpm.is_none()
    }
}

impl From<LimitResponse> for LimitBody {
    fn from(r: LimitResponse) -> Self {
        Self {
            period: Some(r.period),
            max_cost: r.max_cost,
            max_tokens: r.max_tokens,
            rpm: r.rpm,
            tpm: r.tpm,
        }
    }
}

/// A user's budget in the current window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BudgetState {
    /// Window: `day`, `month` or `total`.
    pub period: String,
    /// Budget (decimal string), if one is set on cost.
    pub max_cost: Option<String>,
    /// Spent in the window (decimal string).
    pub spent_cost: String,
    /// Left (decimal string, never below zero).
    pub remaining_cost: Option<String>,
    /// Budget in tokens.
    pub max_tokens: Option<i64>,
    /// Tokens used in the window.
    pub spent_tokens: i64,
    /// End of the window (`None` for a total budget).
    pub resets_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Limits as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LimitResponse {
    /// `role`, `user` or `key`.
    pub scope: String,
    /// Role name, user id or key id.
    pub subject: String,
    /// Budget window.
    pub period: String,
    /// Budget (decimal string).
    pub max_cost: Option<String>,
    /// Budget in tokens.
    pub max_tokens: Option<u64>,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
}
