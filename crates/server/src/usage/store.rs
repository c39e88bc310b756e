//! Tables `usage_events` and `usage_daily` (the events summed per day and key, written in the
//! same transaction). SQL only.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, TransactionTrait};

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

/// `usage_daily` table.
pub mod daily {
    use sea_orm::entity::prelude::*;

    /// Usage of one day, user, key, provider, model and source (nil UUID: none).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_daily")]
    pub struct Model {
        /// `YYYY-MM-DD`, UTC.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        /// User (nil: none).
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        /// API key (nil: none).
        #[sea_orm(primary_key, auto_increment = false)]
        pub api_key_id: Uuid,
        /// Provider (nil: none).
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider_id: Uuid,
        /// Requested model.
        #[sea_orm(primary_key, auto_increment = false)]
        pub model: String,
        /// Front end.
        #[sea_orm(primary_key, auto_increment = false)]
        pub source: String,
        /// Calls.
        pub requests: i64,
        /// Calls with a status ≥ 400.
        pub errors: i64,
        /// Input tokens.
        pub prompt_tokens: i64,
        /// Output tokens.
        pub completion_tokens: i64,
        /// Cached input tokens.
        pub cached_tokens: i64,
        /// Cost, nano-units.
        pub cost_nanos: i64,
        /// Sum of latencies, milliseconds.
        pub latency_ms_sum: i64,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use events::Model as UsageRow;

/// Adds sums to `usage_daily` (a row per key, created or added to).
async fn add_daily(db: &impl ConnectionTrait, rows: Vec<daily::Model>) -> Result<(), DbErr> {
    use daily::Column as C;
    let add = |c: C, name: &str| {
        (
            c,
            Expr::cust(format!("usage_daily.{name} + excluded.{name}")),
        )
    };
    let upsert = OnConflict::columns([
        C::Day,
        C::UserId,
        C::ApiKeyId,
        C::ProviderId,
        C::Model,
        C::Source,
    ])
    .values([
        add(C::Requests, "requests"),
        add(C::Errors, "errors"),
        add(C::PromptTokens, "prompt_tokens"),
        add(C::CompletionTokens, "completion_tokens"),
        add(C::CachedTokens, "cached_tokens"),
        add(C::CostNanos, "cost_nanos"),
        add(C::LatencyMsSum, "latency_ms_sum"),
    ])
    .to_owned();
    // One statement per row keeps every statement far below the databases' variable limits.
    for row in rows {
        daily::Entity::insert(daily::ActiveModel::from(row))
            .on_conflict(upsert.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Inserts a batch of events in one statement and adds their daily sums, in one transaction
/// (the two never disagree).
pub async fn insert_batch<C>(
    db: &C,
    rows: Vec<events::ActiveModel>,
    sums: Vec<daily::Model>,
) -> Result<(), DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    if rows.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    events::Entity::insert_many(rows).exec(&txn).await?;
    add_daily(&txn, sums).await?;
    txn.commit().await
}
