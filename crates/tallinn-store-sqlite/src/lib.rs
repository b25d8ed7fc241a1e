//! The SQLite backend: the embedded default store.
//!
//! WAL journal with `synchronous=FULL` (an acknowledged write survives a
//! power cut), a busy timeout, foreign keys on, and write transactions opened
//! with `BEGIN IMMEDIATE` so that they take the single write lock up front:
//! two writers queue instead of failing with SQLITE_BUSY halfway through.
//!
//! Statements run through `rusqlite` on a small pool of connections used on
//! blocking threads (`pool`, `tx`); sqlx applies the migrations, so a store's
//! migration history stays in `_sqlx_migrations` (docs/adr/0009-sqlite-driver.md).
//!
//! # Modules
//!
//! Connection setup, value binding/decoding, transactions (`BEGIN IMMEDIATE`; `FOR UPDATE` +
//! snapshot reads), native migrations with the append-only triggers. Their `tests/it` instantiate
//! the conformance suite. SQLite runs on rusqlite (ADR 0009): `pool` (a fixed pool of connections,
//! each lent whole to one transaction and used only on blocking threads), `tx` (one thread hop per
//! statement, rows read where they are stepped; readers begin with their first statement, writers
//! take the write lock before `begin_write` returns), `statement` (the `$n` rewrite, binding,
//! decoding, constraint errors by kind); sqlx applies the migrations so stores keep their
//! `_sqlx_migrations` history. PostgreSQL runs on sqlx. The bundled SQLite is compiled without
//! memory statistics (`.cargo/config.toml`: with them, every SQLite allocation takes one global
//! mutex).

mod pool;
mod statement;
mod tx;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tallinn_core::FieldError;
use tallinn_store::sql::{Backend, Connection, Dialect, Value};
use tallinn_store::{Result, StoreError};

use crate::pool::Pool;
use crate::tx::SqliteTx;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// SQLite allows 32,766 parameters per statement since 3.32.
const MAX_PARAMS: usize = 32_000;

pub struct SqliteBackend {
    /// How sqlx opens the file to migrate it (the same settings as the pool).
    migration_options: SqliteConnectOptions,
    pool: Arc<Pool>,
    /// `sqlite://PATH?mode=ro`: a backup or a snapshot, never written.
    read_only: bool,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL;
    /// `sqlite://PATH?mode=ro` opens an existing one read-only (a backup, a
    /// mounted snapshot): reads work, writes are refused as unavailable.
    pub async fn connect(url: &str) -> Result<SqliteBackend> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| FieldError::new("database", format!("bad SQLite URL '{url}': {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(FieldError::new(
                "database",
                format!("'{url}' is in memory; the store must be a file (each connection would see its own empty database)"),
            )
            .into());
        }
        let read_only = url.split_once('?').is_some_and(|(_, query)| query.split('&').any(|p| p == "mode=ro"));
        let options = if read_only { options.create_if_missing(false).read_only(true) } else { options };
        let path = PathBuf::from(options.get_filename());
        if read_only && !path.exists() {
            return Err(FieldError::new("database", format!("{} does not exist (a read-only store is never created)", path.display())).into());
        }
        Ok(SqliteBackend { migration_options: options, pool: Pool::open(path, read_only).await?, read_only })
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn dialect(&self) -> Dialect {
        Dialect {
            lock_rows: "",
            max_params: MAX_PARAMS,
            columns_of: "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
            tables: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            set_identity: None,
            parallel_writes: 1,
        }
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    async fn migrate(&self) -> Result<()> {
        if self.read_only {
            // Nothing may be written: a store of another version is refused.
            return match self.is_current().await? {
                true => Ok(()),
                false => Err(StoreError::Unavailable("the database is read-only and not migrated to this version of Tallinn".into())),
            };
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(self.migration_options.clone())
            .await
            .map_err(|e| StoreError::Database(format!("cannot open the store to migrate it: {e}")))?;
        let migrated = MIGRATOR.run(&pool).await.map_err(|e| StoreError::Database(format!("migration failed: {e}")));
        pool.close().await;
        migrated
    }

    async fn is_current(&self) -> Result<bool> {
        let mut conn = self.begin_read().await?;
        let applied = conn.fetch("SELECT version FROM _sqlx_migrations WHERE success = 1", Vec::<Value>::new()).await;
        let _ = conn.rollback().await;
        // No migration table yet: nothing is applied.
        let applied: Vec<i64> = applied.map(|rows| rows.iter().filter_map(|r| r.int(0).ok()).collect()).unwrap_or_default();
        Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
    }

    async fn begin_write(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(SqliteTx::write(&self.pool).await?))
    }

    async fn begin_read(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(SqliteTx::read(&self.pool).await?))
    }

    async fn backup_to(&self, target: &std::path::Path) -> Result<()> {
        // VACUUM INTO reads one snapshot (WAL: writers go on) and writes a
        // compact, whole database; it cannot run inside a transaction, so it
        // takes a pooled connection of its own.
        let lease = self.pool.acquire().await?;
        let target = target.to_str().ok_or_else(|| FieldError::new("output", "the path is not UTF-8"))?.to_string();
        pool::blocking(move || lease.conn().execute("VACUUM INTO ?1", [target]).map(drop).map_err(statement::map_error)).await?
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_an_in_memory_store() {
        let Err(refused) = SqliteBackend::connect("sqlite::memory:").await else { panic!("an in-memory store was accepted") };
        assert!(refused.to_string().contains("must be a file"), "{refused}");
        assert!(refused.is_client_error(), "a bad URL is the caller's mistake");
    }

    #[tokio::test]
    async fn a_path_that_cannot_be_opened_fails_at_connect() {
        let Err(refused) = SqliteBackend::connect("sqlite:///nonexistent-directory/x/tallinn.db").await else { panic!("opened") };
        assert!(refused.to_string().contains("cannot open the SQLite store"), "{refused}");
    }
}
