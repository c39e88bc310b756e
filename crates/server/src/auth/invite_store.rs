//! The `invites` table: single-use registration invitations, by keyed hash. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, QueryOrder, QuerySelect};

/// One invitation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invites")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Keyed hash of the code.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// Only this (lower-cased) address may use it, if set.
    pub email: Option<String>,
    /// Admin who made it.
    pub created_by: Option<Uuid>,
    /// Made.
    pub created_at: DateTimeUtc,
    /// Expires.
    pub expires_at: DateTimeUtc,
    /// Used.
    pub used_at: Option<DateTimeUtc>,
    /// The account registered with it.
    pub used_by: Option<Uuid>,
}

/// Relations (none navigated).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// An invitation.
pub type Invite = Model;

/// Stores an invitation.
pub async fn insert_invite(db: &impl ConnectionTrait, invite: Invite) -> Result<Invite, DbErr> {
    ActiveModel::from(invite).insert(db).await
}

/// An invitation by code hash.
pub async fn get_invite_by_hash(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<Invite>, DbErr> {
    Entity::find()
        .filter(Column::CodeHash.eq(code_hash))
        .one(db)
        .await
}

/// Newest invitations first.
pub async fn list_invites(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Invite>, DbErr> {
    Entity::find()
        .order_by_desc(Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// Deletes an unused invitation; `false` if there is none.
pub async fn delete_invite(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Marks an invitation used by `user`, only if still unused; `true` if this call did.
pub async fn use_invite(
    db: &impl ConnectionTrait,
    id: Uuid,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .col_expr(Column::UsedBy, Expr::value(user))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
