//! Limit rules: validation and changes of the limits of roles, users and API keys (each
//! change audited, the cached table invalidated). No axum, no SQL.

use chrono::Utc;
use rust_decimal::Decimal;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::store::{self, LimitRow};
use super::table::Period;
use super::types::{LimitBody, LimitResponse};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usage::prices::{format_nanos, parse_price};

/// Whose limits.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// Every user of a role without limits of their own.
    Role(&'a str),
    /// One user.
    User(Uuid),
    /// One API key.
    Key(Uuid),
    /// One model, for all its callers (requests and tokens per minute only).
    Model(&'a str),
}

impl Subject<'_> {
    fn parts(&self) -> (&'static str, String) {
        match self {
            Self::Role(r) => ("role", (*r).to_owned()),
            Self::User(id) => ("user", id.to_string()),
            Self::Key(id) => ("key", id.to_string()),
            Self::Model(m) => ("model", (*m).to_owned()),
        }
    }
}

fn response(row: LimitRow) -> LimitResponse {
    let positive = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
    LimitResponse {
        scope: row.scope,
        subject: row.subject,
        period: row.period,
        max_cost: row.max_cost_nanos.map(format_nanos),
        max_tokens: positive(row.max_tokens),
        rpm: positive(row.rpm),
        tpm: positive(row.tpm),
    }
}

fn nanos_of(cost: &str) -> ApiResult<i64> {
    let d = parse_price(cost).map_err(|p| ApiError::field("max_cost", p))?;
    let nanos = (d * Decimal::from(1_000_000_000_i64)).trunc();
    i64::try_from(nanos).map_err(|_| ApiError::field("max_cost", "is too large"))
}

/// The checked row of `subject`'s limits (for a caller that writes it in its own transaction).
pub fn checked(subject: Subject<'_>, body: &LimitBody) -> ApiResult<LimitRow> {
    let period = body.period.as_deref().unwrap_or("day");
    if Period::parse(period).is_none() {
        return Err(ApiError::field("period", "must be day, month or total"));
    }
    let count = |field: &str, v: Option<u64>| -> ApiResult<Option<i64>> {
        match v {
            Some(0) => Err(ApiError::field(
                field,
                "must be at least 1 (null: no limit)",
            )),
            Some(n) => i64::try_from(n)
                .map(Some)
                .map_err(|_| ApiError::field(field, "is too large")),
            None => Ok(None),
        }
    };
    if let Subject::Model(name) = subject {
        // The subject column holds 64 characters.
        crate::text::one_line("model", name, 64)?;
        if body.max_cost.is_some() || body.max_tokens.is_some() {
            let field = if body.max_cost.is_some() {
                "max_cost"
            } else {
                "max_tokens"
            };
            return Err(ApiError::field(
                field,
                "a model takes rpm and tpm only (budgets are per role, user or key)",
            ));
        }
    }
    let (scope, subject) = subject.parts();
    Ok(LimitRow {
        id: Uuid::now_v7(),
        scope: scope.to_owned(),
        subject,
        period: period.to_owned(),
        max_cost_nanos: body.max_cost.as_deref().map(nanos_of).transpose()?,
        max_tokens: count("max_tokens", body.max_tokens)?,
        rpm: count("rpm", body.rpm)?,
        tpm: count("tpm", body.tpm)?,
        updated_at: Utc::now(),
    })
}

/// The budget in effect for a user (their own or their role's), with what was logged as
/// spent in its current window.
pub async fn budget_of(
    state: &AppState,
    user_id: Uuid,
    role: &str,
) -> ApiResult<Option<super::types::BudgetState>> {
    let table = state.limits.table.limits(state).await?;
    let Some(l) = table.for_user(user_id, crate::llm::meter::role_name(role)) else {
        return Ok(None);
    };
    if !l.has_budget() {
        return Ok(None);
    }
    let window = l.period.window(Utc::now());
    let (cost, tokens) =
        store::spent_since(&state.db.conn, Some(user_id), None, window.map(|(s, _)| s)).await?;
    Ok(Some(super::types::BudgetState {
        period: l.period.as_str().to_owned(),
        max_cost: l.max_cost_nanos.map(format_nanos),
        spent_cost: format_nanos(cost),
        remaining_cost: l.max_cost_nanos.map(|m| format_nanos((m - cost).max(0))),
        max_tokens: l.max_tokens,
        spent_tokens: tokens,
        resets_at: window.map(|(_, e)| e),
    }))
}

/// The limits set on models, by name.
pub async fn list_models(state: &AppState) -> ApiResult<Vec<LimitResponse>> {
    let mut out: Vec<LimitResponse> = store::list_limits(&state.db.conn)
        .await?
        .into_iter()
        .filter(|r| r.scope == "model")
        .map(response)
        .collect();
    out.sort_by(|a, b| a.subject.cmp(&b.subject));
    Ok(out)
}

/// 404 unless the user exists.
pub async fn ensure_user(state: &AppState, id: Uuid) -> ApiResult<()> {
    crate::auth::store::get_user(&state.db.conn, id)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::NotFound("no such user".to_owned()))
}

/// The limits set on `subject`, if any.
pub async fn get(state: &AppState, subject: Subject<'_>) -> ApiResult<Option<LimitResponse>> {
    let (scope, id) = subject.parts();
    Ok(store::get_limit(&state.db.conn, scope, &id)
        .await?
        .map(response))
}

/// Sets the limits of `subject` (audited); they apply to the next call.
pub async fn put(
    state: &AppState,
    actor: &AuthContext,
    client: &ClientInfo,
    subject: Subject<'_>,
    body: &LimitBody,
) -> ApiResult<LimitResponse> {
    let row = checked(subject, body)?;
    let txn = state.db.conn.begin().await?;
    store::put_limit(&txn, row.clone()).await?;
    audit::record(
        &txn,
        AuditEvent::new("limits.set", Some(actor.user.id), client.ip.clone()).details(
            serde_json::json!({ "scope": row.scope, "subject": row.subject, "limits": body }),
        ),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Limits);
    Ok(response(row))
}

/// Removes the limits of `subject`.
pub async fn delete(
    state: &AppState,
    actor: &AuthContext,
    client: &ClientInfo,
    subject: Subject<'_>,
) -> ApiResult<()> {
    let (scope, id) = subject.parts();
    let txn = state.db.conn.begin().await?;
    if !store::delete_limit(&txn, scope, &id).await? {
        return Err(ApiError::NotFound("no limits are set there".to_owned()));
    }
    audit::record(
        &txn,
        AuditEvent::new("limits.deleted", Some(actor.user.id), client.ip.clone())
            .details(serde_json::json!({ "scope": scope, "subject": id })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Limits);
    Ok(())
}
