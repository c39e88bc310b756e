//! Two-factor login challenges: a signed token (`typ=2fa`) whose id is stored, so that the
//! second step works once.

use chrono::{Duration, Utc};

use super::security_store;
use super::store::User;
use super::tokens;
use crate::error::ApiResult;
use crate::state::AppState;

const CHALLENGE: &str = "2fa_challenge";

/// A challenge for the second step, its id stored so that it works once.
pub async fn issue(state: &AppState, user: &User) -> ApiResult<String> {
    let now = Utc::now();
    let jti = tokens::random_token();
    let db = &state.db.conn;
    security_store::delete_expired_user_tokens(db, user.id, CHALLENGE, now).await?;
    security_store::insert_user_token(
        db,
        security_store::UserToken {
            token_hash: state.auth.keys.hash(&jti),
            user_id: user.id,
            purpose: CHALLENGE.to_owned(),
            email: None,
            created_at: now,
            expires_at: now + Duration::seconds(tokens::CHALLENGE_TTL_SECS),
            used_at: None,
        },
    )
    .await?;
    Ok(state.auth.keys.issue_challenge(user.id, &jti, now)?)
}

/// Uses a challenge up; `false` when it was used or has expired.
pub async fn consume(state: &AppState, jti: &str) -> ApiResult<bool> {
    let hash = state.auth.keys.hash(jti);
    Ok(security_store::consume_user_token(&state.db.conn, &hash, CHALLENGE, Utc::now()).await?)
}

/// Whether a challenge is still unused and unexpired (checked before a code is spent on it).
pub async fn is_open(state: &AppState, jti: &str) -> ApiResult<bool> {
    let hash = state.auth.keys.hash(jti);
    let stored = security_store::get_user_token(&state.db.conn, &hash, CHALLENGE).await?;
    Ok(stored.is_some_and(|t| t.used_at.is_none() && t.expires_at > Utc::now()))
}
