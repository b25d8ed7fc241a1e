//! An in-memory snapshot of the needs, for fast reads.
//!
//! Every change to the ledger appends to the audit chain, which advances
//! `audit_head.seq` in the same transaction: the sequence number is an exact
//! version of the whole ledger, the same for every process on one database.
//! A read checks it (one single-row query) and reloads the snapshot only when
//! it moved, so pages are served from memory while staying exactly as fresh
//! as reading the tables, on any number of server processes.

use std::sync::Arc;

use tokio::sync::Mutex;

use tallinn_core::need::Need;

use super::needs;
use crate::error::Result;
use crate::sql::{Connection, fetch_one};

/// The needs as of one ledger version, newest first. Reservations are kept
/// as stored; readers hide the expired ones.
#[derive(Default)]
pub struct NeedsSnapshot {
    current: Mutex<Option<(i64, Arc<Vec<Need>>)>>,
}

impl NeedsSnapshot {
    /// The needs as of the ledger's current version, reading through `conn`.
    pub async fn get(&self, conn: &mut dyn Connection) -> Result<Arc<Vec<Need>>> {
        let version = fetch_one(conn, "SELECT seq FROM audit_head WHERE id = 1", vec![]).await?.int(0)?;
        let mut current = self.current.lock().await;
        if let Some((v, needs)) = current.as_ref()
            && *v == version
        {
            return Ok(needs.clone());
        }
        let rows = conn.fetch(&format!("SELECT {} FROM needs ORDER BY id DESC", needs::COLUMNS), vec![]).await?;
        // Decode with the earliest possible "now" so that no reservation is
        // dropped here; readers apply the real clock.
        let all: Vec<Need> = rows.iter().map(|r| needs::from_row(r, jiff::Timestamp::MIN)).collect::<Result<_>>()?;
        let all = Arc::new(all);
        *current = Some((version, all.clone()));
        Ok(all)
    }
}
