//! The conformance suite: one set of behaviours that every backend must
//! show. Each backend's integration tests instantiate it with
//! `conformance_suite!(open)`, where `open` returns a fresh, initialised
//! `Harness` (or `None` to skip, e.g. PostgreSQL without a test URL).

use std::sync::Arc;
/// For the suite's macro: a backend without its database is skipped, except in CI.
pub use tallinn_core::testing::unavailable;

use jiff::{SignedDuration, Timestamp};
use tallinn_core::agreement::{AgreementDomain, AgreementStatus, NewAgreement};
use tallinn_core::money::{Currency, Money};
use tallinn_core::need::{Capability, NeedStatus, NewNeed, Sector, Urgency};
use tallinn_core::participant::{NewUser, Panel, Participant, ParticipantKind, Role};
use tallinn_core::pledge::{Earmarks, NewPledge, PledgeKind, PledgeStatus};
use tallinn_core::policy::{Principal, Tlp};
use tallinn_core::project::NewProject;
use tallinn_core::review::{Decision, NewReview};
use tallinn_core::transaction::{NewTransaction, TransactionKind};
use tallinn_core::{DomainError, NeedId, PledgeId, TransactionId};

use tallinn_ledger::AllocationLine;

mod reports;
mod taxii;
pub use reports::*;
use tallinn_ledger::{Keyset, Ledger, ManualClock, NeedSearch, StoreError, TriageDecision, Via};
pub use taxii::*;

/// A fresh ledger on one backend, with a clock the test moves.
pub struct Harness {
    pub ledger: Ledger,
    pub clock: Arc<ManualClock>,
    /// SQL that disables the audit log's append-only triggers (to simulate
    /// an attacker with direct database access).
    pub disable_audit_triggers: &'static [&'static str],
    /// Migration 0008's statement that fills `flow_chunks` from `transactions`.
    pub flow_chunks_backfill: &'static str,
    /// Run after the test passed (drops a PostgreSQL test database).
    pub cleanup: Option<Cleanup>,
}

pub type Cleanup = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The instant every harness starts at.
pub fn start() -> Timestamp {
    "2026-03-02T10:00:00Z".parse().expect("valid")
}

/// Generates one `#[tokio::test]` per behaviour.
#[macro_export]
macro_rules! conformance_suite {
    ($open:path) => {
        $crate::conformance_suite!(@tests $open;
            reference_data_is_loaded_once,
            need_lifecycle_is_stamped_and_enforced,
            reviews_follow_panels_and_conflicts,
            allocation_invariants_hold,
            allocation_batches_are_atomic,
            reservations_expire_by_themselves,
            concurrent_allocations_never_overfund,
            audit_log_is_append_only_and_verified,
            tampering_is_named_by_verify,
            rates_convert_pledges_with_provenance,
            csv_import_is_all_or_nothing,
            pass_through_is_linked_and_bounded,
            projects_run_to_signed_acceptance,
            visibility_follows_tlp,
            allocation_proposals_respect_the_ledger,
            deconfliction_verdicts_are_recorded,
            tokens_and_the_access_log,
            bad_input_changes_nothing,
            demo_dataset_is_complete_and_valid,
            report_figures_equal_independent_sums,
            reports_show_only_what_the_reader_may_see,
            flows_snapshot_follows_every_writer,
            flow_chunks_say_what_the_table_says,
            collections_are_created_and_scoped,
            uploads_report_each_object,
            reads_follow_tlp,
            versions_are_exact_and_input_strict,
            markings_fail_closed,
            versions_belong_to_their_organisation,
            accounts_change_and_end_sessions,
            versions_and_pages_hold_under_writes
        );
    };
    (@tests $open:path; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                match $open().await {
                    Some(mut harness) => {
                        let cleanup = harness.cleanup.take();
                        $crate::$name(harness).await;
                        if let Some(cleanup) = cleanup {
                            cleanup.await;
                        }
                    }
                    None => $crate::unavailable("database for this backend", "set TALLINN_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/tallinn_dev"),
                }
            }
        )+
    };
}

// ---------- fixtures ----------

fn user(name: &str, org: &str, role: Role) -> Principal {
    Principal::User { name: name.into(), org: org.into(), role }
}

async fn setup_people(l: &Ledger) {
    for (code, name, kind) in [
        ("UA-CERT", "Test CERT", ParticipantKind::Beneficiary),
        ("UA-GRID", "Test grid", ParticipantKind::Beneficiary),
        ("IMP-X", "Test implementer", ParticipantKind::Implementer),
    ] {
        l.add_participant(
            Principal::System,
            Participant { code: code.into(), name: name.into(), kind, parent: None, joined: None, left: None, synthetic: false },
        )
        .await
        .unwrap();
    }
    for (name, org, role, panel) in [
        ("ben", "UA-CERT", Role::Beneficiary, None),
        ("grid", "UA-GRID", Role::Beneficiary, None),
        ("tech", "TMPO", Role::Reviewer, Some(Panel::Technical)),
        ("strat", "EE", Role::Reviewer, Some(Panel::Strategic)),
        ("ee.donor", "EE", Role::Donor, None),
        ("de.donor", "DE", Role::Donor, None),
        ("imp", "IMP-X", Role::Implementer, None),
    ] {
        l.add_user(Principal::System, NewUser { name: name.into(), org: org.into(), role, panel, password_hash: None }).await.unwrap();
    }
}

fn need(beneficiary: &str, cost_eur: i64, tlp: Tlp) -> NewNeed {
    NewNeed {
        beneficiary: beneficiary.into(),
        title: "SOC sensors".into(),
        description: "Sensors for the energy SOC".into(),
        capability: Capability::Detect,
        sector: Sector::Energy,
        urgency: Urgency::Critical,
        cost_eur_minor: cost_eur * 100,
        divisible: true,
        deadline: None,
        tlp,
        share_orgs: vec![],
        share_users: vec![],
        tags: vec!["soc".into()],
        synthetic: false,
    }
}

/// Files a need and takes it to `approved` through both panels.
async fn approved(l: &Ledger, n: NewNeed) -> NeedId {
    let filed = l.add_need(Principal::System, n).await.unwrap();
    l.submit_need(Principal::System, filed.id).await.unwrap();
    l.triage_need(Principal::System, filed.id, TriageDecision::Accept, "ok").await.unwrap();
    let tech = NewReview {
        panel: Panel::Technical,
        decision: Decision::Approve,
        feasibility: Some(4),
        relevance: Some(5),
        importance: None,
        comment: "good".into(),
        conflict_of_interest: false,
    };
    l.review_need(user("tech", "TMPO", Role::Reviewer), filed.id, tech).await.unwrap();
    let strat = NewReview {
        panel: Panel::Strategic,
        decision: Decision::Approve,
        feasibility: None,
        relevance: None,
        importance: Some(5),
        comment: "priority".into(),
        conflict_of_interest: false,
    };
    let n = l.review_need(user("strat", "EE", Role::Reviewer), filed.id, strat).await.unwrap();
    assert_eq!(n.status, NeedStatus::Approved);
    filed.id
}

fn pledge(donor: &str, eur: i64) -> NewPledge {
    NewPledge {
        donor: donor.into(),
        title: "Support".into(),
        kind: PledgeKind::Money,
        amount: Money::eur(eur * 100),
        items: vec![],
        valuation: None,
        pledged_on: "2026-01-15".parse().unwrap(),
        budget_years: vec![2026],
        earmarks: Earmarks::default(),
        tlp: Tlp::Green,
        share_orgs: vec![],
        share_users: vec![],
        synthetic: false,
    }
}

async fn committed(l: &Ledger, p: NewPledge) -> PledgeId {
    let p = l.add_pledge(Principal::System, p).await.unwrap();
    l.set_pledge_status(Principal::System, p.id, PledgeStatus::Committed).await.unwrap();
    p.id
}

fn key(id: NeedId) -> i64 {
    id.key()
}

fn line(pledge: PledgeId, need: NeedId, eur: i64) -> AllocationLine {
    AllocationLine { pledge, need, amount_eur_minor: eur * 100 }
}

async fn audit_len(l: &Ledger) -> u64 {
    l.verify_audit().await.unwrap().entries
}

fn domain(e: StoreError) -> DomainError {
    match e {
        StoreError::Domain(d) => d,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

// ---------- behaviours ----------

pub async fn reference_data_is_loaded_once(h: Harness) {
    let l = &h.ledger;
    let all = l.participants().await.unwrap();
    let codes = |kind| all.iter().filter(|p| p.kind == kind).map(|p| p.code.as_str()).collect::<Vec<_>>();
    assert_eq!(codes(ParticipantKind::Member), ["CA", "DE", "DK", "EE", "FI", "FR", "GB", "IT", "NL", "NO", "PL", "SE", "US"]);
    assert_eq!(codes(ParticipantKind::Observer), ["CZ", "EU", "NATO", "WB"]);
    assert_eq!(codes(ParticipantKind::Beneficiary), ["UA"]);
    assert_eq!(codes(ParticipantKind::Office), ["TMPO"]);
    assert_eq!(all.iter().find(|p| p.code == "FI").unwrap().joined.as_ref().map(|d| d.as_str()), Some("2025"));
    let announcements = l.announcements().await.unwrap();
    assert_eq!(announcements.len(), 1);
    assert_eq!(announcements[0].cumulative_eur_minor, 24_170_000_000);
    assert_eq!(announcements[0].new_funding_eur_minor, 6_090_000_000);
    let before = audit_len(l).await;
    l.init().await.unwrap();
    assert_eq!(audit_len(l).await, before, "a second init changes nothing");
    assert_eq!(l.participants().await.unwrap().len(), all.len());
}

pub async fn need_lifecycle_is_stamped_and_enforced(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let ben = user("ben", "UA-CERT", Role::Beneficiary);
    let n = l.add_need(ben.clone(), need("UA-CERT", 1000, Tlp::Green)).await.unwrap();
    assert_eq!(n.status, NeedStatus::Draft);
    assert_eq!(n.id, NeedId::new(1));
    // Another institution may not file for UA-CERT.
    let e = domain(l.add_need(user("grid", "UA-GRID", Role::Beneficiary), need("UA-CERT", 10, Tlp::Green)).await.unwrap_err());
    assert!(matches!(e, DomainError::Forbidden(_)), "{e}");
    // Out of order: a draft cannot be triaged.
    let e = domain(l.triage_need(Principal::System, n.id, TriageDecision::Accept, "").await.unwrap_err());
    assert!(matches!(e, DomainError::InvalidTransition { ref from, ref to, .. } if from == "draft" && to == "technical_review"), "{e}");
    // A draft may be edited by its institution, not by another one.
    let mut changed = need("UA-CERT", 2500, Tlp::Amber);
    changed.title = "Sensors, revised".into();
    changed.tags = vec!["soc".into()];
    let e = domain(l.amend_need(user("grid", "UA-GRID", Role::Beneficiary), n.id, changed.clone()).await.unwrap_err());
    assert!(matches!(e, DomainError::Forbidden(_)), "{e}");
    let mut elsewhere = changed.clone();
    elsewhere.beneficiary = "UA-GRID".into();
    let e = domain(l.amend_need(ben.clone(), n.id, elsewhere).await.unwrap_err());
    assert_eq!(e.field(), Some("beneficiary"), "{e}");
    let amended = l.amend_need(ben.clone(), n.id, changed.clone()).await.unwrap();
    assert_eq!((amended.title.as_str(), amended.cost_eur_minor, amended.tlp), ("Sensors, revised", changed.cost_eur_minor, Tlp::Amber));
    assert_eq!(amended.tags, vec!["soc".to_string()]);
    assert!(amended.share_users.contains(&"ben".to_string()), "the filer keeps seeing it");
    assert_eq!(l.need(&Principal::System, n.id).await.unwrap(), amended);
    h.clock.advance(SignedDuration::from_hours(1));
    l.submit_need(ben.clone(), n.id).await.unwrap();
    let e = domain(l.submit_need(ben.clone(), n.id).await.unwrap_err());
    assert!(matches!(e, DomainError::InvalidTransition { .. }));
    // Once submitted, it no longer changes.
    let e = domain(l.amend_need(ben.clone(), n.id, changed).await.unwrap_err());
    assert!(matches!(e, DomainError::Conflict(ref m) if m.contains("only a draft")), "{e}");
    let history = l.need_history(&Principal::System, n.id).await.unwrap();
    let steps: Vec<_> = history.iter().map(|t| (t.from, t.to, t.actor.as_str())).collect();
    assert_eq!(steps, vec![(None, NeedStatus::Draft, "ben"), (Some(NeedStatus::Draft), NeedStatus::Submitted, "ben")]);
    assert_eq!(history[1].at, start() + SignedDuration::from_hours(1));
    // Withdrawal, then nothing more.
    l.withdraw_need(ben.clone(), n.id, "solved locally").await.unwrap();
    let e = domain(l.submit_need(ben, n.id).await.unwrap_err());
    assert!(matches!(e, DomainError::InvalidTransition { .. }));
}

pub async fn reviews_follow_panels_and_conflicts(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let n = l.add_need(Principal::System, need("UA-CERT", 1000, Tlp::Green)).await.unwrap();
    l.submit_need(Principal::System, n.id).await.unwrap();
    l.triage_need(Principal::System, n.id, TriageDecision::Accept, "").await.unwrap();
    let tech = NewReview {
        panel: Panel::Technical,
        decision: Decision::Approve,
        feasibility: Some(4),
        relevance: Some(4),
        importance: None,
        comment: "".into(),
        conflict_of_interest: false,
    };
    // A strategic reviewer may not score for the technical panel.
    let e = domain(l.review_need(user("strat", "EE", Role::Reviewer), n.id, tech.clone()).await.unwrap_err());
    assert!(matches!(e, DomainError::Forbidden(_)), "{e}");
    // The operator is not a reviewer.
    assert!(matches!(domain(l.review_need(Principal::System, n.id, tech.clone()).await.unwrap_err()), DomainError::Forbidden(_)));
    // Declaring a conflict forces abstention, which moves nothing.
    let conflicted = NewReview { decision: Decision::Abstain, conflict_of_interest: true, feasibility: None, relevance: None, ..tech.clone() };
    let still = l.review_need(user("tech", "TMPO", Role::Reviewer), n.id, conflicted).await.unwrap();
    assert_eq!(still.status, NeedStatus::TechnicalReview);
    let after_tech = l.review_need(user("tech", "TMPO", Role::Reviewer), n.id, tech).await.unwrap();
    assert_eq!(after_tech.status, NeedStatus::StrategicReview, "technical approval alone does not approve");
    let reject = NewReview {
        panel: Panel::Strategic,
        decision: Decision::Reject,
        feasibility: None,
        relevance: None,
        importance: Some(1),
        comment: "duplicate of a national programme".into(),
        conflict_of_interest: false,
    };
    let rejected = l.review_need(user("strat", "EE", Role::Reviewer), n.id, reject).await.unwrap();
    assert_eq!(rejected.status, NeedStatus::Rejected);
    let reviews = l.need_reviews(&Principal::System, n.id).await.unwrap();
    assert_eq!(reviews.len(), 3);
    assert!(reviews[0].conflict_of_interest && reviews[0].decision == Decision::Abstain);
    assert_eq!(reviews[2].importance, Some(1));
}

pub async fn allocation_invariants_hold(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let n = approved(l, need("UA-CERT", 1000, Tlp::Green)).await;
    let p = committed(l, pledge("EE", 600)).await;
    let q = committed(l, pledge("DE", 600)).await;
    // Over the need's cost.
    let e = domain(l.allocate(Principal::System, &[line(p, n, 600), line(q, n, 500)]).await.unwrap_err());
    assert!(e.to_string().contains("would exceed its cost"), "{e}");
    // Over the pledge's amount.
    let e = domain(l.allocate(Principal::System, &[line(p, n, 700)]).await.unwrap_err());
    assert!(e.to_string().contains("exceed"), "{e}");
    // Earmarks.
    let mut earmarked = pledge("EE", 100);
    earmarked.earmarks.capabilities = vec![Capability::Connectivity];
    let em = committed(l, earmarked).await;
    let e = domain(l.allocate(Principal::System, &[line(em, n, 50)]).await.unwrap_err());
    assert!(e.to_string().contains("capability detect is not among the earmarks"), "{e}");
    // Announced money is not allocatable.
    let announced = l.add_pledge(Principal::System, pledge("EE", 100)).await.unwrap();
    let e = domain(l.allocate(Principal::System, &[line(announced.id, n, 50)]).await.unwrap_err());
    assert!(e.to_string().contains("only committed money"), "{e}");
    // A need the donor may not see is "not found" to it.
    let hidden = approved(l, need("UA-CERT", 100, Tlp::AmberStrict)).await;
    let e = domain(l.allocate(Principal::System, &[line(p, hidden, 10)]).await.unwrap_err());
    assert!(matches!(e, DomainError::NotFound { entity: "need", .. }), "{e}");
    // A donor may only allocate its own pledges.
    let e = domain(l.allocate(user("de.donor", "DE", Role::Donor), &[line(p, n, 10)]).await.unwrap_err());
    assert!(matches!(e, DomainError::Forbidden(_)), "{e}");
    // Exactly the cost, from two donors: funded.
    let made = l.allocate(Principal::System, &[line(p, n, 600), line(q, n, 400)]).await.unwrap();
    assert_eq!(made.len(), 2);
    for a in &made {
        assert_eq!(&l.allocation(&Principal::System, a.id).await.unwrap(), a, "one read by its id is what was made");
    }
    let missing = tallinn_core::AllocationId::new(made[1].id.key() + 1);
    assert!(matches!(domain(l.allocation(&Principal::System, missing).await.unwrap_err()), DomainError::NotFound { .. }));
    let funded = l.need(&Principal::System, n).await.unwrap();
    assert_eq!((funded.status, funded.funded_eur_minor), (NeedStatus::Funded, 100_000));
    assert_eq!(l.pledge(&Principal::System, q).await.unwrap().balance_eur_minor(), 20_000);
    // All-or-nothing: a partial allocation is refused.
    let mut aon = need("UA-GRID", 300, Tlp::Clear);
    aon.divisible = false;
    let aon = approved(l, aon).await;
    let e = domain(l.allocate(Principal::System, &[line(q, aon, 150)]).await.unwrap_err());
    assert!(e.to_string().contains("all-or-nothing"), "{e}");
    assert_eq!(l.need(&Principal::System, aon).await.unwrap().funded_eur_minor, 0);
}

pub async fn allocation_batches_are_atomic(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let n = approved(l, need("UA-CERT", 1000, Tlp::Green)).await;
    let p = committed(l, pledge("EE", 300)).await;
    let before = audit_len(l).await;
    // The first line is fine, the second over-draws the pledge: neither lands.
    let e = l.allocate(Principal::System, &[line(p, n, 200), line(p, n, 200)]).await.unwrap_err();
    assert!(domain(e).to_string().contains("would exceed its amount"));
    assert!(l.allocations(&Principal::System).await.unwrap().is_empty());
    assert_eq!(l.need(&Principal::System, n).await.unwrap().funded_eur_minor, 0);
    assert_eq!(l.pledge(&Principal::System, p).await.unwrap().allocated_eur_minor, 0);
    assert_eq!(audit_len(l).await, before);
}

pub async fn reservations_expire_by_themselves(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let n = approved(l, need("UA-CERT", 1000, Tlp::Green)).await;
    let de = committed(l, pledge("DE", 1000)).await;
    let reserved = l.reserve_need(user("ee.donor", "EE", Role::Donor), n, "EE", None).await.unwrap();
    let until = reserved.reservation.as_ref().unwrap().until;
    assert_eq!(until, start() + SignedDuration::from_hours(24 * 30), "default 30 days");
    // Another donor cannot reserve or fund it meanwhile.
    let e = domain(l.reserve_need(user("de.donor", "DE", Role::Donor), n, "DE", None).await.unwrap_err());
    assert!(e.to_string().contains("under discussion by EE"), "{e}");
    let e = domain(l.allocate(Principal::System, &[line(de, n, 100)]).await.unwrap_err());
    assert!(e.to_string().contains("under discussion by EE"), "{e}");
    // A donor reserves only for itself.
    assert!(matches!(domain(l.reserve_need(user("de.donor", "DE", Role::Donor), n, "EE", None).await.unwrap_err()), DomainError::Forbidden(_)));
    // Thirty days later it has lapsed, with nothing having run.
    h.clock.advance(SignedDuration::from_hours(24 * 30));
    assert!(l.need(&Principal::System, n).await.unwrap().reservation.is_none());
    l.reserve_need(user("de.donor", "DE", Role::Donor), n, "DE", Some(7)).await.unwrap();
    l.allocate(Principal::System, &[line(de, n, 100)]).await.unwrap();
    let e = domain(l.reserve_need(Principal::System, n, "DE", Some(365)).await.unwrap_err());
    assert_eq!(e.field(), Some("days"));
}

pub async fn concurrent_allocations_never_overfund(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    for round in 0..5 {
        let n = approved(l, need("UA-CERT", 1000, Tlp::Green)).await;
        let a = committed(l, pledge("EE", 1000)).await;
        let b = committed(l, pledge("DE", 1000)).await;
        // Each alone fits; together they would fund 120 %.
        let (la, lb) = (l.clone(), l.clone());
        let (na, nb) = (n, n);
        let ta = tokio::spawn(async move { la.allocate(Principal::System, &[line(a, na, 600)]).await });
        let tb = tokio::spawn(async move { lb.allocate(Principal::System, &[line(b, nb, 600)]).await });
        let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
        assert!(ra.is_ok() != rb.is_ok(), "round {round}: exactly one may win ({:?} / {:?})", ra.as_ref().err(), rb.as_ref().err());
        let loser = ra.err().or(rb.err()).unwrap();
        assert!(domain(loser).to_string().contains("would exceed its cost"));
        let after = l.need(&Principal::System, n).await.unwrap();
        assert_eq!(after.funded_eur_minor, 60_000, "round {round}");
        let sum: i64 = l.allocations(&Principal::System).await.unwrap().iter().filter(|x| x.need == n).map(|x| x.amount_eur_minor).sum();
        assert_eq!(sum, 60_000);
    }
    assert!(l.verify_audit().await.unwrap().broken.is_none(), "concurrent writers keep one chain");
}

pub async fn audit_log_is_append_only_and_verified(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let report = l.verify_audit().await.unwrap();
    assert!(report.entries > 5 && report.broken.is_none(), "{report:?}");
    let mut tx = l.backend().begin_write().await.unwrap();
    let e = tx.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", vec![]).await.unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    drop(tx);
    let mut tx = l.backend().begin_write().await.unwrap();
    let e = tx.execute("DELETE FROM audit_log WHERE seq = 2", vec![]).await.unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    drop(tx);
    let entries = l.audit_log(&Principal::System, 3, None).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries[0].seq > entries[1].seq, "newest first");
    assert!(entries.iter().all(|e| !e.details.contains("argon2")), "no secrets in the log");
    let e = domain(l.audit_log(&user("ee.donor", "EE", Role::Donor), 3, None).await.unwrap_err());
    assert!(matches!(e, DomainError::Forbidden(_)));
}

pub async fn tampering_is_named_by_verify(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let total = audit_len(l).await;
    let mut tx = l.backend().begin_write().await.unwrap();
    for sql in h.disable_audit_triggers {
        tx.execute(sql, vec![]).await.unwrap();
    }
    tx.execute("UPDATE audit_log SET details = '{\"role\":\"coordinator\"}' WHERE seq = 4", vec![]).await.unwrap();
    tx.commit().await.unwrap();
    let report = l.verify_audit().await.unwrap();
    let broken = report.broken.expect("tampering detected");
    assert_eq!(broken.seq, 4, "{broken:?}");
    assert_eq!(report.entries, 3);
    assert!(total > 4);
    // Removing the newest entry is found too.
    let mut tx = l.backend().begin_write().await.unwrap();
    tx.execute("UPDATE audit_log SET details = (SELECT details FROM audit_log WHERE seq = 5) WHERE seq = 4", vec![]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(l.verify_audit().await.unwrap().broken.unwrap().seq, 4);
}

pub async fn rates_convert_pledges_with_provenance(h: Harness) {
    let l = &h.ledger;
    let rates = tallinn_core::fx::parse_ecb_csv("Date,USD,JPY,\n2026-01-15,1.1000,N/A,\n2026-01-14,1.2000,160.5,\n2025-01-02,1.0300,N/A,\n").unwrap();
    let report = l.import_rates(Principal::System, rates.clone(), &|_| {}).await.unwrap();
    assert_eq!((report.rates, report.added, report.currencies), (4, 4, 2));
    let again = l.import_rates(Principal::System, rates, &|_| {}).await.unwrap();
    assert_eq!(again.added, 0, "re-importing adds nothing");
    let usd = Currency::from_code("USD").unwrap();
    let p = l.add_pledge(Principal::System, NewPledge { amount: Money::new(11_000_000, usd), ..pledge("US", 1) }).await.unwrap();
    assert_eq!((p.eur_minor, p.rate.to_string().as_str(), p.rate_date.to_string().as_str()), (10_000_000, "1.1000", "2026-01-15"));
    assert_eq!(p.rate_source, tallinn_core::fx::ECB_SOURCE);
    // A Saturday uses Friday's rate; a day with no recent rate is refused.
    let sat = l
        .add_pledge(Principal::System, NewPledge { amount: Money::new(12_000, usd), pledged_on: "2026-01-17".parse().unwrap(), ..pledge("US", 1) })
        .await
        .unwrap();
    assert_eq!(sat.rate_date.to_string(), "2026-01-15");
    let e = domain(
        l.add_pledge(Principal::System, NewPledge { amount: Money::new(100, usd), pledged_on: "2025-06-01".parse().unwrap(), ..pledge("US", 1) })
            .await
            .unwrap_err(),
    );
    assert!(e.to_string().contains("days older"), "{e}");
    let jpy = Currency::from_code("JPY").unwrap();
    let e = domain(
        l.add_pledge(Principal::System, NewPledge { amount: Money::new(100, jpy), pledged_on: "2026-01-10".parse().unwrap(), ..pledge("US", 1) })
            .await
            .unwrap_err(),
    );
    assert!(e.to_string().contains("no EUR rate for JPY"), "{e}");
}

pub async fn csv_import_is_all_or_nothing(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let before = audit_len(l).await;
    let bad = "beneficiary,title,capability,sector,urgency,cost_eur,tlp\nUA-CERT,One,detect,energy,high,10.00,green\nUA-NOWHERE,Two,detect,energy,high,10.00,green\nEE,Three,detect,energy,high,10.00,green\n";
    let rows = tallinn_core::import::parse_needs(bad, false).unwrap();
    let e = l.import_needs(Principal::System, rows, &|_| {}).await.unwrap_err();
    let StoreError::Import(errors) = e else { panic!("expected an import report") };
    let got: Vec<_> = errors.0.iter().map(|e| (e.row, e.field.as_str())).collect();
    assert_eq!(got, vec![(3, "beneficiary"), (4, "beneficiary")]);
    // Parse errors and store checks come back together, in file order.
    let mixed =
        "beneficiary,title,capability,sector,urgency,cost_eur,tlp\nUA-NOWHERE,One,detect,energy,high,10.00,green\nUA-CERT,Two,detekt,energy,high,10.00,green\n";
    let StoreError::Import(errors) = l.import_needs(Principal::System, tallinn_core::import::parse_needs(mixed, false).unwrap(), &|_| {}).await.unwrap_err()
    else {
        panic!()
    };
    let got: Vec<_> = errors.0.iter().map(|e| (e.row, e.field.as_str())).collect();
    assert_eq!(got, vec![(2, "beneficiary"), (3, "capability")]);
    assert!(errors.0[0].message.contains("unknown participant 'UA-NOWHERE'"));
    assert!(l.needs(&Principal::System, &Default::default()).await.unwrap().is_empty(), "nothing written");
    assert_eq!(audit_len(l).await, before);
    let good: String = std::iter::once("beneficiary,title,capability,sector,urgency,cost_eur,tlp\n".to_string())
        .chain((0..2500).map(|i| format!("UA-CERT,Need {i},detect,energy,high,{i}.50,green\n")))
        .collect();
    let rows = tallinn_core::import::parse_needs(&good, false).unwrap();
    let seen = std::sync::atomic::AtomicU64::new(0);
    let count = l
        .import_needs(Principal::System, rows, &|n| {
            seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        })
        .await;
    // Row "Need 0" costs 0.50: fine. All 2,500 land, in file order, each stamped.
    assert_eq!(count.unwrap(), 2500);
    assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 2500);
    let needs = l.needs(&Principal::System, &Default::default()).await.unwrap();
    assert_eq!(needs.len(), 2500);
    assert_eq!(needs.last().unwrap().title, "Need 0");
    assert_eq!(l.need_history(&Principal::System, needs[0].id).await.unwrap().len(), 1);
    assert_eq!(audit_len(l).await, before + 1, "one import, one audit entry");
    // Pledges: a missing rate in one row refuses the file.
    let pledges = "donor,title,amount,currency,pledged_on,tlp,status\nEE,A,100.00,EUR,2026-01-01,green,committed\nSE,B,100.00,SEK,2026-01-01,green,\n";
    let rows = tallinn_core::import::parse_pledges(pledges, false).unwrap();
    let StoreError::Import(errors) = l.import_pledges(Principal::System, rows, &|_| {}).await.unwrap_err() else { panic!() };
    assert_eq!((errors.0[0].row, errors.0[0].field.as_str()), (3, "currency"));
    assert!(l.pledges(&Principal::System, None, None).await.unwrap().is_empty());
}

pub async fn pass_through_is_linked_and_bounded(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let flow = |provider: &str, receiver: &str, eur: i64, through: Option<TransactionId>| NewTransaction {
        kind: TransactionKind::Disbursement,
        provider: provider.into(),
        receiver: receiver.into(),
        value_date: "2026-02-01".parse().unwrap(),
        amount: Money::eur(eur * 100),
        pledge: None,
        need: None,
        pass_through_of: through,
        description: String::new(),
        synthetic: false,
    };
    let first = l.add_transaction(Principal::System, flow("NO", "WB", 1000, None)).await.unwrap();
    assert_eq!((first.id.to_string().as_str(), first.rate_source.as_str()), ("T-1", "identity (amount in EUR)"));
    l.add_transaction(Principal::System, flow("WB", "UA", 700, Some(TransactionId::new(1)))).await.unwrap();
    let e = domain(l.add_transaction(Principal::System, flow("WB", "UA", 400, Some(TransactionId::new(1)))).await.unwrap_err());
    assert!(e.to_string().contains("already passed on"), "{e}");
    let e = domain(l.add_transaction(Principal::System, flow("SE", "UA", 10, Some(TransactionId::new(1)))).await.unwrap_err());
    assert_eq!(e.field(), Some("pass_through_of"));
    let e = domain(
        l.add_transaction(Principal::System, NewTransaction { value_date: "2027-01-01".parse().unwrap(), ..flow("NO", "UA", 1, None) }).await.unwrap_err(),
    );
    assert_eq!(e.field(), Some("value_date"), "no future disbursements");
    let e = domain(l.add_transaction(Principal::System, flow("NO", "XX", 1, None)).await.unwrap_err());
    assert!(e.to_string().contains("unknown participant 'XX'"));
    // Within one import file too: 200 + 200 would pass on 400 of the 300 left.
    let csv = "kind,provider,receiver,value_date,amount,currency,pass_through_of\ndisbursement,WB,UA,2026-02-02,200.00,EUR,T-1\ndisbursement,WB,UA,2026-02-03,200.00,EUR,T-1\n";
    let parsed = tallinn_core::import::parse_transactions(csv, "2026-03-01".parse().unwrap(), false).unwrap();
    let StoreError::Import(errors) = l.import_transactions(Principal::System, parsed, &|_| {}).await.unwrap_err() else { panic!() };
    assert_eq!((errors.0.len(), errors.0[0].row), (1, 3), "{errors}");
    let listed = l.transactions(&Principal::System, &Default::default()).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().find(|t| t.pass_through_of.is_some()).unwrap().pass_through_of, Some(TransactionId::new(1)));
}

pub async fn projects_run_to_signed_acceptance(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let n = approved(l, need("UA-CERT", 1000, Tlp::Green)).await;
    let key = n;
    let e = domain(
        l.add_project(Principal::System, NewProject { need: key, implementer: "IMP-X".into(), title: "Deliver".into(), items: vec![], synthetic: false })
            .await
            .unwrap_err(),
    );
    assert!(e.to_string().contains("a project delivers a funded need"), "{e}");
    let p = committed(l, pledge("EE", 1000)).await;
    l.allocate(Principal::System, &[line(p, n, 1000)]).await.unwrap();
    let e = domain(
        l.add_project(Principal::System, NewProject { need: key, implementer: "EE".into(), title: "Deliver".into(), items: vec![], synthetic: false })
            .await
            .unwrap_err(),
    );
    assert_eq!(e.field(), Some("implementer"));
    let project = l
        .add_project(Principal::System, NewProject { need: key, implementer: "IMP-X".into(), title: "Deliver".into(), items: vec![], synthetic: false })
        .await
        .unwrap();
    assert_eq!(l.need(&Principal::System, n).await.unwrap().status, NeedStatus::InDelivery);
    let imp = user("imp", "IMP-X", Role::Implementer);
    let with_m = l.add_milestone(imp.clone(), project.id, "Install", Some("2026-04-01".parse().unwrap())).await.unwrap();
    let m = with_m.milestones[0].id;
    let e = domain(l.deliver_project(imp.clone(), project.id).await.unwrap_err());
    assert!(e.to_string().contains("is not complete"), "{e}");
    assert!(matches!(domain(l.complete_milestone(user("ben", "UA-CERT", Role::Beneficiary), project.id, m).await.unwrap_err()), DomainError::Forbidden(_)));
    l.complete_milestone(imp.clone(), project.id, m).await.unwrap();
    l.deliver_project(imp.clone(), project.id).await.unwrap();
    // Only a user of the beneficiary institution signs.
    assert!(matches!(domain(l.accept_project(user("grid", "UA-GRID", Role::Beneficiary), project.id, "ok").await.unwrap_err()), DomainError::Forbidden(_)));
    assert!(matches!(domain(l.accept_project(Principal::System, project.id, "ok").await.unwrap_err()), DomainError::Forbidden(_)));
    let accepted = l.accept_project(user("ben", "UA-CERT", Role::Beneficiary), project.id, "Sensors installed and reporting").await.unwrap();
    let acc = accepted.acceptance.unwrap();
    assert_eq!(acc.by, "ben");
    assert_eq!(acc.seal, tallinn_core::project::Acceptance::seal(project.id, n, "ben", acc.at, &acc.statement));
    assert_eq!(l.need(&Principal::System, n).await.unwrap().status, NeedStatus::Accepted);
    let history: Vec<_> = l.need_history(&Principal::System, n).await.unwrap().into_iter().map(|t| t.to).collect();
    assert_eq!(&history[history.len() - 4..], &[NeedStatus::Funded, NeedStatus::InDelivery, NeedStatus::Delivered, NeedStatus::Accepted]);
    l.add_agreement(
        Principal::System,
        NewAgreement {
            title: "MoU".into(),
            parties: vec!["UA".into(), "EE".into()],
            domain: AgreementDomain::Cybersecurity,
            signed_on: Some("2025-05-05".parse().unwrap()),
            status: AgreementStatus::InForce,
            pledges: vec![p],
            synthetic: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(l.agreements(&Principal::System).await.unwrap()[0].pledges, vec![p]);
    assert!(l.agreements(&Principal::Public).await.unwrap()[0].pledges.is_empty(), "the public does not see a GREEN pledge through an agreement");
    // The list is what reading each project says, milestones and items included.
    let mut amber = need("UA-CERT", 500, Tlp::Amber);
    amber.share_orgs = vec!["EE".into()];
    let second = approved(l, amber).await;
    let q = committed(l, pledge("EE", 500)).await;
    l.allocate(Principal::System, &[line(q, second, 500)]).await.unwrap();
    let other = l
        .add_project(Principal::System, NewProject { need: second, implementer: "IMP-X".into(), title: "Other".into(), items: vec![], synthetic: false })
        .await
        .unwrap();
    let readers = [Principal::System, Principal::Public, imp.clone(), user("ee.donor", "EE", Role::Donor), user("de.donor", "DE", Role::Donor)];
    // The public sees neither need; DE the GREEN one only; the implementer both, as its own.
    for (reader, count) in readers.into_iter().zip([2, 0, 2, 2, 1]) {
        let listed = l.projects(&reader).await.unwrap();
        assert_eq!(listed.len(), count, "{reader:?}");
        let mut one_by_one = Vec::new();
        for id in [project.id, other.id] {
            if let Ok(p) = l.project(&reader, id).await {
                one_by_one.push(p);
            }
        }
        assert_eq!(listed, one_by_one, "{reader:?}");
    }
}

pub async fn visibility_follows_tlp(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    for tlp in Tlp::ALL {
        let mut n = need("UA-CERT", 100, *tlp);
        if *tlp == Tlp::Amber {
            n.share_orgs = vec!["EE".into()];
        }
        if *tlp == Tlp::Red {
            n.share_users = vec!["ee.donor".into()];
        }
        l.add_need(Principal::System, n).await.unwrap();
    }
    let seen = |who: Principal| async move { l.needs(&who, &Default::default()).await.unwrap().into_iter().map(|n| n.tlp).collect::<Vec<_>>() };
    use Tlp::*;
    assert_eq!(seen(Principal::Public).await, vec![Clear]);
    assert_eq!(seen(user("de.donor", "DE", Role::Donor)).await, vec![Green, Clear]);
    assert_eq!(seen(user("ee.donor", "EE", Role::Donor)).await, vec![Red, Amber, Green, Clear]);
    assert_eq!(seen(user("ben", "UA-CERT", Role::Beneficiary)).await, vec![AmberStrict, Amber, Green, Clear]);
    assert_eq!(seen(Principal::System).await.len(), 5);
    // Pages: keyset, newest first, hidden needs skipped, nothing repeated.
    for _ in 0..7 {
        l.add_need(Principal::System, need("UA-CERT", 1, Tlp::Green)).await.unwrap();
    }
    let donor = user("de.donor", "DE", Role::Donor);
    let (first, next) = l.needs_page(&donor, &Default::default(), None, 4, false).await.unwrap();
    let (second, next2) = l.needs_page(&donor, &Default::default(), next, 4, false).await.unwrap();
    let (third, end) = l.needs_page(&donor, &Default::default(), next2, 4, false).await.unwrap();
    let ids: Vec<NeedId> = first.iter().chain(&second).chain(&third).map(|n| n.id).collect();
    let all: Vec<NeedId> = l.needs(&donor, &Default::default()).await.unwrap().into_iter().map(|n| n.id).collect();
    assert_eq!(ids, all, "pages concatenate to the full visible list");
    assert_eq!((first.len(), second.len(), third.len(), end), (4, 4, 1, None));
    // Oldest first walks the same needs the other way.
    let mut ascending = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = l.needs_page(&donor, &Default::default(), cursor, 4, true).await.unwrap();
        ascending.extend(page.into_iter().map(|n| n.id));
        match next {
            Some(k) => cursor = Some(k),
            None => break,
        }
    }
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(ascending, reversed);
    // A change made by another process shows at once, and a cursor from one
    // process continues on the other.
    let other = l.another_process();
    let before = l.needs_page(&donor, &Default::default(), None, 3, false).await.unwrap();
    let added = other.add_need(Principal::System, need("UA-CERT", 1, Tlp::Clear)).await.unwrap();
    let after = l.needs_page(&donor, &Default::default(), None, 3, false).await.unwrap();
    assert_eq!(after.0[0].id, added.id, "the snapshot follows the ledger version");
    assert_ne!(before.0[0].id, added.id);
    let continued = other.needs_page(&donor, &Default::default(), after.1, 3, false).await.unwrap();
    assert!(key(continued.0[0].id) < key(after.0[2].id));
    // A hidden need is "not found", word for word as a missing one.
    let hidden = l.need(&Principal::Public, NeedId::new(2)).await.unwrap_err().to_string();
    let missing = l.need(&Principal::Public, NeedId::new(99)).await.unwrap_err().to_string();
    assert_eq!(hidden.replace("N-2", "N-?"), missing.replace("N-99", "N-?"));
}

pub async fn bad_input_changes_nothing(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let before = audit_len(l).await;
    let cases: Vec<(&str, StoreError)> = vec![
        ("cost", l.add_need(Principal::System, need("UA-CERT", 0, Tlp::Green)).await.unwrap_err()),
        ("beneficiary", l.add_need(Principal::System, need("EE", 10, Tlp::Green)).await.unwrap_err()),
        ("participant", l.add_need(Principal::System, need("UA-NOWHERE", 10, Tlp::Green)).await.unwrap_err()),
        ("donor", l.add_pledge(Principal::System, pledge("UA-CERT", 10)).await.unwrap_err()),
        ("amount", l.add_pledge(Principal::System, pledge("EE", 0)).await.unwrap_err()),
        ("pledge", l.set_pledge_status(Principal::System, PledgeId::new(77), PledgeStatus::Committed).await.unwrap_err()),
        ("need", l.submit_need(Principal::System, NeedId::new(77)).await.unwrap_err()),
        (
            "role",
            l.add_user(Principal::System, NewUser { name: "x.y".into(), org: "EE".into(), role: Role::Coordinator, panel: None, password_hash: None })
                .await
                .unwrap_err(),
        ),
        (
            "participant",
            l.add_user(Principal::System, NewUser { name: "x.y".into(), org: "ZZ".into(), role: Role::Donor, panel: None, password_hash: None })
                .await
                .unwrap_err(),
        ),
        (
            "participant",
            l.add_participant(
                user("ee.donor", "EE", Role::Donor),
                Participant { code: "ZZ".into(), name: "Z".into(), kind: ParticipantKind::Member, parent: None, joined: None, left: None, synthetic: false },
            )
            .await
            .unwrap_err(),
        ),
    ];
    for (what, e) in cases {
        assert!(e.is_client_error(), "{what}: {e:?}");
        assert!(!e.to_string().is_empty(), "{what}");
    }
    assert_eq!(audit_len(l).await, before, "no refused operation wrote anything");
    assert!(l.needs(&Principal::System, &Default::default()).await.unwrap().is_empty());
    assert!(l.pledges(&Principal::System, None, None).await.unwrap().is_empty());
}

pub async fn demo_dataset_is_complete_and_valid(h: Harness) {
    let l = &h.ledger;
    let report = tallinn_demo::load(l).await.unwrap().expect("first load");
    assert_eq!(report.needs, 200);
    assert_eq!(report.institutions, 10);
    assert!(report.allocations > 30 && report.projects > 10 && report.transactions > 20, "{report:?}");
    assert!(tallinn_demo::load(l).await.unwrap().is_none(), "loading twice adds nothing");
    let needs = l.needs(&Principal::System, &Default::default()).await.unwrap();
    assert!(needs.iter().all(|n| n.synthetic && n.title.ends_with("(demo)")));
    let statuses: std::collections::BTreeSet<_> = needs.iter().map(|n| n.status).collect();
    assert!(statuses.len() >= 11, "spread over the lifecycle: {statuses:?}");
    let tlps: std::collections::BTreeSet<_> = needs.iter().map(|n| n.tlp).collect();
    assert_eq!(tlps.len(), 5);
    for n in &needs {
        assert!(n.funded_eur_minor <= n.cost_eur_minor);
        assert_eq!(
            n.funded_eur_minor > 0,
            matches!(n.status, NeedStatus::PartiallyFunded | NeedStatus::Funded | NeedStatus::InDelivery | NeedStatus::Delivered | NeedStatus::Accepted),
            "{} {}",
            n.id,
            n.status
        );
    }
    let pledges = l.pledges(&Principal::System, None, None).await.unwrap();
    assert!(pledges.iter().all(|p| p.synthetic && p.allocated_eur_minor <= p.eur_minor && p.title.ends_with("(demo)")));
    assert!(pledges.iter().any(|p| p.currency != "EUR"), "real ECB rates convert some pledges");
    let verify = l.verify_audit().await.unwrap();
    assert!(verify.broken.is_none() && verify.entries > 800, "{verify:?}");
    // Same seed, same data: a fingerprint that must not drift by accident.
    let fingerprint: i64 = needs.iter().map(|n| n.cost_eur_minor % 9973).sum();
    let titles: usize = needs.iter().map(|n| n.title.len()).sum();
    assert_eq!((fingerprint, titles), (1_002_040, 7_739), "the seeded dataset changed");
    assert_eq!((report.pledges, report.allocations, report.transactions, report.projects, report.agreements), (45, 74, 68, 19, 12));
    assert!(l.transactions(&Principal::System, &Default::default()).await.unwrap().iter().any(|t| t.pass_through_of.is_some()));
}

pub async fn allocation_proposals_respect_the_ledger(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let open = approved(l, need("UA-CERT", 1000, Tlp::Green)).await;
    let hidden = approved(l, need("UA-CERT", 500, Tlp::AmberStrict)).await;
    let reserved = approved(l, need("UA-GRID", 300, Tlp::Clear)).await;
    l.reserve_need(user("ee.donor", "EE", Role::Donor), reserved, "EE", None).await.unwrap();
    let ee = committed(l, pledge("EE", 600)).await;
    let de = committed(l, pledge("DE", 2000)).await;
    assert!(matches!(domain(l.propose_allocations(user("ee.donor", "EE", Role::Donor)).await.unwrap_err()), DomainError::Forbidden(_)));

    let proposal = l.propose_allocations(Principal::System).await.unwrap();
    assert_eq!((proposal.id.to_string().as_str(), proposal.status.as_str(), proposal.gap), ("AP-1", "proposed", 0.0));
    let lines: Vec<(String, String, String)> = proposal.result["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["pledge"].as_str().unwrap().to_string(), a["need"].as_str().unwrap().to_string(), a["amount_eur"].as_str().unwrap().to_string()))
        .collect();
    assert!(lines.iter().all(|(_, n, _)| *n != hidden.to_string()), "no donor may see the AMBER+STRICT need: {lines:?}");
    assert!(lines.iter().filter(|(_, n, _)| *n == reserved.to_string()).all(|(p, _, _)| *p == ee.to_string()), "the reserved need only from EE: {lines:?}");
    let funded: i64 = lines.iter().map(|(_, _, a)| tallinn_core::money::parse_minor("a", a, 2).unwrap()).sum();
    assert_eq!(funded, 130_000, "both visible needs funded in full: {lines:?}");
    assert_eq!(proposal.result["unfunded"][0]["need"], hidden.to_string().as_str());

    // A stale proposal fails whole and stays open.
    let stale = l.propose_allocations(Principal::System).await.unwrap();
    let before = audit_len(l).await;
    l.allocate(Principal::System, &[line(de, open, 1000)]).await.unwrap();
    let after_manual = audit_len(l).await;
    assert!(after_manual > before);
    let e = domain(l.apply_proposal(Principal::System, stale.id).await.unwrap_err());
    assert!(matches!(e, DomainError::Conflict(_)), "the need was funded meanwhile: {e}");
    assert_eq!(audit_len(l).await, after_manual, "nothing applied");
    assert_eq!(l.proposal(&Principal::System, stale.id).await.unwrap().status, "proposed");
    assert!(l.apply_proposal(Principal::System, proposal.id).await.is_err(), "the first proposal is stale too");

    // A fresh proposal applies once.
    let fresh = l.propose_allocations(Principal::System).await.unwrap();
    let made = l.apply_proposal(Principal::System, fresh.id).await.unwrap();
    assert!(!made.is_empty());
    assert_eq!(l.need(&Principal::System, reserved).await.unwrap().status, NeedStatus::Funded);
    assert_eq!(l.proposal(&Principal::System, fresh.id).await.unwrap().status, "applied");
    assert!(domain(l.apply_proposal(Principal::System, fresh.id).await.unwrap_err()).to_string().contains("is applied"));
    assert_eq!(l.proposals(&Principal::System).await.unwrap().len(), 3);
    assert!(l.verify_audit().await.unwrap().broken.is_none());
}

pub async fn deconfliction_verdicts_are_recorded(h: Harness) {
    use tallinn_core::need::Relation;
    let l = &h.ledger;
    setup_people(l).await;
    let a = l.add_need(Principal::System, need("UA-CERT", 100, Tlp::Green)).await.unwrap().id;
    let b = l.add_need(Principal::System, need("UA-GRID", 100, Tlp::Green)).await.unwrap().id;
    let secret = l.add_need(Principal::System, need("UA-GRID", 100, Tlp::AmberStrict)).await.unwrap().id;
    assert!(matches!(domain(l.relate_needs(user("ee.donor", "EE", Role::Donor), a, b, Relation::Duplicate, "").await.unwrap_err()), DomainError::Forbidden(_)));
    assert_eq!(domain(l.relate_needs(Principal::System, a, a, Relation::Duplicate, "").await.unwrap_err()).field(), Some("need"));
    l.relate_needs(Principal::System, b, a, Relation::Duplicate, "same sensors").await.unwrap();
    l.relate_needs(Principal::System, a, b, Relation::Complementary, "different sites after all").await.unwrap();
    l.relate_needs(Principal::System, a, secret, Relation::Duplicate, "").await.unwrap();
    for (id, other) in [(a, b), (b, a)] {
        let rel = l.need_relations(&Principal::System, id).await.unwrap();
        let seen: Vec<_> = rel.iter().filter(|r| r.other == other).collect();
        assert_eq!(seen.len(), 1, "shown on both needs, the later verdict only");
        assert_eq!((seen[0].relation, seen[0].note.as_str()), (Relation::Complementary, "different sites after all"));
    }
    // A donor does not learn of the AMBER+STRICT need through the relation.
    let donor = user("de.donor", "DE", Role::Donor);
    assert_eq!(l.need_relations(&donor, a).await.unwrap().len(), 1);
    // The need with everything about it, read at once, is what the separate reads say.
    for reader in [Principal::System, donor.clone()] {
        let details = l.need_details(&reader, a).await.unwrap();
        assert_eq!(details.need, l.need(&reader, a).await.unwrap());
        assert_eq!(details.history, l.need_history(&reader, a).await.unwrap());
        assert_eq!(details.reviews, l.need_reviews(&reader, a).await.unwrap());
        assert_eq!(details.relations, l.need_relations(&reader, a).await.unwrap());
    }
    assert!(l.need_details(&donor, secret).await.is_err(), "hidden like missing");
    assert_eq!(l.related_pairs().await.unwrap().len(), 2);
    assert_eq!(l.audit_log(&Principal::System, 10, Some("need")).await.unwrap().iter().filter(|e| e.action == "need.relate").count(), 3);
}

pub async fn tokens_and_the_access_log(h: Harness) {
    let l = &h.ledger;
    setup_people(l).await;
    let (info, secret) = l.create_token(Principal::System, "ee.donor", Some(30)).await.unwrap();
    assert!(secret.starts_with("tallinn_") && secret.starts_with(&info.prefix));
    assert_eq!(l.principal_for_token(&secret).await.unwrap(), Some(user("ee.donor", "EE", Role::Donor)));
    assert_eq!(l.principal_for_token("tallinn_0000000000000000000000000000000000000000").await.unwrap(), None);
    assert_eq!(l.principal_for_token("not a token").await.unwrap(), None);
    assert!(l.tokens(&Principal::System).await.unwrap().iter().all(|t| !format!("{t:?}").contains(&secret[12..])), "secrets are never listed");
    // Expiry, by the clock.
    h.clock.advance(SignedDuration::from_hours(24 * 31));
    assert_eq!(l.principal_for_token(&secret).await.unwrap(), None, "expired");
    let (forever, secret2) = l.create_token(Principal::System, "de.donor", None).await.unwrap();
    assert!(
        matches!(domain(l.revoke_token(user("ee.donor", "EE", Role::Donor), forever.id).await.unwrap_err()), DomainError::NotFound { .. }),
        "another user's token is not found"
    );
    l.revoke_token(user("de.donor", "DE", Role::Donor), forever.id).await.unwrap();
    assert_eq!(l.principal_for_token(&secret2).await.unwrap(), None, "revoked");
    assert!(l.create_token(user("de.donor", "DE", Role::Donor), "de.donor", None).await.is_err(), "only the office issues tokens");
    assert_eq!(domain(l.create_token(Principal::System, "nobody", None).await.unwrap_err()), DomainError::not_found("user", "nobody"));

    let reader = user("ee.donor", "EE", Role::Donor);
    let mut ids = Vec::new();
    for tlp in [Tlp::Amber, Tlp::Green, Tlp::Red] {
        let mut n = need("UA-CERT", 100, tlp);
        n.share_orgs = vec!["EE".into()];
        n.share_users = vec!["ee.donor".into()];
        ids.push(l.add_need(Principal::System, n).await.unwrap().id);
    }
    let (amber, red) = (ids[0].to_string(), ids[2].to_string());
    let before = audit_len(l).await;
    // The reads that show records log them themselves; the ledger's own
    // reads (for decisions) do not.
    l.needs(&reader, &Default::default()).await.unwrap();
    l.need(&reader, ids[0]).await.unwrap();
    assert!(l.access_log(&Principal::System, 10).await.unwrap().is_empty(), "reads that show nothing log nothing");
    let api = l.view(&reader, Via::Api);
    assert_eq!(api.needs(&Default::default()).await.unwrap().len(), 3);
    let log = l.access_log(&Principal::System, 10).await.unwrap();
    let got: Vec<_> = log.iter().map(|e| (e.actor.as_str(), e.entity.as_str(), e.entity_id.as_str(), e.tlp, e.via.as_str())).collect();
    assert_eq!(
        got,
        vec![("ee.donor", "need", amber.as_str(), Tlp::Amber, "api"), ("ee.donor", "need", red.as_str(), Tlp::Red, "api")],
        "shown newest first, logged in that order, newest entry first; GREEN reads are not logged"
    );
    // A page logs what it shows, not what it skipped.
    let (page, _) = l.view(&reader, Via::Web).needs_page(&Default::default(), &Keyset { after: None, limit: 1, oldest_first: false }).await.unwrap();
    assert_eq!(page[0].id, ids[2]);
    let search = NeedSearch { text: amber.clone(), page: 1, page_size: 10, ..Default::default() };
    assert_eq!(l.view(&reader, Via::Cli).needs_search(&Default::default(), &search).await.unwrap().items.len(), 1);
    l.view(&reader, Via::Api).need_history(ids[1]).await.unwrap();
    let log = l.access_log(&Principal::System, 10).await.unwrap();
    let got: Vec<_> = log.iter().take(2).map(|e| (e.entity_id.as_str(), e.via.as_str())).collect();
    assert_eq!(
        got,
        vec![(amber.as_str(), "cli"), (red.as_str(), "web")],
        "the page and the search logged only what they showed; the GREEN need's history nothing"
    );
    assert!(matches!(domain(l.view(&user("de.donor", "DE", Role::Donor), Via::Api).need(ids[0]).await.unwrap_err()), DomainError::NotFound { .. }));
    assert_eq!(l.access_log(&Principal::System, 10).await.unwrap().len(), 4, "a refused read logs nothing");
    // The engine's duplicate pairs name their needs: those are logged too.
    let found = l.view(&reader, Via::Cli).duplicates(0.5).await.unwrap();
    let named: std::collections::BTreeSet<String> =
        found.needs.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).filter(|id| *id == amber || *id == red).collect();
    assert!(!named.is_empty(), "the three needs say the same: {:?}", found.needs);
    let log = l.access_log(&Principal::System, 10).await.unwrap();
    let logged: std::collections::BTreeSet<String> = log.iter().take(named.len()).filter(|e| e.via == "cli").map(|e| e.entity_id.clone()).collect();
    assert_eq!((logged, log.len()), (named.clone(), 4 + named.len()));
    assert_eq!(audit_len(l).await, before, "reads are not ledger changes");
    assert!(matches!(domain(l.access_log(&reader, 10).await.unwrap_err()), DomainError::Forbidden(_)));

    // Sessions: opened on one process, valid on another, closed everywhere.
    let (cookie, csrf) = l.open_session("ee.donor", 8).await.unwrap();
    let (who, token) = l.another_process().session(&cookie).await.unwrap().expect("a live session");
    assert_eq!((who, token), (user("ee.donor", "EE", Role::Donor), csrf));
    assert!(l.session("00").await.unwrap().is_none());
    l.another_process().close_session(&cookie).await.unwrap();
    assert!(l.session(&cookie).await.unwrap().is_none());
    let (expiring, _) = l.open_session("ee.donor", 1).await.unwrap();
    h.clock.advance(SignedDuration::from_mins(61));
    assert!(l.session(&expiring).await.unwrap().is_none(), "expired");

    // Sign-in delays, shared through the database: failures from one
    // address slow that address, not the account's owner elsewhere.
    let other = l.another_process();
    assert!(l.next_sign_in("ee.donor", "10.0.0.1").await.unwrap().is_none());
    for _ in 0..10 {
        other.record_login_failure("ee.donor", "10.0.0.1").await.unwrap();
    }
    let at = l.next_sign_in("ee.donor", "10.0.0.1").await.unwrap().expect("the guessing address waits");
    assert_eq!(at, l.now() + SignedDuration::from_secs(32), "5 free, then doubling");
    assert!(l.next_sign_in("ee.donor", "10.0.0.2").await.unwrap().is_none(), "the owner elsewhere does not wait");
    assert!(l.next_sign_in("de.donor", "10.0.0.3").await.unwrap().is_none(), "other accounts are not slowed");
    for i in 0..30 {
        other.record_login_failure("ee.donor", &format!("10.0.1.{i}")).await.unwrap();
    }
    let at = l.next_sign_in("ee.donor", "10.0.0.2").await.unwrap().expect("many addresses slow the account a little");
    assert_eq!(at, l.now() + SignedDuration::from_secs(21));
    h.clock.advance(SignedDuration::from_mins(16));
    assert!(l.next_sign_in("ee.donor", "10.0.0.1").await.unwrap().is_none(), "the window slides");
    assert_eq!(audit_len(l).await, before, "failures are not ledger changes");
}

/// Accounts after they are made: a password change, disabling and removal
/// end every session and stale every remembered credential (the version
/// moves); disabled accounts sign in with nothing; removal is for good.
pub async fn accounts_change_and_end_sessions(h: Harness) {
    use tallinn_ledger::AccountChange;
    let l = &h.ledger;
    let office = Principal::System;
    l.add_user(office.clone(), NewUser { name: "mart".into(), org: "EE".into(), role: Role::Donor, panel: None, password_hash: Some("$argon2id$old".into()) })
        .await
        .unwrap();
    l.add_user(office.clone(), NewUser { name: "kate".into(), org: "EE".into(), role: Role::Donor, panel: None, password_hash: None }).await.unwrap();
    let mart = user("mart", "EE", Role::Donor);
    let (first, _) = l.open_session("mart", 8).await.unwrap();
    let (second, _) = l.another_process().open_session("mart", 8).await.unwrap();
    let (_, token) = l.create_token(office.clone(), "mart", None).await.unwrap();
    let v0 = l.credentials_version("mart").await.unwrap().expect("active");

    // Users change their own password, not others'; every session ends.
    assert!(matches!(domain(l.change_password(user("kate", "EE", Role::Donor), "mart", "$argon2id$x").await.unwrap_err()), DomainError::Forbidden(_)));
    l.change_password(mart.clone(), "mart", "$argon2id$new").await.unwrap();
    assert_eq!(l.password_hash("mart").await.unwrap().as_deref(), Some("$argon2id$new"));
    assert!(l.session(&first).await.unwrap().is_none() && l.another_process().session(&second).await.unwrap().is_none(), "every session ended");
    let v1 = l.credentials_version("mart").await.unwrap().unwrap();
    assert!(v1 > v0, "remembered credentials are stale");
    assert!(l.principal_for_token(&token).await.unwrap().is_some(), "tokens are not sessions");

    // Disabled: no password, no token, no session, no version.
    let (third, _) = l.open_session("mart", 8).await.unwrap();
    assert!(matches!(domain(l.change_account(mart.clone(), "kate", AccountChange::Disable).await.unwrap_err()), DomainError::Forbidden(_)));
    l.change_account(office.clone(), "mart", AccountChange::Disable).await.unwrap();
    assert_eq!(l.password_hash("mart").await.unwrap(), None);
    assert_eq!(l.principal_for_token(&token).await.unwrap(), None);
    assert!(l.session(&third).await.unwrap().is_none());
    assert_eq!(l.credentials_version("mart").await.unwrap(), None);
    assert!(matches!(domain(l.change_password(office.clone(), "mart", "$argon2id$x").await.unwrap_err()), DomainError::Conflict(_)));
    // Enabled again: the token and password work again, under a new version.
    l.change_account(office.clone(), "mart", AccountChange::Enable).await.unwrap();
    assert!(l.principal_for_token(&token).await.unwrap().is_some());
    assert!(l.credentials_version("mart").await.unwrap().unwrap() > v1);
    // Removed for good: password and tokens gone, the name not reusable.
    l.change_account(office.clone(), "mart", AccountChange::Remove).await.unwrap();
    assert_eq!((l.password_hash("mart").await.unwrap(), l.principal_for_token(&token).await.unwrap()), (None, None));
    assert!(matches!(domain(l.change_account(office.clone(), "mart", AccountChange::Enable).await.unwrap_err()), DomainError::Conflict(_)));
    let again = NewUser { name: "mart".into(), org: "EE".into(), role: Role::Donor, panel: None, password_hash: None };
    assert!(matches!(domain(l.add_user(office.clone(), again).await.unwrap_err()), DomainError::AlreadyExists { .. }));
    let actions: Vec<String> = l.audit_log(&office, 20, Some("user")).await.unwrap().into_iter().map(|e| e.action).collect();
    for a in ["user.password", "user.disable", "user.enable", "user.remove"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}
