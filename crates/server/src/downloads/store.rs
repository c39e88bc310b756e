//! Tables `download_tasks` and `download_files`. SQL only.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, Set, TransactionTrait};

/// `download_tasks` table.
pub mod tasks {
    use sea_orm::entity::prelude::*;

    /// A download: one or more files of a repository or an Ollama model.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "download_tasks")]
    pub struct Model {
        /// Id (UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// `huggingface`, `modelscope`, `ollama`.
        pub source: String,
        /// Repository or Ollama model.
        pub repo: String,
        /// Revision or tag.
        pub revision: String,
        /// Shown in lists.
        pub label: String,
        /// pending, downloading, paused, completed, failed, cancelled.
        pub status: String,
        /// Why it failed or paused.
        pub error: Option<String>,
        /// Bytes of all files.
        pub total_bytes: i64,
        /// Bytes on disk at the last checkpoint.
        pub downloaded_bytes: i64,
        /// Who started it.
        pub created_by: Option<Uuid>,
        /// The registered model once completed.
        pub model_id: Option<Uuid>,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last change.
        pub updated_at: DateTimeUtc,
        /// Completed, failed or cancelled at.
        pub finished_at: Option<DateTimeUtc>,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `download_files` table.
pub mod files {
    use sea_orm::entity::prelude::*;

    /// One file of a download and its progress.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "download_files")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Its download.
        pub task_id: Uuid,
        /// Order in the task.
        pub position: i32,
        /// Path in the repository (layer media type for Ollama).
        pub remote_path: String,
        /// Where the bytes come from.
        pub url: String,
        /// Where they go, relative to `MODELS_DIR`.
        pub file_name: String,
        /// Size.
        pub size_bytes: i64,
        /// Expected sha256.
        pub sha256: String,
        /// Strong ETag of the remote file, once seen.
        pub etag: Option<String>,
        /// Segment size.
        pub segment_bytes: i64,
        /// Hex bitmap of finished segments.
        pub done_segments: String,
        /// `index:bytes,…` of segments in flight.
        pub partial: String,
        /// `done_segments` as known to be on disk (synced), for a resume after a reboot.
        pub synced_segments: String,
        /// `partial` as known to be on disk.
        pub synced_partial: String,
        /// The boot in which `done_segments` and `partial` were written (`None`: they were
        /// synced before they were stored).
        pub boot_id: Option<String>,
        /// Bytes on disk at the last checkpoint.
        pub downloaded_bytes: i64,
        /// pending, done.
        pub status: String,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use files::Model as FileRow;
pub use tasks::Model as TaskRow;

/// Inserts a task and its files in one transaction.
pub async fn insert_task(
    db: &sea_orm::DatabaseConnection,
    task: TaskRow,
    files: Vec<FileRow>,
) -> Result<TaskRow, DbErr> {
    let txn = db.begin().await?;
    let task = tasks::ActiveModel::from(task).insert(&txn).await?;
    for f in files {
        files::ActiveModel::from(f).insert(&txn).await?;
    }
    txn.commit().await?;
    Ok(task)
}

/// One task.
pub async fn get_task(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<TaskRow>, DbErr> {
    tasks::Entity::find_by_id(id).one(db).await
}

/// Every task, newest first.
pub async fn list_tasks(db: &impl ConnectionTrait) -> Result<Vec<TaskRow>, DbErr> {
    tasks::Entity::find()
        .order_by_desc(tasks::Column::CreatedAt)
        .all(db)
        .await
}

/// Tasks in one of these states, oldest first.
pub async fn tasks_in(db: &impl ConnectionTrait, states: &[&str]) -> Result<Vec<TaskRow>, DbErr> {
    tasks::Entity::find()
        .filter(tasks::Column::Status.is_in(states.iter().copied()))
        .order_by_asc(tasks::Column::CreatedAt)
        .all(db)
        .await
}

/// A task's files in order.
pub async fn list_files(db: &impl ConnectionTrait, task_id: Uuid) -> Result<Vec<FileRow>, DbErr> {
    files::Entity::find()
        .filter(files::Column::TaskId.eq(task_id))
        .order_by_asc(files::Column::Position)
        .all(db)
        .await
}

/// The files of these tasks, in order within each task.
pub async fn files_of(
    db: &impl ConnectionTrait,
    task_ids: Vec<Uuid>,
) -> Result<Vec<FileRow>, DbErr> {
    files::Entity::find()
        .filter(files::Column::TaskId.is_in(task_ids))
        .order_by_asc(files::Column::Position)
        .all(db)
        .await
}

/// Files with these stored names that belong to tasks in one of these states.
pub async fn files_named_in_tasks(
    db: &impl ConnectionTrait,
    names: &[String],
    states: &[&str],
) -> Result<Vec<(FileRow, Uuid)>, DbErr> {
    let active: Vec<Uuid> = tasks_in(db, states)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if active.is_empty() {
        return Ok(Vec::new());
    }
    Ok(files::Entity::find()
        .filter(files::Column::FileName.is_in(names.iter().cloned()))
        .filter(files::Column::TaskId.is_in(active))
        .all(db)
        .await?
        .into_iter()
        .map(|f| {
            let task = f.task_id;
            (f, task)
        })
        .collect())
}

/// Sets a task's status (and error); `finished` stamps `finished_at`.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    error: Option<String>,
    finished: bool,
) -> Result<(), DbErr> {
    let now = Utc::now();
    tasks::ActiveModel {
        id: Set(id),
        status: Set(status.to_owned()),
        error: Set(error),
        updated_at: Set(now),
        finished_at: Set(finished.then_some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// A task's progress and size, for tasks whose files are not ours (pulls through a daemon).
pub async fn set_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    downloaded: i64,
    total: i64,
) -> Result<(), DbErr> {
    tasks::ActiveModel {
        id: Set(id),
        downloaded_bytes: Set(downloaded),
        total_bytes: Set(total),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Marks a task completed with its registered model (none for a pull through a daemon).
pub async fn set_completed(
    db: &impl ConnectionTrait,
    id: Uuid,
    model_id: Option<Uuid>,
    bytes: i64,
) -> Result<(), DbErr> {
    let now = Utc::now();
    tasks::ActiveModel {
        id: Set(id),
        status: Set("completed".to_owned()),
        error: Set(None),
        model_id: Set(model_id),
        downloaded_bytes: Set(bytes),
        updated_at: Set(now),
        finished_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Stores a file's progress (as written in `boot_id`'s boot) and the task's total, in one step.
pub async fn checkpoint(
    db: &sea_orm::DatabaseConnection,
    file: FileRow,
    task_bytes: i64,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let task_id = file.task_id;
    files::ActiveModel {
        id: Set(file.id),
        etag: Set(file.etag),
        sha256: Set(file.sha256),
        done_segments: Set(file.done_segments),
        partial: Set(file.partial),
        boot_id: Set(file.boot_id),
        downloaded_bytes: Set(file.downloaded_bytes),
        status: Set(file.status),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    tasks::ActiveModel {
        id: Set(task_id),
        downloaded_bytes: Set(task_bytes),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await
}

/// Stores the part of a file's progress known to be on disk.
pub async fn set_synced(
    db: &impl ConnectionTrait,
    file_id: Uuid,
    segments: String,
    partial: String,
) -> Result<(), DbErr> {
    files::ActiveModel {
        id: Set(file_id),
        synced_segments: Set(segments),
        synced_partial: Set(partial),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
