//! Accounts and access: registration, first-admin bootstrap, login (bearer tokens or a cookie
//! session with CSRF protection), refresh-token rotation, logout, profile, password change,
//! sessions. Admin user management lives in `crate::admin`.

pub mod account;
pub mod avatar;
pub mod challenge;
pub mod extract;
pub mod invite_store;
pub mod password;
pub mod permissions;
pub mod recovery;
pub mod registration;
pub(crate) mod routes;
mod security_routes;
pub mod security_store;
pub mod service;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::secrets::Secrets;
use crate::state::AppState;

/// Authentication state shared by every request.
#[derive(Debug)]
pub struct AuthState {
    /// Token signing and hashing keys.
    pub keys: tokens::TokenKeys,
    /// Failed-login counters.
    pub throttle: throttle::LoginThrottle,
}

impl AuthState {
    /// Keys derived from the server's secrets, empty counters.
    pub fn new(secrets: &Secrets) -> Self {
        Self {
            keys: tokens::TokenKeys::new(secrets),
            throttle: throttle::LoginThrottle::default(),
        }
    }
}

/// Routes under `/api/auth`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::post_register))
        .routes(routes!(routes::get_registration))
        .routes(routes!(routes::post_setup))
        .routes(routes!(routes::post_login))
        .routes(routes!(routes::post_refresh))
        .routes(routes!(routes::post_logout))
        .routes(routes!(routes::get_profile, routes::put_profile))
        .routes(routes!(routes::post_password_change))
        .routes(routes!(routes::get_sessions))
        .routes(routes!(routes::delete_session))
        .routes(routes!(security_routes::post_login_2fa))
        .routes(routes!(security_routes::post_send_verification))
        .routes(routes!(security_routes::post_verify_email))
        .routes(routes!(security_routes::post_password_reset))
        .routes(routes!(security_routes::post_password_reset_confirm))
        .routes(routes!(security_routes::post_2fa_setup))
        .routes(routes!(security_routes::post_2fa_enable))
        .routes(routes!(security_routes::post_2fa_disable))
        .routes(routes!(
            security_routes::post_avatar,
            security_routes::get_avatar
        ))
}
