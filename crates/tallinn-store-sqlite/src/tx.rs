//! A transaction on one pooled connection: each statement is one trip to a
//! blocking thread, which returns with every row already read.

use async_trait::async_trait;
use tallinn_store::sql::{Connection, Row, Value};
use tallinn_store::{Result, StoreError};

use crate::pool::{Lease, Pool, blocking};
use crate::statement::{self, map_error};

pub(crate) struct SqliteTx {
    /// `None` once the transaction has ended (or a trip to SQLite failed).
    lease: Option<Lease>,
    /// The `BEGIN` still to run ahead of the first statement: a read
    /// transaction begins with its first statement (SQLite takes a read
    /// snapshot at the first read anyway), which saves it a trip.
    pending_begin: Option<&'static str>,
    write: bool,
}

impl SqliteTx {
    /// Takes the database's single write lock before returning, so that
    /// whatever the caller does next (reading the clock for `date_added`, say)
    /// happens in the order the writers commit.
    pub(crate) async fn write(pool: &std::sync::Arc<Pool>) -> Result<SqliteTx> {
        let mut tx = SqliteTx { lease: Some(pool.acquire().await?), pending_begin: Some("BEGIN IMMEDIATE"), write: true };
        tx.run(|_| Ok(())).await?;
        Ok(tx)
    }

    pub(crate) async fn read(pool: &std::sync::Arc<Pool>) -> Result<SqliteTx> {
        Ok(SqliteTx { lease: Some(pool.acquire().await?), pending_begin: Some("BEGIN"), write: false })
    }

    /// Runs `work` on the connection on a blocking thread, beginning the
    /// transaction first if it has not begun.
    async fn run<T: Send + 'static>(&mut self, work: impl FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let lease = self.lease.take().ok_or_else(|| StoreError::Database("the transaction has ended".into()))?;
        let begin = self.pending_begin;
        let (lease, began, result) = blocking(move || {
            if let Some(begin) = begin
                && let Err(e) = lease.conn().execute_batch(begin)
            {
                return (lease, false, Err(map_error(e)));
            }
            let result = work(lease.conn());
            (lease, true, result)
        })
        .await?;
        self.lease = Some(lease);
        if began {
            self.pending_begin = None;
        }
        result
    }
}

#[async_trait]
impl Connection for SqliteTx {
    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64> {
        tallinn_store::sql::storable(&args)?;
        let sql = sql.to_string();
        self.run(move |conn| statement::execute(conn, &sql, &args)).await
    }

    async fn fetch(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>> {
        tallinn_store::sql::storable(&args)?;
        let sql = sql.to_string();
        self.run(move |conn| statement::fetch(conn, &sql, &args)).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        if self.pending_begin.is_some() {
            // Nothing was read or written.
            return Ok(());
        }
        self.run(|conn| conn.execute_batch("COMMIT").map_err(map_error)).await
    }

    async fn rollback(mut self: Box<Self>) -> Result<()> {
        if self.write && self.pending_begin.is_none() {
            // A writer waits until the write lock is free again.
            return self.run(|conn| conn.execute_batch("ROLLBACK").map_err(map_error)).await;
        }
        // A reader does not wait: dropping it ends the snapshot on a
        // blocking thread and gives the connection back.
        Ok(())
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else { return };
        if !lease.in_transaction() {
            return;
        }
        // Dropping the lease rolls back: a call into SQLite, kept off the
        // async threads when there are any.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn_blocking(move || drop(lease));
            }
            Err(_) => drop(lease),
        }
    }
}
