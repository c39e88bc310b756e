//! Usage statistics: the admin's grouped view (by day, model, user, provider or key over a
//! date range, as JSON or CSV) and a user's own figures. No axum, no SQL.

use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::prices::format_nanos;
use super::stats_store::{self, Group, Totals};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `GET /api/admin/statistics` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// `day` (default), `model`, `user`, `provider` or `key`.
    #[param(pattern = "^(day|model|user|provider|key)$")]
    pub group_by: Option<String>,
    /// First day (`YYYY-MM-DD`, UTC; default 29 days before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, included (default today).
    #[param(format = Date)]
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// One group's figures.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatsRow {
    /// The day, model name or id.
    pub key: String,
    /// A name for an id (username, provider or key name).
    pub label: Option<String>,
    /// Calls.
    pub requests: i64,
    /// Failed calls.
    pub errors: i64,
    /// Input tokens.
    pub prompt_tokens: i64,
    /// Output tokens.
    pub completion_tokens: i64,
    /// Cached input tokens.
    pub cached_tokens: i64,
    /// Cost (decimal string in the price table's currency).
    pub cost: String,
    /// Mean latency, milliseconds.
    pub avg_latency_ms: i64,
}

/// Grouped usage.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatsResponse {
    /// How rows are grouped.
    pub group_by: String,
    /// First day.
    pub from: String,
    /// Last day (included).
    pub to: String,
    /// Rows, biggest cost first (by key for days).
    pub rows: Vec<StatsRow>,
}

fn day(field: &str, v: Option<&str>, default: NaiveDate) -> ApiResult<NaiveDate> {
    match v {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::field(field, "must be a date YYYY-MM-DD")),
    }
}

fn row(key: String, label: Option<String>, t: &Totals) -> StatsRow {
    StatsRow {
        key,
        label,
        requests: t.requests,
        errors: t.errors,
        prompt_tokens: t.prompt_tokens,
        completion_tokens: t.completion_tokens,
        cached_tokens: t.cached_tokens,
        cost: format_nanos(t.cost_nanos),
        avg_latency_ms: t.avg_latency_ms,
    }
}

/// Everyone's usage, grouped.
pub async fn admin_statistics(state: &AppState, q: &StatsQuery) -> ApiResult<StatsResponse> {
    let group_name = q.group_by.as_deref().unwrap_or("day");
    let group = match group_name {
        "day" => Group::Day,
        "model" => Group::Model,
        "user" => Group::User,
        "provider" => Group::Provider,
        "key" => Group::Key,
        _ => {
            return Err(ApiError::field(
                "group_by",
                "must be day, model, user, provider or key",
            ));
        }
    };
    let today = Utc::now().date_naive();
    let to = day("to", q.to.as_deref(), today)?;
    let from = day("from", q.from.as_deref(), to - Duration::days(29))?;
    if from > to || (to - from).num_days() > 3660 {
        return Err(ApiError::field(
            "from",
            "must be on or before to, within ten years",
        ));
    }
    let mut sums = stats_store::grouped(&state.db.conn, group, from, to, None).await?;
    if group == Group::Day {
        sums.sort_by(|a, b| a.0.cmp(&b.0));
    } else {
        sums.sort_by(|a, b| {
            b.1.cost_nanos
                .cmp(&a.1.cost_nanos)
                .then(b.1.requests.cmp(&a.1.requests))
        });
    }
    // Names of every group at once (not a query per row); at most 1,000 ids per query.
    let ids: Vec<Uuid> = sums
        .iter()
        .filter_map(|(k, _)| Uuid::parse_str(k).ok())
        .collect();
    let mut names = std::collections::HashMap::new();
    for chunk in ids.chunks(1_000) {
        names.extend(stats_store::labels(&state.db.conn, group, chunk.to_vec()).await?);
    }
    let rows = sums
        .into_iter()
        .map(|(key, t)| {
            let label = Uuid::parse_str(&key)
                .ok()
                .and_then(|id| names.get(&id).cloned());
            row(key, label, &t)
        })
        .collect();
    Ok(StatsResponse {
        group_by: group_name.to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        rows,
    })
}

/// The rows as CSV.
pub fn stats_csv(s: &StatsResponse) -> String {
    let cell = crate::admin::service::csv_cell;
    let mut out = String::from(
        "key,label,requests,errors,prompt_tokens,completion_tokens,cached_tokens,cost,avg_latency_ms\r\n",
    );
    for r in &s.rows {
        let cells = [
            cell(&r.key),
            cell(r.label.as_deref().unwrap_or("")),
            r.requests.to_string(),
            r.errors.to_string(),
            r.prompt_tokens.to_string(),
            r.completion_tokens.to_string(),
            r.cached_tokens.to_string(),
            r.cost.clone(),
            r.avg_latency_ms.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A user's own usage of the last 30 days, by day or by model.
pub async fn own_usage(state: &AppState, user_id: Uuid, group: Group) -> ApiResult<Vec<StatsRow>> {
    let to = Utc::now().date_naive();
    let from = to - Duration::days(29);
    let mut sums = stats_store::grouped(&state.db.conn, group, from, to, Some(user_id)).await?;
    sums.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(sums.into_iter().map(|(k, t)| row(k, None, &t)).collect())
}
