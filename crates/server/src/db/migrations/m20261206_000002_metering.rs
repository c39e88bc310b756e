//! Metering: the price table (seeded with common models), the cost of every usage event in
//! nano-units of the currency, and the limits table (budgets and rate limits per role, user
//! or API key). See docs/USAGE.md.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModelPrices {
    Table,
    Model,
    InputPerMtok,
    OutputPerMtok,
    CachedInputPerMtok,
    Currency,
    MaxOutputTokens,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    CostNanos,
    ApiKeyId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Limits {
    Table,
    Id,
    Scope,
    Subject,
    Period,
    MaxCostNanos,
    MaxTokens,
    Rpm,
    Tpm,
    UpdatedAt,
}

/// Public list prices per million tokens (input, output, cached input) at the time of
/// writing; admins edit them in the price table.
const SEED: &[(&str, &str, &str, Option<&str>)] = &[
    ("gpt-4o", "2.50", "10.00", Some("1.25")),
    ("gpt-4o-mini", "0.15", "0.60", Some("0.075")),
    ("gpt-4.1", "2.00", "8.00", Some("0.50")),
    ("gpt-4.1-mini", "0.40", "1.60", Some("0.10")),
    ("gpt-4.1-nano", "0.10", "0.40", Some("0.025")),
    ("o3-mini", "1.10", "4.40", Some("0.55")),
    ("claude-sonnet-4", "3.00", "15.00", Some("0.30")),
    ("claude-3-5-haiku", "0.80", "4.00", Some("0.08")),
    ("gemini-2.0-flash", "0.10", "0.40", Some("0.025")),
    ("deepseek-chat", "0.27", "1.10", Some("0.07")),
    ("text-embedding-3-small", "0.02", "0", None),
    ("text-embedding-3-large", "0.13", "0", None),
];

fn prices_table() -> TableCreateStatement {
    Table::create()
        .table(ModelPrices::Table)
        .col(
            ColumnDef::new(ModelPrices::Model)
                .string_len(128)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(ModelPrices::InputPerMtok)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(ModelPrices::OutputPerMtok)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(ModelPrices::CachedInputPerMtok)
                .string_len(32)
                .null(),
        )
        .col(
            ColumnDef::new(ModelPrices::Currency)
                .string_len(8)
                .not_null(),
        )
        .col(
            ColumnDef::new(ModelPrices::MaxOutputTokens)
                .big_integer()
                .null(),
        )
        .col(
            ColumnDef::new(ModelPrices::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

fn limits_table() -> TableCreateStatement {
    Table::create()
        .table(Limits::Table)
        .col(ColumnDef::new(Limits::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Limits::Scope).string_len(8).not_null())
        .col(ColumnDef::new(Limits::Subject).string_len(64).not_null())
        .col(ColumnDef::new(Limits::Period).string_len(8).not_null())
        .col(ColumnDef::new(Limits::MaxCostNanos).big_integer().null())
        .col(ColumnDef::new(Limits::MaxTokens).big_integer().null())
        .col(ColumnDef::new(Limits::Rpm).big_integer().null())
        .col(ColumnDef::new(Limits::Tpm).big_integer().null())
        .col(
            ColumnDef::new(Limits::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(prices_table()).await?;
        let now = chrono::Utc::now();
        for (model, input, output, cached) in SEED {
            let insert = Query::insert()
                .into_table(ModelPrices::Table)
                .columns([
                    ModelPrices::Model,
                    ModelPrices::InputPerMtok,
                    ModelPrices::OutputPerMtok,
                    ModelPrices::CachedInputPerMtok,
                    ModelPrices::Currency,
                    ModelPrices::UpdatedAt,
                ])
                .values([
                    (*model).into(),
                    (*input).into(),
                    (*output).into(),
                    cached.map(str::to_owned).into(),
                    "USD".into(),
                    now.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(UsageEvents::Table)
                    .add_column(
                        ColumnDef::new(UsageEvents::CostNanos)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        // Budgets of API keys sum a key's events in a window.
        manager
            .create_index(
                Index::create()
                    .name("idx_usage_events_key_time")
                    .table(UsageEvents::Table)
                    .col(UsageEvents::ApiKeyId)
                    .col(UsageEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager.create_table(limits_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_limits_subject")
                    .table(Limits::Table)
                    .col(Limits::Scope)
                    .col(Limits::Subject)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Limits::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_usage_events_key_time")
                    .table(UsageEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(UsageEvents::Table)
                    .drop_column(UsageEvents::CostNanos)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ModelPrices::Table).to_owned())
            .await
    }
}
