//! Extractors: `AuthUser` (bearer token or session cookie + CSRF check on unsafe methods),
//! `AdminUser`, and `Client` (IP and User-Agent for sessions and the audit log).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};

use super::service::{self, AuthContext, ClientInfo};
use super::tokens::constant_time_eq;
use crate::error::ApiError;
use crate::state::AppState;

/// Name of the HttpOnly session cookie.
pub const SESSION_COOKIE: &str = "llmm_session";
/// Name of the JS-readable cookie carrying the CSRF token.
pub const CSRF_COOKIE: &str = "llmm_csrf";
/// Header the web UI echoes the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser(pub AuthContext);

/// The authenticated caller, who is an admin.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthContext);

/// Client IP and User-Agent.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

/// The value of a cookie in the request.
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<AuthContext>() {
            return Ok(Self(ctx.clone()));
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        let ctx = if let Some(token) = bearer {
            service::authenticate_bearer(state, token).await?
        } else if let Some(cookie) = cookie_value(parts, SESSION_COOKIE) {
            let ctx = service::authenticate_cookie(state, &cookie).await?;
            if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
                let expected = state.auth.keys.csrf_token(ctx.session_id);
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !constant_time_eq(sent, &expected) {
                    return Err(ApiError::Forbidden(
                        "missing or wrong X-CSRF-Token header for this session".to_owned(),
                    ));
                }
            }
            ctx
        } else {
            return Err(ApiError::Unauthorized("authentication required".to_owned()));
        };
        parts.extensions.insert(ctx.clone());
        Ok(Self(ctx))
    }
}

/// `Option<AuthUser>`: `None` when the request carries no valid credentials.
impl OptionalFromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Self as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(ApiError::Unauthorized(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthUser(ctx) =
            <AuthUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        if !ctx.is_admin() {
            return Err(ApiError::Forbidden("administrators only".to_owned()));
        }
        Ok(Self(ctx))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(255).collect());
        Ok(Self(ClientInfo { ip, user_agent }))
    }
}
