//! Gateway API keys: users create `sk-llmm-…` keys (shown once, stored as keyed hashes) for
//! the `/v1` API, list and revoke them; the gateway looks them up by hash.

pub mod cache;
mod routes;
pub mod service;
pub mod store;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes under `/api/keys`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_keys, routes::post_key))
        .routes(routes!(routes::patch_key, routes::delete_key))
}
