//! Request and response types of gateway API keys.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /api/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// Label, 1–64 characters.
    #[schema(
        max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// When the key stops working (RFC 3339, in the future).
    pub expires_at: Option<DateTime<Utc>>,
    /// Models the key may use (public names or aliases); absent: all the owner may use.
    #[schema(value_type = Option<Vec<crate::providers::types::ModelNameText>>, min_items = 1, max_items = 1000)]
    pub models: Option<Vec<String>>,
    /// The key's budget window (`day`, `month`, `total`), as in `PUT /api/keys/{id}/quota`.
    #[serde(default)]
    #[schema(pattern = "^(day|month|total)$")]
    pub period: Option<String>,
    /// The key's budget in cost (decimal string).
    #[serde(default)]
    #[schema(pattern = "^(1000000(\\.0{1,9})?|[0-9]{1,6}(\\.[0-9]{1,9})?)$")]
    pub max_cost: Option<String>,
    /// The key's budget in tokens.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub max_tokens: Option<u64>,
    /// The key's requests per minute.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub rpm: Option<u64>,
    /// The key's tokens per minute.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub tpm: Option<u64>,
}

impl CreateKeyRequest {
    /// The limit fields, if any is set.
    pub fn limits(&self) -> Option<crate::limits::types::LimitBody> {
        let set = self.period.is_some()
            || self.max_cost.is_some()
            || self.max_tokens.is_some()
            || self.rpm.is_some()
            || self.tpm.is_some();
        set.then(|| crate::limits::types::LimitBody {
            period: self.period.clone(),
            max_cost: self.max_cost.clone(),
            max_tokens: self.max_tokens,
            rpm: self.rpm,
            tpm: self.tpm,
        })
    }
}

/// `PATCH /api/keys/{id}`: absent fields stay as they are; `null` clears (`models`: all the
/// owner may use, `expires_at`: never, a limit field: no limit of that kind).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    /// Label, 1–64 characters.
    #[schema(
        max_length = 64,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: Option<String>,
    /// When the key stops working (RFC 3339, in the future).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Models the key may use.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<Vec<crate::providers::types::ModelNameText>>, min_items = 1, max_items = 1000)]
    pub models: Option<Option<Vec<String>>>,
    /// Budget window (`day`, `month`, `total`).
    #[schema(pattern = "^(day|month|total)$")]
    pub period: Option<String>,
    /// Budget in cost (decimal string).
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>)]
    #[schema(pattern = "^(1000000(\\.0{1,9})?|[0-9]{1,6}(\\.[0-9]{1,9})?)$")]
    pub max_cost: Option<Option<String>>,
    /// Budget in tokens.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<u64>)]
    #[schema(minimum = 1)]
    pub max_tokens: Option<Option<u64>>,
    /// Requests per minute.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<u64>)]
    #[schema(minimum = 1)]
    pub rpm: Option<Option<u64>>,
    /// Tokens per minute.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<u64>)]
    #[schema(minimum = 1)]
    pub tpm: Option<Option<u64>>,
}

impl UpdateKeyRequest {
    /// Whether any limit field is present.
    pub fn touches_limits(&self) -> bool {
        self.period.is_some()
            || self.max_cost.is_some()
            || self.max_tokens.is_some()
            || self.rpm.is_some()
            || self.tpm.is_some()
    }

    /// `current` with the limit fields of this patch applied.
    pub fn apply_limits(
        &self,
        mut current: crate::limits::types::LimitBody,
    ) -> crate::limits::types::LimitBody {
        if let Some(p) = &self.period {
            current.period = Some(p.clone());
        }
        if let Some(v) = &self.max_cost {
            current.max_cost = v.clone();
        }
        if let Some(v) = self.max_tokens {
            current.max_tokens = v;
        }
        if let Some(v) = self.rpm {
            current.rpm = v;
        }
        if let Some(v) = self.tpm {
            current.tpm = v;
        }
        current
    }
}

/// A key as listed: never the key itself.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyResponse {
    /// Id.
    pub id: Uuid,
    /// Label.
    pub name: String,
    /// Masked form, `sk-llmm-…a1b2`.
    pub hint: String,
    /// Allowed models (`null`: all).
    pub models: Option<Vec<String>>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A new key: the only response that carries `key`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedKeyResponse {
    /// The key. Shown once; store it now.
    pub key: String,
    /// Everything else.
    #[serde(flatten)]
    pub info: KeyResponse,
}

/// A list of keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    /// Keys, newest first.
    pub items: Vec<KeyResponse>,
}
