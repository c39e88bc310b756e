//! `deployments`: a local model served by a backend (the built-in engine, or a command
//! template), whether it should run, how it is doing, and the shared provider it is routed
//! through while it runs.

use sea_orm_migration::prelude::*;

/// This migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
    Name,
    ModelId,
    Backend,
    Command,
    Status,
    ShouldRun,
    FixedPort,
    Port,
    Pid,
    ContextLength,
    Parallel,
    Threads,
    Args,
    Restarts,
    LastError,
    ProviderId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let int = |c: Deployments| ColumnDef::new(c).integer().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Deployments::Table)
                    .col(
                        ColumnDef::new(Deployments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Deployments::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Deployments::ModelId).uuid().not_null())
                    .col(
                        ColumnDef::new(Deployments::Backend)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deployments::Command)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(
                        ColumnDef::new(Deployments::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deployments::ShouldRun).boolean().not_null())
                    .col(int(Deployments::FixedPort))
                    .col(int(Deployments::Port))
                    .col(int(Deployments::Pid))
                    .col(int(Deployments::ContextLength))
                    .col(ColumnDef::new(Deployments::Parallel).integer().not_null())
                    .col(int(Deployments::Threads))
                    .col(
                        ColumnDef::new(Deployments::Args)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(
                        ColumnDef::new(Deployments::Restarts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Deployments::LastError).text().null())
                    .col(ColumnDef::new(Deployments::ProviderId).uuid().null())
                    .col(ColumnDef::new(Deployments::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(Deployments::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deployments::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deployments_model")
                    .table(Deployments::Table)
                    .col(Deployments::ModelId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deployments::Table).to_owned())
            .await
    }
}
