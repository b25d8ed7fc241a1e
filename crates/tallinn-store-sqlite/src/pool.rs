//! A fixed pool of SQLite connections, each lent whole to one transaction.
//!
//! A connection is used only on tokio's blocking threads: a transaction moves
//! its lease into `spawn_blocking` for each statement and gets it back with
//! the rows, so the async threads never wait on SQLite and a page of rows
//! crosses threads once, not row by row (docs/adr/0009-sqlite-driver.md).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::OpenFlags;
use tallinn_store::{Result, StoreError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::statement::map_error;

/// Connections open at most at once: readers share the WAL; writers queue
/// on the database's single write lock anyway.
const CONNECTIONS: usize = 8;

/// Statements kept prepared per connection (the ledger has about 150
/// distinct ones; dynamic lists such as bulk inserts take a few more).
const STATEMENT_CACHE: usize = 256;

pub(crate) struct Pool {
    path: PathBuf,
    /// Opened read-only (`?mode=ro`): a backup or a mounted snapshot.
    read_only: bool,
    idle: Mutex<Vec<rusqlite::Connection>>,
    permits: Arc<Semaphore>,
    closed: AtomicBool,
}

impl Pool {
    /// Opens the pool and one connection, so a path that cannot be opened
    /// fails here rather than on first use.
    pub(crate) async fn open(path: PathBuf, read_only: bool) -> Result<Arc<Pool>> {
        let first = {
            let path = path.clone();
            blocking(move || open_connection(&path, read_only)).await??
        };
        Ok(Arc::new(Pool { path, read_only, idle: Mutex::new(vec![first]), permits: Arc::new(Semaphore::new(CONNECTIONS)), closed: AtomicBool::new(false) }))
    }

    /// Waits for a free connection (opening one if the pool has fewer than
    /// its size).
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Lease> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| closed())?;
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let (path, read_only) = (self.path.clone(), self.read_only);
                blocking(move || open_connection(&path, read_only)).await??
            }
        };
        Ok(Lease { conn: Some(conn), pool: self.clone(), _permit: permit })
    }

    /// Refuses new transactions and closes the idle connections; connections
    /// still lent out close when their transaction ends.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        // Closing the last connection checkpoints the WAL: file I/O.
        let _ = blocking(move || drop(idle)).await;
    }

    fn give_back(&self, conn: rusqlite::Connection) {
        if !self.closed.load(Ordering::SeqCst) {
            self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(conn);
        }
    }
}

/// One connection lent to one transaction. Dropping it ends any transaction
/// still open (rolled back) and gives the connection back — on a blocking
/// thread, since the rollback is a call into SQLite.
pub(crate) struct Lease {
    conn: Option<rusqlite::Connection>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        self.conn.as_ref().expect("a lease holds its connection until dropped")
    }

    pub(crate) fn in_transaction(&self) -> bool {
        !self.conn().is_autocommit()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            // A connection whose transaction cannot end is not reused.
            return;
        }
        self.pool.give_back(conn);
    }
}

/// Runs blocking SQLite work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Database(format!("a SQLite call failed: {e}")))
}

fn closed() -> StoreError {
    StoreError::Database("the store is closed".into())
}

/// WAL journal, `synchronous=FULL`, foreign keys on, and a busy timeout so
/// that writers queue for the write lock.
fn open_connection(path: &Path, read_only: bool) -> Result<rusqlite::Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = rusqlite::Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Database(format!("cannot open the SQLite store {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(map_error)?;
    // A read-only connection reads the journal mode the file has; it may
    // not change it.
    if !read_only {
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(())).map_err(map_error)?;
    }
    if !read_only {
        conn.pragma_update(None, "synchronous", "FULL").map_err(map_error)?;
    }
    conn.pragma_update(None, "foreign_keys", "ON").map_err(map_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}
