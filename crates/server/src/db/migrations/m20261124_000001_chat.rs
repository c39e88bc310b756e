//! Chat: sessions, messages (with their full-text index: SQLite FTS5 with the trigram tokenizer,
//! so Chinese text is searchable too; PostgreSQL a GIN index on `to_tsvector`), personas and
//! share links.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatSessions {
    Table,
    Id,
    UserId,
    Title,
    TitleAuto,
    PersonaId,
    Model,
    SystemPrompt,
    Params,
    Tags,
    Pinned,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
    SessionId,
    UserId,
    ParentId,
    Role,
    Content,
    Status,
    Model,
    PersonaId,
    PromptTokens,
    CompletionTokens,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Personas {
    Table,
    Id,
    OwnerId,
    Name,
    Description,
    Avatar,
    SystemPrompt,
    Model,
    Params,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatShares {
    Table,
    TokenHash,
    SessionId,
    UserId,
    Snapshot,
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

fn cascade(
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

const SQLITE_FTS: &[&str] = &[
    "CREATE VIRTUAL TABLE chat_messages_fts USING fts5(content, message_id UNINDEXED, session_id UNINDEXED, user_id UNINDEXED, tokenize = 'trigram')",
    "CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN \
       INSERT INTO chat_messages_fts(content, message_id, session_id, user_id) VALUES (new.content, new.id, new.session_id, new.user_id); END",
    "CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF content ON chat_messages BEGIN \
       DELETE FROM chat_messages_fts WHERE message_id = old.id; \
       INSERT INTO chat_messages_fts(content, message_id, session_id, user_id) VALUES (new.content, new.id, new.session_id, new.user_id); END",
    "CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN \
       DELETE FROM chat_messages_fts WHERE message_id = old.id; END",
];

const POSTGRES_FTS: &[&str] = &[
    "CREATE INDEX idx_chat_messages_fts ON chat_messages USING GIN (to_tsvector('simple', content))",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatSessions::Table)
                    .col(
                        ColumnDef::new(ChatSessions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ChatSessions::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(ChatSessions::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChatSessions::TitleAuto).boolean().not_null())
                    .col(
                        ColumnDef::new(ChatSessions::PersonaId)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(ChatSessions::Model).string_len(128).null())
                    .col(ColumnDef::new(ChatSessions::SystemPrompt).text().null())
                    .col(ColumnDef::new(ChatSessions::Params).text().not_null())
                    .col(ColumnDef::new(ChatSessions::Tags).text().not_null())
                    .col(ColumnDef::new(ChatSessions::Pinned).boolean().not_null())
                    .col(ts(ChatSessions::CreatedAt))
                    .col(ts(ChatSessions::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (ChatSessions::Table, ChatSessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_sessions_user")
                    .table(ChatSessions::Table)
                    .col(ChatSessions::UserId)
                    .col(ChatSessions::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatMessages::Table)
                    .col(
                        ColumnDef::new(ChatMessages::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ChatMessages::SessionId).uuid().not_null())
                    .col(ColumnDef::new(ChatMessages::UserId).uuid().not_null())
                    .col(ColumnDef::new(ChatMessages::ParentId).uuid().null())
                    .col(ColumnDef::new(ChatMessages::Role).string_len(16).not_null())
                    .col(ColumnDef::new(ChatMessages::Content).text().not_null())
                    .col(
                        ColumnDef::new(ChatMessages::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChatMessages::Model).string_len(128).null())
                    .col(
                        ColumnDef::new(ChatMessages::PersonaId)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChatMessages::PromptTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChatMessages::CompletionTokens)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChatMessages::Error).text().null())
                    .col(ts(ChatMessages::CreatedAt))
                    .col(ts(ChatMessages::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (ChatMessages::Table, ChatMessages::SessionId),
                        (ChatSessions::Table, ChatSessions::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_messages_session")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::SessionId)
                    .col(ChatMessages::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_messages_status")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Personas::Table)
                    .col(ColumnDef::new(Personas::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Personas::OwnerId).uuid().null())
                    .col(ColumnDef::new(Personas::Name).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Personas::Description)
                            .string_len(500)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Personas::Avatar).string_len(16).not_null())
                    .col(ColumnDef::new(Personas::SystemPrompt).text().not_null())
                    .col(ColumnDef::new(Personas::Model).string_len(128).null())
                    .col(ColumnDef::new(Personas::Params).text().not_null())
                    .col(ts(Personas::CreatedAt))
                    .col(ts(Personas::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Personas::Table, Personas::OwnerId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatShares::Table)
                    .col(
                        ColumnDef::new(ChatShares::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ChatShares::SessionId).uuid().not_null())
                    .col(ColumnDef::new(ChatShares::UserId).uuid().not_null())
                    .col(ColumnDef::new(ChatShares::Snapshot).text().not_null())
                    .col(ts(ChatShares::CreatedAt))
                    .foreign_key(&mut cascade(
                        (ChatShares::Table, ChatShares::SessionId),
                        (ChatSessions::Table, ChatSessions::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_FTS,
            DatabaseBackend::Postgres => POSTGRES_FTS,
            DatabaseBackend::MySql => &[],
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS chat_messages_fts")
                .await?;
        }
        for table in [
            ChatShares::Table.into_iden(),
            Personas::Table.into_iden(),
            ChatMessages::Table.into_iden(),
            ChatSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
