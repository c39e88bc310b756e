//! The `audit_log` table. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect};

use super::AuditEvent;

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Id (UUID v7, so ids sort by time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Action name.
    pub action: String,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Extra facts.
    pub details: Json,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations (none navigated).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub(super) async fn insert_event(
    db: &impl ConnectionTrait,
    e: AuditEvent,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ActiveModel {
        id: Set(id),
        actor_id: Set(e.actor),
        action: Set(e.action.to_owned()),
        target_type: Set(e.target_type.map(str::to_owned)),
        target_id: Set(e.target_id),
        ip: Set(e.ip),
        details: Set(e.details),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filter for reading the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact action, or a prefix ending in `.` (e.g. `auth.`).
    pub action: Option<String>,
    /// Acting user.
    pub actor_id: Option<Uuid>,
    /// Target id.
    pub target_id: Option<String>,
}

/// A page of events, newest first, and the total matching.
pub async fn list_events(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Model>, u64), DbErr> {
    let mut cond = Condition::all();
    if let Some(action) = &filter.action {
        cond = if action.ends_with('.') {
            cond.add(Column::Action.starts_with(action.as_str()))
        } else {
            cond.add(Column::Action.eq(action.as_str()))
        };
    }
    if let Some(actor) = filter.actor_id {
        cond = cond.add(Column::ActorId.eq(actor));
    }
    if let Some(target) = &filter.target_id {
        cond = cond.add(Column::TargetId.eq(target.as_str()));
    }
    let query = Entity::find().filter(cond);
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((items, total))
}
