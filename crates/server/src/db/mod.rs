//! The storage layer: one SeaORM connection over SQLite (WAL, busy timeout, foreign keys on) or
//! PostgreSQL, embedded migrations applied atomically (with a backup copy of an existing SQLite
//! file first), readiness checks and online SQLite backups.

pub mod migrations;
pub mod sql;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use sea_orm_migration::MigratorTrait;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::config::{DatabaseBackend, DatabaseConfig, redact_url};
use migrations::Migrator;

/// How long a writer waits for SQLite's lock before failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected database.
#[derive(Clone, Debug)]
pub struct Database {
    /// The SeaORM connection every store uses.
    pub conn: DatabaseConnection,
    /// Which backend this is.
    pub backend: DatabaseBackend,
    pool: Pool,
    sqlite_path: Option<PathBuf>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Connection pool occupancy, for metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Configured maximum.
    pub max: u32,
}

/// What `migrate` did.
#[derive(Debug, Clone, Default)]
pub struct MigrationReport {
    /// Names of the migrations applied now.
    pub applied: Vec<String>,
    /// Backup taken before applying them (existing SQLite databases only).
    pub backup: Option<PathBuf>,
}

impl Database {
    /// Connects (creating the SQLite file and its directory if needed). The error says which
    /// URL (password redacted) could not be reached and why.
    pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<Self> {
        let url = config.url.expose_secret();
        let shown = redact_url(url);
        match config.backend {
            DatabaseBackend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("DATABASE_URL={shown}: invalid SQLite URL"))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true);
                let path = options.get_filename().to_path_buf();
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).with_context(|| {
                        format!(
                            "DATABASE_URL={shown}: cannot create directory {}",
                            parent.display()
                        )
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(config.max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!("DATABASE_URL={shown}: cannot open SQLite database")
                    })?;
                Ok(Self {
                    conn: sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.clone()),
                    backend: DatabaseBackend::Sqlite,
                    pool: Pool::Sqlite(pool),
                    sqlite_path: Some(path),
                })
            }
            DatabaseBackend::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .with_context(|| format!("DATABASE_URL={shown}: invalid PostgreSQL URL"))?
                    .application_name("llm-manager");
                let pool = PgPoolOptions::new()
                    .max_connections(config.max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .with_context(|| {
                        format!("DATABASE_URL={shown}: cannot connect to PostgreSQL")
                    })?;
                Ok(Self {
                    conn: sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone()),
                    backend: DatabaseBackend::Postgres,
                    pool: Pool::Postgres(pool),
                    sqlite_path: None,
                })
            }
        }
    }

    /// Applies pending migrations in one transaction: on failure nothing is changed. An
    /// existing SQLite database is first copied next to itself.
    pub async fn migrate(&self) -> anyhow::Result<MigrationReport> {
        let pending = self.pending_migrations().await?;
        if pending.is_empty() {
            return Ok(MigrationReport::default());
        }
        let backup = match &self.sqlite_path {
            Some(path) if self.has_user_tables().await? => {
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
                let target = backup_path(path, &format!("pre-migrate-{stamp}"));
                self.backup_to(&target)
                    .await
                    .context("backup before migration failed; nothing was migrated")?;
                Some(target)
            }
            _ => None,
        };
        let txn = self.conn.begin().await?;
        Migrator::up(&txn, None)
            .await
            .context("migration failed; the database was left as it was")?;
        txn.commit()
            .await
            .context("committing migrations failed; the database was left as it was")?;
        Ok(MigrationReport {
            applied: pending,
            backup,
        })
    }

    /// Names of embedded migrations not yet applied. Read-only: a missing migrations table
    /// means all are pending.
    pub async fn pending_migrations(&self) -> anyhow::Result<Vec<String>> {
        let applied = self.applied_migrations().await?;
        Ok(Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .filter(|name| !applied.contains(name))
            .collect())
    }

    async fn applied_migrations(&self) -> anyhow::Result<Vec<String>> {
        if !self.table_exists("seaql_migrations").await? {
            return Ok(Vec::new());
        }
        let rows = self
            .conn
            .query_all(Statement::from_string(
                self.conn.get_database_backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String>("", "version").map_err(Into::into))
            .collect()
    }

    async fn table_exists(&self, name: &str) -> anyhow::Result<bool> {
        let backend = self.conn.get_database_backend();
        let sql = match self.backend {
            DatabaseBackend::Sqlite => {
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            DatabaseBackend::Postgres => {
                "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        let row = self
            .conn
            .query_one(Statement::from_sql_and_values(backend, sql, [name.into()]))
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0)
            > 0)
    }

    async fn has_user_tables(&self) -> anyhow::Result<bool> {
        let row = self
            .conn
            .query_one(Statement::from_string(
                self.conn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            ))
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0)
            > 0)
    }

    /// Answers a trivial query.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.conn.ping().await.map_err(Into::into)
    }

    /// Writes a consistent copy of a SQLite database to `target` while it is in use
    /// (`VACUUM INTO`). PostgreSQL databases are backed up with `pg_dump` instead.
    pub async fn backup_to(&self, target: &Path) -> anyhow::Result<()> {
        if self.sqlite_path.is_none() {
            anyhow::bail!(
                "online backup is built in for SQLite only; for PostgreSQL run: pg_dump --format=custom --file=BACKUP.dump \"$DATABASE_URL\""
            );
        }
        if target.exists() {
            anyhow::bail!(
                "{} already exists; choose a new file name",
                target.display()
            );
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        let target_text = target
            .to_str()
            .context("backup path must be valid UTF-8")?
            .to_owned();
        self.conn
            .execute(Statement::from_sql_and_values(
                self.conn.get_database_backend(),
                "VACUUM INTO $1",
                [target_text.into()],
            ))
            .await
            .with_context(|| format!("cannot write backup to {}", target.display()))?;
        Ok(())
    }

    /// Pool occupancy.
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle, max) = match &self.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Pool::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        };
        PoolStats {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    /// The SQLite file, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.sqlite_path.as_deref()
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// `dir/name.db` + suffix → `dir/name.db.SUFFIX.bak`.
fn backup_path(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}.bak"));
    db.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_path_sits_next_to_the_database() {
        assert_eq!(
            backup_path(Path::new("/d/llm-manager.db"), "pre-migrate-x"),
            PathBuf::from("/d/llm-manager.db.pre-migrate-x.bak")
        );
    }
}
