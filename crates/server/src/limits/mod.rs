//! Limits on LLM calls: budgets (cost and tokens per day, month or in total) reserved before
//! and settled after each call, and requests and tokens per minute, per role, user and API
//! key. The pipeline's hooks ([`hooks::Metered`]) apply them; the counters are per instance
//! (docs/USAGE.md).

pub mod budget;
pub mod hooks;
pub mod rate;
mod routes;
pub mod service;
pub mod shared;
pub mod store;
pub mod table;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::providers::snapshot::SnapshotCache;
use crate::state::AppState;

/// The limits in effect and this instance's counters.
#[derive(Debug)]
pub struct LimitState {
    /// Every limit set.
    pub table: SnapshotCache<table::LimitTable>,
    /// Budget counters.
    pub budgets: budget::Budgets,
    /// Rate-limit windows.
    pub rates: rate::Rates,
}

impl LimitState {
    /// Limits re-read every `ttl` (a change made here, or heard of through Redis, at once).
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            table: SnapshotCache::new(ttl),
            budgets: budget::Budgets::default(),
            rates: rate::Rates::default(),
        }
    }
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
        .routes(routes!(routes::admin_list_model_quotas))
        .routes(routes!(
            routes::admin_put_model_quota,
            routes::admin_delete_model_quota
        ))
}

/// Routes under `/api/keys`.
pub fn keys_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::get_key_quota, routes::put_key_quota))
}
