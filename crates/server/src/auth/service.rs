//! Sessions: login with throttling (and the second factor), rotating refresh tokens (reuse
//! revokes the family), cookie sessions, logout, and resolving a request's credentials. Every
//! request re-reads its session and user, so logout, password changes, disabling and role
//! changes act on the very next request.

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::store::{self, Session, User};
use super::throttle::{self, Limit};
use super::tokens::{self, ACCESS_TOKEN_TTL_SECS, SESSION_TTL_DAYS};
use super::types::{LoginRequest, TokenResponse, UserResponse};
use super::{AuthState, password};
use crate::audit::{self, AuditEvent};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The message for every failed login, whatever the reason, so accounts cannot be probed.
const BAD_LOGIN: &str = "invalid username or password";

/// Who is calling, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP.
    pub ip: Option<String>,
    /// User-Agent header (truncated).
    pub user_agent: Option<String>,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    /// `Authorization: Bearer <access token>`.
    Bearer,
    /// The web UI's session cookie.
    Cookie,
}

/// An authenticated caller: the current user row and their session.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// The user, as stored now.
    pub user: User,
    /// The session the request belongs to.
    pub session_id: Uuid,
    /// How it authenticated.
    pub via: AuthVia,
}

impl AuthContext {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.user.role == "admin"
    }

    /// Whether the caller may manage `what`: an admin, or a user given that permission.
    pub fn may(&self, what: super::permissions::Permission) -> bool {
        self.is_admin() || super::permissions::of(&self.user).any(|p| p == what)
    }
}

/// What a successful login produced.
pub enum LoginOutcome {
    /// Bearer + refresh tokens.
    Tokens(TokenResponse),
    /// The password was right; a TOTP or recovery code must follow.
    TwoFactorRequired {
        /// Token for `POST /api/auth/login/2fa`.
        challenge_token: String,
    },
    /// A cookie session: the cookie value and its CSRF token.
    Cookie {
        /// Value of the HttpOnly session cookie.
        cookie: String,
        /// CSRF token for the session.
        csrf_token: String,
        /// The user.
        user: User,
    },
}

/// The throttle keys of a login attempt: the account (by id when it exists, so that its
/// username and e-mail share one count; by the spelling given when it does not) together with
/// the client's address, and the address alone. Failures from one address never lock the
/// account for another: the owner, or the last admin, can still log in from elsewhere.
fn throttle_keys(account: &str, client: &ClientInfo) -> Vec<(String, Limit)> {
    let ip = client.ip.as_deref().unwrap_or("unknown");
    vec![
        (throttle::account_key(account, ip), throttle::PER_ACCOUNT),
        (throttle::ip_key(ip), throttle::PER_IP),
    ]
}

/// The account part of a throttle key: the user's id, or the login as typed.
fn account_of(user: Option<&User>, login: &str) -> String {
    match user {
        Some(u) => u.id.to_string(),
        None => format!("login:{}", login.trim().to_lowercase()),
    }
}

/// Checks credentials (throttled per account and IP) and opens a session.
pub async fn login(
    state: &AppState,
    req: LoginRequest,
    client: &ClientInfo,
) -> ApiResult<LoginOutcome> {
    let auth = &state.auth;
    let db = &state.db.conn;
    let user = store::get_user_by_login(db, &req.username).await?;
    let keys = throttle_keys(&account_of(user.as_ref(), &req.username), client);
    if let Some(retry_after_secs) = auth.throttle.blocked(&keys) {
        return Err(ApiError::TooManyRequests {
            message: "too many failed logins; try again later".to_owned(),
            retry_after_secs,
        });
    }
    let ok = password::verify(
        req.password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await?;
    let user = match user {
        Some(u) if ok && u.is_active => u,
        other => {
            auth.throttle.record_failure(&keys);
            audit::record(
                db,
                AuditEvent::new("auth.login_failed", other.as_ref().map(|u| u.id), client.ip.clone())
                    .details(json!({
                        "login": req.username.chars().take(64).collect::<String>(),
                        "reason": match other { None => "unknown account", Some(ref u) if !u.is_active && ok => "account disabled", Some(_) => "wrong password" },
                    })),
            )
            .await?;
            return Err(ApiError::Unauthorized(BAD_LOGIN.to_owned()));
        }
    };
    if let Some((account, _)) = keys.first() {
        auth.throttle.clear(account);
    }
    if user.totp_enabled_at.is_some() {
        return Ok(LoginOutcome::TwoFactorRequired {
            challenge_token: super::challenge::issue(state, &user).await?,
        });
    }
    open_session(state, user, req.use_cookie, client).await
}

/// Second login step: a valid challenge plus a TOTP or recovery code (throttled like
/// passwords) opens the session. A challenge works once: the step that succeeds consumes
/// it (of two concurrent ones, one), and so does reaching the failure limit.
pub async fn login_second_step(
    state: &AppState,
    challenge_token: &str,
    code: &str,
    use_cookie: bool,
    client: &ClientInfo,
) -> ApiResult<LoginOutcome> {
    let auth = &state.auth;
    let expired = || {
        ApiError::Unauthorized(
            "the login challenge is invalid or has expired; log in again".to_owned(),
        )
    };
    let claims = auth
        .keys
        .verify_challenge(challenge_token)
        .ok_or_else(expired)?;
    let user = store::get_user(&state.db.conn, claims.sub)
        .await?
        .ok_or_else(expired)?;
    if !user.is_active
        || user.totp_enabled_at.is_none()
        || !super::challenge::is_open(state, &claims.jti).await?
    {
        return Err(expired());
    }
    let keys = throttle_keys(&account_of(Some(&user), ""), client);
    if let Some(retry_after_secs) = auth.throttle.blocked(&keys) {
        super::challenge::consume(state, &claims.jti).await?;
        return Err(ApiError::TooManyRequests {
            message: "too many failed logins; try again later".to_owned(),
            retry_after_secs,
        });
    }
    if !super::two_factor::check_code(state, &user, code).await? {
        auth.throttle.record_failure(&keys);
        if auth.throttle.blocked(&keys).is_some() {
            super::challenge::consume(state, &claims.jti).await?;
        }
        audit::record(
            &state.db.conn,
            AuditEvent::new("auth.login_failed", Some(user.id), client.ip.clone())
                .details(json!({ "reason": "wrong two-factor code" })),
        )
        .await?;
        return Err(ApiError::Unauthorized("invalid two-factor code".to_owned()));
    }
    if !super::challenge::consume(state, &claims.jti).await? {
        return Err(expired());
    }
    if let Some((account, _)) = keys.first() {
        auth.throttle.clear(account);
    }
    open_session(state, user, use_cookie, client).await
}

/// Opens a session for a user whose credentials were checked.
pub async fn open_session(
    state: &AppState,
    user: User,
    use_cookie: bool,
    client: &ClientInfo,
) -> ApiResult<LoginOutcome> {
    let auth = &state.auth;
    let db = &state.db.conn;
    let now = Utc::now();
    let kind = if use_cookie { "cookie" } else { "token" };
    let cookie = use_cookie.then(tokens::random_token);
    let session = Session {
        id: Uuid::now_v7(),
        user_id: user.id,
        kind: kind.to_owned(),
        cookie_hash: cookie.as_deref().map(|c| auth.keys.hash(c)),
        user_agent: client.user_agent.clone(),
        ip: client.ip.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::days(SESSION_TTL_DAYS),
        revoked_at: None,
    };
    let txn = db.begin().await?;
    let session = store::insert_session(&txn, session).await?;
    let mut active = user.clone().into_active_model();
    active.last_login_at = Set(Some(now));
    let user = store::update_user(&txn, active).await?;
    audit::record(
        &txn,
        AuditEvent::new("auth.login", Some(user.id), client.ip.clone())
            .target("session", session.id)
            .details(json!({ "kind": kind })),
    )
    .await?;
    let outcome = match cookie {
        Some(cookie) => LoginOutcome::Cookie {
            cookie,
            csrf_token: auth.keys.csrf_token(session.id),
            user,
        },
        None => LoginOutcome::Tokens(issue_tokens(&txn, auth, &user, session.id).await?),
    };
    txn.commit().await?;
    Ok(outcome)
}

async fn issue_tokens(
    db: &impl ConnectionTrait,
    auth: &AuthState,
    user: &User,
    session_id: Uuid,
) -> ApiResult<TokenResponse> {
    let now = Utc::now();
    let refresh = tokens::random_token();
    store::insert_refresh_token(db, auth.keys.hash(&refresh), session_id, now).await?;
    Ok(TokenResponse {
        access_token: auth.keys.issue_access(user.id, session_id, now)?,
        refresh_token: refresh,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TOKEN_TTL_SECS,
        user: UserResponse::from(user),
    })
}

/// Exchanges a refresh token for new tokens. A token used twice means it leaked: the whole
/// session (every token descended from the same login) is revoked.
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    client: &ClientInfo,
) -> ApiResult<TokenResponse> {
    let auth = &state.auth;
    let db = &state.db.conn;
    let invalid = || ApiError::Unauthorized("invalid or expired refresh token".to_owned());
    let hash = auth.keys.hash(refresh_token);
    let token = store::get_refresh_token(db, &hash)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    let session = store::get_session(db, token.session_id)
        .await?
        .ok_or_else(invalid)?;
    if token.used_at.is_some() || !store::mark_refresh_token_used(db, &hash, now).await? {
        if session.revoked_at.is_none() {
            store::revoke_session(db, session.user_id, session.id, now).await?;
            audit::record(
                db,
                AuditEvent::new(
                    "auth.refresh_reuse",
                    Some(session.user_id),
                    client.ip.clone(),
                )
                .target("session", session.id),
            )
            .await?;
        }
        return Err(invalid());
    }
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(invalid());
    }
    let user = store::get_user(db, session.user_id)
        .await?
        .ok_or_else(invalid)?;
    if !user.is_active {
        return Err(invalid());
    }
    let txn = db.begin().await?;
    store::touch_session(&txn, session.id, now).await?;
    let tokens = issue_tokens(&txn, auth, &user, session.id).await?;
    txn.commit().await?;
    Ok(tokens)
}

/// Resolves a bearer access token to a live session and active user.
pub async fn authenticate_bearer(state: &AppState, token: &str) -> ApiResult<AuthContext> {
    let claims = state
        .auth
        .keys
        .verify_access(token)
        .ok_or_else(|| ApiError::Unauthorized("invalid or expired access token".to_owned()))?;
    let ctx = load_context(state, claims.sid, AuthVia::Bearer).await?;
    if ctx.user.id != claims.sub {
        return Err(ApiError::Unauthorized(
            "invalid or expired access token".to_owned(),
        ));
    }
    Ok(ctx)
}

/// Resolves a session cookie to a live session and active user.
pub async fn authenticate_cookie(state: &AppState, cookie: &str) -> ApiResult<AuthContext> {
    let hash = state.auth.keys.hash(cookie);
    let session = store::get_session_by_cookie(&state.db.conn, &hash)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("your session has ended; log in again".to_owned()))?;
    load_context(state, session.id, AuthVia::Cookie).await
}

async fn load_context(state: &AppState, session_id: Uuid, via: AuthVia) -> ApiResult<AuthContext> {
    let db = &state.db.conn;
    let ended = || ApiError::Unauthorized("your session has ended; log in again".to_owned());
    let session = store::get_session(db, session_id)
        .await?
        .ok_or_else(ended)?;
    let now = Utc::now();
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(ended());
    }
    let user = store::get_user(db, session.user_id)
        .await?
        .ok_or_else(ended)?;
    if !user.is_active {
        return Err(ApiError::Unauthorized(
            "this account is disabled".to_owned(),
        ));
    }
    if now - session.last_seen_at > Duration::seconds(60) {
        store::touch_session(db, session.id, now).await?;
    }
    Ok(AuthContext {
        user,
        session_id: session.id,
        via,
    })
}

/// Ends the caller's session: its access tokens, refresh tokens and cookie stop working now.
pub async fn logout(state: &AppState, ctx: &AuthContext, client: &ClientInfo) -> ApiResult<()> {
    let db = &state.db.conn;
    store::revoke_session(db, ctx.user.id, ctx.session_id, Utc::now()).await?;
    audit::record(
        db,
        AuditEvent::new("auth.logout", Some(ctx.user.id), client.ip.clone())
            .target("session", ctx.session_id),
    )
    .await?;
    Ok(())
}
