//! Email verification and password reset by mail: single-use, expiring tokens stored as keyed
//! hashes. Requests for a reset always look the same, whether or not the account exists.

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::security_store::{self, UserToken};
use super::service::{AuthContext, ClientInfo};
use super::store::{self, User};
use super::throttle::Limit;
use super::{password, tokens};
use crate::audit::{self, AuditEvent};
use crate::error::{ApiError, ApiResult};
use crate::mail::templates::{self, Lang};
use crate::state::AppState;

const VERIFY: &str = "verify";
const RESET: &str = "reset";
const VERIFY_TTL_HOURS: i64 = 24;
const RESET_TTL_HOURS: i64 = 1;
/// Reset mails per address per hour; more requests still answer 202 but send nothing.
const RESET_MAILS: Limit = Limit {
    max_failures: 5,
    window: std::time::Duration::from_secs(3600),
};

async fn issue(state: &AppState, user: &User, purpose: &str, ttl: Duration) -> ApiResult<String> {
    let token = tokens::random_token();
    let now = Utc::now();
    security_store::insert_user_token(
        &state.db.conn,
        UserToken {
            token_hash: state.auth.keys.hash(&token),
            user_id: user.id,
            purpose: purpose.to_owned(),
            email: Some(user.email_lower.clone()),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
        },
    )
    .await?;
    Ok(token)
}

fn send_in_background(state: &AppState, mail: crate::mail::OutgoingMail) {
    let mailer = state.mailer.clone();
    state.tasks.spawn(async move {
        if let Err(err) = mailer.send(&mail).await {
            tracing::error!(error = %format!("{err:#}"), subject = %mail.subject, "could not send mail");
        }
    });
}

/// Verification mails per account per hour.
const VERIFY_MAILS_PER_USER: Limit = Limit {
    max_failures: 5,
    window: std::time::Duration::from_secs(3600),
};
/// Verification mails to one address per hour, whoever asks: an account cannot be used to
/// mail-bomb an address by setting it as its e-mail again and again.
const VERIFY_MAILS_PER_ADDRESS: Limit = Limit {
    max_failures: 3,
    window: std::time::Duration::from_secs(3600),
};

fn verify_keys(user_id: Uuid, email_lower: &str) -> Vec<(String, Limit)> {
    vec![
        (format!("verify-user:{user_id}"), VERIFY_MAILS_PER_USER),
        (format!("verify-to:{email_lower}"), VERIFY_MAILS_PER_ADDRESS),
    ]
}

/// Refuses (429) when `user_id` or `email_lower` had their verification mails for the hour.
pub fn check_verification_allowed(
    state: &AppState,
    user_id: Uuid,
    email_lower: &str,
) -> ApiResult<()> {
    match state
        .auth
        .throttle
        .blocked(&verify_keys(user_id, email_lower))
    {
        Some(retry_after_secs) => Err(ApiError::TooManyRequests {
            message: "too many verification mails for this account or address; try again later"
                .to_owned(),
            retry_after_secs,
        }),
        None => Ok(()),
    }
}

/// Mails the user a link that verifies their current address (429 past the hourly limits).
pub async fn send_verification(state: &AppState, user: &User) -> ApiResult<()> {
    check_verification_allowed(state, user.id, &user.email_lower)?;
    state
        .auth
        .throttle
        .record_failure(&verify_keys(user.id, &user.email_lower));
    let token = issue(state, user, VERIFY, Duration::hours(VERIFY_TTL_HOURS)).await?;
    let link = format!("{}/verify-email?token={token}", state.config.base_url());
    let lang = Lang::from_pref(user.language.as_deref());
    send_in_background(
        state,
        templates::verify_email(lang, &user.email, &user.username, &link),
    );
    Ok(())
}

/// The account of `email` when a mail about it may go out now: reset and registration-attempt
/// mails share one count of five an hour per address (`None` past it, or without an account).
async fn account_to_mail(state: &AppState, email: &str) -> ApiResult<Option<User>> {
    let key = vec![(
        format!("reset:{}", email.trim().to_lowercase()),
        RESET_MAILS,
    )];
    if state.auth.throttle.blocked(&key).is_some() {
        return Ok(None);
    }
    state.auth.throttle.record_failure(&key);
    Ok(store::get_user_by_login(&state.db.conn, email).await?)
}

/// Tells the owner of `email_lower` that someone tried to register with it (at most as often
/// as reset mails).
pub async fn mail_registration_attempt(state: &AppState, email_lower: &str) -> ApiResult<()> {
    let Some(owner) = account_to_mail(state, email_lower).await? else {
        return Ok(());
    };
    let link = format!("{}/reset-password", state.config.base_url());
    let lang = Lang::from_pref(owner.language.as_deref());
    send_in_background(
        state,
        templates::registration_attempt(lang, &owner.email, &owner.username, &link),
    );
    Ok(())
}

/// `POST /api/auth/send-verification`.
pub async fn resend_verification(state: &AppState, ctx: &AuthContext) -> ApiResult<()> {
    if ctx.user.email_verified_at.is_some() {
        return Err(ApiError::Conflict(
            "your email address is already verified".to_owned(),
        ));
    }
    send_verification(state, &ctx.user).await
}

async fn redeem(
    state: &AppState,
    token: &str,
    purpose: &str,
    invalid: &str,
) -> ApiResult<(UserToken, User)> {
    let bad = || ApiError::BadRequest(invalid.to_owned());
    let hash = state.auth.keys.hash(token);
    let stored = security_store::get_user_token(&state.db.conn, &hash, purpose)
        .await?
        .ok_or_else(bad)?;
    if stored.used_at.is_some() || stored.expires_at <= Utc::now() {
        return Err(bad());
    }
    let user = store::get_user(&state.db.conn, stored.user_id)
        .await?
        .ok_or_else(bad)?;
    // A token mailed to an old address does not verify a new one.
    if stored.email.as_deref() != Some(user.email_lower.as_str()) {
        return Err(bad());
    }
    Ok((stored, user))
}

/// `POST /api/auth/verify-email`: marks the address verified.
pub async fn verify_email(state: &AppState, token: &str, client: &ClientInfo) -> ApiResult<()> {
    let (_, user) = redeem(
        state,
        token,
        VERIFY,
        "the verification link is invalid or has expired",
    )
    .await?;
    let now = Utc::now();
    let txn = state.db.conn.begin().await?;
    security_store::use_user_tokens(&txn, user.id, VERIFY, now).await?;
    let mut active = user.clone().into_active_model();
    active.email_verified_at = Set(Some(now));
    active.updated_at = Set(now);
    store::update_user(&txn, active).await?;
    audit::record(
        &txn,
        AuditEvent::new("auth.email_verified", Some(user.id), client.ip.clone())
            .target("user", user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// `POST /api/auth/password/reset`: mails a reset link if the address belongs to an active
/// account. The answer and its timing do not depend on that.
pub async fn request_reset(state: &AppState, email: &str, client: &ClientInfo) -> ApiResult<()> {
    // A malformed address says nothing about accounts: it is refused so a typo shows.
    if let Some(p) = super::registration::validate_email(email.trim()) {
        return Err(ApiError::field("email", p));
    }
    let Some(user) = account_to_mail(state, email).await? else {
        return Ok(());
    };
    if !user.is_active || user.email_lower != email.trim().to_lowercase() {
        return Ok(());
    }
    mail_reset_link(state, &user).await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "auth.password_reset_requested",
            Some(user.id),
            client.ip.clone(),
        )
        .target("user", user.id),
    )
    .await?;
    Ok(())
}

/// Mails a password reset link (also used by admins).
pub async fn mail_reset_link(state: &AppState, user: &User) -> ApiResult<()> {
    let token = issue(state, user, RESET, Duration::hours(RESET_TTL_HOURS)).await?;
    let link = format!("{}/reset-password?token={token}", state.config.base_url());
    let lang = Lang::from_pref(user.language.as_deref());
    send_in_background(
        state,
        templates::reset_password(lang, &user.email, &user.username, &link),
    );
    Ok(())
}

/// `POST /api/auth/password/reset/confirm`: sets the new password, ends every session, uses up
/// every outstanding reset link, and (the mailbox being proven) verifies the address.
pub async fn confirm_reset(
    state: &AppState,
    token: &str,
    new_password: String,
    client: &ClientInfo,
) -> ApiResult<()> {
    let (_, user) = redeem(
        state,
        token,
        RESET,
        "the reset link is invalid, used or expired",
    )
    .await?;
    if let Some(p) = password::problem(&new_password, &user.username, &user.email) {
        return Err(ApiError::field("new_password", p));
    }
    let hash = password::hash(new_password).await?;
    let now = Utc::now();
    let txn = state.db.conn.begin().await?;
    if security_store::use_user_tokens(&txn, user.id, RESET, now).await? == 0 {
        return Err(ApiError::BadRequest(
            "the reset link is invalid, used or expired".to_owned(),
        ));
    }
    let mut active = user.clone().into_active_model();
    active.password_hash = Set(Some(hash));
    if user.email_verified_at.is_none() {
        active.email_verified_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    store::update_user(&txn, active).await?;
    let ended = store::revoke_user_sessions(&txn, user.id, None, now).await?;
    audit::record(
        &txn,
        AuditEvent::new("auth.password_reset", Some(user.id), client.ip.clone())
            .target("user", user.id)
            .details(json!({ "sessions_ended": ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Admin action: mail the user a reset link.
pub async fn admin_reset(
    state: &AppState,
    admin: &AuthContext,
    user_id: Uuid,
    client: &ClientInfo,
) -> ApiResult<()> {
    let user = store::get_user(&state.db.conn, user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such user".to_owned()))?;
    mail_reset_link(state, &user).await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.password_reset_sent",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .target("user", user.id),
    )
    .await?;
    Ok(())
}
