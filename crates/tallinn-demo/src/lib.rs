//! The synthetic demo dataset (`tallinn init --demo`, `serve --demo`).
//!
//! Deterministic: one seed, one dataset. Every record is marked synthetic
//! (a flag, and "(demo)" in its title or name), and it is built through the
//! ledger's own operations in one batch (`tallinn_ledger::Batch`: one
//! transaction, each step stamped at its day of a two-year history), so it
//! obeys every invariant and permission that real data must. The threat
//! exchange's part (`exchange`) is uploaded as any analyst's would be. It never splits the real announced totals
//! among donors: its pledges are invented amounts, labelled as such.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tallinn_core::agreement::{AgreementDomain, AgreementStatus, NewAgreement};
use tallinn_core::money::{Currency, Money};
use tallinn_core::need::{Capability, NeedStatus, NewNeed, Sector, Urgency};
use tallinn_core::participant::{NewUser, Panel, Participant, ParticipantKind, Role};
use tallinn_core::pledge::{Earmarks, InKindItem, NewPledge, PledgeKind, PledgeStatus, ValuationMethod};
use tallinn_core::policy::{Principal, Tlp};
use tallinn_core::project::{NewDeliveryItem, NewProject};
use tallinn_core::review::{Decision, NewReview};
use tallinn_core::time::utc_date;
use tallinn_core::transaction::{NewTransaction, TransactionKind};
use tallinn_core::{NeedId, PledgeId};

use tallinn_ledger::{AllocationLine, Batch, Ledger, Result, StoreError, TriageDecision};

mod exchange;

/// The seed of the demo dataset.
pub const SEED: u64 = 20_251_031;

/// The demo's reference day: every synthetic date is derived from the seed
/// and this instant, never from the clock, so that every load is identical
/// (only the few reservations are stamped "now", so that they are current).
pub const END: Timestamp = Timestamp::constant(1_793_404_800, 0); // 2026-10-31T00:00:00Z

/// Real ECB rates used to convert the demo's non-EUR pledges.
pub const DEMO_RATES: &str = include_str!("../data/ecb-rates-2024-2026.csv");

/// The demo beneficiary institutions (code, name, sector they usually file in).
pub const INSTITUTIONS: &[(&str, &str, Sector)] = &[
    ("UA-DEMO-CERT", "National computer emergency response team (demo)", Sector::Government),
    ("UA-DEMO-DIGITAL", "Ministry responsible for digital transformation (demo)", Sector::Government),
    ("UA-DEMO-ENERGY-E", "Regional power distributor, east (demo)", Sector::Energy),
    ("UA-DEMO-GRID", "Transmission system operator (demo)", Sector::Energy),
    ("UA-DEMO-TELECOM", "Fixed and mobile telecom operator (demo)", Sector::Telecom),
    ("UA-DEMO-BANK", "State savings bank (demo)", Sector::Finance),
    ("UA-DEMO-HEALTH", "National e-health agency (demo)", Sector::Health),
    ("UA-DEMO-RAIL", "National railway operator (demo)", Sector::Transport),
    ("UA-DEMO-WATER", "Municipal water utility, Kharkiv region (demo)", Sector::Water),
    ("UA-DEMO-ODESA", "Odesa regional administration (demo)", Sector::LocalGovernment),
];

pub const IMPLEMENTERS: &[(&str, &str)] =
    &[("IMP-DEMO-A", "Security integrator A (demo)"), ("IMP-DEMO-B", "Incident response firm B (demo)"), ("IMP-DEMO-C", "Connectivity provider C (demo)")];

/// Demo user accounts: (name, organisation, role, panel).
pub const USERS: &[(&str, &str, Role, Option<Panel>)] = &[
    ("demo.coordinator", "TMPO", Role::Coordinator, None),
    ("demo.reviewer.technical", "TMPO", Role::Reviewer, Some(Panel::Technical)),
    ("demo.reviewer.strategic", "EE", Role::Reviewer, Some(Panel::Strategic)),
    ("demo.beneficiary", "UA-DEMO-CERT", Role::Beneficiary, None),
    ("demo.donor", "EE", Role::Donor, None),
    ("demo.observer", "EU", Role::Observer, None),
    ("demo.implementer", "IMP-DEMO-A", Role::Implementer, None),
    ("demo.analyst", "UA-DEMO-CERT", Role::Analyst, None),
    ("demo.auditor", "TMPO", Role::Auditor, None),
];

const TITLES: &[(Capability, &[&str])] = &[
    (
        Capability::Detect,
        &["Network sensors and SOC monitoring", "EDR licences for critical hosts", "SIEM log collection upgrade", "Threat-hunting team tooling"],
    ),
    (
        Capability::ImposeCost,
        &["Digital forensics laboratory", "Malware analysis sandbox", "Investigation training for cyber police", "Attribution intelligence subscriptions"],
    ),
    (
        Capability::Remediate,
        &["Incident response retainer", "Recovery of wiped servers", "Emergency replacement of compromised routers", "Rebuild of domain controllers"],
    ),
    (
        Capability::Resilience,
        &["Offline backup infrastructure", "Cyber exercise for operators", "Hardening of industrial control systems", "Staff security awareness training"],
    ),
    (
        Capability::DigitalState,
        &["Continuity of public e-services", "Redundant hosting for state registries", "Secure cloud migration of registries", "Identity platform resilience"],
    ),
    (
        Capability::Connectivity,
        &["Satellite terminals for field offices", "Backup fibre links", "Mobile base-station power units", "Secure radio links for crisis staff"],
    ),
];

/// What the demo ends with, for the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DemoReport {
    pub institutions: usize,
    pub needs: usize,
    pub pledges: usize,
    pub allocations: usize,
    pub transactions: usize,
    pub projects: usize,
    pub agreements: usize,
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    *items.choose(rng).expect("non-empty")
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    items.choose_weighted(rng, |(_, w)| *w).expect("weights").0
}

fn day(t: Timestamp) -> Date {
    utc_date(t)
}

/// Loads the demo dataset into `ledger` unless it is there already.
/// Returns `None` if it was already loaded.
pub async fn load(ledger: &Ledger) -> Result<Option<DemoReport>> {
    let mut batch = ledger.batch().await?;
    if batch.participant(INSTITUTIONS[0].0).await?.is_some() {
        batch.rollback().await;
        return Ok(None);
    }
    let now = batch.now();
    let report = match build(&mut batch, now).await {
        Ok(report) => report,
        Err(e) => {
            batch.rollback().await;
            return Err(e);
        }
    };
    batch.set_time(now);
    batch.commit("demo.load", "demo", &report).await?;
    // The threat exchange's own transaction, as any upload.
    exchange::load(ledger, now).await?;
    Ok(Some(report))
}

async fn build(batch: &mut Batch, now: Timestamp) -> Result<DemoReport> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let start: Timestamp = "2024-02-01T09:00:00Z".parse().expect("valid");
    batch.set_time(start);

    for (code, name, _) in INSTITUTIONS {
        batch
            .add_participant(&Participant {
                code: (*code).into(),
                name: (*name).into(),
                kind: ParticipantKind::Beneficiary,
                parent: Some("UA".into()),
                joined: None,
                left: None,
                synthetic: true,
            })
            .await?;
    }
    for (code, name) in IMPLEMENTERS {
        batch
            .add_participant(&Participant {
                code: (*code).into(),
                name: (*name).into(),
                kind: ParticipantKind::Implementer,
                parent: None,
                joined: None,
                left: None,
                synthetic: true,
            })
            .await?;
    }
    // One signing user per institution, for acceptances; and the reviewers.
    for (code, _, _) in INSTITUTIONS {
        let name = format!("demo.{}", code.trim_start_matches("UA-DEMO-").to_lowercase().replace('-', "."));
        insert_user(batch, &name, code, Role::Beneficiary, None).await?;
    }
    for (name, org, role, panel) in USERS {
        insert_user(batch, name, org, *role, *panel).await?;
    }
    let rates = tallinn_core::fx::parse_ecb_csv(DEMO_RATES).map_err(|e| StoreError::Corrupt(format!("demo rates: {e}")))?;
    batch.import_rates(&rates).await?;

    // Pledges from members and observers, most committed.
    let donors: Vec<&str> = tallinn_core::reference::MEMBERS.iter().chain(tallinn_core::reference::OBSERVERS).map(|m| m.0).filter(|c| *c != "NATO").collect();
    let currencies = [("EUR", 6), ("USD", 2), ("GBP", 1), ("SEK", 1), ("NOK", 1), ("DKK", 1), ("PLN", 1), ("CAD", 1), ("CZK", 1)];
    let mut pledge_keys = Vec::new();
    let mut counts = DemoReport { institutions: INSTITUTIONS.len(), needs: 0, pledges: 45, allocations: 0, transactions: 0, projects: 0, agreements: 0 };
    for i in 0..45 {
        batch.set_time(start.saturating_add(SignedDuration::from_hours(24 * (i * 15 + rng.random_range(0..10)))).expect("in range"));
        let donor = pick(&mut rng, &donors);
        let code = if i % 9 == 0 { "EUR" } else { weighted(&mut rng, &currencies) };
        let currency = Currency::from_code(code)?;
        let in_kind = i % 11 == 5;
        let (kind, amount, items, valuation) = if in_kind {
            let unit = 250_000 * 10i64.pow(currency.exponent()) / 100;
            let qty = rng.random_range(20..200u32);
            (
                PledgeKind::InKind,
                Money::new(unit * i64::from(qty), currency),
                vec![InKindItem { description: "Satellite terminal with one year of service".into(), quantity: qty, unit_value_minor: unit }],
                Some(ValuationMethod::MarketPrice),
            )
        } else {
            let whole = rng.random_range(5..120) * 50_000i64;
            (PledgeKind::Money, Money::new(whole * 10i64.pow(currency.exponent()), currency), vec![], None)
        };
        let earmarks = Earmarks {
            capabilities: if rng.random_bool(0.4) { vec![pick(&mut rng, Capability::ALL), pick(&mut rng, Capability::ALL)] } else { vec![] },
            sectors: if rng.random_bool(0.2) { vec![pick(&mut rng, Sector::ALL)] } else { vec![] },
            beneficiaries: vec![],
        };
        let pledge = NewPledge {
            donor: donor.into(),
            title: format!("{} support package {} (demo)", if in_kind { "In-kind" } else { "Cyber" }, i + 1),
            kind,
            amount,
            items,
            valuation,
            pledged_on: day(batch.now()),
            budget_years: vec![day(batch.now()).year()],
            earmarks: earmarks.clone(),
            tlp: weighted(&mut rng, &[(Tlp::Clear, 5), (Tlp::Green, 3), (Tlp::Amber, 1)]),
            share_orgs: vec![],
            share_users: vec![],
            synthetic: true,
        };
        let p = batch.add_pledge(&pledge).await?;
        let key = p.id;
        let status = weighted(&mut rng, &[(PledgeStatus::Announced, 2), (PledgeStatus::Committed, 6), (PledgeStatus::Disbursed, 2)]);
        if status != PledgeStatus::Announced {
            batch.set_time(batch.now().saturating_add(SignedDuration::from_hours(24 * 20)).expect("in range"));
            batch.set_pledge_status(key, PledgeStatus::Committed).await?;
            let value_date = day(batch.now());
            batch
                .add_transaction(&NewTransaction {
                    kind: TransactionKind::Commitment,
                    provider: donor.into(),
                    receiver: "UA".into(),
                    value_date,
                    amount,
                    pledge: Some(key),
                    need: None,
                    pass_through_of: None,
                    description: "Commitment (demo)".into(),
                    synthetic: true,
                })
                .await?;
            counts.transactions += 1;
        }
        if status == PledgeStatus::Disbursed {
            batch.set_time(batch.now().saturating_add(SignedDuration::from_hours(24 * 45)).expect("in range"));
            batch.set_pledge_status(key, PledgeStatus::Disbursed).await?;
            // One flow in three goes through the World Bank: counted once.
            let through_wb = i % 3 == 0 && donor != "WB";
            let first = NewTransaction {
                kind: TransactionKind::Disbursement,
                provider: donor.into(),
                receiver: if through_wb { "WB".into() } else { "UA".into() },
                value_date: day(batch.now()),
                amount,
                pledge: Some(key),
                need: None,
                pass_through_of: None,
                description: "Disbursement (demo)".into(),
                synthetic: true,
            };
            let t = batch.add_transaction(&first).await?;
            counts.transactions += 1;
            if through_wb {
                let upstream = t.id;
                batch
                    .add_transaction(&NewTransaction {
                        provider: "WB".into(),
                        receiver: "UA".into(),
                        pass_through_of: Some(upstream),
                        pledge: None,
                        description: "Pass-through disbursement (demo)".into(),
                        ..first
                    })
                    .await?;
                counts.transactions += 1;
            }
        }
        if status != PledgeStatus::Announced {
            pledge_keys.push(key);
        }
    }

    // Needs: filed across two and a half years, taken through the lifecycle.
    let targets = [
        (NeedStatus::Draft, 10),
        (NeedStatus::Submitted, 10),
        (NeedStatus::TechnicalReview, 16),
        (NeedStatus::StrategicReview, 14),
        (NeedStatus::Approved, 50),
        (NeedStatus::PartiallyFunded, 24),
        (NeedStatus::Funded, 22),
        (NeedStatus::InDelivery, 16),
        (NeedStatus::Delivered, 10),
        (NeedStatus::Accepted, 8),
        (NeedStatus::Rejected, 12),
        (NeedStatus::Withdrawn, 8),
    ];
    // Needs are filed early enough for their whole path to end before the
    // demo's reference day.
    let span_days = (END.duration_since(start).as_hours() / 24) - 300;
    let mut filed_needs = Vec::new();
    for n in 0..200i64 {
        let (code, _, usual) = pick(&mut rng, INSTITUTIONS);
        let capability = pick(&mut rng, Capability::ALL);
        let sector = if rng.random_bool(0.7) { usual } else { pick(&mut rng, Sector::ALL) };
        let urgency = weighted(&mut rng, &[(Urgency::Critical, 2), (Urgency::High, 4), (Urgency::Medium, 3), (Urgency::Low, 1)]);
        let title = pick(&mut rng, TITLES.iter().find(|(c, _)| *c == capability).expect("every capability").1);
        let target = weighted(&mut rng, &targets);
        let funded_path =
            matches!(target, NeedStatus::PartiallyFunded | NeedStatus::Funded | NeedStatus::InDelivery | NeedStatus::Delivered | NeedStatus::Accepted);
        let need = NewNeed {
            beneficiary: (*code).into(),
            title: format!("{title} (demo)"),
            description: format!("Synthetic demo need no. {}: {} for a {} institution. Not a real request.", n + 1, title.to_lowercase(), sector),
            capability,
            sector,
            urgency,
            cost_eur_minor: rng.random_range(2..200) * 10_000 * 100,
            divisible: target == NeedStatus::PartiallyFunded || rng.random_bool(0.8),
            deadline: Some(day(END).saturating_add(jiff::Span::new().days(rng.random_range(-60..400)))),
            // Needs on the funded path are visible to donors (they were allocated).
            tlp: if funded_path {
                weighted(&mut rng, &[(Tlp::Clear, 6), (Tlp::Green, 4)])
            } else {
                weighted(&mut rng, &[(Tlp::Clear, 8), (Tlp::Green, 6), (Tlp::Amber, 3), (Tlp::AmberStrict, 2), (Tlp::Red, 1)])
            },
            share_orgs: vec![],
            share_users: vec![],
            tags: vec![capability.to_string(), sector.to_string()],
            synthetic: true,
        };
        let mut need = need;
        if need.tlp == Tlp::Red {
            // RED is shared with the named panel members who must vet it.
            need.share_users = vec!["demo.reviewer.technical".into(), "demo.reviewer.strategic".into()];
        }
        batch.set_time(start.saturating_add(SignedDuration::from_hours(24 * rng.random_range(0..span_days))).expect("in range"));
        batch.act_as(Principal::System);
        let filed = batch.add_need(&need).await?;
        let key = filed.id;
        filed_needs.push(key);
        counts.needs += 1;
        // A funding target that the compatible money cannot reach leaves the
        // need approved; any other failure is a bug and aborts the load.
        advance(batch, &mut rng, key, target, &pledge_keys, &mut counts).await?;
    }

    // Reservations on a few approved needs, current as of now.
    batch.set_time(now);
    batch.act_as(Principal::System);
    // The first four approved needs that donors may see.
    let mut approved = Vec::new();
    for id in &filed_needs {
        let need = batch.need(*id).await?;
        if need.status == NeedStatus::Approved && matches!(need.tlp, Tlp::Clear | Tlp::Green) {
            approved.push(need.id);
        }
        if approved.len() == 4 {
            break;
        }
    }
    for (i, key) in approved.iter().enumerate() {
        batch.reserve_need(*key, ["EE", "DE", "FR", "PL"][i], 30).await?;
    }

    // Agreements in 2025.
    let domains = [AgreementDomain::Cybersecurity, AgreementDomain::DigitalState];
    for i in 0..12 {
        let partner = pick(&mut rng, &donors);
        let status = weighted(&mut rng, &[(AgreementStatus::Signed, 3), (AgreementStatus::InForce, 5), (AgreementStatus::Negotiating, 1)]);
        let signed_on = (status != AgreementStatus::Negotiating).then(|| Date::new(2025, rng.random_range(1..=10), rng.random_range(1..=28)).expect("valid"));
        let linked = if i % 3 == 0 { pledge_keys.choose(&mut rng).copied().into_iter().collect() } else { vec![] };
        batch
            .add_agreement(&NewAgreement {
                title: format!(
                    "Memorandum on {} cooperation, Ukraine–{partner} no. {} (demo)",
                    if i % 2 == 0 { "cybersecurity" } else { "digital state" },
                    i + 1
                ),
                parties: vec!["UA".into(), partner.into()],
                domain: domains[i % 2],
                signed_on,
                status,
                pledges: linked,
                synthetic: true,
            })
            .await?;
        counts.agreements += 1;
    }
    Ok(counts)
}

async fn insert_user(batch: &mut Batch, name: &str, org: &str, role: Role, panel: Option<Panel>) -> Result<()> {
    batch.add_user(&NewUser { name: name.into(), org: org.into(), role, panel, password_hash: None }).await.map(drop)
}

/// Takes a need through its lifecycle towards `target`, one stamped step
/// every few days.
async fn advance(batch: &mut Batch, rng: &mut ChaCha8Rng, key: NeedId, target: NeedStatus, pledge_keys: &[PledgeId], counts: &mut DemoReport) -> Result<()> {
    use NeedStatus::*;
    let later = |batch: &mut Batch, rng: &mut ChaCha8Rng| {
        batch.set_time(batch.now().saturating_add(SignedDuration::from_hours(24 * rng.random_range(2..20))).expect("in range"))
    };
    if target == Draft {
        return Ok(());
    }
    if target == Withdrawn && rng.random_bool(0.5) {
        later(batch, rng);
        return withdraw(batch, key).await;
    }
    later(batch, rng);
    batch.submit_need(key).await?;
    if target == Submitted {
        return Ok(());
    }
    later(batch, rng);
    batch.triage_need(key, TriageDecision::Accept, "complete and in scope").await?;
    if target == TechnicalReview {
        return Ok(());
    }
    let reject_at_technical = target == Rejected && rng.random_bool(0.6);
    later(batch, rng);
    batch.act_as(Principal::User { name: "demo.reviewer.technical".into(), org: "TMPO".into(), role: Role::Reviewer });
    let decision = if reject_at_technical { Decision::Reject } else { Decision::Approve };
    let (f, r) = if reject_at_technical { (rng.random_range(0..3), rng.random_range(0..3)) } else { (rng.random_range(3..6), rng.random_range(3..6)) };
    batch
        .review_need(
            key,
            &NewReview {
                panel: Panel::Technical,
                decision,
                feasibility: Some(f),
                relevance: Some(r),
                importance: None,
                comment: if reject_at_technical { "Not feasible as specified (demo)".into() } else { "Sound and feasible (demo)".into() },
                conflict_of_interest: false,
            },
        )
        .await?;
    if reject_at_technical || target == StrategicReview {
        batch.act_as(Principal::System);
        return Ok(());
    }
    later(batch, rng);
    batch.act_as(Principal::User { name: "demo.reviewer.strategic".into(), org: "EE".into(), role: Role::Reviewer });
    let reject = target == Rejected;
    batch
        .review_need(
            key,
            &NewReview {
                panel: Panel::Strategic,
                decision: if reject { Decision::Reject } else { Decision::Approve },
                feasibility: None,
                relevance: None,
                importance: Some(if reject { 1 } else { rng.random_range(3..6) }),
                comment: if reject { "Covered by another programme (demo)".into() } else { "Strategic priority (demo)".into() },
                conflict_of_interest: false,
            },
        )
        .await?;
    batch.act_as(Principal::System);
    if matches!(target, Rejected | Approved) {
        return Ok(());
    }
    if target == Withdrawn {
        later(batch, rng);
        return withdraw(batch, key).await;
    }
    // Funding: from committed pledges whose earmarks admit the need.
    later(batch, rng);
    let need = batch.need(key).await?;
    let goal = if target == PartiallyFunded { need.cost_eur_minor * rng.random_range(25..75) / 100 } else { need.cost_eur_minor };
    let mut lines = Vec::new();
    let mut left = goal;
    for pk in pledge_keys {
        if left == 0 {
            break;
        }
        let p = batch.pledge(*pk).await?;
        if p.earmarks.excludes(&need).is_some() || p.balance_eur_minor() <= 0 || p.created_at > batch.now() {
            continue;
        }
        let take = left.min(p.balance_eur_minor());
        lines.push(AllocationLine { pledge: p.id, need: need.id, amount_eur_minor: take });
        left -= take;
    }
    if left > 0 {
        return Ok(()); // not enough compatible money: stays approved
    }
    counts.allocations += batch.allocate(&lines).await?.len();
    if matches!(target, PartiallyFunded | Funded) {
        return Ok(());
    }
    later(batch, rng);
    let implementer = pick(rng, IMPLEMENTERS).0;
    let project = batch
        .add_project(&NewProject {
            need: key,
            implementer: implementer.into(),
            title: format!("Delivery of {} (demo)", need.title.trim_end_matches(" (demo)")),
            items: vec![NewDeliveryItem { description: "Equipment and services as specified (demo)".into(), quantity: rng.random_range(1..50) }],
            synthetic: true,
        })
        .await?;
    counts.projects += 1;
    let pkey = project.id;
    let mut milestones = Vec::new();
    for title in ["Procurement completed", "Installation and configuration", "Training and handover"] {
        let due = day(batch.now()).saturating_add(jiff::Span::new().days(rng.random_range(20..120)));
        let p = batch.add_milestone(pkey, &format!("{title} (demo)"), Some(due)).await?;
        milestones.extend(p.milestones.last().map(|m| m.id));
    }
    if target == InDelivery {
        return Ok(());
    }
    for m in &milestones {
        later(batch, rng);
        batch.complete_milestone(pkey, *m).await?;
    }
    later(batch, rng);
    batch.deliver_project(pkey).await?;
    // What the implementer spent delivering it, linked to the need.
    batch
        .add_transaction(&NewTransaction {
            kind: TransactionKind::Expenditure,
            provider: implementer.into(),
            receiver: need.beneficiary.clone(),
            value_date: day(batch.now()),
            amount: Money::new(need.cost_eur_minor, Currency::from_code("EUR")?),
            pledge: None,
            need: Some(key),
            pass_through_of: None,
            description: "Delivery expenditure (demo)".into(),
            synthetic: true,
        })
        .await?;
    counts.transactions += 1;
    if target == Delivered {
        return Ok(());
    }
    later(batch, rng);
    let signer = format!("demo.{}", need.beneficiary.trim_start_matches("UA-DEMO-").to_lowercase().replace('-', "."));
    batch.act_as(Principal::User { name: signer, org: need.beneficiary.clone(), role: Role::Beneficiary });
    batch.accept_project(pkey, "Received, installed and in operation (demo)").await?;
    batch.act_as(Principal::System);
    Ok(())
}

async fn withdraw(batch: &mut Batch, key: NeedId) -> Result<()> {
    batch.withdraw_need(key, "no longer needed (demo)").await.map(drop)
}
