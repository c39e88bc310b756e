//! Usage statistics from `usage_daily` (the events summed per day and key by the writer),
//! summed by the database: a 30-day view reads days × groups rows, not every event. SQL only.

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Select, TryGetable,
};
use uuid::Uuid;

use super::store::daily;

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

fn sums(query: Select<daily::Entity>, key: SimpleExpr) -> Select<daily::Entity> {
    let sum = |col: &str| Expr::cust(format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"));
    query
        .select_only()
        .column_as(key.clone(), "key")
        .column_as(sum("requests"), "requests")
        .column_as(sum("errors"), "errors")
        .column_as(sum("prompt_tokens"), "prompt_tokens")
        .column_as(sum("completion_tokens"), "completion_tokens")
        .column_as(sum("cached_tokens"), "cached_tokens")
        .column_as(sum("cost_nanos"), "cost_nanos")
        .column_as(sum("latency_ms_sum"), "latency_ms_sum")
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
            avg_latency_ms: if r.1 > 0 { r.7 / r.1 } else { 0 },
        },
    )
}

async fn run<K: TryGetable>(
    db: &impl ConnectionTrait,
    query: Select<daily::Entity>,
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

/// Usage of the UTC days `from..=to`, of one user or of everyone, summed per group from the
/// daily sums; the key is the day, the model name or the id (`-`: no user, provider or key).
pub async fn grouped(
    db: &impl ConnectionTrait,
    group: Group,
    from: NaiveDate,
    to: NaiveDate,
    user_id: Option<Uuid>,
) -> Result<Vec<(String, Totals)>, DbErr> {
    let mut query = daily::Entity::find()
        .filter(daily::Column::Day.gte(from.to_string()))
        .filter(daily::Column::Day.lte(to.to_string()));
    if let Some(u) = user_id {
        query = query.filter(daily::Column::UserId.eq(u));
    }
    let col = |c: &str| Expr::cust(c.to_owned());
    Ok(match group {
        Group::Day => run::<String>(db, query, col("day")).await?,
        Group::Model => run::<String>(db, query, col("model")).await?,
        Group::User | Group::Provider | Group::Key => {
            let name = match group {
                Group::User => "user_id",
                Group::Provider => "provider_id",
                _ => "api_key_id",
            };
            run::<Uuid>(db, query, col(name))
                .await?
                .into_iter()
                .map(|(k, t)| {
                    (
                        if k.is_nil() {
                            "-".to_owned()
                        } else {
                            k.to_string()
                        },
                        t,
                    )
                })
                .collect()
        }
    })
}

/// The names of the users, providers or keys with these ids, read in one query per group.
pub async fn labels(
    db: &impl ConnectionTrait,
    group: Group,
    ids: Vec<Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>, DbErr> {
    use crate::auth::store::users;
    use crate::keys::store::api_keys;
    use crate::providers::store::providers;
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let pairs: Vec<(Uuid, String)> = match group {
        Group::User => {
            users::Entity::find()
                .select_only()
                .columns([users::Column::Id, users::Column::Username])
                .filter(users::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?
        }
        Group::Provider => {
            providers::Entity::find()
                .select_only()
                .columns([providers::Column::Id, providers::Column::Name])
                .filter(providers::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?
        }
        Group::Key => {
            api_keys::Entity::find()
                .select_only()
                .columns([api_keys::Column::Id, api_keys::Column::Name])
                .filter(api_keys::Column::Id.is_in(ids))
                .into_tuple()
                .all(db)
                .await?
        }
        Group::Day | Group::Model => Vec::new(),
    };
    Ok(pairs.into_iter().collect())
}
