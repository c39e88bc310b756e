//! Chat: conversations stored as they stream, with personas, regenerate and edit, stop,
//! re-attachable replies, titles, search, share links and export.

mod context;
pub mod emotion;
pub mod entities;
pub mod guest;
pub mod personas;
pub mod reply;
mod routes;
mod run;
pub mod runner;
pub mod service;
pub mod share;
mod stats;
pub mod store;
mod titles;
pub mod types;
mod ws;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Chat state shared by all requests.
#[derive(Debug, Default)]
pub struct ChatState {
    /// Replies in progress.
    pub runs: runner::Runs,
    /// Guest messages per client IP.
    pub guests: guest::GuestLimiter,
}

/// Routes under `/api/llm`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::post_chat))
        .routes(routes!(routes::get_sessions))
        .routes(routes!(
            routes::get_session,
            routes::patch_session,
            routes::delete_session
        ))
        .routes(routes!(routes::get_messages))
        .routes(routes!(routes::put_message))
        .routes(routes!(routes::post_stop))
        .routes(routes!(routes::post_regenerate))
        .routes(routes!(routes::get_stream))
        .routes(routes!(routes::get_models))
        .routes(routes!(routes::get_personas, routes::post_persona))
        .routes(routes!(routes::put_persona, routes::delete_persona))
        .routes(routes!(routes::post_share, routes::delete_share))
        .routes(routes!(routes::get_export))
        .routes(routes!(stats::get_statistics))
        .routes(routes!(stats::get_export_all))
        .routes(routes!(guest::routes::get_guest))
        .routes(routes!(guest::routes::post_guest_chat))
        .route("/ws", axum::routing::get(ws::get_ws))
}

/// Routes under `/api/admin`.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            guest::routes::admin_get_guest,
            guest::routes::admin_put_guest
        ))
        .routes(routes!(stats::admin_get_messages))
}

/// Routes under `/api/share` (public).
pub fn share_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(routes::get_shared))
}
