//! Models and downloads: `models` (the local registry: one row per model on disk with what its
//! header says), `download_tasks` (seed 004's states: pending, downloading, paused, completed,
//! failed, cancelled) and `download_files` (each file of a task, with the segments done so far,
//! so a resume after a crash fetches only what is missing).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Models {
    Table,
    Id,
    Name,
    Path,
    Format,
    SizeBytes,
    Parts,
    Source,
    Repo,
    Architecture,
    Parameters,
    Quantization,
    ContextLength,
    ChatTemplate,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DownloadTasks {
    Table,
    Id,
    Source,
    Repo,
    Revision,
    Label,
    Status,
    Error,
    TotalBytes,
    DownloadedBytes,
    CreatedBy,
    ModelId,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum DownloadFiles {
    Table,
    Id,
    TaskId,
    Position,
    RemotePath,
    Url,
    FileName,
    SizeBytes,
    Sha256,
    Etag,
    SegmentBytes,
    DoneSegments,
    Partial,
    DownloadedBytes,
    Status,
}

fn models_table() -> TableCreateStatement {
    let text = |c: Models, n: u32| ColumnDef::new(c).string_len(n).null().to_owned();
    Table::create()
        .table(Models::Table)
        .col(ColumnDef::new(Models::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Models::Name).string_len(256).not_null())
        .col(ColumnDef::new(Models::Path).string_len(1024).not_null())
        .col(ColumnDef::new(Models::Format).string_len(16).not_null())
        .col(ColumnDef::new(Models::SizeBytes).big_integer().not_null())
        .col(ColumnDef::new(Models::Parts).integer().not_null())
        .col(ColumnDef::new(Models::Source).string_len(16).not_null())
        .col(text(Models::Repo, 256))
        .col(text(Models::Architecture, 64))
        .col(ColumnDef::new(Models::Parameters).big_integer().null())
        .col(text(Models::Quantization, 32))
        .col(ColumnDef::new(Models::ContextLength).big_integer().null())
        .col(ColumnDef::new(Models::ChatTemplate).boolean().not_null())
        .col(text(Models::Error, 512))
        .col(
            ColumnDef::new(Models::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Models::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

fn tasks_table() -> TableCreateStatement {
    let time = |c: DownloadTasks| ColumnDef::new(c).timestamp_with_time_zone().to_owned();
    Table::create()
        .table(DownloadTasks::Table)
        .col(
            ColumnDef::new(DownloadTasks::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(DownloadTasks::Source)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadTasks::Repo)
                .string_len(256)
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadTasks::Revision)
                .string_len(128)
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadTasks::Label)
                .string_len(512)
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadTasks::Status)
                .string_len(16)
                .not_null(),
        )
        .col(ColumnDef::new(DownloadTasks::Error).string_len(1024).null())
        .col(
            ColumnDef::new(DownloadTasks::TotalBytes)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadTasks::DownloadedBytes)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(DownloadTasks::CreatedBy).uuid().null())
        .col(ColumnDef::new(DownloadTasks::ModelId).uuid().null())
        .col(time(DownloadTasks::CreatedAt).not_null())
        .col(time(DownloadTasks::UpdatedAt).not_null())
        .col(time(DownloadTasks::FinishedAt).null())
        .to_owned()
}

fn files_table() -> TableCreateStatement {
    let big = |c: DownloadFiles| ColumnDef::new(c).big_integer().not_null().to_owned();
    Table::create()
        .table(DownloadFiles::Table)
        .col(
            ColumnDef::new(DownloadFiles::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(DownloadFiles::TaskId).uuid().not_null())
        .col(ColumnDef::new(DownloadFiles::Position).integer().not_null())
        .col(
            ColumnDef::new(DownloadFiles::RemotePath)
                .string_len(1024)
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadFiles::Url)
                .string_len(2048)
                .not_null(),
        )
        .col(
            ColumnDef::new(DownloadFiles::FileName)
                .string_len(1024)
                .not_null(),
        )
        .col(big(DownloadFiles::SizeBytes))
        .col(
            ColumnDef::new(DownloadFiles::Sha256)
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(DownloadFiles::Etag).string_len(256).null())
        .col(big(DownloadFiles::SegmentBytes))
        .col(
            ColumnDef::new(DownloadFiles::DoneSegments)
                .text()
                .not_null(),
        )
        .col(ColumnDef::new(DownloadFiles::Partial).text().not_null())
        .col(big(DownloadFiles::DownloadedBytes))
        .col(
            ColumnDef::new(DownloadFiles::Status)
                .string_len(16)
                .not_null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(DownloadFiles::Table, DownloadFiles::TaskId)
                .to(DownloadTasks::Table, DownloadTasks::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(models_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_models_path")
                    .table(Models::Table)
                    .col(Models::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.create_table(tasks_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_download_tasks_status")
                    .table(DownloadTasks::Table)
                    .col(DownloadTasks::Status)
                    .col(DownloadTasks::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager.create_table(files_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_download_files_task")
                    .table(DownloadFiles::Table)
                    .col(DownloadFiles::TaskId)
                    .col(DownloadFiles::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_download_files_name")
                    .table(DownloadFiles::Table)
                    .col(DownloadFiles::FileName)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DownloadFiles::Table.into_iden(),
            DownloadTasks::Table.into_iden(),
            Models::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
