//! The conformance suite on SQLite: a fresh database file per test.

mod pool;

use std::sync::Arc;

use tallinn_ledger::{Ledger, ManualClock};
use tallinn_store_conformance::{Harness, start};
use tallinn_store_sqlite::SqliteBackend;

async fn open() -> Option<Harness> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tallinn.db").display());
    let backend = SqliteBackend::connect(&url).await.expect("open SQLite");
    let clock = Arc::new(ManualClock::new(start()));
    let ledger = Ledger::with_clock(Arc::new(backend), clock.clone());
    ledger.init().await.expect("init");
    // The directory is removed once the test has passed.
    let cleanup: tallinn_store_conformance::Cleanup = Box::pin(async move { drop(dir) });
    Some(Harness {
        ledger,
        clock,
        disable_audit_triggers: &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
        flow_chunks_backfill: flow_chunks_backfill(),
        cleanup: Some(cleanup),
    })
}

tallinn_store_conformance::conformance_suite!(open);

/// The statement of migration 0011 that writes `flow_chunks` from `transactions`.
fn flow_chunks_backfill() -> &'static str {
    const MIGRATION: &str = include_str!("../../migrations/0011_flow_chunks_upstream.sql");
    &MIGRATION[MIGRATION.find("INSERT INTO flow_chunks").expect("the backfill statement")..]
}
