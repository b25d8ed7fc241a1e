//! A write transaction of one business operation: the connection, who acts,
//! when, and the audit entry that the operation appends before commit.

use jiff::Timestamp;
use tallinn_core::audit::{AuditRecord, EntryBody, entry_hash};
use tallinn_core::policy::Principal;
use tallinn_core::time::to_micros;

use crate::args;
use crate::error::Result;
use crate::sql::{Connection, Dialect, Row, Value, fetch_one, fetch_optional};

pub struct Tx {
    conn: Box<dyn Connection>,
    pub dialect: Dialect,
    pub actor: Principal,
    pub at: Timestamp,
    audited: u32,
}

impl Tx {
    pub(crate) fn new(conn: Box<dyn Connection>, dialect: Dialect, actor: Principal, at: Timestamp) -> Tx {
        Tx { conn, dialect, actor, at, audited: 0 }
    }

    pub fn conn(&mut self) -> &mut dyn Connection {
        self.conn.as_mut()
    }

    pub async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64> {
        self.conn.execute(sql, args).await
    }

    pub async fn fetch(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>> {
        self.conn.fetch(sql, args).await
    }

    pub async fn fetch_one(&mut self, sql: &str, args: Vec<Value>) -> Result<Row> {
        fetch_one(self.conn.as_mut(), sql, args).await
    }

    pub async fn fetch_optional(&mut self, sql: &str, args: Vec<Value>) -> Result<Option<Row>> {
        fetch_optional(self.conn.as_mut(), sql, args).await
    }

    /// Appends one entry to the hash chain. The `audit_head` row is updated
    /// first: its row lock serialises concurrent appenders on PostgreSQL, so
    /// two transactions can never chain onto the same predecessor.
    pub async fn audit(&mut self, record: AuditRecord) -> Result<()> {
        let head = self.fetch_one("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash", vec![]).await?;
        let (seq, prev) = (head.int("seq")?, head.text("hash")?);
        let details = record.details.to_string();
        let actor = self.actor.actor();
        let body = EntryBody { actor: &actor, action: record.action, entity: record.entity, entity_id: &record.entity_id, details: &details };
        let hash = entry_hash(&prev, seq, self.at, body);
        self.execute(
            "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![seq, to_micros(self.at), actor, record.action, record.entity, record.entity_id, details, prev, &hash],
        )
        .await?;
        self.execute("UPDATE audit_head SET hash = $1 WHERE id = 1", args![hash]).await?;
        self.audited += 1;
        Ok(())
    }

    /// Commits a write that is not a change to the ledger (the access log
    /// records reads), so carries no audit entry.
    pub async fn finish_unaudited<T>(self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.conn.commit().await?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.conn.rollback().await;
                Err(e)
            }
        }
    }

    /// Abandons the transaction.
    pub async fn rollback(self) {
        if let Err(e) = self.conn.rollback().await {
            tracing::warn!(error = %e, "rollback failed");
        }
    }

    /// Commits if the operation succeeded, rolls back otherwise. A change
    /// that wrote no audit entry is a bug: it is refused, not committed.
    pub async fn finish<T>(self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) if self.audited > 0 => {
                self.conn.commit().await?;
                Ok(value)
            }
            Ok(_) => {
                let _ = self.conn.rollback().await;
                Err(crate::error::StoreError::Corrupt("an operation changed the ledger without an audit entry".into()))
            }
            Err(e) => {
                if let Err(rollback) = self.conn.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        }
    }
}
