//! Table `api_keys`. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder};

/// `api_keys` table.
pub mod api_keys {
    use sea_orm::entity::prelude::*;

    /// A gateway API key.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Owner.
        pub user_id: Uuid,
        /// Label.
        pub name: String,
        /// Keyed hash of the key.
        #[sea_orm(unique)]
        pub key_hash: String,
        /// Masked form.
        pub hint: String,
        /// JSON array of allowed model names; `None`: all.
        #[sea_orm(column_type = "Text", nullable)]
        pub models: Option<String>,
        /// Stops working at.
        pub expires_at: Option<DateTimeUtc>,
        /// Last authenticated use (minute precision).
        pub last_used_at: Option<DateTimeUtc>,
        /// Revoked at.
        pub revoked_at: Option<DateTimeUtc>,
        /// Created.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use api_keys::Model as ApiKey;

/// Inserts a key.
pub async fn insert_key(db: &impl ConnectionTrait, k: ApiKey) -> Result<ApiKey, DbErr> {
    api_keys::ActiveModel::from(k).insert(db).await
}

/// A user's keys that are not revoked, newest first.
pub async fn list_keys(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<ApiKey>, DbErr> {
    api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user_id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .order_by_desc(api_keys::Column::CreatedAt)
        .all(db)
        .await
}

/// How many live keys a user has.
pub async fn count_keys(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user_id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .count(db)
        .await
}

/// A key by id.
pub async fn get_key(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ApiKey>, DbErr> {
    api_keys::Entity::find_by_id(id).one(db).await
}

/// A key by its hash.
pub async fn get_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<ApiKey>, DbErr> {
    api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(hash))
        .one(db)
        .await
}

/// Revokes one of the user's keys; `false` if it is not theirs or already revoked.
pub async fn revoke_key(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(now))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::UserId.eq(user_id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// The editable fields of a key.
#[derive(Debug, Clone)]
pub struct KeyEdit {
    /// Label.
    pub name: String,
    /// JSON array of allowed models, or `None` for all.
    pub models: Option<String>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Saves the edit of one of the user's live keys; `false` if it is not theirs or revoked.
pub async fn update_key(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
    edit: KeyEdit,
) -> Result<bool, DbErr> {
    Ok(api_keys::Entity::update_many()
        .col_expr(api_keys::Column::Name, Expr::value(edit.name))
        .col_expr(api_keys::Column::Models, Expr::value(edit.models))
        .col_expr(api_keys::Column::ExpiresAt, Expr::value(edit.expires_at))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::UserId.eq(user_id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Records a use.
pub async fn touch(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<(), DbErr> {
    api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, Expr::value(now))
        .filter(api_keys::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
