//! Images attached to chat messages: a JSON array of file ids on the message.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    ImageIds,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChatMessages::Table)
                    .add_column(ColumnDef::new(ChatMessages::ImageIds).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChatMessages::Table)
                    .drop_column(ChatMessages::ImageIds)
                    .to_owned(),
            )
            .await
    }
}
