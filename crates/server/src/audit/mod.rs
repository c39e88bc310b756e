//! The audit log of security and admin events (logins, failures, role changes, deletions…):
//! recorded by the features, read by admins through `GET /api/admin/audit-log`.

pub mod store;

use chrono::Utc;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// One event to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Who did it (`None`: anonymous, e.g. a failed login).
    pub actor: Option<Uuid>,
    /// Dotted action name, e.g. `auth.login_failed`, `admin.user_updated`.
    pub action: &'static str,
    /// Kind of the thing acted on, e.g. `user`, `session`.
    pub target_type: Option<&'static str>,
    /// Its id.
    pub target_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Extra facts (never secrets).
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// An event with no target and no details.
    pub fn new(action: &'static str, actor: Option<Uuid>, ip: Option<String>) -> Self {
        Self {
            actor,
            action,
            target_type: None,
            target_id: None,
            ip,
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    /// Sets the target.
    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self
    }

    /// Sets the details.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Writes an event (in the caller's transaction when given one).
pub async fn record(db: &impl ConnectionTrait, event: AuditEvent) -> Result<(), sea_orm::DbErr> {
    store::insert_event(db, event, Uuid::now_v7(), Utc::now()).await
}
