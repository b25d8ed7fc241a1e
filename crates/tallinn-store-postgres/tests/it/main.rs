//! The conformance suite on PostgreSQL: a fresh database per test, on the
//! server named by `TALLINN_TEST_POSTGRES_URL` (skipped when it is unset).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tallinn_store::conformance::{Harness, start};
use tallinn_store::{Ledger, ManualClock};
use tallinn_store_postgres::PostgresBackend;

static NEXT: AtomicU32 = AtomicU32::new(0);

async fn open() -> Option<Harness> {
    let base = std::env::var("TALLINN_TEST_POSTGRES_URL").ok()?;
    let name = format!("tallinn_test_{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), jiff::Timestamp::now().as_microsecond() % 1_000_000);
    let url = PostgresBackend::create_database(&base, &name).await.expect("create test database");
    let cleanup: tallinn_store::conformance::Cleanup = Box::pin(async move {
        if let Err(e) = PostgresBackend::drop_database(&base, &name).await {
            eprintln!("could not drop test database {name}: {e}");
        }
    });
    let backend = PostgresBackend::connect(&url).await.expect("open PostgreSQL");
    let clock = Arc::new(ManualClock::new(start()));
    let ledger = Ledger::with_clock(Arc::new(backend), clock.clone());
    ledger.init().await.expect("init");
    Some(Harness {
        ledger,
        clock,
        disable_audit_triggers: &["ALTER TABLE audit_log DISABLE TRIGGER USER"],
        flow_chunks_backfill: flow_chunks_backfill(),
        cleanup: Some(cleanup),
    })
}

tallinn_store::conformance_suite!(open);

/// The statement of migration 0011 that writes `flow_chunks` from `transactions`.
fn flow_chunks_backfill() -> &'static str {
    const MIGRATION: &str = include_str!("../../migrations/0011_flow_chunks_upstream.sql");
    &MIGRATION[MIGRATION.find("INSERT INTO flow_chunks").expect("the backfill statement")..]
}
