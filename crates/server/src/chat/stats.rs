//! The user's own chat statistics, the export of all their chat data, and the admin's view of
//! messages (seed 000's ChatMessage admin).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::store::{messages, personas as persona_rows, sessions};
use super::types::{MessageResponse, Page, SessionResponse};
use crate::auth::extract::{AdminUser, AuthUser};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;

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
}

/// The caller's chat statistics: totals, and the last 30 days per day and per model.
#[utoipa::path(get, path = "/statistics", tag = "chat",
    responses((status = 200, description = "Statistics", body = Statistics)))]
pub async fn get_statistics(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<Statistics>> {
    let db = &state.db.conn;
    let uid = ctx.user.id;
    let sessions_n = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(uid))
        .count(db)
        .await?;
    let messages_n = messages::Entity::find()
        .filter(messages::Column::UserId.eq(uid))
        .count(db)
        .await?;
    let since = Utc::now() - Duration::days(30);
    let recent = messages::Entity::find()
        .filter(messages::Column::UserId.eq(uid))
        .filter(messages::Column::Role.eq("assistant"))
        .filter(messages::Column::CreatedAt.gte(since))
        .all(db)
        .await?;
    let mut by_day: BTreeMap<String, Figures> = BTreeMap::new();
    let mut by_model: BTreeMap<String, Figures> = BTreeMap::new();
    for m in &recent {
        let add = |f: &mut Figures| {
            f.replies += 1;
            f.prompt_tokens += u64::try_from(m.prompt_tokens).unwrap_or(0);
            f.completion_tokens += u64::try_from(m.completion_tokens).unwrap_or(0);
        };
        add(by_day
            .entry(m.created_at.format("%Y-%m-%d").to_string())
            .or_default());
        add(by_model
            .entry(m.model.clone().unwrap_or_else(|| "unknown".to_owned()))
            .or_default());
    }
    Ok(AppJson(Statistics {
        sessions: sessions_n,
        messages: messages_n,
        by_day,
        by_model,
    }))
}

/// Every conversation (all branches) and persona of the caller, as one JSON download.
#[utoipa::path(get, path = "/export", tag = "chat",
    responses((status = 200, description = "JSON file")))]
pub async fn get_export_all(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<Response> {
    let db = &state.db.conn;
    let uid = ctx.user.id;
    let all_sessions = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(uid))
        .order_by_asc(sessions::Column::CreatedAt)
        .all(db)
        .await?;
    let all_messages = messages::Entity::find()
        .filter(messages::Column::UserId.eq(uid))
        .order_by_asc(messages::Column::CreatedAt)
        .all(db)
        .await?;
    let own_personas = persona_rows::Entity::find()
        .filter(persona_rows::Column::OwnerId.eq(uid))
        .all(db)
        .await?;
    let body = json!({
        "exported_at": Utc::now(),
        "user": {"id": ctx.user.id, "username": ctx.user.username},
        "sessions": all_sessions.iter().map(|s| json!({
            "session": SessionResponse::from(s),
            "messages": all_messages.iter().filter(|m| m.session_id == s.id).map(MessageResponse::from).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "personas": own_personas.iter().map(|p| json!({
            "id": p.id, "name": p.name, "description": p.description, "avatar": p.avatar,
            "system_prompt": p.system_prompt, "model": p.model,
        })).collect::<Vec<_>>(),
    });
    let mut res = serde_json::to_string_pretty(&body)
        .map_err(anyhow::Error::from)?
        .into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"llm-manager-chats.json\""),
    );
    Ok(res)
}

/// Filters of the admin message list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AdminMessageQuery {
    /// One user.
    pub user_id: Option<Uuid>,
    /// One session.
    pub session_id: Option<Uuid>,
    /// `user` or `assistant`.
    pub role: Option<String>,
    /// `complete`, `streaming`, `cancelled`, `error`, `incomplete`.
    pub status: Option<String>,
    /// Text in the content.
    pub q: Option<String>,
    /// Page (from 1).
    pub page: Option<u64>,
    /// Page size (1–200, default 50).
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
    let crate::extract::PageRequest { page, per_page } =
        crate::extract::PageRequest::new(q.page, q.per_page, 50, 200)?;
    let mut query = messages::Entity::find();
    if let Some(u) = q.user_id {
        query = query.filter(messages::Column::UserId.eq(u));
    }
    if let Some(s) = q.session_id {
        query = query.filter(messages::Column::SessionId.eq(s));
    }
    if let Some(r) = q.role {
        if !matches!(r.as_str(), "user" | "assistant") {
            return Err(ApiError::field("role", "must be user or assistant"));
        }
        query = query.filter(messages::Column::Role.eq(r));
    }
    if let Some(s) = q.status {
        if !matches!(
            s.as_str(),
            "complete" | "streaming" | "cancelled" | "error" | "incomplete"
        ) {
            return Err(ApiError::field(
                "status",
                "must be complete, streaming, cancelled, error or incomplete",
            ));
        }
        query = query.filter(messages::Column::Status.eq(s));
    }
    if let Some(text) = q.q.filter(|t| !t.trim().is_empty()) {
        query = query.filter(messages::Column::Content.contains(text.trim()));
    }
    let total = query.clone().count(&state.db.conn).await?;
    let items = query
        .order_by_desc(messages::Column::CreatedAt)
        .offset(crate::extract::PageRequest { page, per_page }.offset())
        .limit(per_page)
        .all(&state.db.conn)
        .await?;
    Ok(AppJson(Page {
        items: items.iter().map(MessageResponse::from).collect(),
        total,
        page,
        per_page,
    }))
}
