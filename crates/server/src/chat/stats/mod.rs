//! The user's own chat statistics, the export of all their chat data, and the admin's view of
//! messages (seed 000's ChatMessage admin).

mod export;
mod store;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::types::{MessageResponse, Page};
use crate::auth::extract::{AdminUser, AuthUser};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use crate::usage::stats_store::Group;
use store::GroupBy;

/// Figures of one day or one model.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Replies.
    pub replies: u64,
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
}

/// `GET /api/llm/statistics`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Statistics {
    /// Conversations.
    pub sessions: u64,
    /// Messages (both sides, every branch).
    pub messages: u64,
    /// The last 30 days by day (`YYYY-MM-DD`, UTC).
    pub by_day: BTreeMap<String, Figures>,
    /// The last 30 days by model.
    pub by_model: BTreeMap<String, Figures>,
    /// Every LLM call of the caller (chat, API keys, titles) of the last 30 days, with cost.
    pub usage: UsageFigures,
    /// The caller's budget (null: none).
    pub budget: Option<crate::limits::types::BudgetState>,
}

/// The caller's calls by day and by model, from the usage log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsageFigures {
    /// By UTC day.
    pub by_day: Vec<crate::usage::stats::StatsRow>,
    /// By model.
    pub by_model: Vec<crate::usage::stats::StatsRow>,
}

/// The caller's chat statistics: totals, and the last 30 days per day and per model.
#[utoipa::path(get, path = "/statistics", tag = "chat",
    responses((status = 200, description = "Statistics", body = Statistics)))]
pub async fn get_statistics(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<Statistics>> {
    Ok(AppJson(statistics(&state, &ctx.user).await?))
}

async fn statistics(state: &AppState, user: &crate::auth::store::User) -> ApiResult<Statistics> {
    let (db, user_id) = (&state.db.conn, user.id);
    let (sessions, messages) = store::count_own(db, user_id).await?;
    let since = Utc::now() - Duration::days(30);
    let figures = |rows: Vec<store::Sums>| {
        rows.into_iter()
            .map(|(key, replies, prompt, completion)| {
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                let f = Figures {
                    replies: n(replies),
                    prompt_tokens: n(prompt),
                    completion_tokens: n(completion),
                };
                (key, f)
            })
            .collect()
    };
    Ok(Statistics {
        sessions,
        messages,
        by_day: figures(store::sum_replies(db, user_id, since, GroupBy::Day).await?),
        by_model: figures(store::sum_replies(db, user_id, since, GroupBy::Model).await?),
        usage: UsageFigures {
            by_day: crate::usage::stats::own_usage(state, user_id, Group::Day).await?,
            by_model: crate::usage::stats::own_usage(state, user_id, Group::Model).await?,
        },
        budget: crate::limits::service::budget_of(state, user_id, &user.role).await?,
    })
}

/// Every conversation (all branches) and persona of the caller, as one JSON download,
/// streamed as it is read.
#[utoipa::path(get, path = "/export", tag = "chat",
    responses((status = 200, description = "JSON file")))]
pub async fn get_export_all(State(state): State<AppState>, AuthUser(ctx): AuthUser) -> Response {
    let body = Body::from_stream(export::export_all(&state, &ctx.user));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"llm-manager-chats.json\""),
    );
    res
}

/// Filters of the admin message list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AdminMessageQuery {
    /// One user.
    pub user_id: Option<Uuid>,
    /// One session.
    pub session_id: Option<Uuid>,
    /// `user` or `assistant`.
    #[param(pattern = "^(user|assistant)$")]
    pub role: Option<String>,
    /// `complete`, `streaming`, `cancelled`, `error`, `incomplete`.
    #[param(pattern = "^(complete|streaming|cancelled|error|incomplete)$")]
    pub status: Option<String>,
    /// Text in the content.
    pub q: Option<String>,
    /// Page (from 1).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<u64>,
    /// Page size (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// Messages of every user, newest first, with filters.
#[utoipa::path(get, path = "/messages", tag = "admin", params(AdminMessageQuery),
    responses((status = 200, description = "A page of messages", body = Page<MessageResponse>),
        (status = 422, description = "Invalid filter", body = ErrorBody)))]
pub async fn admin_get_messages(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    AppQuery(q): AppQuery<AdminMessageQuery>,
) -> ApiResult<AppJson<Page<MessageResponse>>> {
    let page = crate::extract::PageRequest::new(q.page, q.per_page, 50, 200)?;
    if let Some(r) = &q.role
        && !matches!(r.as_str(), "user" | "assistant")
    {
        return Err(ApiError::field("role", "must be user or assistant"));
    }
    if let Some(s) = &q.status
        && !matches!(
            s.as_str(),
            "complete" | "streaming" | "cancelled" | "error" | "incomplete"
        )
    {
        return Err(ApiError::field(
            "status",
            "must be complete, streaming, cancelled, error or incomplete",
        ));
    }
    let filter = store::MessageFilter {
        user_id: q.user_id,
        session_id: q.session_id,
        role: q.role,
        status: q.status,
        text: q.q.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
    };
    let (items, total) = store::list_all_messages(&state.db.conn, filter, page).await?;
    Ok(AppJson(Page {
        items: items.iter().map(MessageResponse::from).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    }))
}
