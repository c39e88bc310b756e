//! Table `models`: the local registry. SQL only.

use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder};

/// `models` table.
pub mod models {
    use sea_orm::entity::prelude::*;

    /// A model on disk and what its header says.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "models")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Shown in lists.
        pub name: String,
        /// Relative to `MODELS_DIR`, or absolute for imported files; a split GGUF's first part.
        pub path: String,
        /// `gguf` or `safetensors`.
        pub format: String,
        /// Bytes of every part.
        pub size_bytes: i64,
        /// Files it is made of.
        pub parts: i32,
        /// `huggingface`, `modelscope`, `ollama`, `local` (found on disk), `import`.
        pub source: String,
        /// Repository or Ollama model it came from.
        pub repo: Option<String>,
        /// `general.architecture`.
        pub architecture: Option<String>,
        /// Weights.
        pub parameters: Option<i64>,
        /// Quantisation (`Q4_K_M`, …).
        pub quantization: Option<String>,
        /// Context length the model was trained for.
        pub context_length: Option<i64>,
        /// Whether the GGUF carries a chat template.
        pub chat_template: bool,
        /// Why the header could not be read (the file is then listed as invalid).
        pub error: Option<String>,
        /// Registered.
        pub created_at: DateTimeUtc,
        /// Last rescanned.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use models::Model as ModelRow;

/// Inserts a model, or updates the one at the same path (keeping its id and creation time,
/// and with `keep_origin` its name, source and repository: a rescan does not forget where a
/// download came from).
pub async fn upsert(
    db: &impl ConnectionTrait,
    mut row: ModelRow,
    keep_origin: bool,
) -> Result<ModelRow, DbErr> {
    match models::Entity::find()
        .filter(models::Column::Path.eq(row.path.clone()))
        .one(db)
        .await?
    {
        Some(existing) => {
            row.id = existing.id;
            row.created_at = existing.created_at;
            if keep_origin {
                row.source = existing.source;
                row.repo = existing.repo;
                row.name = existing.name;
            }
            models::ActiveModel::from(row).reset_all().update(db).await
        }
        None => models::ActiveModel::from(row).insert(db).await,
    }
}

/// Every model, by name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<ModelRow>, DbErr> {
    models::Entity::find()
        .order_by_asc(models::Column::Name)
        .all(db)
        .await
}

/// One model.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ModelRow>, DbErr> {
    models::Entity::find_by_id(id).one(db).await
}

/// The first model stored at one of these paths.
pub async fn find_by_paths(
    db: &impl ConnectionTrait,
    paths: &[String],
) -> Result<Option<ModelRow>, DbErr> {
    models::Entity::find()
        .filter(models::Column::Path.is_in(paths.iter().cloned()))
        .one(db)
        .await
}

/// Deletes a model's row.
pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(models::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
