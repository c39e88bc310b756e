//! Limits on LLM calls: budgets (cost and tokens per day, month or in total) reserved before
//! and settled after each call, and requests and tokens per minute, per role, user and API
//! key. The pipeline's hooks ([`hooks::Metered`]) apply them; the counters are per instance
//! (docs/USAGE.md).

pub mod budget;
pub mod hooks;
pub mod rate;
mod routes;
pub mod service;
pub mod store;
pub mod table;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::providers::snapshot::SnapshotCache;
use crate::state::AppState;

/// The limits in effect and this instance's counters.
#[derive(Debug, Default)]
pub struct LimitState {
    /// Every limit set.
    pub table: SnapshotCache<table::LimitTable>,
    /// Budget counters.
    pub budgets: budget::Budgets,
    /// Rate-limit windows.
    pub rates: rate::Rates,
}

/// Routes under `/api/admin`.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            routes::admin_get_user_quota,
            routes::admin_put_user_quota,
            routes::admin_delete_user_quota
        ))
        .routes(routes!(
            routes::admin_get_role_quota,
            routes::admin_put_role_quota
        ))
}

/// Routes under `/api/keys`.
pub fn keys_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::get_key_quota, routes::put_key_quota))
}
