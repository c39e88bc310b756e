//! Providers and their encrypted keys, gateway API keys, and usage events.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Providers {
    Table,
    Id,
    OwnerId,
    Name,
    Kind,
    BaseUrl,
    ApiVersion,
    Models,
    ModelAliases,
    DefaultParams,
    TimeoutSecs,
    Priority,
    Weight,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProviderKeys {
    Table,
    Id,
    ProviderId,
    KeyEnc,
    Hint,
    Enabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    UserId,
    Name,
    KeyHash,
    Hint,
    Models,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    Id,
    UserId,
    ApiKeyId,
    ProviderId,
    ProviderKeyId,
    Source,
    Model,
    UpstreamModel,
    PromptTokens,
    CompletionTokens,
    CachedTokens,
    LatencyMs,
    TtftMs,
    Status,
    ErrorCode,
    Stream,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn user_fk(
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Providers::Table)
                    .col(
                        ColumnDef::new(Providers::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Providers::OwnerId).uuid().null())
                    .col(ColumnDef::new(Providers::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Providers::Kind).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Providers::BaseUrl)
                            .string_len(512)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Providers::ApiVersion).string_len(32).null())
                    .col(ColumnDef::new(Providers::Models).text().not_null())
                    .col(ColumnDef::new(Providers::ModelAliases).text().not_null())
                    .col(ColumnDef::new(Providers::DefaultParams).text().not_null())
                    .col(ColumnDef::new(Providers::TimeoutSecs).integer().not_null())
                    .col(ColumnDef::new(Providers::Priority).integer().not_null())
                    .col(ColumnDef::new(Providers::Weight).integer().not_null())
                    .col(ColumnDef::new(Providers::Enabled).boolean().not_null())
                    .col(ts(Providers::CreatedAt))
                    .col(ts(Providers::UpdatedAt))
                    .foreign_key(&mut user_fk(Providers::Table, Providers::OwnerId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_providers_owner")
                    .table(Providers::Table)
                    .col(Providers::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProviderKeys::Table)
                    .col(
                        ColumnDef::new(ProviderKeys::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ProviderKeys::ProviderId).uuid().not_null())
                    .col(ColumnDef::new(ProviderKeys::KeyEnc).text().not_null())
                    .col(ColumnDef::new(ProviderKeys::Hint).string_len(32).not_null())
                    .col(ColumnDef::new(ProviderKeys::Enabled).boolean().not_null())
                    .col(ts(ProviderKeys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProviderKeys::Table, ProviderKeys::ProviderId)
                            .to(Providers::Table, Providers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_provider_keys_provider")
                    .table(ProviderKeys::Table)
                    .col(ProviderKeys::ProviderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(ColumnDef::new(ApiKeys::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiKeys::UserId).uuid().not_null())
                    .col(ColumnDef::new(ApiKeys::Name).string_len(64).not_null())
                    .col(
                        ColumnDef::new(ApiKeys::KeyHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ApiKeys::Hint).string_len(32).not_null())
                    .col(ColumnDef::new(ApiKeys::Models).text().null())
                    .col(ts_null(ApiKeys::ExpiresAt))
                    .col(ts_null(ApiKeys::LastUsedAt))
                    .col(ts_null(ApiKeys::RevokedAt))
                    .col(ts(ApiKeys::CreatedAt))
                    .foreign_key(&mut user_fk(ApiKeys::Table, ApiKeys::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_user")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageEvents::Table)
                    .col(
                        ColumnDef::new(UsageEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(UsageEvents::UserId).uuid().null())
                    .col(ColumnDef::new(UsageEvents::ApiKeyId).uuid().null())
                    .col(ColumnDef::new(UsageEvents::ProviderId).uuid().null())
                    .col(ColumnDef::new(UsageEvents::ProviderKeyId).uuid().null())
                    .col(
                        ColumnDef::new(UsageEvents::Source)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UsageEvents::Model)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UsageEvents::UpstreamModel)
                            .string_len(128)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(UsageEvents::PromptTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UsageEvents::CompletionTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UsageEvents::CachedTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UsageEvents::LatencyMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(UsageEvents::TtftMs).big_integer().null())
                    .col(ColumnDef::new(UsageEvents::Status).integer().not_null())
                    .col(ColumnDef::new(UsageEvents::ErrorCode).string_len(64).null())
                    .col(ColumnDef::new(UsageEvents::Stream).boolean().not_null())
                    .col(ts(UsageEvents::CreatedAt))
                    .foreign_key(&mut user_fk(UsageEvents::Table, UsageEvents::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_events_user_time")
                    .table(UsageEvents::Table)
                    .col(UsageEvents::UserId)
                    .col(UsageEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_events_time")
                    .table(UsageEvents::Table)
                    .col(UsageEvents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UsageEvents::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            ProviderKeys::Table.into_iden(),
            Providers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
