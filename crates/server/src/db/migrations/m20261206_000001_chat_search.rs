//! Message search indexed once per message, and the same search on both databases.
//!
//! A streaming reply is saved every 500 ms; the first index re-indexed its whole growing text
//! at each save (an SQLite trigger on every `content` update, a PostgreSQL GIN entry per row
//! version). Now only final messages (status other than `streaming`) are indexed: SQLite's
//! triggers fire when a message becomes final, PostgreSQL's index is partial on the same
//! predicate.
//!
//! PostgreSQL searched `to_tsvector('simple', …)`, which cannot find a Chinese word inside a
//! sentence (no spaces, so the whole sentence is one token). It now uses `pg_trgm`'s trigram
//! GIN index with `ILIKE`, like SQLite's FTS5 trigram tokenizer: a substring anywhere, in any
//! script, case-insensitive. `pg_trgm` ships with PostgreSQL and is a trusted extension, so
//! the database owner may create it.
//!
//! SQLite's index rows are found by their own rowid, kept in `chat_messages.fts_rowid`
//! (SQLite only), not by a scan of an unindexed column.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

/// This migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// A final message's index row, and where it is kept.
const SQLITE_INDEX_NEW: &str = "INSERT INTO chat_messages_fts(content, session_id, user_id) \
     VALUES (new.content, new.session_id, new.user_id); \
     UPDATE chat_messages SET fts_rowid = last_insert_rowid() WHERE id = new.id;";

const SQLITE_UP: &[&str] = &[
    "DROP TRIGGER IF EXISTS chat_messages_fts_insert",
    "DROP TRIGGER IF EXISTS chat_messages_fts_update",
    "DROP TRIGGER IF EXISTS chat_messages_fts_delete",
    "DROP TABLE IF EXISTS chat_messages_fts",
    "ALTER TABLE chat_messages ADD COLUMN fts_rowid INTEGER",
    "CREATE VIRTUAL TABLE chat_messages_fts USING fts5(content, session_id UNINDEXED, user_id UNINDEXED, tokenize = 'trigram')",
    "INSERT INTO chat_messages_fts(rowid, content, session_id, user_id) \
       SELECT rowid, content, session_id, user_id FROM chat_messages WHERE status <> 'streaming'",
    "UPDATE chat_messages SET fts_rowid = rowid WHERE status <> 'streaming'",
];

const SQLITE_TRIGGERS: &[(&str, &str)] = &[
    (
        "chat_messages_fts_insert",
        "AFTER INSERT ON chat_messages WHEN new.status <> 'streaming'",
    ),
    (
        "chat_messages_fts_update",
        "AFTER UPDATE OF content, status ON chat_messages WHEN new.status <> 'streaming'",
    ),
];

const SQLITE_DELETE: &[&str] = &[
    // A final message edited again: its old index row goes first.
    "CREATE TRIGGER chat_messages_fts_unindex BEFORE UPDATE OF content, status ON chat_messages \
       WHEN old.fts_rowid IS NOT NULL AND new.status <> 'streaming' BEGIN \
       DELETE FROM chat_messages_fts WHERE rowid = old.fts_rowid; END",
    "CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages \
       WHEN old.fts_rowid IS NOT NULL BEGIN \
       DELETE FROM chat_messages_fts WHERE rowid = old.fts_rowid; END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS chat_messages_fts_insert",
    "DROP TRIGGER IF EXISTS chat_messages_fts_update",
    "DROP TRIGGER IF EXISTS chat_messages_fts_unindex",
    "DROP TRIGGER IF EXISTS chat_messages_fts_delete",
    "DROP TABLE IF EXISTS chat_messages_fts",
    "ALTER TABLE chat_messages DROP COLUMN fts_rowid",
    "CREATE VIRTUAL TABLE chat_messages_fts USING fts5(content, message_id UNINDEXED, session_id UNINDEXED, user_id UNINDEXED, tokenize = 'trigram')",
    "INSERT INTO chat_messages_fts(content, message_id, session_id, user_id) \
       SELECT content, id, session_id, user_id FROM chat_messages",
    "CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN \
       INSERT INTO chat_messages_fts(content, message_id, session_id, user_id) VALUES (new.content, new.id, new.session_id, new.user_id); END",
    "CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF content ON chat_messages BEGIN \
       DELETE FROM chat_messages_fts WHERE message_id = old.id; \
       INSERT INTO chat_messages_fts(content, message_id, session_id, user_id) VALUES (new.content, new.id, new.session_id, new.user_id); END",
    "CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN \
       DELETE FROM chat_messages_fts WHERE message_id = old.id; END",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP INDEX IF EXISTS idx_chat_messages_fts",
    "CREATE INDEX idx_chat_messages_trgm ON chat_messages USING GIN (content gin_trgm_ops) \
       WHERE status <> 'streaming'",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_chat_messages_trgm",
    "CREATE INDEX idx_chat_messages_fts ON chat_messages USING GIN (to_tsvector('simple', content))",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                run(manager, SQLITE_UP).await?;
                run(manager, SQLITE_DELETE).await?;
                for (name, when) in SQLITE_TRIGGERS {
                    let sql = format!("CREATE TRIGGER {name} {when} BEGIN {SQLITE_INDEX_NEW} END");
                    run(manager, &[&sql]).await?;
                }
                Ok(())
            }
            DatabaseBackend::Postgres => run(manager, POSTGRES_UP).await,
            DatabaseBackend::MySql => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run(manager, SQLITE_DOWN).await,
            DatabaseBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            DatabaseBackend::MySql => Ok(()),
        }
    }
}
