//! `usage_daily`: usage summed per UTC day, user, API key, provider, model and source, kept by
//! the usage writer in the same transaction as the events, so statistics and budget seeding
//! read a few thousand rows instead of scanning millions of events. Absent ids are the nil
//! UUID (not NULL), so the unique key holds for them too. Filled from the existing events.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    Day,
    UserId,
    ApiKeyId,
    ProviderId,
    Model,
    Source,
    Requests,
    Errors,
    PromptTokens,
    CompletionTokens,
    CachedTokens,
    CostNanos,
    LatencyMsSum,
}

const NIL_SQLITE: &str = "x'00000000000000000000000000000000'";
const NIL_PG: &str = "'00000000-0000-0000-0000-000000000000'::uuid";

fn backfill(backend: DatabaseBackend) -> String {
    let (nil, day) = match backend {
        DatabaseBackend::Sqlite => (NIL_SQLITE, "substr(created_at, 1, 10)".to_owned()),
        _ => (
            NIL_PG,
            "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')".to_owned(),
        ),
    };
    format!(
        "INSERT INTO usage_daily (day, user_id, api_key_id, provider_id, model, source, requests, \
         errors, prompt_tokens, completion_tokens, cached_tokens, cost_nanos, latency_ms_sum) \
         SELECT {day}, COALESCE(user_id, {nil}), COALESCE(api_key_id, {nil}), \
         COALESCE(provider_id, {nil}), model, source, COUNT(*), \
         SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(prompt_tokens), \
         SUM(completion_tokens), SUM(cached_tokens), SUM(cost_nanos), SUM(latency_ms) \
         FROM usage_events GROUP BY {day}, COALESCE(user_id, {nil}), COALESCE(api_key_id, {nil}), \
         COALESCE(provider_id, {nil}), model, source"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let big = |c: UsageDaily| ColumnDef::new(c).big_integer().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(UsageDaily::Table)
                    .col(ColumnDef::new(UsageDaily::Day).string_len(10).not_null())
                    .col(ColumnDef::new(UsageDaily::UserId).uuid().not_null())
                    .col(ColumnDef::new(UsageDaily::ApiKeyId).uuid().not_null())
                    .col(ColumnDef::new(UsageDaily::ProviderId).uuid().not_null())
                    .col(ColumnDef::new(UsageDaily::Model).string_len(128).not_null())
                    .col(ColumnDef::new(UsageDaily::Source).string_len(16).not_null())
                    .col(big(UsageDaily::Requests))
                    .col(big(UsageDaily::Errors))
                    .col(big(UsageDaily::PromptTokens))
                    .col(big(UsageDaily::CompletionTokens))
                    .col(big(UsageDaily::CachedTokens))
                    .col(big(UsageDaily::CostNanos))
                    .col(big(UsageDaily::LatencyMsSum))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_daily_key")
                    .table(UsageDaily::Table)
                    .col(UsageDaily::Day)
                    .col(UsageDaily::UserId)
                    .col(UsageDaily::ApiKeyId)
                    .col(UsageDaily::ProviderId)
                    .col(UsageDaily::Model)
                    .col(UsageDaily::Source)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_daily_user")
                    .table(UsageDaily::Table)
                    .col(UsageDaily::UserId)
                    .col(UsageDaily::Day)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_daily_api_key")
                    .table(UsageDaily::Table)
                    .col(UsageDaily::ApiKeyId)
                    .col(UsageDaily::Day)
                    .to_owned(),
            )
            .await?;
        let sql = backfill(manager.get_database_backend());
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UsageDaily::Table).to_owned())
            .await
    }
}
