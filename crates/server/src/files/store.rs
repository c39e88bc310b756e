//! Table `files`. SQL only.

use sea_orm::ConnectionTrait;
use sea_orm::entity::prelude::*;

/// `files` table.
pub mod files {
    use sea_orm::entity::prelude::*;

    /// An uploaded, re-encoded image.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "files")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Owner.
        pub user_id: Uuid,
        /// Media type of the stored bytes.
        pub mime: String,
        /// Width in pixels.
        pub width: i32,
        /// Height in pixels.
        pub height: i32,
        /// Size in bytes of the stored file.
        pub size: i64,
        /// File name in `DATA_DIR/files` (server-generated: `<uuid>.<ext>`).
        pub stored_name: String,
        /// Uploaded.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use files::Model as StoredFile;

/// Inserts a file row.
pub async fn insert_file(db: &impl ConnectionTrait, f: StoredFile) -> Result<StoredFile, DbErr> {
    files::ActiveModel::from(f).insert(db).await
}

/// One of the user's files (`None` if it does not exist or is someone else's).
pub async fn get_file(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<StoredFile>, DbErr> {
    files::Entity::find_by_id(id)
        .filter(files::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Deletes one of the user's files; `false` if it is not theirs or already gone.
pub async fn delete_file(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    Ok(files::Entity::delete_many()
        .filter(files::Column::Id.eq(id))
        .filter(files::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
