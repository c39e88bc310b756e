//! Creating accounts: registration (validated, unique regardless of case, never an admin) and
//! the first-admin bootstrap, by one-time setup token or the `create-admin` command.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::service::ClientInfo;
use super::store::{self, User};
use super::types::RegisterRequest;
use super::{invite_store, password, tokens};
use crate::audit::{self, AuditEvent};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::system::store as settings;

/// Settings key: hash of the one-time setup token, present while no admin exists.
pub const SETUP_TOKEN_HASH: &str = "setup_token_hash";
/// Settings key: written in the transaction that creates the first admin; its primary key
/// makes exactly one of many concurrent bootstrap attempts win.
pub const ADMIN_BOOTSTRAPPED: &str = "admin_bootstrapped";
/// Settings key: `open` (default), `invite_only` or `closed`.
pub const REGISTRATION_MODE: &str = "registration_mode";

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

/// A plain address `local@domain`: the local part of letters, digits and RFC 5322's atom
/// symbols with single dots between them (no quotes, comments or spaces), the domain of at
/// least two labels of letters, digits and inner hyphens (internationalised letters too), the
/// last one not all digits. Nothing a mail header could read as a second address or a field.
pub fn validate_email(email: &str) -> Option<&'static str> {
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| valid_local_part(local) && valid_domain(domain));
    (!valid).then_some("is not a valid email address")
}

fn valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        })
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

async fn validate_new_account(
    db: &impl ConnectionTrait,
    username: &str,
    email: &str,
    password: &str,
) -> ApiResult<Checked> {
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
        // A taken address is not reported (that would tell anyone which addresses have an
        // account): when everything else is valid the caller gets the usual answer and the
        // address's owner a mail.
        if email_taken && fields.is_empty() {
            return Ok(Checked::EmailTaken(NewAccount {
                username,
                email,
                password: password.to_owned(),
            }));
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
    Ok(Checked::New(NewAccount {
        username,
        email,
        password: password.to_owned(),
    }))
}

/// What the checks of a new account found.
enum Checked {
    /// All fields valid and free.
    New(NewAccount),
    /// All fields valid, but the address already has an account.
    EmailTaken(NewAccount),
}

/// A fresh user row; everything not given starts empty.
fn user_row(
    username: &str,
    email: &str,
    password_hash: Option<String>,
    verified: bool,
    role: &str,
) -> User {
    let now = Utc::now();
    User {
        id: Uuid::now_v7(),
        username: username.to_owned(),
        username_lower: username.to_lowercase(),
        email: email.to_owned(),
        email_lower: email.to_lowercase(),
        email_verified_at: verified.then_some(now),
        password_hash,
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
        permissions: String::new(),
    }
}

async fn new_user(account: NewAccount, role: &str) -> anyhow::Result<User> {
    let hash = password::hash(account.password).await?;
    Ok(user_row(
        &account.username,
        &account.email,
        Some(hash),
        false,
        role,
    ))
}

/// A new account for an identity from an external provider: no password, the provider's
/// verified email.
pub fn external_user(username: &str, email: &str) -> User {
    user_row(username, email, None, true, "user")
}

/// The registration mode (`open` unless an admin changed it).
pub async fn registration_mode(db: &impl ConnectionTrait) -> ApiResult<String> {
    let mode = settings::get_setting(db, REGISTRATION_MODE).await?;
    Ok(mode
        .as_ref()
        .and_then(|v| v.as_str())
        .unwrap_or("open")
        .to_owned())
}

/// Registers a user (never an admin): freely when registration is open, with a valid
/// invitation when it is invite-only, not at all when it is closed.
pub async fn register(
    state: &AppState,
    req: RegisterRequest,
    client: &ClientInfo,
) -> ApiResult<User> {
    let db = &state.db.conn;
    let mode = registration_mode(db).await?;
    let invite = match mode.as_str() {
        "open" => None,
        "invite_only" => {
            let code = req
                .invite_code
                .as_deref()
                .map(str::trim)
                .unwrap_or_default();
            if code.is_empty() {
                return Err(ApiError::field(
                    "invite_code",
                    "is required: registration here is by invitation",
                ));
            }
            let invite = invite_store::get_invite_by_hash(db, &state.auth.keys.hash(code))
                .await?
                .filter(|i| i.used_at.is_none() && i.expires_at > Utc::now())
                .filter(|i| {
                    i.email
                        .as_deref()
                        .is_none_or(|e| e == req.email.trim().to_lowercase())
                })
                .ok_or_else(|| ApiError::field("invite_code", "is invalid, used or expired"))?;
            Some(invite)
        }
        _ => {
            return Err(ApiError::Forbidden(
                "registration is closed on this server".to_owned(),
            ));
        }
    };
    let account = match validate_new_account(db, &req.username, &req.email, &req.password).await? {
        Checked::New(account) => account,
        Checked::EmailTaken(account) => {
            // The same answer (and the same password-hashing time) as a new account.
            let shown = new_user(account, "user").await?;
            super::recovery::mail_registration_attempt(state, &shown.email_lower).await?;
            return Ok(shown);
        }
    };
    let user = new_user(account, "user").await?;
    let txn = db.begin().await?;
    let user = store::insert_user(&txn, user).await?;
    if let Some(invite) = &invite
        && !invite_store::use_invite(&txn, invite.id, user.id, Utc::now()).await?
    {
        return Err(ApiError::field(
            "invite_code",
            "is invalid, used or expired",
        ));
    }
    audit::record(
        &txn,
        AuditEvent::new("user.registered", Some(user.id), client.ip.clone())
            .target("user", user.id)
            .details(json!({ "invite": invite.as_ref().map(|i| i.id) })),
    )
    .await?;
    txn.commit().await?;
    super::recovery::send_verification(state, &user).await?;
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
    let account = match validate_new_account(state_db, username, email, password).await? {
        Checked::New(account) => account,
        // The operator setting up the server may be told.
        Checked::EmailTaken(_) => return Err(ApiError::field("email", "is already registered")),
    };
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
            "a@-x.com",
            "a..b@x.com",
            ".a@x.com",
            "\"a b\"@x.com",
            "a@x.com,b@y.com",
            "a@x.com\r\nBcc: c@y.com",
            "<a@x.com>",
            "a@[127.0.0.1]",
            "a@1.2.3.4",
            "a(comment)@x.com",
        ] {
            assert!(validate_email(bad).is_some(), "{bad}");
        }
        for ok in ["o'neil@x.io", "用户@例子.中国"] {
            assert!(validate_email(ok).is_none(), "{ok}");
        }
    }
}
