//! Import throughput on both stores: 100,000 needs and 1,000,000 transactions,
//! from CSV text through parsing and every check to one committed, audited
//! transaction. Each sample starts from a fresh, initialised database.
//!
//!     cargo bench -p tallinn --bench import                   # SQLite
//!     TALLINN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres \
//!       cargo bench -p tallinn --bench import                 # and PostgreSQL
//!
//! Without the URL the PostgreSQL benchmarks print "skipped" and measure nothing.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

use divan::Bencher;
use tallinn_core::import::{parse_needs, parse_transactions};
use tallinn_core::participant::{Participant, ParticipantKind};
use tallinn_core::policy::Principal;
use tallinn_ledger::Ledger;

/// The allocator the `tallinn` binary ships with (`src/main.rs`), so that
/// the benchmark measures what runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

const NEEDS: usize = 100_000;
const TRANSACTIONS: usize = 1_000_000;
const INSTITUTIONS: usize = 50;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| tokio::runtime::Runtime::new().expect("runtime"));
static NEXT: AtomicU32 = AtomicU32::new(0);

static NEEDS_CSV: LazyLock<String> = LazyLock::new(|| {
    let capabilities = ["detect", "impose_cost", "remediate", "resilience", "digital_state", "connectivity"];
    let sectors = ["government", "energy", "telecom", "finance", "health", "water"];
    let urgencies = ["critical", "high", "medium", "low"];
    let mut csv = String::from("beneficiary,title,description,capability,sector,urgency,cost_eur,tlp,tags\n");
    for i in 0..NEEDS {
        csv.push_str(&format!(
            "UA-BENCH-{},Benchmark need {i},Synthetic benchmark row,{},{},{},{}.{:02},{},bench;row\n",
            i % INSTITUTIONS,
            capabilities[i % 6],
            sectors[i % 6],
            urgencies[i % 4],
            10_000 + i % 90_000,
            i % 100,
            if i % 3 == 0 { "clear" } else { "green" }
        ));
    }
    csv
});

static TRANSACTIONS_CSV: LazyLock<String> = LazyLock::new(|| {
    let kinds = ["commitment", "disbursement", "expenditure"];
    let donors = ["CA", "DK", "EE", "FI", "FR", "DE", "IT", "NL", "NO", "PL", "SE", "GB", "US"];
    let mut csv = String::from("kind,provider,receiver,value_date,amount,currency,description\n");
    for i in 0..TRANSACTIONS {
        csv.push_str(&format!(
            "{},{},UA-BENCH-{},2025-{:02}-{:02},{}.{:02},EUR,Synthetic benchmark flow\n",
            kinds[i % 3],
            donors[i % 13],
            i % INSTITUTIONS,
            1 + i % 12,
            1 + i % 28,
            100 + i % 100_000,
            i % 100
        ));
    }
    csv
});

/// A fresh ledger with the benchmark's beneficiary institutions.
fn fresh(backend: &str) -> Option<Ledger> {
    RUNTIME.block_on(async {
        let ledger = match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().expect("temp dir").keep();
                Ledger::new(Arc::new(
                    tallinn_store_sqlite::SqliteBackend::connect(&format!("sqlite://{}", dir.join("bench.db").display())).await.expect("sqlite"),
                ))
            }
            _ => {
                let base = std::env::var("TALLINN_TEST_POSTGRES_URL").ok()?;
                let name = format!("tallinn_bench_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
                let url = tallinn_store_postgres::PostgresBackend::create_database(&base, &name).await.expect("create database");
                Ledger::new(Arc::new(tallinn_store_postgres::PostgresBackend::connect(&url).await.expect("postgres")))
            }
        };
        ledger.init().await.expect("init");
        for i in 0..INSTITUTIONS {
            let p = Participant {
                code: format!("UA-BENCH-{i}"),
                name: format!("Benchmark institution {i}"),
                kind: ParticipantKind::Beneficiary,
                parent: Some("UA".into()),
                joined: None,
                left: None,
                synthetic: true,
            };
            ledger.add_participant(Principal::System, p).await.expect("participant");
        }
        Some(ledger)
    })
}

fn import_needs(bencher: Bencher, backend: &str) {
    LazyLock::force(&NEEDS_CSV);
    if fresh(backend).is_none() {
        eprintln!("skipped: set TALLINN_TEST_POSTGRES_URL to benchmark PostgreSQL");
        return;
    }
    bencher.with_inputs(|| fresh(backend).expect("store")).bench_local_values(|ledger| {
        RUNTIME.block_on(async {
            let parsed = parse_needs(&NEEDS_CSV, true).expect("header");
            let n = ledger.import_needs(Principal::System, parsed, &|_| {}).await.expect("import");
            assert_eq!(n, NEEDS);
            ledger.backend().close().await;
        })
    });
}

fn import_transactions(bencher: Bencher, backend: &str) {
    LazyLock::force(&TRANSACTIONS_CSV);
    if fresh(backend).is_none() {
        eprintln!("skipped: set TALLINN_TEST_POSTGRES_URL to benchmark PostgreSQL");
        return;
    }
    bencher.with_inputs(|| fresh(backend).expect("store")).bench_local_values(|ledger| {
        RUNTIME.block_on(async {
            let today = "2026-11-01".parse().expect("date");
            let parsed = parse_transactions(&TRANSACTIONS_CSV, today, true).expect("header");
            let n = ledger.import_transactions(Principal::System, parsed, &|_| {}).await.expect("import");
            assert_eq!(n, TRANSACTIONS);
            ledger.backend().close().await;
        })
    });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn needs_100k_sqlite(b: Bencher) {
    import_needs(b, "sqlite");
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn needs_100k_postgres(b: Bencher) {
    import_needs(b, "postgres");
}

#[divan::bench(sample_count = 2, sample_size = 1)]
fn transactions_1m_sqlite(b: Bencher) {
    import_transactions(b, "sqlite");
}

#[divan::bench(sample_count = 2, sample_size = 1)]
fn transactions_1m_postgres(b: Bencher) {
    import_transactions(b, "postgres");
}
