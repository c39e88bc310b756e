//! System endpoints: liveness, readiness, Prometheus metrics, instance information and the
//! OpenAPI document; plus the settings table the server keeps about itself.

mod routes;
pub mod service;
pub mod store;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes at the root: `/health`, `/ready`, `/metrics`.
pub fn root_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_health))
        .routes(routes!(routes::get_ready))
        .routes(routes!(routes::get_metrics))
}

/// Routes under `/api/system`.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::get_system_info))
}
