//! The conformance suite on SQLite: a fresh database file per test.

use std::sync::Arc;

use tallinn_store::conformance::{Harness, start};
use tallinn_store::{Ledger, ManualClock};
use tallinn_store_sqlite::SqliteBackend;

async fn open() -> Option<Harness> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tallinn.db").display());
    // The directory lives as long as the test process; each test has its own.
    std::mem::forget(dir);
    let backend = SqliteBackend::connect(&url).await.expect("open SQLite");
    let clock = Arc::new(ManualClock::new(start()));
    let ledger = Ledger::with_clock(Arc::new(backend), clock.clone());
    ledger.init().await.expect("init");
    Some(Harness { ledger, clock, disable_audit_triggers: &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"] })
}

tallinn_store::conformance_suite!(open);
