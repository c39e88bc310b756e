//! Table `usage_events`. SQL only.

use sea_orm::ConnectionTrait;
use sea_orm::entity::prelude::*;

/// `usage_events` table.
pub mod events {
    use sea_orm::entity::prelude::*;

    /// One call's usage.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_events")]
    pub struct Model {
        /// Sequence number.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Caller.
        pub user_id: Option<Uuid>,
        /// Gateway API key used.
        pub api_key_id: Option<Uuid>,
        /// Provider that answered (last tried).
        pub provider_id: Option<Uuid>,
        /// Channel (provider key) that answered.
        pub provider_key_id: Option<Uuid>,
        /// `api` (the /v1 gateway) or `chat`.
        pub source: String,
        /// Model name as requested.
        pub model: String,
        /// Upstream model name.
        pub upstream_model: Option<String>,
        /// Input tokens.
        pub prompt_tokens: i64,
        /// Output tokens.
        pub completion_tokens: i64,
        /// Cached input tokens.
        pub cached_tokens: i64,
        /// Cost in nano-units of the currency.
        pub cost_nanos: i64,
        /// Whole call, milliseconds.
        pub latency_ms: i64,
        /// Time to first token (streams), milliseconds.
        pub ttft_ms: Option<i64>,
        /// HTTP status given to the caller (499: the caller went away).
        pub status: i32,
        /// Error code, when it failed.
        pub error_code: Option<String>,
        /// Streamed.
        pub stream: bool,
        /// When the call started.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use events::Model as UsageRow;

/// Inserts a batch of events in one statement.
pub async fn insert_batch(
    db: &impl ConnectionTrait,
    rows: Vec<events::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    events::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}
