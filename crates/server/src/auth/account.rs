//! The signed-in user's own account: profile (with email re-verification), password change,
//! and their sessions.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::password;
use super::registration::validate_email;
use super::service::{AuthContext, ClientInfo};
use super::store::{self, Session, User};
use super::types::{ChangePasswordRequest, UpdateProfileRequest};
use crate::audit::{self, AuditEvent};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn trimmed_or_none(value: String) -> Option<String> {
    let t = value.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Updates the caller's own profile fields (nothing else can be set this way).
pub async fn update_profile(
    state: &AppState,
    ctx: &AuthContext,
    req: UpdateProfileRequest,
) -> ApiResult<User> {
    let mut fields = BTreeMap::new();
    let mut user = ctx.user.clone().into_active_model();
    let mut email_changed = false;
    if let Some(email) = req.email.map(|e| e.trim().to_owned())
        && email.to_lowercase() != ctx.user.email_lower
    {
        if let Some(p) = validate_email(&email) {
            fields.insert("email".to_owned(), p.to_owned());
        } else if store::find_taken(&state.db.conn, "", &email.to_lowercase())
            .await?
            .1
        {
            fields.insert("email".to_owned(), "is already registered".to_owned());
        } else {
            super::recovery::check_verification_allowed(state, ctx.user.id, &email.to_lowercase())?;
            user.email_lower = Set(email.to_lowercase());
            user.email = Set(email);
            user.email_verified_at = Set(None);
            email_changed = true;
        }
    }
    if let Some(name) = req.display_name {
        if name.chars().count() > 64 {
            fields.insert(
                "display_name".to_owned(),
                "must be at most 64 characters".to_owned(),
            );
        } else if name.chars().any(char::is_control) {
            fields.insert(
                "display_name".to_owned(),
                "must not contain control characters".to_owned(),
            );
        }
        user.display_name = Set(trimmed_or_none(name));
    }
    if let Some(bio) = req.bio {
        if bio.chars().count() > 500 {
            fields.insert(
                "bio".to_owned(),
                "must be at most 500 characters".to_owned(),
            );
        } else if bio
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            fields.insert(
                "bio".to_owned(),
                "must not contain control characters other than line breaks and tabs".to_owned(),
            );
        }
        user.bio = Set(trimmed_or_none(bio));
    }
    if let Some(lang) = req.language {
        if !matches!(lang.as_str(), "en" | "zh-CN" | "") {
            fields.insert("language".to_owned(), "must be `en` or `zh-CN`".to_owned());
        }
        user.language = Set(trimmed_or_none(lang));
    }
    if let Some(tz) = req.timezone {
        let known = tz.is_empty() || tz.parse::<chrono_tz::Tz>().is_ok();
        if !known {
            fields.insert(
                "timezone".to_owned(),
                "must be an IANA time zone such as Asia/Shanghai".to_owned(),
            );
        }
        user.timezone = Set(trimmed_or_none(tz));
    }
    if !fields.is_empty() {
        let message = fields
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::Validation { message, fields });
    }
    user.updated_at = Set(Utc::now());
    let updated = store::update_user(&state.db.conn, user).await?;
    if email_changed {
        super::recovery::send_verification(state, &updated).await?;
    }
    Ok(updated)
}

/// Changes the caller's password and ends all their other sessions.
pub async fn change_password(
    state: &AppState,
    ctx: &AuthContext,
    req: ChangePasswordRequest,
    client: &ClientInfo,
) -> ApiResult<()> {
    if !password::verify(req.old_password, ctx.user.password_hash.clone()).await? {
        return Err(ApiError::field(
            "old_password",
            "is not your current password",
        ));
    }
    if let Some(p) = password::problem(&req.new_password, &ctx.user.username, &ctx.user.email) {
        return Err(ApiError::field("new_password", p));
    }
    let hash = password::hash(req.new_password).await?;
    let now = Utc::now();
    let txn = state.db.conn.begin().await?;
    let mut user = ctx.user.clone().into_active_model();
    user.password_hash = Set(Some(hash));
    user.updated_at = Set(now);
    store::update_user(&txn, user).await?;
    let ended = store::revoke_user_sessions(&txn, ctx.user.id, Some(ctx.session_id), now).await?;
    audit::record(
        &txn,
        AuditEvent::new(
            "auth.password_changed",
            Some(ctx.user.id),
            client.ip.clone(),
        )
        .target("user", ctx.user.id)
        .details(json!({ "other_sessions_ended": ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The caller's live sessions.
pub async fn list_sessions(state: &AppState, ctx: &AuthContext) -> ApiResult<Vec<Session>> {
    Ok(store::list_live_sessions(&state.db.conn, ctx.user.id, Utc::now()).await?)
}

/// Ends one of the caller's sessions; another user's session id is "not found".
pub async fn revoke_session(
    state: &AppState,
    ctx: &AuthContext,
    session_id: Uuid,
    client: &ClientInfo,
) -> ApiResult<()> {
    let db = &state.db.conn;
    if !store::revoke_session(db, ctx.user.id, session_id, Utc::now()).await? {
        return Err(ApiError::NotFound("no such session".to_owned()));
    }
    audit::record(
        db,
        AuditEvent::new("auth.session_revoked", Some(ctx.user.id), client.ip.clone())
            .target("session", session_id),
    )
    .await?;
    Ok(())
}
