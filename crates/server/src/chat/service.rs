//! Chat rules for sessions: their branches, paging, settings, deletion and stop. Replies
//! start in [`super::reply`]; sharing and export are in [`super::share`].

use std::collections::HashMap;

use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use super::personas;
use super::store::{self, Message, Session, SessionFilter};
use super::types::{MessageResponse, Page, SessionResponse, UpdateSessionBody};
use crate::auth::service::AuthContext;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn not_found() -> ApiError {
    ApiError::NotFound("no such session".to_owned())
}

/// The caller's session.
pub async fn session(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<Session> {
    store::get_session(&state.db.conn, actor.user.id, id)
        .await?
        .ok_or_else(not_found)
}

/// The branch shown: from the newest message back to the first, oldest first.
pub fn current_branch(all: &[Message]) -> Vec<Message> {
    match all.iter().max_by_key(|m| (m.created_at, m.id)) {
        Some(newest) => branch_to(all, newest),
        None => Vec::new(),
    }
}

/// The messages from the first one to `last` along the parent links, oldest first.
pub fn branch_to(all: &[Message], last: &Message) -> Vec<Message> {
    let by_id: HashMap<Uuid, &Message> = all.iter().map(|m| (m.id, m)).collect();
    let mut branch = vec![last.clone()];
    let mut cursor = last.parent_id;
    while let Some(id) = cursor {
        let Some(m) = by_id.get(&id) else { break };
        branch.push((*m).clone());
        cursor = m.parent_id;
        if branch.len() > all.len() {
            break; // a cycle cannot happen, but never loop forever
        }
    }
    branch.reverse();
    branch
}

/// The messages of the current branch, paged.
pub async fn messages(
    state: &AppState,
    actor: &AuthContext,
    session_id: Uuid,
    page: u64,
    per_page: u64,
) -> ApiResult<Page<MessageResponse>> {
    let s = session(state, actor, session_id).await?;
    let branch = current_branch(&store::list_messages(&state.db.conn, s.id).await?);
    let total = branch.len() as u64;
    let items = branch
        .iter()
        .skip(
            usize::try_from(crate::extract::PageRequest { page, per_page }.offset())
                .unwrap_or(usize::MAX),
        )
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .map(MessageResponse::from)
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// A page of the caller's sessions.
pub async fn list_sessions(
    state: &AppState,
    actor: &AuthContext,
    filter: SessionFilter,
    page: u64,
    per_page: u64,
) -> ApiResult<Page<SessionResponse>> {
    let (items, total) =
        store::list_sessions(&state.db.conn, actor.user.id, &filter, page, per_page).await?;
    Ok(Page {
        items: items.iter().map(SessionResponse::from).collect(),
        total,
        page,
        per_page,
    })
}

fn check_params(params: &Value) -> ApiResult<()> {
    let Some(obj) = params.as_object() else {
        return Err(ApiError::field("params", "must be an object"));
    };
    for (k, v) in obj {
        let ok = match k.as_str() {
            "temperature" => v.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t)),
            "top_p" => v.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)),
            "max_tokens" => v.as_u64().is_some_and(|n| (1..=1_000_000).contains(&n)),
            _ => false,
        };
        if !ok && !v.is_null() {
            return Err(ApiError::field(
                format!("params.{k}"),
                "unknown or out of range (temperature 0–2, top_p 0–1, max_tokens ≥ 1)",
            ));
        }
    }
    Ok(())
}

/// Changes a session's settings.
pub async fn update_session(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    body: UpdateSessionBody,
) -> ApiResult<SessionResponse> {
    let mut s = session(state, actor, id).await?;
    if let Some(title) = body.title {
        s.title = crate::text::one_line("title", &title, 200)?;
        s.title_auto = false;
    }
    if let Some(tags) = body.tags {
        if tags.len() > 20 {
            return Err(ApiError::field("tags", "at most 20 tags"));
        }
        let mut clean: Vec<String> = Vec::new();
        for (i, t) in tags.iter().enumerate() {
            let t = crate::text::one_line(format!("tags[{i}]"), t, 32)?;
            if !clean.contains(&t) {
                clean.push(t);
            }
        }
        s.tags = serde_json::to_string(&clean).map_err(anyhow::Error::from)?;
    }
    if let Some(p) = body.pinned {
        s.pinned = p;
    }
    if let Some(persona) = body.persona_id {
        if let Some(id) = &persona
            && personas::find(state, actor.user.id, id, None)
                .await?
                .is_none()
        {
            return Err(ApiError::field("persona_id", "no such persona"));
        }
        s.persona_id = persona;
    }
    if let Some(model) = body.model {
        s.model = model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
    }
    if let Some(prompt) = body.system_prompt {
        if prompt
            .as_deref()
            .is_some_and(|p| p.chars().count() > 20_000)
        {
            return Err(ApiError::field(
                "system_prompt",
                "must be at most 20000 characters",
            ));
        }
        s.system_prompt = prompt.filter(|p| !p.trim().is_empty());
    }
    if let Some(params) = body.params {
        check_params(&params)?;
        s.params = params.to_string();
    }
    s.updated_at = Utc::now();
    let s = store::update_session(&state.db.conn, s).await?;
    Ok(SessionResponse::from(&s))
}

/// Deletes a session with its messages (stopping a reply in progress).
pub async fn delete_session(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<()> {
    if let Some(run) = state.chat.runs.get(actor.user.id, id) {
        run.cancel.cancel();
    }
    if !store::delete_session(&state.db.conn, actor.user.id, id).await? {
        return Err(not_found());
    }
    Ok(())
}

/// Stops the reply in progress; `false` if none runs.
pub async fn stop(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<bool> {
    session(state, actor, id).await?;
    Ok(match state.chat.runs.get(actor.user.id, id) {
        Some(run) => {
            run.cancel.cancel();
            true
        }
        None => false,
    })
}
