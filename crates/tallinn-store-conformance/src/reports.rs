//! Reports: every figure against an independent sum over the raw tables, and
//! a reader's report against the report over only the records that reader
//! may see.

use std::collections::{BTreeMap, HashSet};

use tallinn_core::participant::Role;
use tallinn_core::policy::Principal;
use tallinn_core::transaction::{NewTransaction, TransactionKind};
use tallinn_report::facts::Facts;
use tallinn_report::{By, funding, overview};

use super::{Harness, user};
use tallinn_ledger::Ledger;

/// `SELECT key, SUM(value)` as a map, straight from the database (read by
/// position: the helper's callers name the columns in their own words).
async fn sums(l: &Ledger, sql: &str) -> BTreeMap<String, i64> {
    let mut conn = l.backend().begin_read().await.unwrap();
    let rows = conn.fetch(sql, vec![]).await.unwrap();
    let _ = conn.rollback().await;
    rows.iter().map(|r| (r.text(0).unwrap(), r.int(1).unwrap())).collect()
}

async fn total(l: &Ledger, sql: &str) -> i64 {
    sums(l, &format!("SELECT 'all', CAST(COALESCE(SUM(x), 0) AS BIGINT) FROM ({sql}) t")).await["all"]
}

pub async fn report_figures_equal_independent_sums(h: Harness) {
    let l = &h.ledger;
    tallinn_demo::load(l).await.unwrap();
    let facts = l.report_facts(&Principal::System).await.unwrap();
    let all = overview(&facts, None);
    assert!(all.scope.as_ref().unwrap().whole_ledger);

    let origin = "FROM transactions WHERE pass_through_of IS NULL";
    for (kind, figure) in [("commitment", all.totals.committed), ("disbursement", all.totals.disbursed), ("expenditure", all.totals.spent)] {
        assert_eq!(figure, total(l, &format!("SELECT eur_minor AS x {origin} AND kind = '{kind}'")).await, "{kind}");
    }
    assert!(all.totals.committed > 0 && all.totals.disbursed > 0 && all.totals.spent > 0, "{:?}", all.totals);
    assert_eq!(all.totals.announced, total(l, "SELECT eur_minor AS x FROM pledges WHERE status = 'announced'").await);
    assert_eq!(
        all.pass_through_excluded,
        total(l, "SELECT eur_minor AS x FROM transactions WHERE pass_through_of IS NOT NULL AND kind IN ('commitment', 'disbursement', 'expenditure')").await
    );
    assert!(all.pass_through_excluded > 0, "the demo passes money through the World Bank");

    // By donor and by year: plain GROUP BYs.
    let by_donor = sums(l, &format!("SELECT provider, CAST(SUM(eur_minor) AS BIGINT) {origin} AND kind = 'commitment' GROUP BY provider")).await;
    let ours: BTreeMap<String, i64> = all.funding.donor.iter().filter(|r| r.amounts.committed > 0).map(|r| (r.key.clone(), r.amounts.committed)).collect();
    assert_eq!(ours, by_donor);
    let by_year = sums(
        l,
        &format!("SELECT SUBSTR(value_date, 1, 4), CAST(SUM(eur_minor) AS BIGINT) {origin} AND kind = 'disbursement' GROUP BY SUBSTR(value_date, 1, 4)"),
    )
    .await;
    let ours: BTreeMap<String, i64> = all.funding.year.iter().filter(|r| r.amounts.disbursed > 0).map(|r| (r.key.clone(), r.amounts.disbursed)).collect();
    assert_eq!(ours, by_year);
    let announced = sums(l, "SELECT donor, CAST(SUM(eur_minor) AS BIGINT) FROM pledges WHERE status = 'announced' GROUP BY donor").await;
    let ours: BTreeMap<String, i64> = all.funding.donor.iter().filter(|r| r.amounts.announced > 0).map(|r| (r.key.clone(), r.amounts.announced)).collect();
    assert_eq!(ours, announced, "announced pledges beside, by donor");

    // Need dimensions: need-linked flows exactly; pledge-level flows are
    // apportioned, so each table still adds up to the totals to the cent.
    for rows in [&all.funding.capability, &all.funding.sector, &all.funding.beneficiary, &all.funding.status] {
        assert_eq!(rows.iter().map(|r| r.amounts.committed).sum::<i64>(), all.totals.committed);
        assert_eq!(rows.iter().map(|r| r.amounts.disbursed).sum::<i64>(), all.totals.disbursed);
        assert_eq!(rows.iter().map(|r| r.amounts.spent).sum::<i64>(), all.totals.spent);
        assert_eq!(rows.iter().map(|r| r.amounts.announced).sum::<i64>(), all.totals.announced);
    }
    let spent = sums(
        l,
        "SELECT n.capability, CAST(SUM(t.eur_minor) AS BIGINT) FROM transactions t JOIN needs n ON n.id = t.need_id WHERE t.pass_through_of IS NULL AND t.kind = 'expenditure' GROUP BY n.capability",
    )
    .await;
    let ours: BTreeMap<String, i64> = all.funding.capability.iter().filter(|r| r.amounts.spent > 0).map(|r| (r.key.clone(), r.amounts.spent)).collect();
    assert_eq!(ours, spent, "expenditure is linked to needs");
    // A year keeps the figures exact.
    let year = funding(&facts, By::Capability, Some(2024));
    assert_eq!(year.total.committed, total(l, &format!("SELECT eur_minor AS x {origin} AND kind = 'commitment' AND value_date LIKE '2024-%'")).await);

    // Coverage and gaps over the Catalogue.
    let catalogue = "status IN ('approved', 'partially_funded', 'funded', 'in_delivery', 'delivered', 'accepted')";
    let cost = total(l, &format!("SELECT cost_eur_minor AS x FROM needs WHERE {catalogue}")).await;
    let funded = total(l, &format!("SELECT funded_eur_minor AS x FROM needs WHERE {catalogue}")).await;
    assert_eq!((all.coverage.total.approved_cost, all.coverage.total.funded), (cost, funded));
    assert_eq!(all.gaps.unfunded, cost - funded);
    let by_sector = sums(l, &format!("SELECT sector, CAST(SUM(funded_eur_minor) AS BIGINT) FROM needs WHERE {catalogue} GROUP BY sector")).await;
    assert_eq!(all.coverage.by_sector.iter().map(|r| (r.key.clone(), r.funded)).collect::<BTreeMap<_, _>>(), by_sector);
    assert!(all.funding.capability.iter().map(|r| r.amounts.flows).sum::<u64>() >= all.funding.donor.iter().map(|r| r.amounts.flows).sum::<u64>());

    // Agreements and timing.
    let agreements = total(l, "SELECT 1 AS x FROM agreements").await;
    assert_eq!(all.agreements.iter().map(|a| a.agreements as i64).sum::<i64>(), agreements);
    let funded_needs = total(l, "SELECT 1 AS x FROM need_transitions WHERE to_status = 'funded'").await;
    assert_eq!(all.timing.by_capability.iter().map(|r| r.funded_needs as i64).sum::<i64>(), funded_needs);

    // Reconciliation with Paris 2025.
    let paris = &all.reconciliation[0];
    assert_eq!((paris.announced_new, paris.announced_cumulative), (6_090_000_000, 24_170_000_000));
    let cumulative = total(l, &format!("SELECT eur_minor AS x {origin} AND kind = 'commitment' AND value_date <= '2025-10-31'")).await;
    assert_eq!(paris.ledger_cumulative, cumulative);
    assert_eq!(paris.difference_cumulative, 24_170_000_000 - cumulative);
    assert!(paris.explanation.iter().any(|e| e.contains("synthetic demo records")), "{:?}", paris.explanation);
}

/// The facts of `reader`, computed independently from the ledger's own list
/// reads (each applies `may_see`), out of the operator's facts.
async fn restricted(l: &Ledger, reader: &Principal, everything: &Facts) -> Facts {
    let needs: HashSet<i64> = l.needs(reader, &Default::default()).await.unwrap().iter().map(|n| n.id.key()).collect();
    let pledges: HashSet<i64> = l.pledges(reader, None, None).await.unwrap().iter().map(|p| p.id.key()).collect();
    let flows: HashSet<i64> = l.transactions(reader, &Default::default()).await.unwrap().iter().map(|t| t.id.key()).collect();
    let mut facts = everything.clone();
    facts.needs.retain(|n| needs.contains(&n.key));
    facts.pledges.retain(|p| pledges.contains(&p.key));
    facts.allocations.retain(|a| needs.contains(&a.need) && pledges.contains(&a.pledge));
    facts.projects.retain(|p| needs.contains(&p.need));
    facts.flows.retain(|f| flows.contains(&f.key));
    // A flow passing on one the reader may not see is where its money starts.
    for f in &mut facts.flows {
        if f.pass_through && f.upstream.is_some_and(|u| !flows.contains(&u)) {
            f.pass_through = false;
        }
    }
    facts
}

pub async fn reports_show_only_what_the_reader_may_see(h: Harness) {
    let l = &h.ledger;
    tallinn_demo::load(l).await.unwrap();
    let everything = l.report_facts(&Principal::System).await.unwrap();
    let readers = [Principal::Public, user("demo.donor", "EE", Role::Donor), user("someone", "UA-DEMO-DTEK", Role::Beneficiary)];
    for reader in readers {
        let facts = l.report_facts(&reader).await.unwrap();
        assert!(!facts.scope.as_ref().unwrap().whole_ledger);
        assert!(facts.needs.len() < everything.needs.len(), "{reader:?} sees fewer needs");
        let mut expected = restricted(l, &reader, &everything).await;
        expected.scope = facts.scope.clone();
        assert_eq!(overview(&facts, None), overview(&expected, None), "{reader:?}");
        assert_eq!(overview(&facts, Some(2025)), overview(&expected, Some(2025)), "{reader:?}");
        for kind in tallinn_report::ChartKind::ALL {
            assert_eq!(tallinn_report::chart::render(*kind, &facts), tallinn_report::chart::render(*kind, &expected));
        }
    }
    let public = l.report_facts(&Principal::Public).await.unwrap();
    assert!(public.needs.iter().all(|n| n.tlp == tallinn_core::policy::Tlp::Clear));
    let iati = tallinn_report::iati::export(&public, &tallinn_report::iati::IatiOptions::new(l.now()));
    assert!(iati.activities > 0);
    for n in everything.needs.iter().filter(|n| n.tlp != tallinn_core::policy::Tlp::Clear) {
        assert!(!iati.xml.contains(&format!("-{}<", n.id)), "{} is not TLP:CLEAR", n.id);
    }
}

pub async fn flows_snapshot_follows_every_writer(h: Harness) {
    let l = &h.ledger;
    tallinn_demo::load(l).await.unwrap();
    let other = l.another_process();
    let before = other.report_facts(&Principal::System).await.unwrap();
    let add = |provider: &str| NewTransaction {
        kind: TransactionKind::Commitment,
        provider: provider.into(),
        receiver: "UA".into(),
        value_date: "2026-01-05".parse().unwrap(),
        amount: tallinn_core::Money::new(12_345, tallinn_core::Currency::from_code("EUR").unwrap()),
        pledge: None,
        need: None,
        pass_through_of: None,
        description: String::new(),
        synthetic: true,
    };
    l.add_transaction(Principal::System, add("EE")).await.unwrap();
    let after = other.report_facts(&Principal::System).await.unwrap();
    assert_eq!(after.flows.len(), before.flows.len() + 1, "a flow written by another process is seen");
    let committed = |f: &Facts| funding(f, By::Donor, None).total.committed;
    assert_eq!(committed(&after), committed(&before) + 12_345);
    // A refused write changes nothing, and the snapshot still matches the table.
    assert!(l.add_transaction(Principal::System, add("UA")).await.is_err());
    let again = other.report_facts(&Principal::System).await.unwrap();
    assert_eq!(again.flows, after.flows);
}

/// Each flow in words, its organisations by code (indexes depend on reading order).
fn by_code(facts: &Facts) -> Vec<String> {
    facts
        .flows
        .iter()
        .map(|f| {
            let (provider, receiver) = (facts.org_code(f.provider), facts.org_code(f.receiver));
            format!(
                "{} {} {provider} {receiver} {} {} {:?} {:?} {} {}",
                f.key, f.kind, f.value_date, f.eur_minor, f.pledge, f.need, f.pass_through, f.synthetic
            )
        })
        .collect()
}

async fn write_sql(l: &Ledger, sql: &str) {
    let mut conn = l.backend().begin_write().await.unwrap();
    conn.execute(sql, vec![]).await.unwrap();
    conn.commit().await.unwrap();
}

/// Each chunk's count and its lines, sorted (their order follows commits).
async fn chunks(l: &Ledger) -> Vec<(i64, i64, Vec<String>)> {
    let mut conn = l.backend().begin_read().await.unwrap();
    let rows = conn.fetch("SELECT chunk, flows, data FROM flow_chunks ORDER BY chunk", vec![]).await.unwrap();
    let _ = conn.rollback().await;
    rows.iter()
        .map(|r| {
            let mut lines: Vec<String> = r.text("data").unwrap().split_terminator(';').map(str::to_string).collect();
            lines.sort();
            (r.int("chunk").unwrap(), r.int("flows").unwrap(), lines)
        })
        .collect()
}

pub async fn flow_chunks_say_what_the_table_says(h: Harness) {
    let l = &h.ledger;
    tallinn_demo::load(l).await.unwrap();
    // 600 imported flows span chunks (256 flows each) and add to the demo's last one.
    let mut csv = String::from("kind,provider,receiver,value_date,amount,currency,pledge,need\n");
    for i in 0..600 {
        let link = if i % 3 == 0 { ",,N-1" } else { ",," };
        csv.push_str(&format!("expenditure,IMP-DEMO-A,UA,2025-{:02}-{:02},{}.{:02},EUR{link}\n", 1 + i % 12, 1 + i % 28, 10 + i, i % 100));
    }
    let parsed = tallinn_core::import::parse_transactions(&csv, "2026-03-01".parse().unwrap(), false).unwrap();
    assert_eq!(l.import_transactions(Principal::System, parsed, &|_| {}).await.unwrap(), 600);
    let add = |provider: &str, receiver: &str, through: Option<tallinn_core::TransactionId>| NewTransaction {
        kind: TransactionKind::Disbursement,
        provider: provider.into(),
        receiver: receiver.into(),
        value_date: "2026-02-01".parse().unwrap(),
        amount: tallinn_core::Money::new(10_000, tallinn_core::Currency::from_code("NOK").unwrap()),
        pledge: None,
        need: None,
        pass_through_of: through,
        description: String::new(),
        synthetic: false,
    };
    let upstream = l.add_transaction(Principal::System, add("NO", "WB", None)).await.unwrap();
    l.add_transaction(Principal::System, NewTransaction { amount: tallinn_core::Money::eur(1), ..add("WB", "UA", Some(upstream.id)) }).await.unwrap();
    // Writers at once append to the same chunk (on PostgreSQL, each upsert
    // waits for the other and appends to what it committed).
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (l, flow) = (l.clone(), add("NO", "UA", None));
            tokio::spawn(async move { l.add_transaction(Principal::System, flow).await })
        })
        .collect();
    for w in writers {
        w.await.unwrap().unwrap();
    }

    let from_chunks = l.another_process().report_facts(&Principal::System).await.unwrap();
    let rows = sums(l, "SELECT CAST(id AS TEXT), eur_minor FROM transactions").await;
    assert_eq!(from_chunks.flows.len(), rows.len());
    assert!(from_chunks.flows.windows(2).all(|w| w[0].key < w[1].key), "in id order");
    for f in &from_chunks.flows {
        assert_eq!(Some(&f.eur_minor), rows.get(&f.key.to_string()), "T-{}", f.key);
    }
    let passed_on = total(l, "SELECT 1 AS x FROM transactions WHERE pass_through_of IS NOT NULL").await;
    assert_eq!(from_chunks.flows.iter().filter(|f| f.pass_through).count() as i64, passed_on);
    let expenditure_on_n1 = total(l, "SELECT eur_minor AS x FROM transactions WHERE need_id = 1").await;
    assert_eq!(from_chunks.flows.iter().filter(|f| f.need == Some(1)).map(|f| f.eur_minor).sum::<i64>(), expenditure_on_n1);

    // The migration's backfill writes what the inserts wrote.
    let written = chunks(l).await;
    assert!(written.len() >= 3 && written.iter().all(|(_, n, lines)| *n as usize == lines.len()));
    write_sql(l, "DELETE FROM flow_chunks").await;
    write_sql(l, h.flow_chunks_backfill).await;
    assert_eq!(chunks(l).await, written);

    // A chunk lost behind the ledger's back: the table is read instead, and
    // the figures do not change.
    write_sql(l, "DELETE FROM flow_chunks WHERE chunk = (SELECT MIN(chunk) FROM flow_chunks)").await;
    let fallback = l.another_process();
    assert_eq!(by_code(&fallback.report_facts(&Principal::System).await.unwrap()), by_code(&from_chunks));
    l.add_transaction(Principal::System, add("NO", "UA", None)).await.unwrap();
    assert_eq!(fallback.report_facts(&Principal::System).await.unwrap().flows.len(), from_chunks.flows.len() + 1);
}
