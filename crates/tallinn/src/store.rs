//! Opening the store named by `--database`.

use std::sync::Arc;

use anyhow::{Context, bail};
use tallinn_ledger::Ledger;

pub const DEFAULT_URL: &str = "sqlite://./tallinn.db";

/// Opens the backend for the URL's scheme, applies pending migrations and
/// records the reference data (participants, the community collection).
pub async fn open(url: &str) -> anyhow::Result<Ledger> {
    let ledger = open_migrated(url).await?;
    ledger.init().await.with_context(|| format!("cannot initialise the {} store", ledger.backend().name()))?;
    Ok(ledger)
}

/// Opens the backend and applies pending migrations, recording nothing:
/// what `tallinn import` fills (an archive brings its own reference data).
pub async fn open_migrated(url: &str) -> anyhow::Result<Ledger> {
    let ledger = if url.starts_with("sqlite:") {
        if url == DEFAULT_URL {
            eprintln!("tallinn: using the SQLite store ./tallinn.db (set --database or TALLINN_DATABASE_URL to choose another)");
        }
        Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ledger::new(Arc::new(tallinn_store_postgres::PostgresBackend::connect(url).await?))
    } else {
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        bail!("unknown database URL scheme '{scheme}': use sqlite://PATH or postgres://USER@HOST/DB");
    };
    ledger.backend().migrate().await.with_context(|| format!("cannot migrate the {} store", ledger.backend().name()))?;
    Ok(ledger)
}

/// The URL that opens the same store read-only: SQLite's `mode=ro`;
/// PostgreSQL sessions whose transactions are read-only by default.
pub fn read_only_url(url: &str) -> anyhow::Result<String> {
    let join = if url.contains('?') { '&' } else { '?' };
    if url.starts_with("sqlite:") {
        Ok(format!("{url}{join}mode=ro"))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(format!("{url}{join}options=-c%20default_transaction_read_only%3Don"))
    } else {
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        bail!("unknown database URL scheme '{scheme}': use sqlite://PATH or postgres://USER@HOST/DB")
    }
}
