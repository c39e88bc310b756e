//! Usage statistics from `usage_events`, summed by the database (`GROUP BY` over the
//! `created_at` indexes). SQL only.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Select, TryGetable,
};
use uuid::Uuid;

use super::store::events;

/// What usage is summed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// UTC day.
    Day,
    /// Requested model.
    Model,
    /// User.
    User,
    /// Provider that answered.
    Provider,
    /// API key.
    Key,
}

/// One group's sums.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Calls.
    pub requests: i64,
    /// Calls that failed (status ≥ 400).
    pub errors: i64,
    /// Input tokens.
    pub prompt_tokens: i64,
    /// Output tokens.
    pub completion_tokens: i64,
    /// Cached input tokens.
    pub cached_tokens: i64,
    /// Cost in nano-units.
    pub cost_nanos: i64,
    /// Mean latency, milliseconds.
    pub avg_latency_ms: i64,
}

type Row<K> = (K, i64, i64, i64, i64, i64, i64, i64);

fn sums(query: Select<events::Entity>, key: SimpleExpr) -> Select<events::Entity> {
    let sum = |col: &str| Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"));
    query
        .select_only()
        .column_as(key.clone(), "key")
        .column_as(Expr::cust("COUNT(*)"), "requests")
        .column_as(
            Expr::cust(
                "CAST(COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS BIGINT)",
            ),
            "errors",
        )
        .column_as(sum("prompt_tokens"), "prompt_tokens")
        .column_as(sum("completion_tokens"), "completion_tokens")
        .column_as(sum("cached_tokens"), "cached_tokens")
        .column_as(sum("cost_nanos"), "cost_nanos")
        .column_as(
            Expr::cust("CAST(COALESCE(AVG(latency_ms), 0) AS BIGINT)"),
            "avg_latency_ms",
        )
        .group_by(key)
}

fn totals<K>(r: Row<K>) -> (K, Totals) {
    (
        r.0,
        Totals {
            requests: r.1,
            errors: r.2,
            prompt_tokens: r.3,
            completion_tokens: r.4,
            cached_tokens: r.5,
            cost_nanos: r.6,
            avg_latency_ms: r.7,
        },
    )
}

async fn run<K: TryGetable>(
    db: &impl ConnectionTrait,
    query: Select<events::Entity>,
    key: SimpleExpr,
) -> Result<Vec<(K, Totals)>, DbErr> {
    Ok(sums(query, key)
        .into_tuple::<Row<K>>()
        .all(db)
        .await?
        .into_iter()
        .map(totals)
        .collect())
}

/// Usage in `[from, to)`, of one user or of everyone, summed per group; the key is the day,
/// the model name or the id (`None`: no user, provider or key).
pub async fn grouped(
    db: &impl ConnectionTrait,
    group: Group,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    user_id: Option<Uuid>,
) -> Result<Vec<(String, Totals)>, DbErr> {
    let mut query = events::Entity::find()
        .filter(events::Column::CreatedAt.gte(from))
        .filter(events::Column::CreatedAt.lt(to));
    if let Some(u) = user_id {
        query = query.filter(events::Column::UserId.eq(u));
    }
    let id_key = |col: &str| Expr::cust(col.to_owned());
    let rows = match group {
        Group::Day => {
            let key = crate::db::sql::utc_day(db.get_database_backend(), "created_at");
            run::<String>(db, query, key).await?
        }
        Group::Model => run::<String>(db, query, id_key("model")).await?,
        Group::User | Group::Provider | Group::Key => {
            let col = match group {
                Group::User => "user_id",
                Group::Provider => "provider_id",
                _ => "api_key_id",
            };
            run::<Option<Uuid>>(db, query, id_key(col))
                .await?
                .into_iter()
                .map(|(k, t)| (k.map_or_else(|| "-".to_owned(), |id| id.to_string()), t))
                .collect()
        }
    };
    Ok(rows)
}
