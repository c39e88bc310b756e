//! Providers (upstream accounts) and their encrypted keys: the admin API for shared providers,
//! the user API for personal ones, connection tests and model refresh.

pub mod keys;
mod probe;
mod routes;
pub mod service;
pub mod snapshot;
pub mod store;
pub mod types;
pub mod validate;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes under `/api/providers`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_providers, routes::post_provider))
        .routes(routes!(
            routes::get_provider,
            routes::patch_provider,
            routes::delete_provider
        ))
        .routes(routes!(routes::post_key))
        .routes(routes!(routes::delete_key))
        .routes(routes!(routes::post_test))
        .routes(routes!(routes::post_refresh_models))
}

/// Routes under `/api/admin/providers`.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            routes::admin_get_providers,
            routes::admin_post_provider
        ))
        .routes(routes!(
            routes::admin_get_provider,
            routes::admin_patch_provider,
            routes::admin_delete_provider
        ))
}
