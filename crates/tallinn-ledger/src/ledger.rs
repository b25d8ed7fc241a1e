//! The ledger facade: opening transactions as an actor, initialisation, and
//! the shared helpers of the operation modules.

pub mod access;
pub mod access_log;
pub mod accounts;
pub mod agreements;
pub mod allocations;
pub mod audit;
pub mod deconfliction;
mod flow_chunks;
pub mod fx;
pub mod needs;
pub mod participants;
pub mod pledges;
pub mod projects;
pub mod proposals;
pub mod reports;
pub mod snapshot;
pub mod taxii;
pub mod threat;
pub mod transactions;
pub mod view;

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use tallinn_core::DomainError;
use tallinn_core::audit::AuditRecord;
use tallinn_core::policy::Principal;

use crate::clock::{Clock, SystemClock};
use crate::error::{Result, StoreError};
use crate::sql::{Backend, Connection};
use crate::tx::Tx;

/// The ledger over one database.
#[derive(Clone)]
pub struct Ledger {
    /// The backend, watched (`crate::availability`).
    backend: Arc<dyn Backend>,
    guard: Arc<crate::availability::Guarded>,
    clock: Arc<dyn Clock>,
    needs_snapshot: Arc<snapshot::NeedsSnapshot>,
    flows_snapshot: Arc<reports::FlowsSnapshot>,
    growth: Arc<crate::statistics::Growth>,
    /// How reads of confidential records reach the access log.
    access_log: access_log::AccessLogger,
    /// Reads the access log could not take because the store is read-only
    /// (counted for the command line, which goes on: ADR 0020).
    unlogged_reads: Arc<std::sync::atomic::AtomicUsize>,
}

impl Ledger {
    pub fn new(backend: Arc<dyn Backend>) -> Ledger {
        Ledger::with_clock(backend, Arc::new(SystemClock))
    }

    pub fn with_clock(backend: Arc<dyn Backend>, clock: Arc<dyn Clock>) -> Ledger {
        let guard = Arc::new(crate::availability::Guarded::new(backend));
        Ledger {
            backend: guard.clone(),
            guard,
            clock,
            needs_snapshot: Default::default(),
            flows_snapshot: Default::default(),
            growth: Default::default(),
            access_log: Default::default(),
            unlogged_reads: Default::default(),
        }
    }

    /// The same ledger, its reads logged by `log` (the server's
    /// `--access-log-window` chooses it).
    pub fn with_access_log(&self, log: access_log::AccessLogger) -> Ledger {
        Ledger { access_log: log, ..self.clone() }
    }

    /// The access-log writer, to flush it at shutdown.
    pub fn access_logger(&self) -> &access_log::AccessLogger {
        &self.access_log
    }

    /// How many reads of AMBER or RED records went unlogged because the
    /// store was opened read-only (only command-line reads may: the file is
    /// in the operator's hands anyway).
    pub fn unlogged_reads(&self) -> usize {
        self.unlogged_reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A ledger over the same database with its own in-memory state, as a
    /// second server process would have.
    pub fn another_process(&self) -> Ledger {
        Ledger {
            backend: self.backend.clone(),
            guard: self.guard.clone(),
            clock: self.clock.clone(),
            needs_snapshot: Default::default(),
            flows_snapshot: Default::default(),
            growth: Default::default(),
            access_log: self.access_log.fresh(),
            unlogged_reads: Default::default(),
        }
    }

    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// Whether the store is reachable and accepts writes, as last seen.
    pub fn health(&self) -> crate::availability::Health {
        self.guard.health()
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Creates or migrates the schema and loads the reference data of
    /// docs/product.md. Safe to run again: reference rows that exist are left alone.
    pub async fn init(&self) -> Result<()> {
        self.backend.migrate().await?;
        let mut tx = match self.write(Principal::System).await {
            // A read-only store (a backup, a snapshot) that is current is
            // read as it is: its reference data is what it was.
            Err(StoreError::Unavailable(reason)) if reason.contains("read-only") => return Ok(()),
            other => other?,
        };
        let result = async { Ok(participants::load_reference(&mut tx).await? + taxii::collections::ensure_community(&mut tx).await?) }.await;
        match result {
            Ok(0) => {
                // Nothing new: no change, no audit entry.
                tx.rollback().await;
                Ok(())
            }
            Ok(_) => tx.finish(Ok(())).await,
            Err(e) => tx.finish(Err(e)).await,
        }
    }

    /// Opens a write transaction acting as `actor`.
    pub(crate) async fn write(&self, actor: Principal) -> Result<Tx> {
        let conn = self.backend.begin_write().await?;
        Ok(Tx::new(conn, self.backend.dialect(), actor, self.clock.now()))
    }

    /// Records that `rows` were added to `table` and, once it has grown
    /// enough, refreshes the planner's statistics in the background
    /// (`crate::statistics`). A failure there costs only speed: it is logged.
    pub(crate) fn grew(&self, table: &'static str, rows: u64) {
        if self.growth.grew(table, rows) {
            let backend = self.backend.clone();
            tokio::spawn(async move {
                if let Err(e) = backend.refresh_statistics(table).await {
                    tracing::warn!(table, error = %e, "could not refresh the planner's statistics");
                }
            });
        }
    }

    /// Opens a read-only snapshot.
    pub(crate) async fn read(&self) -> Result<Box<dyn Connection>> {
        self.backend.begin_read().await
    }

    /// Resolves a user name to the principal that acts for it.
    pub async fn principal(&self, user: &str) -> Result<Principal> {
        let mut conn = self.read().await?;
        let row = crate::sql::fetch_optional(conn.as_mut(), "SELECT name, org, role FROM users WHERE name = $1", crate::args![user]).await?;
        let _ = conn.rollback().await;
        let row = row.ok_or_else(|| DomainError::not_found("user", user))?;
        Ok(Principal::User { name: row.text("name")?, org: row.text("org")?, role: row.parse("role")? })
    }
}

/// JSON text of a list or object, as stored in TEXT columns.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Who may do what: the rules live in `tallinn_core::policy` (ADR 0023),
/// where the web reads them too; the operations call them.
pub(crate) use tallinn_core::policy::is_office;

/// Appends an audit entry built from a serialisable summary.
/// A list of columns (`"id, title"`) read through a table's alias in a
/// join (`"n.id, n.title"`).
pub(crate) fn prefixed(alias: &str, columns: &str) -> String {
    columns.split(',').map(|c| format!("{alias}.{}", c.trim())).collect::<Vec<_>>().join(", ")
}

pub(crate) async fn audit<T: Serialize>(tx: &mut Tx, action: &'static str, entity: &'static str, id: impl std::fmt::Display, details: &T) -> Result<()> {
    let details = serde_json::to_value(details).unwrap_or(serde_json::Value::Null);
    tx.audit(AuditRecord::new(action, entity, id.to_string(), details)).await
}
