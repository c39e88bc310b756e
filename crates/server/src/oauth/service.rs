//! Sign-in with OAuth2 / OpenID Connect: admins configure providers (generic OIDC by discovery,
//! Google and GitHub presets); users sign in or link an identity through the authorization-code
//! flow with state, nonce and PKCE kept in a signed, short-lived cookie.
//!
//! An unknown identity creates an account only where registration is open, and never takes
//! over an existing account with the same email: that user links it after signing in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::accounts::{create_account, link};
use super::client::{self, ExternalUser};
use super::store::{self, Provider};
use crate::auth::service::{ClientInfo, LoginOutcome};
use crate::auth::store::{self as users};
use crate::auth::tokens;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The flow's state, in a signed cookie between start and callback.
#[derive(Debug, Serialize, Deserialize)]
pub struct FlowState {
    /// Provider slug.
    pub slug: String,
    /// `state` sent to the provider.
    pub state: String,
    /// `nonce` sent to the provider (OIDC).
    pub nonce: String,
    /// PKCE verifier.
    pub verifier: String,
    /// Where to go afterwards.
    pub next: String,
    /// Link to this account instead of signing in.
    pub link_user: Option<Uuid>,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Always `oauth`.
    pub typ: String,
}

/// The redirect URI for a provider.
pub fn redirect_uri(state: &AppState, slug: &str) -> String {
    format!("{}/api/auth/oauth/{slug}/callback", state.config.base_url())
}

pub(super) fn http() -> ApiResult<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::Internal(e.into()))
}

pub(super) async fn enabled_or_any(
    state: &AppState,
    slug: &str,
    must_be_enabled: bool,
) -> ApiResult<Provider> {
    store::get_provider_by_slug(&state.db.conn, slug)
        .await?
        .filter(|p| p.enabled || !must_be_enabled)
        .ok_or_else(|| ApiError::NotFound("no such sign-in provider".to_owned()))
}
/// A local path to go to afterwards (never another site). Only visible ASCII: browsers drop
/// tabs and newlines from URLs, which would turn `/<TAB>/evil.example` into `//evil.example`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Builds the provider's authorization URL and the signed flow state.
pub async fn start(
    state: &AppState,
    slug: &str,
    next: Option<&str>,
    link_user: Option<Uuid>,
) -> ApiResult<(String, String)> {
    let provider = enabled_or_any(state, slug, true).await?;
    let flow = FlowState {
        slug: provider.slug.clone(),
        state: tokens::random_token(),
        nonce: tokens::random_token(),
        verifier: tokens::random_token(),
        next: safe_next(next),
        link_user,
        exp: Utc::now().timestamp() + 600,
        typ: "oauth".to_owned(),
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(flow.verifier.as_bytes()));
    let mut url = url::Url::parse(&provider.authorization_url)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("provider authorization URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", &redirect_uri(state, &provider.slug))
        .append_pair("scope", &provider.scopes)
        .append_pair("state", &flow.state)
        .append_pair("nonce", &flow.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok((url.to_string(), state.auth.keys.sign(&flow)?))
}

/// What the callback did.
pub enum CallbackOutcome {
    /// Signed in (a new cookie session).
    SignedIn(Box<LoginOutcome>, String),
    /// Linked to the signed-in account.
    Linked(String),
}

/// Exchanges the code and verifies who signed in: the ID token (OIDC), or GitHub's user API.
async fn identify(
    state: &AppState,
    provider: &Provider,
    code: &str,
    flow: &FlowState,
) -> ApiResult<ExternalUser> {
    let slug = provider.slug.as_str();
    let secret = state.vault.decrypt(
        &provider.client_secret_enc,
        &format!("oauth:{}", provider.id),
    )?;
    let secret = String::from_utf8(secret).map_err(|e| ApiError::Internal(e.into()))?;
    let http = http()?;
    let upstream = |e: anyhow::Error| {
        ApiError::Unauthorized(format!(
            "sign-in with {} failed: {e:#}",
            provider.display_name
        ))
    };
    let tokens = client::exchange_code(
        &http,
        &provider.token_url,
        &provider.client_id,
        &secret,
        code,
        &redirect_uri(state, slug),
        &flow.verifier,
    )
    .await
    .map_err(upstream)?;
    let who = match (&tokens.id_token, &provider.jwks_url, &provider.issuer) {
        (Some(id_token), Some(jwks), Some(issuer)) => client::verify_id_token(
            &http,
            jwks,
            id_token,
            issuer,
            &provider.client_id,
            &flow.nonce,
        )
        .await
        .map_err(upstream)?,
        _ if provider.kind == "github" => {
            let access = tokens
                .access_token
                .as_deref()
                .ok_or_else(|| upstream(anyhow::anyhow!("no access token")))?;
            let url = provider
                .userinfo_url
                .as_deref()
                .unwrap_or("https://api.github.com/user");
            client::github_user(&http, url, access)
                .await
                .map_err(upstream)?
        }
        _ => {
            return Err(upstream(anyhow::anyhow!(
                "the provider returned no ID token"
            )));
        }
    };
    Ok(who)
}

/// Finishes the flow: checks state, exchanges the code, verifies who the user is, then signs in
/// (creating the account if allowed) or links the identity.
pub async fn callback(
    state: &AppState,
    slug: &str,
    flow_cookie: Option<&str>,
    code: &str,
    returned_state: &str,
    client_info: &ClientInfo,
) -> ApiResult<CallbackOutcome> {
    let flow: FlowState = flow_cookie
        .and_then(|c| state.auth.keys.verify(c))
        .filter(|f: &FlowState| f.typ == "oauth" && f.slug == slug)
        .ok_or_else(|| {
            ApiError::BadRequest(
                "the sign-in attempt expired or was started elsewhere; try again".to_owned(),
            )
        })?;
    if !tokens::constant_time_eq(&flow.state, returned_state) {
        return Err(ApiError::BadRequest("state mismatch; try again".to_owned()));
    }
    let provider = enabled_or_any(state, slug, true).await?;
    let who = identify(state, &provider, code, &flow).await?;
    let db = &state.db.conn;
    if let Some(user_id) = flow.link_user {
        if let Some(existing) = store::get_identity(db, provider.id, &who.subject).await? {
            if existing.user_id != user_id {
                return Err(ApiError::Conflict(
                    "this identity is linked to another account".to_owned(),
                ));
            }
        } else {
            let txn = state.db.conn.begin().await?;
            link(&txn, user_id, &provider, &who, client_info).await?;
            txn.commit().await?;
        }
        return Ok(CallbackOutcome::Linked(flow.next));
    }
    let user = match store::get_identity(db, provider.id, &who.subject).await? {
        Some(identity) => users::get_user(db, identity.user_id)
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized("the linked account no longer exists".to_owned())
            })?,
        None => create_account(state, &provider, &who, client_info).await?,
    };
    if !user.is_active {
        return Err(ApiError::Unauthorized(
            "this account is disabled".to_owned(),
        ));
    }
    let outcome = crate::auth::service::open_session(state, user, true, client_info).await?;
    Ok(CallbackOutcome::SignedIn(Box::new(outcome), flow.next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/settings")), "/settings");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "settings",
            "/\t/evil.example",
            "/\n/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
    }
}
