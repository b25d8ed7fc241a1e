//! The conformance suite on PostgreSQL: a fresh database per test, on the
//! server named by `TALLINN_TEST_POSTGRES_URL` (skipped when it is unset).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tallinn_ledger::{Ledger, ManualClock};
use tallinn_store_conformance::{Harness, start};
use tallinn_store_postgres::PostgresBackend;

static NEXT: AtomicU32 = AtomicU32::new(0);

async fn open() -> Option<Harness> {
    let base = std::env::var("TALLINN_TEST_POSTGRES_URL").ok()?;
    let name = format!("tallinn_test_{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), jiff::Timestamp::now().as_microsecond() % 1_000_000);
    let url = PostgresBackend::create_database(&base, &name).await.expect("create test database");
    let cleanup: tallinn_store_conformance::Cleanup = Box::pin(async move {
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

tallinn_store_conformance::conformance_suite!(open);

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

/// A TCP proxy in front of PostgreSQL that the test can cut and restore,
/// as a network partition or a stopped server would.
struct Proxy {
    addr: std::net::SocketAddr,
    upstream: String,
    tasks: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let proxy = Proxy { addr: listener.local_addr().expect("addr"), upstream: upstream.to_string(), tasks: Default::default() };
        proxy.accept(listener);
        proxy
    }

    fn accept(&self, listener: tokio::net::TcpListener) {
        let (upstream, tasks) = (self.upstream.clone(), self.tasks.clone());
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let copy = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(copy);
            }
        });
        self.tasks.lock().unwrap().push(acceptor);
    }

    /// Refuses new connections and breaks the open ones.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.expect("bind the same port again");
        self.accept(listener);
    }
}

/// With PostgreSQL unreachable, calls fail with `Unavailable` within the
/// acquire timeout, then at once; the health says so; when it is back, the
/// next call after a second succeeds, without a restart.
#[tokio::test]
async fn an_unreachable_database_fails_fast_and_recovers_without_a_restart() {
    let Ok(base) = std::env::var("TALLINN_TEST_POSTGRES_URL") else {
        return tallinn_core::testing::unavailable("PostgreSQL", "set TALLINN_TEST_POSTGRES_URL=postgres://USER@HOST/DB");
    };
    let name = format!("tallinn_test_outage_{}", std::process::id());
    let url = PostgresBackend::create_database(&base, &name).await.expect("create test database");
    // postgres://user@host:port/db → the same through the proxy.
    let after_scheme = url.find("://").expect("a URL") + 3;
    let authority_start = url[after_scheme..].find('@').map_or(after_scheme, |at| after_scheme + at + 1);
    let authority_end = url[authority_start..].find('/').map_or(url.len(), |slash| authority_start + slash);
    let upstream = url[authority_start..authority_end].to_string();
    let upstream = if upstream.contains(':') { upstream } else { format!("{upstream}:5432") };
    let proxy = Proxy::start(&upstream).await;
    let proxied = format!("{}{}{}", &url[..authority_start], proxy.addr, &url[authority_end..]);
    let ledger = Ledger::new(Arc::new(PostgresBackend::connect(&proxied).await.expect("open through the proxy")));
    ledger.init().await.expect("init");
    assert!(ledger.participants().await.is_ok());
    assert_eq!(ledger.health(), tallinn_ledger::availability::Health::Available);

    proxy.cut();
    let started = std::time::Instant::now();
    let first = ledger.participants().await;
    assert!(matches!(first, Err(tallinn_ledger::StoreError::Unavailable(_))), "{first:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "the first call gave up in {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let second = ledger.participants().await;
    assert!(matches!(second, Err(tallinn_ledger::StoreError::Unavailable(_))), "{second:?}");
    assert!(started.elapsed() < std::time::Duration::from_millis(100), "later calls fail at once, not after {:?}", started.elapsed());
    assert!(matches!(ledger.health(), tallinn_ledger::availability::Health::Unreachable(_)));

    proxy.restore().await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert!(ledger.participants().await.is_ok(), "back without a restart");
    assert_eq!(ledger.health(), tallinn_ledger::availability::Health::Available);
    proxy.cut();
    drop(ledger);
    PostgresBackend::drop_database(&base, &name).await.expect("drop");
}
