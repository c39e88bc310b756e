//! Extractors: `AuthUser` (bearer token or session cookie + CSRF check on unsafe methods),
//! `AdminUser`, `ModelsManager` and `DeploymentsManager` (an admin or a user with that permission), and `Client` (IP and User-Agent for sessions and the audit log).

use std::net::{IpAddr, SocketAddr};

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

/// The authenticated caller, who may manage models: an admin or a user with the `models`
/// permission.
#[derive(Debug, Clone)]
pub struct ModelsManager(pub AuthContext);

/// The authenticated caller, who may manage deployments and see the monitor: an admin or a
/// user with the `deployments` permission.
#[derive(Debug, Clone)]
pub struct DeploymentsManager(pub AuthContext);

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
        let bearer = crate::extract::bearer(&parts.headers);
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

async fn permitted(
    parts: &mut Parts,
    state: &AppState,
    what: super::permissions::Permission,
) -> Result<AuthContext, ApiError> {
    let AuthUser(ctx) =
        <AuthUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
    if !ctx.may(what) {
        return Err(ApiError::Forbidden(format!(
            "managing {0} needs the `{0}` permission (or an admin)",
            what.as_str()
        )));
    }
    Ok(ctx)
}

impl FromRequestParts<AppState> for ModelsManager {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        permitted(parts, state, super::permissions::Permission::Models)
            .await
            .map(Self)
    }
}

impl FromRequestParts<AppState> for DeploymentsManager {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        permitted(parts, state, super::permissions::Permission::Deployments)
            .await
            .map(Self)
    }
}

/// The client's IP: the peer address, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip =
            client_ip(peer, forwarded, &state.config.http.trusted_proxies).map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(255).collect());
        Ok(Self(ClientInfo { ip, user_agent }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            client_ip(Some(ip("203.0.113.5")), Some("1.2.3.4"), &trusted),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), Some("1.2.3.4"), &trusted),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            client_ip(
                Some(ip("10.0.0.2")),
                Some("6.6.6.6, 1.2.3.4, 10.0.0.9"),
                &trusted
            ),
            Some(ip("1.2.3.4")),
            "a client cannot spoof by prepending entries"
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), None, &trusted),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), Some("garbage"), &trusted),
            Some(ip("10.0.0.2"))
        );
    }
}
