//! Request and response types of the admin API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::types::UserResponse;

/// Query of `GET /api/admin/users`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListUsersQuery {
    /// Search username, email and display name.
    pub q: Option<String>,
    /// `admin`, `user` or `guest`.
    #[param(pattern = "^(admin|user|guest)$")]
    pub role: Option<String>,
    /// `true`: enabled accounts only; `false`: disabled only.
    pub active: Option<bool>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<u64>,
    /// Items per page (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

pub use crate::chat::types::Page;

/// A page of users.
pub type UserPage = Page<UserResponse>;

/// `PATCH /api/admin/users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New role: `admin`, `user` or `guest`.
    #[schema(pattern = "^(admin|user|guest)$")]
    pub role: Option<String>,
    /// Enable or disable the account; disabling ends its sessions at once.
    pub is_active: Option<bool>,
    /// What the user may manage beyond their own things (`models`): the whole
    /// list, replacing the one before.
    #[schema(value_type = Option<Vec<crate::auth::permissions::Permission>>)]
    pub permissions: Option<Vec<String>>,
}

/// Query of `GET /api/admin/users/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `csv` or `json`.
    #[param(pattern = "^(csv|json)$")]
    pub format: String,
}

/// Query of `GET /api/admin/audit-log`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Exact action (`auth.login_failed`) or a prefix ending in `.` (`admin.`).
    pub action: Option<String>,
    /// Acting user id.
    pub actor_id: Option<Uuid>,
    /// Target id.
    pub target_id: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<u64>,
    /// Items per page (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// One audit event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventResponse {
    /// Id.
    pub id: Uuid,
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Action.
    pub action: String,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Extra facts.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of audit events.
pub type AuditPage = Page<AuditEventResponse>;

/// Registration settings (`GET`/`PUT /api/admin/settings/registration`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationSettings {
    /// `open`, `invite_only` or `closed`.
    #[schema(pattern = "^(open|invite_only|closed)$")]
    pub registration_mode: String,
}

/// `POST /api/admin/invites`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInviteRequest {
    /// Only this address may use the invitation.
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Days until it expires (1–90, default 7).
    #[schema(minimum = 1, maximum = 90)]
    pub expires_in_days: Option<i64>,
}

/// An invitation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteResponse {
    /// Id.
    pub id: Uuid,
    /// The code: present only in the answer that created it.
    pub code: Option<String>,
    /// Bound address.
    pub email: Option<String>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Expires.
    pub expires_at: DateTime<Utc>,
    /// Used.
    pub used_at: Option<DateTime<Utc>>,
    /// Account made with it.
    pub used_by: Option<Uuid>,
}
