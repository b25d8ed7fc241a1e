//! Reports over 1,000,000 transactions on SQLite (docs/product.md: performance targets: every figure in
//! ≤ 1 s). The store holds the demo dataset plus a million flows: a quarter
//! each pledge-linked commitments and disbursements (attributed to needs
//! through the allocations), need-linked expenditure, and unlinked
//! commitments. Built once (about a minute), then:
//!
//! - `cold_*`: a new server process's first report (loads every flow);
//! - `after_one_write`: the report right after another flow was recorded
//!   (the in-memory flows are refreshed incrementally);
//! - `warm_*`: the report when nothing changed;
//! - per reader (the operator, a donor, the public), each chart, the IATI file.
//!
//!     cargo bench -p tallinn --bench reports

use std::sync::{Arc, LazyLock};

use divan::Bencher;
use tallinn_core::import::parse_transactions;
use tallinn_core::policy::Principal;
use tallinn_core::transaction::{NewTransaction, TransactionKind};
use tallinn_ledger::Ledger;
use tallinn_report::{ChartKind, chart, overview};

/// The allocator the `tallinn` binary ships with (`src/main.rs`), so that
/// the benchmark measures what runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

const TRANSACTIONS: usize = 1_000_000;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| tokio::runtime::Runtime::new().expect("runtime"));

static LEDGER: LazyLock<Ledger> = LazyLock::new(|| {
    RUNTIME.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let ledger = Ledger::new(Arc::new(
            tallinn_store_sqlite::SqliteBackend::connect(&format!("sqlite://{}", dir.join("reports.db").display())).await.expect("sqlite"),
        ));
        ledger.init().await.expect("init");
        tallinn_demo::load(&ledger).await.expect("demo");
        let pledges = ledger.pledges(&Principal::System, None, Some(tallinn_core::pledge::PledgeStatus::Committed)).await.expect("pledges");
        let needs: Vec<tallinn_core::NeedId> = ledger.needs(&Principal::System, &Default::default()).await.expect("needs").into_iter().map(|n| n.id).collect();
        let donors = ["CA", "DK", "EE", "FI", "FR", "DE", "IT", "NL", "NO", "PL", "SE", "GB", "US"];
        let mut csv = String::from("kind,provider,receiver,value_date,amount,currency,pledge,need,description\n");
        for i in 0..TRANSACTIONS {
            let date = format!("{}-{:02}-{:02}", 2024 + i % 2, 1 + i % 12, 1 + i % 28);
            let amount = format!("{}.{:02}", 100 + i % 50_000, i % 100);
            let line = match i % 4 {
                0 | 1 => {
                    let p = &pledges[i % pledges.len()];
                    let kind = if i % 4 == 0 { "commitment" } else { "disbursement" };
                    format!("{kind},{},UA,{date},{amount},EUR,{},,Benchmark flow\n", p.donor, p.id)
                }
                2 => format!("expenditure,IMP-DEMO-A,UA,{date},{amount},EUR,,{},Benchmark flow\n", needs[i % needs.len()]),
                _ => format!("commitment,{},UA,{date},{amount},EUR,,,Benchmark flow\n", donors[i % donors.len()]),
            };
            csv.push_str(&line);
        }
        let parsed = parse_transactions(&csv, "2026-11-01".parse().expect("date"), true).expect("header");
        ledger.import_transactions(Principal::System, parsed, &|_| {}).await.expect("import");
        ledger
    })
});

fn reader(name: &str) -> Principal {
    match name {
        "operator" => Principal::System,
        "public" => Principal::Public,
        user => RUNTIME.block_on(LEDGER.principal(user)).expect("user"),
    }
}

fn report(ledger: &Ledger, who: &Principal) -> usize {
    RUNTIME.block_on(async {
        let facts = ledger.report_facts(who).await.expect("facts");
        let o = overview(&facts, None);
        o.funding.donor.len() + facts.flows.len()
    })
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn cold_operator(b: Bencher) {
    let who = reader("operator");
    b.with_inputs(|| LEDGER.another_process()).bench_local_values(|ledger| report(&ledger, &who));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn after_one_write(b: Bencher) {
    let who = reader("operator");
    report(&LEDGER, &who);
    let flow = NewTransaction {
        kind: TransactionKind::Commitment,
        provider: "EE".into(),
        receiver: "UA".into(),
        value_date: "2026-01-05".parse().expect("date"),
        amount: tallinn_core::Money::new(100, tallinn_core::Currency::from_code("EUR").expect("EUR")),
        pledge: None,
        need: None,
        pass_through_of: None,
        description: "Benchmark write".into(),
        synthetic: true,
    };
    b.with_inputs(|| RUNTIME.block_on(LEDGER.add_transaction(Principal::System, flow.clone())).expect("write")).bench_local_values(|_| report(&LEDGER, &who));
}

#[divan::bench(args = ["operator", "demo.donor", "public"], sample_count = 5, sample_size = 1)]
fn warm(b: Bencher, name: &str) {
    let who = reader(name);
    report(&LEDGER, &who);
    b.bench_local(|| report(&LEDGER, &who));
}

#[divan::bench(args = ["funding-by-year", "coverage-by-sector", "top-gaps", "time-to-fund"], sample_count = 5, sample_size = 1)]
fn chart_svg(b: Bencher, kind: &str) {
    let kind: ChartKind = kind.parse().expect("chart");
    let facts = RUNTIME.block_on(LEDGER.report_facts(&Principal::System)).expect("facts");
    b.bench_local(|| chart::render(kind, &facts).len());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn iati_export(b: Bencher) {
    b.bench_local(|| {
        let facts = RUNTIME.block_on(LEDGER.report_facts(&Principal::Public)).expect("facts");
        tallinn_report::iati::export(&facts, &tallinn_report::iati::IatiOptions::new(LEDGER.now())).xml.len()
    });
}
