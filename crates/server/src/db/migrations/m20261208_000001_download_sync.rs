//! Progress that survives `kill -9` without syncing the data at every checkpoint.
//!
//! A checkpoint used to `fsync` the partial file before storing its segment map, which bound a
//! download to the disk's write speed. Data written by a process that dies stays in the page
//! cache, so a checkpoint now stores the map as written together with the boot it was written
//! in (`boot_id`), and a slower, separate sync stores the map as known on disk
//! (`synced_segments`, `synced_partial`). A resume in the same boot trusts the written map; a
//! resume after a reboot trusts only the synced one. Existing rows were synced at every
//! checkpoint, so their synced map is their map.

use sea_orm_migration::prelude::*;

/// This migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DownloadFiles {
    Table,
    SyncedSegments,
    SyncedPartial,
    BootId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(DownloadFiles::SyncedSegments)
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(DownloadFiles::SyncedPartial)
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(DownloadFiles::BootId)
                .string_len(64)
                .null()
                .to_owned(),
        ];
        // One column per statement: SQLite adds one at a time.
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(DownloadFiles::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE download_files SET synced_segments = done_segments, synced_partial = partial",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            DownloadFiles::SyncedSegments,
            DownloadFiles::SyncedPartial,
            DownloadFiles::BootId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DownloadFiles::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
