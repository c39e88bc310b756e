//! Replies stored before upstream error text was scrubbed where the error is made may hold a
//! provider key an upstream echoed ("Incorrect API key provided: sk-…") in `chat_messages.error`.
//! This pass rewrites each stored error through the same scrub (key-like words and URLs); new
//! errors are scrubbed of the channel's exact secrets before they are stored.

use sea_orm::{ConnectionTrait, TryGetable};
use sea_orm_migration::prelude::*;

/// This migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
    Error,
}

/// Rows read and rewritten per round trip.
const BATCH: u64 = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let mut offset = 0;
        loop {
            let select = Query::select()
                .columns([ChatMessages::Id, ChatMessages::Error])
                .from(ChatMessages::Table)
                .and_where(Expr::col(ChatMessages::Error).is_not_null())
                .order_by(ChatMessages::Id, Order::Asc)
                .limit(BATCH)
                .offset(offset)
                .to_owned();
            let rows = db.query_all(backend.build(&select)).await?;
            for row in &rows {
                let id = uuid::Uuid::try_get(row, "", "id")
                    .map_err(|e| DbErr::Custom(format!("{e:?}")))?;
                let error: String = row.try_get("", "error")?;
                let clean = crate::llm::scrub::scrub(&error, &[]);
                if clean != error {
                    let update = Query::update()
                        .table(ChatMessages::Table)
                        .value(ChatMessages::Error, clean)
                        .and_where(Expr::col(ChatMessages::Id).eq(id))
                        .to_owned();
                    db.execute(backend.build(&update)).await?;
                }
            }
            if (rows.len() as u64) < BATCH {
                return Ok(());
            }
            offset += BATCH;
        }
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // What was scrubbed cannot come back (nor should it).
        Ok(())
    }
}
