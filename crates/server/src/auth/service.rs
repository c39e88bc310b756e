//! Account rules: registration, first-admin bootstrap, login with throttling, sessions with
//! rotating refresh tokens (reuse revokes the family), cookie sessions, profile and password
//! changes. Every request re-reads its session and user, so logout, password changes,
//! disabling and role changes act on the very next request.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::store::{self, Session, User};
use super::throttle::{self, Limit};
use super::tokens::{self, ACCESS_TOKEN_TTL_SECS, SESSION_TTL_DAYS};
use super::types::{
    ChangePasswordRequest, LoginRequest, RegisterRequest, TokenResponse, UpdateProfileRequest,
    UserResponse,
};
use super::{AuthState, password};
use crate::audit::{self, AuditEvent};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::system::store as settings;

/// Settings key: hash of the one-time setup token, present while no admin exists.
pub const SETUP_TOKEN_HASH: &str = "setup_token_hash";
/// Settings key: written in the transaction that creates the first admin; its primary key
/// makes exactly one of many concurrent bootstrap attempts win.
pub const ADMIN_BOOTSTRAPPED: &str = "admin_bootstrapped";
/// Settings key: `open` (default) or `closed`.
pub const REGISTRATION_MODE: &str = "registration_mode";

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
}

/// Validated, normalised registration input.
struct NewAccount {
    username: String,
    email: String,
    password: String,
}

fn validate_username(username: &str) -> Option<&'static str> {
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        return Some("must be 3 to 32 characters");
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Some("may contain only letters, digits, `_`, `-` and `.`");
    }
    None
}

/// A deliberately plain check: one `@`, a non-empty local part, a dotted domain, no spaces.
fn validate_email(email: &str) -> Option<&'static str> {
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    (!valid).then_some("is not a valid email address")
}

async fn validate_new_account(
    db: &impl ConnectionTrait,
    username: &str,
    email: &str,
    password: &str,
) -> ApiResult<NewAccount> {
    let username = username.trim().to_owned();
    let email = email.trim().to_owned();
    let mut fields = BTreeMap::new();
    if let Some(p) = validate_username(&username) {
        fields.insert("username".to_owned(), p.to_owned());
    }
    if let Some(p) = validate_email(&email) {
        fields.insert("email".to_owned(), p.to_owned());
    }
    if let Some(p) = password::problem(password, &username, &email) {
        fields.insert("password".to_owned(), p);
    }
    if !fields.contains_key("username") || !fields.contains_key("email") {
        let (name_taken, email_taken) =
            store::find_taken(db, &username.to_lowercase(), &email.to_lowercase()).await?;
        if name_taken && !fields.contains_key("username") {
            fields.insert("username".to_owned(), "is already taken".to_owned());
        }
        if email_taken && !fields.contains_key("email") {
            fields.insert("email".to_owned(), "is already registered".to_owned());
        }
    }
    if !fields.is_empty() {
        let message = fields
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::Validation { message, fields });
    }
    Ok(NewAccount {
        username,
        email,
        password: password.to_owned(),
    })
}

async fn new_user(account: NewAccount, role: &str) -> anyhow::Result<User> {
    let now = Utc::now();
    Ok(User {
        id: Uuid::now_v7(),
        username_lower: account.username.to_lowercase(),
        username: account.username,
        email_lower: account.email.to_lowercase(),
        email: account.email,
        email_verified_at: None,
        password_hash: Some(password::hash(account.password).await?),
        role: role.to_owned(),
        is_active: true,
        display_name: None,
        bio: None,
        language: None,
        timezone: None,
        created_at: now,
        updated_at: now,
        last_login_at: None,
        avatar_file: None,
        totp_secret_enc: None,
        totp_enabled_at: None,
        totp_last_step: None,
    })
}

/// Registers a user (never an admin) when registration is open.
pub async fn register(
    state: &AppState,
    req: RegisterRequest,
    client: &ClientInfo,
) -> ApiResult<User> {
    let db = &state.db.conn;
    let mode = settings::get_setting(db, REGISTRATION_MODE).await?;
    if mode
        .as_ref()
        .and_then(|v| v.as_str())
        .is_some_and(|m| m != "open")
    {
        return Err(ApiError::Forbidden(
            "registration is closed on this server".to_owned(),
        ));
    }
    let account = validate_new_account(db, &req.username, &req.email, &req.password).await?;
    let user = store::insert_user(db, new_user(account, "user").await?).await?;
    super::recovery::send_verification(state, &user).await?;
    audit::record(
        db,
        AuditEvent::new("user.registered", Some(user.id), client.ip.clone())
            .target("user", user.id),
    )
    .await?;
    Ok(user)
}

/// Creates the first admin, once. Of many concurrent attempts exactly one succeeds; the others
/// get 409. With `setup_token`, the token printed at start must match (web setup); without,
/// the caller is trusted (the `create-admin` command run by the operator).
pub async fn bootstrap_admin(
    state_db: &sea_orm::DatabaseConnection,
    keys: &tokens::TokenKeys,
    setup_token: Option<&str>,
    username: &str,
    email: &str,
    password: &str,
) -> ApiResult<User> {
    if let Some(token) = setup_token {
        let stored = settings::get_setting(state_db, SETUP_TOKEN_HASH).await?;
        let expected = stored.as_ref().and_then(|v| v.as_str()).unwrap_or_default();
        if expected.is_empty() || !tokens::constant_time_eq(expected, &keys.hash(token)) {
            return Err(ApiError::Forbidden(
                "the setup token is invalid or has been used".to_owned(),
            ));
        }
    }
    let account = validate_new_account(state_db, username, email, password).await?;
    let user = new_user(account, "admin").await?;
    let txn = state_db.begin().await?;
    let claimed =
        settings::insert_setting_strict(&txn, ADMIN_BOOTSTRAPPED, json!(user.id.to_string())).await;
    match claimed {
        Ok(()) => {}
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(ApiError::Conflict(
                "an admin account already exists".to_owned(),
            ));
        }
        Err(err) => return Err(err.into()),
    }
    let user = store::insert_user(&txn, user).await?;
    settings::delete_setting(&txn, SETUP_TOKEN_HASH).await?;
    audit::record(
        &txn,
        AuditEvent::new("admin.bootstrapped", Some(user.id), None).target("user", user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// At start: while no active admin exists, issue a fresh one-time setup token (its hash is
/// stored) and return it so it can be printed. Returns `None` once an admin exists.
pub async fn prepare_setup_token(
    db: &sea_orm::DatabaseConnection,
    keys: &tokens::TokenKeys,
) -> anyhow::Result<Option<String>> {
    if store::count_active_admins(db).await? > 0 {
        settings::delete_setting(db, SETUP_TOKEN_HASH).await?;
        return Ok(None);
    }
    // The last admin was deleted or disabled: allow a new bootstrap.
    settings::delete_setting(db, ADMIN_BOOTSTRAPPED).await?;
    let token = tokens::random_token();
    settings::put_setting(db, SETUP_TOKEN_HASH, json!(keys.hash(&token))).await?;
    Ok(Some(token))
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

fn throttle_keys(login: &str, client: &ClientInfo) -> Vec<(String, Limit)> {
    let mut keys = vec![(
        format!("account:{}", login.trim().to_lowercase()),
        throttle::PER_ACCOUNT,
    )];
    if let Some(ip) = &client.ip {
        keys.push((format!("ip:{ip}"), throttle::PER_IP));
    }
    keys
}

/// Checks credentials (throttled per account and IP) and opens a session.
pub async fn login(
    state: &AppState,
    req: LoginRequest,
    client: &ClientInfo,
) -> ApiResult<LoginOutcome> {
    let auth = &state.auth;
    let db = &state.db.conn;
    let keys = throttle_keys(&req.username, client);
    if let Some(retry_after_secs) = auth.throttle.blocked(&keys) {
        return Err(ApiError::TooManyRequests {
            message: "too many failed logins; try again later".to_owned(),
            retry_after_secs,
        });
    }
    let user = store::get_user_by_login(db, &req.username).await?;
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
    auth.throttle.clear(&keys[0].0);
    if user.totp_enabled_at.is_some() {
        return Ok(LoginOutcome::TwoFactorRequired {
            challenge_token: auth.keys.issue_challenge(user.id, Utc::now())?,
        });
    }
    open_session(state, user, req.use_cookie, client).await
}

/// Second login step: a valid challenge plus a TOTP or recovery code (throttled like
/// passwords) opens the session.
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
    if !user.is_active || user.totp_enabled_at.is_none() {
        return Err(expired());
    }
    let keys = throttle_keys(&user.username_lower, client);
    if let Some(retry_after_secs) = auth.throttle.blocked(&keys) {
        return Err(ApiError::TooManyRequests {
            message: "too many failed logins; try again later".to_owned(),
            retry_after_secs,
        });
    }
    if !super::two_factor::check_code(state, &user, code).await? {
        auth.throttle.record_failure(&keys);
        audit::record(
            &state.db.conn,
            AuditEvent::new("auth.login_failed", Some(user.id), client.ip.clone())
                .details(json!({ "reason": "wrong two-factor code" })),
        )
        .await?;
        return Err(ApiError::Unauthorized("invalid two-factor code".to_owned()));
    }
    auth.throttle.clear(&keys[0].0);
    open_session(state, user, use_cookie, client).await
}

/// Opens a session for a user whose credentials were checked.
async fn open_session(
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
        }
        user.display_name = Set(trimmed_or_none(name));
    }
    if let Some(bio) = req.bio {
        if bio.chars().count() > 500 {
            fields.insert(
                "bio".to_owned(),
                "must be at most 500 characters".to_owned(),
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
        let plausible = tz.is_empty()
            || (tz.len() <= 64
                && tz
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+')));
        if !plausible {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(validate_username("bob").is_none());
        assert!(validate_username("a.b-c_d9").is_none());
        assert!(validate_username("ab").is_some());
        assert!(validate_username(&"a".repeat(33)).is_some());
        assert!(validate_username("bob smith").is_some());
        assert!(validate_username("böb").is_some());
    }

    #[test]
    fn emails() {
        assert!(validate_email("bob@example.com").is_none());
        assert!(validate_email("bob.smith+tag@mail.example.cn").is_none());
        for bad in [
            "bob",
            "bob@",
            "@example.com",
            "bob@example",
            "bob@@example.com",
            "bob @x.io",
            "b@x..io",
        ] {
            assert!(validate_email(bad).is_some(), "{bad}");
        }
    }
}
