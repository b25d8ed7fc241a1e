//! Reports over a small ledger written by hand, where every figure can be
//! worked out on paper; snapshots of the JSON, the charts and the IATI file.

use jiff::Timestamp;
use jiff::civil::Date;
use tallinn_core::agreement::{AgreementDomain, Announcement};
use tallinn_core::need::{Capability, NeedStatus, Sector, Urgency};
use tallinn_core::pledge::PledgeStatus;
use tallinn_core::policy::Tlp;
use tallinn_core::transaction::TransactionKind;
use tallinn_report::facts::{AgreementFact, AllocationFact, Facts, Flow, NeedFact, Org, PledgeFact, ProjectFact, Scope};
use tallinn_report::{By, ChartKind, chart, funding, iati, overview};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

fn need(key: i64, capability: Capability, sector: Sector, status: NeedStatus, cost: i64, funded: i64) -> NeedFact {
    NeedFact {
        key,
        id: format!("N-{key}"),
        title: format!("Need {key} (demo)"),
        description: "Synthetic <test> need & more".into(),
        beneficiary: "UA-X".into(),
        capability,
        sector,
        urgency: Urgency::High,
        status,
        cost_eur_minor: cost,
        funded_eur_minor: funded,
        deadline: Some(day("2026-06-30")),
        tlp: Tlp::Clear,
        approved_at: Some(at("2025-01-10T00:00:00Z")),
        funded_at: None,
        delivered_at: None,
        synthetic: true,
    }
}

#[allow(clippy::too_many_arguments)]
fn flow(key: i64, kind: TransactionKind, provider: u32, receiver: u32, date: &str, eur: i64, pledge: Option<i64>, need: Option<i64>) -> Flow {
    Flow { key, kind, provider, receiver, value_date: day(date), eur_minor: eur, pledge, need, pass_through: false, upstream: None, synthetic: true }
}

/// EE (0), FR (1), WB (2) fund; UA-X (3) receives; IMP (4) implements.
fn ledger() -> Facts {
    let org = |code: &str, name: &str, donor| Org { code: code.into(), name: name.into(), donor };
    let mut n2 = need(2, Capability::Remediate, Sector::Health, NeedStatus::Delivered, 50_000, 50_000);
    n2.funded_at = Some(at("2025-01-20T00:00:00Z"));
    n2.delivered_at = Some(at("2025-03-01T12:00:00Z"));
    let mut pass = flow(4, TransactionKind::Disbursement, 2, 3, "2025-06-02", 40_000, None, None);
    pass.pass_through = true;
    Facts {
        scope: Some(Scope { whole_ledger: true, reader: "the operator (the whole ledger)".into() }),
        orgs: vec![
            org("EE", "Estonia", true),
            org("FR", "France", true),
            org("WB", "World Bank", true),
            org("UA-X", "Example CERT", false),
            org("IMP", "Integrator", false),
        ],
        needs: vec![
            need(1, Capability::Detect, Sector::Energy, NeedStatus::PartiallyFunded, 100_000, 60_000),
            n2,
            need(3, Capability::Resilience, Sector::Energy, NeedStatus::Approved, 200_000, 0),
            need(4, Capability::Detect, Sector::Water, NeedStatus::TechnicalReview, 70_000, 0),
        ],
        pledges: vec![
            PledgeFact { key: 1, donor: "EE".into(), status: PledgeStatus::Committed, eur_minor: 100_000, pledged_on: day("2025-01-02"), synthetic: true },
            PledgeFact { key: 2, donor: "FR".into(), status: PledgeStatus::Committed, eur_minor: 50_000, pledged_on: day("2024-04-01"), synthetic: true },
            PledgeFact { key: 3, donor: "EE".into(), status: PledgeStatus::Announced, eur_minor: 30_000, pledged_on: day("2025-07-01"), synthetic: true },
        ],
        allocations: vec![
            AllocationFact { pledge: 1, need: 1, eur_minor: 60_000, at: at("2025-01-15T00:00:00Z") },
            AllocationFact { pledge: 1, need: 2, eur_minor: 30_000, at: at("2025-01-20T00:00:00Z") },
            AllocationFact { pledge: 2, need: 2, eur_minor: 20_000, at: at("2025-01-20T00:00:00Z") },
        ],
        flows: vec![
            flow(1, TransactionKind::Commitment, 0, 3, "2025-03-01", 100_000, Some(1), None),
            flow(2, TransactionKind::Commitment, 1, 3, "2024-05-01", 50_000, Some(2), None),
            flow(3, TransactionKind::Disbursement, 0, 2, "2025-06-01", 40_000, Some(1), None),
            pass,
            flow(5, TransactionKind::Expenditure, 4, 3, "2025-09-01", 45_000, None, Some(2)),
            flow(6, TransactionKind::Commitment, 0, 3, "2027-01-01", 1_000, None, Some(1)),
        ],
        projects: vec![ProjectFact {
            need: 2,
            implementer: "IMP".into(),
            started: at("2025-01-25T00:00:00Z"),
            delivered_at: Some(at("2025-03-01T12:00:00Z")),
            accepted_at: None,
        }],
        agreements: vec![
            AgreementFact { domain: AgreementDomain::Cybersecurity, signed_on: Some(day("2025-05-05")), synthetic: true },
            AgreementFact { domain: AgreementDomain::DigitalState, signed_on: None, synthetic: true },
        ],
        announcements: vec![Announcement {
            id: tallinn_core::AnnouncementId::new(1),
            date: day("2025-10-30"),
            end_date: Some(day("2025-10-31")),
            place: "Paris".into(),
            new_funding_eur_minor: 6_090_000_000,
            new_funding_year: 2025,
            cumulative_eur_minor: 24_170_000_000,
            endorsers: vec![],
            note: String::new(),
        }],
    }
}

fn row(table: &tallinn_report::FundingTable, key: &str) -> (i64, i64, i64, i64) {
    table.rows.iter().find(|r| r.key == key).map_or((0, 0, 0, 0), |r| (r.amounts.committed, r.amounts.disbursed, r.amounts.spent, r.amounts.announced))
}

#[test]
fn figures_worked_out_on_paper() {
    let facts = ledger();
    let by_donor = funding(&facts, By::Donor, None);
    // Commitments 1000 (EE) + 500 (FR) + 10 dated 2027; the pass-through 400 counted once.
    assert_eq!((by_donor.total.committed, by_donor.total.disbursed, by_donor.total.spent, by_donor.total.announced), (151_000, 40_000, 45_000, 30_000));
    assert_eq!(by_donor.pass_through_excluded, 40_000);
    // The implementer's 450 spent on N-2 belongs to N-2's donors, 300 : 200.
    assert_eq!(row(&by_donor, "EE"), (101_000, 40_000, 27_000, 30_000));
    assert_eq!(row(&by_donor, "FR"), (50_000, 0, 18_000, 0));
    assert_eq!(row(&by_donor, "WB"), (0, 0, 0, 0), "passing money on is not giving it");

    // P-1's 1000 went 600 to N-1 (detect), 300 to N-2 (remediate), 100 unallocated;
    // P-2's 500 went 200 to N-2, 300 unallocated.
    let by_capability = funding(&facts, By::Capability, None);
    assert_eq!(row(&by_capability, "detect"), (61_000, 24_000, 0, 0));
    assert_eq!(row(&by_capability, "remediate"), (50_000, 12_000, 45_000, 0));
    assert_eq!(row(&by_capability, "unspecified"), (40_000, 4_000, 0, 30_000));

    let by_year = funding(&facts, By::Year, Some(2025));
    assert_eq!(by_year.rows.len(), 1);
    assert_eq!(row(&by_year, "2025"), (100_000, 40_000, 45_000, 30_000));

    let o = overview(&facts, None);
    assert_eq!((o.coverage.total.needs, o.coverage.total.approved_cost, o.coverage.total.funded), (3, 350_000, 110_000));
    assert_eq!(o.coverage.total.coverage_percent, "31.4");
    assert_eq!((o.gaps.unfunded, o.gaps.open_needs), (240_000, 2));
    assert_eq!(o.gaps.top[0].id, "N-3");
    let remediate = o.timing.by_capability.iter().find(|r| r.key == "remediate").unwrap();
    assert_eq!((remediate.median_days_to_fund.as_deref(), remediate.median_days_to_deliver.as_deref()), (Some("10.0"), Some("40.5")));
    assert_eq!(o.timing.by_donor.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["EE", "FR"]);
    let paris = &o.reconciliation[0];
    assert_eq!((paris.ledger_new, paris.ledger_cumulative), (100_000, 150_000));
    assert!(paris.explanation.iter().any(|e| e.contains("EUR 10.00 committed after 2025-10-31")), "{:?}", paris.explanation);
    insta::assert_snapshot!("overview", serde_json::to_string_pretty(&o).unwrap());
}

#[test]
fn charts() {
    let facts = ledger();
    for kind in ChartKind::ALL {
        insta::assert_snapshot!(kind.as_str(), chart::render(*kind, &facts));
    }
}

#[test]
fn iati_file() {
    let facts = ledger();
    let export = iati::export(&facts, &iati::IatiOptions::new(at("2026-01-15T08:00:00Z")));
    assert_eq!((export.activities, export.future_transactions_left_out), (2, 1));
    assert!(export.xml.contains("Synthetic &lt;test&gt; need &amp; more"), "text is escaped");
    insta::assert_snapshot!("iati", export.xml);
}
