//! Admin control of registration: the mode (open / invite-only / closed) and invitations.

use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::types::{CreateInviteRequest, InviteResponse, RegistrationSettings};
use crate::audit::{self, AuditEvent};
use crate::auth::invite_store::{self, Invite};
use crate::auth::registration::{REGISTRATION_MODE, registration_mode};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::auth::tokens;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::system::store as settings;

const MODES: &[&str] = &["open", "invite_only", "closed"];

/// Current registration settings.
pub async fn get_settings(state: &AppState) -> ApiResult<RegistrationSettings> {
    Ok(RegistrationSettings {
        registration_mode: registration_mode(&state.db.conn).await?,
    })
}

/// Changes the registration mode.
pub async fn put_settings(
    state: &AppState,
    admin: &AuthContext,
    req: RegistrationSettings,
    client: &ClientInfo,
) -> ApiResult<RegistrationSettings> {
    if !MODES.contains(&req.registration_mode.as_str()) {
        return Err(ApiError::field(
            "registration_mode",
            "must be open, invite_only or closed",
        ));
    }
    let before = registration_mode(&state.db.conn).await?;
    settings::put_setting(
        &state.db.conn,
        REGISTRATION_MODE,
        json!(req.registration_mode),
    )
    .await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.registration_mode_changed",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .details(json!({ "from": before, "to": req.registration_mode })),
    )
    .await?;
    get_settings(state).await
}

fn view(invite: &Invite, code: Option<String>) -> InviteResponse {
    InviteResponse {
        id: invite.id,
        code,
        email: invite.email.clone(),
        created_at: invite.created_at,
        expires_at: invite.expires_at,
        used_at: invite.used_at,
        used_by: invite.used_by,
    }
}

/// Makes an invitation; its code is returned once.
pub async fn create_invite(
    state: &AppState,
    admin: &AuthContext,
    req: CreateInviteRequest,
    client: &ClientInfo,
) -> ApiResult<InviteResponse> {
    let days = req.expires_in_days.unwrap_or(7);
    if !(1..=90).contains(&days) {
        return Err(ApiError::field("expires_in_days", "must be 1 to 90"));
    }
    // No address (absent or null): anyone may use the invitation.
    let email = req.email.map(|e| e.trim().to_lowercase());
    if let Some(e) = &email
        && crate::auth::registration::validate_email(e).is_some()
    {
        return Err(ApiError::field(
            "email",
            "is not a valid email address (leave it out for an invitation anyone may use)",
        ));
    }
    let code = tokens::random_token();
    let now = Utc::now();
    let invite = invite_store::insert_invite(
        &state.db.conn,
        Invite {
            id: Uuid::now_v7(),
            code_hash: state.auth.keys.hash(&code),
            email,
            created_by: Some(admin.user.id),
            created_at: now,
            expires_at: now + Duration::days(days),
            used_at: None,
            used_by: None,
        },
    )
    .await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.invite_created",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .target("invite", invite.id),
    )
    .await?;
    Ok(view(&invite, Some(code)))
}

/// The latest invitations (codes are never shown again).
pub async fn list_invites(state: &AppState) -> ApiResult<Vec<InviteResponse>> {
    let invites = invite_store::list_invites(&state.db.conn, 500).await?;
    Ok(invites.iter().map(|i| view(i, None)).collect())
}

/// Withdraws an unused invitation.
pub async fn delete_invite(
    state: &AppState,
    admin: &AuthContext,
    id: Uuid,
    client: &ClientInfo,
) -> ApiResult<()> {
    if !invite_store::delete_invite(&state.db.conn, id).await? {
        return Err(ApiError::NotFound("no such unused invitation".to_owned()));
    }
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.invite_deleted",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .target("invite", id),
    )
    .await?;
    Ok(())
}
