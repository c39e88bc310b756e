//! Table `limits`, and the sums of `usage_events` that seed a budget counter. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ConnectionTrait, QuerySelect};

use crate::usage::store::daily;

/// `limits` table.
pub mod rows {
    use sea_orm::entity::prelude::*;

    /// The limits of one role, user or API key.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "limits")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// `role`, `user` or `key`.
        pub scope: String,
        /// Role name, user id or key id.
        pub subject: String,
        /// Budget window: `day`, `month` or `total` (UTC).
        pub period: String,
        /// Budget in nano-units of the currency.
        pub max_cost_nanos: Option<i64>,
        /// Budget in tokens.
        pub max_tokens: Option<i64>,
        /// Requests per minute.
        pub rpm: Option<i64>,
        /// Tokens per minute.
        pub tpm: Option<i64>,
        /// Last change.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use rows::Model as LimitRow;

/// Every limit (a small table: one row per role, user or key with limits).
pub async fn list_limits(db: &impl ConnectionTrait) -> Result<Vec<LimitRow>, DbErr> {
    rows::Entity::find().all(db).await
}

/// The limits of one subject.
pub async fn get_limit(
    db: &impl ConnectionTrait,
    scope: &str,
    subject: &str,
) -> Result<Option<LimitRow>, DbErr> {
    rows::Entity::find()
        .filter(rows::Column::Scope.eq(scope))
        .filter(rows::Column::Subject.eq(subject))
        .one(db)
        .await
}

/// Inserts or replaces a subject's limits.
pub async fn put_limit(db: &impl ConnectionTrait, row: LimitRow) -> Result<(), DbErr> {
    rows::Entity::insert(rows::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([rows::Column::Scope, rows::Column::Subject])
                .update_columns([
                    rows::Column::Period,
                    rows::Column::MaxCostNanos,
                    rows::Column::MaxTokens,
                    rows::Column::Rpm,
                    rows::Column::Tpm,
                    rows::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a subject's limits; `false` if it had none.
pub async fn delete_limit(
    db: &impl ConnectionTrait,
    scope: &str,
    subject: &str,
) -> Result<bool, DbErr> {
    Ok(rows::Entity::delete_many()
        .filter(rows::Column::Scope.eq(scope))
        .filter(rows::Column::Subject.eq(subject))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Cost (nanos) and tokens logged for a user or a key since `since` (a window's start:
/// midnight UTC), from the daily sums.
pub async fn spent_since(
    db: &impl ConnectionTrait,
    user_id: Option<Uuid>,
    api_key_id: Option<Uuid>,
    since: Option<DateTime<Utc>>,
) -> Result<(i64, i64), DbErr> {
    let mut query = daily::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT)"),
            "cost",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS BIGINT)"),
            "tokens",
        );
    if let Some(u) = user_id {
        query = query.filter(daily::Column::UserId.eq(u));
    }
    if let Some(k) = api_key_id {
        query = query.filter(daily::Column::ApiKeyId.eq(k));
    }
    if let Some(t) = since {
        query = query.filter(daily::Column::Day.gte(t.format("%Y-%m-%d").to_string()));
    }
    Ok(query
        .into_tuple::<(i64, i64)>()
        .one(db)
        .await?
        .unwrap_or((0, 0)))
}
