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

/// A table that holds rows but was never analysed (autovacuum off, or not
/// yet come round) is planned as if empty; opening the store analyses it.
#[tokio::test]
async fn tables_never_analysed_are_analysed_when_the_store_opens() {
    let Ok(base) = std::env::var("TALLINN_TEST_POSTGRES_URL") else {
        return tallinn_core::testing::unavailable("PostgreSQL", "set TALLINN_TEST_POSTGRES_URL=postgres://USER@HOST/DB");
    };
    let name = format!("tallinn_test_analyse_{}", std::process::id());
    let url = PostgresBackend::create_database(&base, &name).await.expect("create test database");
    let backend = PostgresBackend::connect(&url).await.expect("open PostgreSQL");
    Ledger::new(Arc::new(backend)).init().await.expect("init");
    let pool = sqlx::PgPool::connect(&url).await.expect("connect");
    sqlx::query("CREATE TABLE scratch AS SELECT generate_series(1, 5000) AS n").execute(&pool).await.expect("scratch table");
    // Autovacuum, where it is on, may come round first (`last_autoanalyze`).
    let analysed = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, bool>("SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'scratch'")
            .fetch_one(&pool)
            .await
            .expect("statistics row")
    };
    // The statistics collector reports the new rows within a moment.
    for _ in 0..50 {
        if sqlx::query_scalar::<_, i64>("SELECT n_live_tup + n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'scratch'")
            .fetch_one(&pool)
            .await
            .expect("row")
            > 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let again = PostgresBackend::connect(&url).await.expect("open PostgreSQL");
    Ledger::new(Arc::new(again)).init().await.expect("init again");
    assert!(analysed(pool.clone()).await, "opening the store analyses a table never analysed");
    pool.close().await;
    PostgresBackend::drop_database(&base, &name).await.expect("drop");
}
