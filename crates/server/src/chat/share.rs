//! Sharing and export: a public snapshot link of a session, and a session as Markdown or JSON.

use chrono::Utc;
use serde_json::{Value, json};

use super::service::{current_branch, session};
use super::store::{self, Message, Session};
use super::types::{MessageResponse, SessionResponse, ShareResponse};
use crate::auth::service::AuthContext;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use uuid::Uuid;

/// The transcript of the current branch for sharing and export.
async fn transcript(state: &AppState, session: &Session) -> ApiResult<Vec<Message>> {
    Ok(
        current_branch(&store::list_messages(&state.db.conn, session.id).await?)
            .into_iter()
            .filter(|m| m.role == "user" || !m.content.is_empty())
            .collect(),
    )
}

/// Creates (or replaces) the public link of a session: a snapshot of it now.
pub async fn share(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<ShareResponse> {
    let session = session(state, actor, id).await?;
    let messages = transcript(state, &session).await?;
    let now = Utc::now();
    let snapshot = json!({
        "title": session.title,
        "shared_at": now,
        "messages": messages.iter().map(|m| json!({
            "role": m.role, "content": m.content, "created_at": m.created_at,
        })).collect::<Vec<_>>(),
    });
    let token = crate::auth::tokens::random_token();
    store::put_share(
        &state.db.conn,
        store::shares::Model {
            token_hash: state.auth.keys.hash(&token),
            session_id: session.id,
            user_id: actor.user.id,
            snapshot: snapshot.to_string(),
            created_at: now,
        },
    )
    .await?;
    Ok(ShareResponse {
        url: format!("{}/s/{token}", state.config.base_url()),
        token,
    })
}

/// Revokes the public link.
pub async fn unshare(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<()> {
    session(state, actor, id).await?;
    if !store::delete_share(&state.db.conn, actor.user.id, id).await? {
        return Err(ApiError::NotFound("the session is not shared".to_owned()));
    }
    Ok(())
}

/// A shared snapshot by token.
pub async fn shared(state: &AppState, token: &str) -> ApiResult<Value> {
    let not_found = || ApiError::NotFound("this link was revoked or never existed".to_owned());
    if token.len() > 128 {
        return Err(not_found());
    }
    let share = store::get_share(&state.db.conn, &state.auth.keys.hash(token))
        .await?
        .ok_or_else(not_found)?;
    // A disabled account's links stop working with it (and work again if it is re-enabled).
    let owner = crate::auth::store::get_user(&state.db.conn, share.user_id).await?;
    if !owner.is_some_and(|u| u.is_active) {
        return Err(not_found());
    }
    serde_json::from_str(&share.snapshot).map_err(|e| ApiError::Internal(e.into()))
}

/// A session as Markdown or JSON: `(file name, content type, body)`.
pub async fn export(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    format: &str,
) -> ApiResult<(String, &'static str, String)> {
    let session = session(state, actor, id).await?;
    let messages = transcript(state, &session).await?;
    let stem: String = session
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(50)
        .collect();
    let stem = if stem.is_empty() {
        "chat".to_owned()
    } else {
        stem
    };
    match format {
        "md" => {
            let mut out = format!("# {}\n\n", session.title);
            for m in &messages {
                let who = if m.role == "user" {
                    "User"
                } else {
                    "Assistant"
                };
                out.push_str(&format!(
                    "## {who} ({})\n\n{}\n\n",
                    m.created_at.format("%Y-%m-%d %H:%M UTC"),
                    m.content
                ));
            }
            Ok((format!("{stem}.md"), "text/markdown; charset=utf-8", out))
        }
        "json" => {
            let body = json!({
                "session": SessionResponse::from(&session),
                "messages": messages.iter().map(MessageResponse::from).collect::<Vec<_>>(),
            });
            Ok((
                format!("{stem}.json"),
                "application/json",
                serde_json::to_string_pretty(&body).map_err(anyhow::Error::from)?,
            ))
        }
        _ => Err(ApiError::field("format", "must be md or json")),
    }
}
