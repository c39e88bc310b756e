//! Admin console API: user management and the audit log. Every route requires an admin.

mod registration;
mod routes;
pub mod service;
pub mod types;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes under `/api/admin`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_users))
        .routes(routes!(routes::get_users_export))
        .routes(routes!(routes::patch_user, routes::delete_user))
        .routes(routes!(routes::post_user_reset_password))
        .routes(routes!(routes::get_audit_log))
        .routes(routes!(
            routes::get_registration_settings,
            routes::put_registration_settings
        ))
        .routes(routes!(routes::post_invite, routes::get_invites))
        .routes(routes!(routes::delete_invite))
}
