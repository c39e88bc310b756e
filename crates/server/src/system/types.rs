//! Response types of the system endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::DatabaseBackend;

/// `GET /health`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok` while the process serves requests.
    pub status: String,
}

/// State of one readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    /// Working.
    Ok,
    /// Failing.
    Error,
    /// Migrations not yet applied.
    Pending,
    /// Not configured.
    Disabled,
}

/// The individual readiness checks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadyChecks {
    /// The database answers a query.
    pub database: CheckState,
    /// Every embedded migration is applied.
    pub migrations: CheckState,
    /// Redis answers PING (`disabled` when REDIS_URL is unset).
    pub redis: CheckState,
}

/// `GET /ready`: 200 when every check is `ok` or `disabled`, else 503.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadyResponse {
    /// `ready` or `not_ready`.
    pub status: String,
    /// Each check.
    pub checks: ReadyChecks,
}

/// `GET /api/system/info`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SystemInfoResponse {
    /// Product name.
    pub name: String,
    /// Server version.
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database_backend: DatabaseBackend,
    /// Whether Redis is configured.
    pub redis_configured: bool,
    /// When this process started.
    pub started_at: DateTime<Utc>,
    /// Seconds since `started_at`.
    pub uptime_seconds: i64,
    /// When this installation first started (its database was created).
    pub installed_at: Option<DateTime<Utc>>,
}
