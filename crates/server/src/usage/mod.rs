//! Usage: one event per LLM call (chat, `/v1`, guest chat, titles, provider tests), handed to
//! an asynchronous batched writer so no request waits for a database write; the price table
//! and the cost of each call (docs/USAGE.md).

pub mod metrics;
pub mod price_store;
pub mod prices;
mod routes;
pub mod service;
pub mod stats;
pub mod stats_store;
pub mod store;
pub mod types;
pub mod writer;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use writer::{UsageEvent, UsageSender};

use crate::state::AppState;

/// Routes under `/api/admin`.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::admin_get_prices))
        .routes(routes!(routes::admin_get_statistics))
        .routes(routes!(routes::admin_put_price, routes::admin_delete_price))
}
