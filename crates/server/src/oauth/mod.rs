//! Sign-in with external OAuth2 / OpenID Connect providers (generic OIDC by discovery, Google
//! and GitHub presets), account linking, and the admin API that configures the providers.

mod accounts;
mod admin;
pub mod client;
mod routes;
pub mod service;
pub mod store;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes under `/api/auth`.
pub fn auth_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_public_providers))
        .routes(routes!(routes::get_start))
        .routes(routes!(routes::get_callback))
        .routes(routes!(routes::get_identities))
        .routes(routes!(routes::delete_identity))
}

/// Routes under `/api/admin`.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_providers, routes::post_provider))
        .routes(routes!(routes::delete_provider))
}
