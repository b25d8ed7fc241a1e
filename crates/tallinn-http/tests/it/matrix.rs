//! The access matrix: every role x every TLP level x the need endpoints, on
//! SQLite and (with TALLINN_TEST_POSTGRES_URL) PostgreSQL.

use std::sync::Arc;

use axum::http::StatusCode;
use tallinn_core::need::{Capability, NewNeed, Sector, Urgency};
use tallinn_core::policy::{Principal, Tlp};
use tallinn_ledger::Ledger;

use super::api::send;

async fn ledgers() -> Vec<(Ledger, Option<(String, String)>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let mut out = vec![(Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.unwrap())), None, dir)];
    if let Ok(base) = std::env::var("TALLINN_TEST_POSTGRES_URL") {
        let name = format!("tallinn_matrix_{}_{}", std::process::id(), jiff::Timestamp::now().as_microsecond() % 1_000_000);
        let url = tallinn_store_postgres::PostgresBackend::create_database(&base, &name).await.unwrap();
        out.push((
            Ledger::new(Arc::new(tallinn_store_postgres::PostgresBackend::connect(&url).await.unwrap())),
            Some((base, name)),
            tempfile::tempdir().unwrap(),
        ));
    }
    out
}

#[tokio::test]
async fn every_role_sees_exactly_what_tlp_allows() {
    for (ledger, pg, _dir) in ledgers().await {
        ledger.init().await.unwrap();
        tallinn_demo::load(&ledger).await.unwrap();
        // One need per level, owned by UA-DEMO-CERT; AMBER shared with EE, RED naming demo.donor.
        let mut ids = Vec::new();
        for tlp in Tlp::ALL {
            let need = NewNeed {
                beneficiary: "UA-DEMO-CERT".into(),
                title: format!("Matrix need {tlp}"),
                description: String::new(),
                capability: Capability::Detect,
                sector: Sector::Energy,
                urgency: Urgency::High,
                cost_eur_minor: 100,
                divisible: true,
                deadline: None,
                tlp: *tlp,
                share_orgs: if *tlp == Tlp::Amber { vec!["EE".into()] } else { vec![] },
                share_users: if *tlp == Tlp::Red { vec!["demo.donor".into()] } else { vec![] },
                tags: vec![],
                synthetic: false,
            };
            ids.push(ledger.add_need(Principal::System, need).await.unwrap().id);
        }
        // One pledge per level, from DE; AMBER shared with EE, RED naming demo.donor.
        let mut pledge_ids = Vec::new();
        for tlp in Tlp::ALL {
            let p = tallinn_core::pledge::NewPledge {
                donor: "DE".into(),
                title: format!("Matrix pledge {tlp}"),
                kind: tallinn_core::pledge::PledgeKind::Money,
                amount: tallinn_core::Money::eur(100),
                items: vec![],
                valuation: None,
                pledged_on: "2026-01-05".parse().unwrap(),
                budget_years: vec![],
                earmarks: Default::default(),
                tlp: *tlp,
                share_orgs: if *tlp == Tlp::Amber { vec!["EE".into()] } else { vec![] },
                share_users: if *tlp == Tlp::Red { vec!["demo.donor".into()] } else { vec![] },
                synthetic: false,
            };
            pledge_ids.push(ledger.add_pledge(Principal::System, p).await.unwrap().id);
        }
        let app = tallinn_http::router(ledger.clone());
        use Tlp::*;
        // (user, the levels it may read, may it submit a draft it can see)
        let matrix: &[(Option<&str>, &[Tlp], StatusCode)] = &[
            (None, &[Clear], StatusCode::UNAUTHORIZED),
            (Some("demo.coordinator"), &[Clear, Green, Amber, AmberStrict, Red], StatusCode::OK),
            (Some("demo.auditor"), &[Clear, Green, Amber, AmberStrict, Red], StatusCode::FORBIDDEN),
            (Some("demo.beneficiary"), &[Clear, Green, Amber, AmberStrict], StatusCode::OK),
            (Some("demo.grid"), &[Clear, Green], StatusCode::FORBIDDEN),
            // Reviewers' exception covers needs in review only; these are drafts.
            (Some("demo.reviewer.technical"), &[Clear, Green], StatusCode::FORBIDDEN),
            (Some("demo.donor"), &[Clear, Green, Amber, Red], StatusCode::FORBIDDEN),
            (Some("demo.observer"), &[Clear, Green], StatusCode::FORBIDDEN),
            (Some("demo.implementer"), &[Clear, Green], StatusCode::FORBIDDEN),
            (Some("demo.analyst"), &[Clear, Green, Amber, AmberStrict], StatusCode::FORBIDDEN),
        ];
        let before = ledger.verify_audit().await.unwrap().entries;
        for (user, levels, submit) in matrix {
            let token = match user {
                Some(u) => Some(ledger.create_token(Principal::System, u, None).await.unwrap().1),
                None => None,
            };
            let token = token.as_deref();
            let (status, list) = send(&app, "GET", "/api/v1/needs?limit=500", token, None).await;
            assert_eq!(status, StatusCode::OK);
            let listed: Vec<&str> = list["items"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
            for (tlp, id) in Tlp::ALL.iter().zip(&ids) {
                let may = levels.contains(tlp);
                assert_eq!(listed.contains(&id.to_string().as_str()), may, "{user:?} list {tlp}");
                let (status, body) = send(&app, "GET", &format!("/api/v1/needs/{id}"), token, None).await;
                assert_eq!(status == StatusCode::OK, may, "{user:?} get {tlp}: {body}");
                if !may {
                    // Exactly like a need that does not exist.
                    let (_, missing) = send(&app, "GET", "/api/v1/needs/N-999999", token, None).await;
                    assert_eq!(
                        body["error"]["message"].as_str().unwrap().replace(&id.to_string(), "N-?"),
                        missing["error"]["message"].as_str().unwrap().replace("N-999999", "N-?")
                    );
                    // A write on a hidden need is "not found" too, never "forbidden".
                    if token.is_some() {
                        assert_eq!(
                            send(&app, "POST", &format!("/api/v1/needs/{id}/withdraw"), token, Some(r#"{"reason": "x"}"#)).await.0,
                            StatusCode::NOT_FOUND,
                            "{user:?} withdraw {tlp}"
                        );
                    }
                }
            }
            // Pledges: the owner is DE, which no test role belongs to, so
            // AMBER+STRICT is for the office and auditors only.
            let (_, pledges) = send(&app, "GET", "/api/v1/pledges?limit=500", token, None).await;
            let listed: Vec<&str> = pledges["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
            for (tlp, id) in Tlp::ALL.iter().zip(&pledge_ids) {
                let office = matches!(user, Some("demo.coordinator" | "demo.auditor"));
                let may = office
                    || match tlp {
                        Clear => true,
                        Green => user.is_some(),
                        Amber => matches!(user, Some("demo.donor" | "demo.reviewer.strategic")),
                        AmberStrict => false,
                        Red => *user == Some("demo.donor"),
                    };
                // Reviewers' exception is for needs in review, never pledges.
                assert_eq!(listed.contains(&id.to_string().as_str()), may, "{user:?} pledge list {tlp}");
                let (status, _) = send(&app, "GET", &format!("/api/v1/pledges/{id}"), token, None).await;
                assert_eq!(status == StatusCode::OK, may, "{user:?} pledge get {tlp}");
            }
            // The CLEAR draft: may this role submit it? (Refusals change nothing.)
            if *submit != StatusCode::OK {
                assert_eq!(send(&app, "POST", &format!("/api/v1/needs/{}/submit", ids[0]), token, None).await.0, *submit, "{user:?} submit");
            }
        }
        // Only token creations were written; every refused request changed nothing.
        assert_eq!(ledger.verify_audit().await.unwrap().entries, before + matrix.iter().filter(|m| m.0.is_some()).count() as u64);
        assert_eq!(
            send(
                &app,
                "POST",
                &format!("/api/v1/needs/{}/submit", ids[0]),
                Some(&ledger.create_token(Principal::System, "demo.beneficiary", None).await.unwrap().1),
                None
            )
            .await
            .0,
            StatusCode::OK
        );
        confidentiality_gaps_are_closed(&ledger, &app, &ids).await;
        ledger.backend().close().await;
        if let Some((base, name)) = pg {
            tallinn_store_postgres::PostgresBackend::drop_database(&base, &name).await.unwrap();
        }
    }
}

/// The five gaps ADR 0005 closes: reviewers see needs in review only; a
/// pledge's recorder always sees it; the public does not learn who reserved
/// a need; a visible flow never names a hidden one, and the public totals
/// count it; an implementer sees its own project.
async fn confidentiality_gaps_are_closed(ledger: &Ledger, app: &axum::Router, ids: &[tallinn_core::NeedId]) {
    let token = |u: &'static str| async move { ledger.create_token(Principal::System, u, None).await.unwrap().1 };
    // The AMBER+STRICT need, once in technical review, is the technical reviewer's to read.
    let strict = ids[3];
    ledger.submit_need(Principal::System, strict).await.unwrap();
    ledger.triage_need(Principal::System, strict, tallinn_ledger::TriageDecision::Accept, "").await.unwrap();
    let reviewer = token("demo.reviewer.technical").await;
    assert_eq!(send(app, "GET", &format!("/api/v1/needs/{strict}"), Some(&reviewer), None).await.0, StatusCode::OK, "in review");
    assert_eq!(send(app, "GET", &format!("/api/v1/needs/{}", ids[4]), Some(&reviewer), None).await.0, StatusCode::NOT_FOUND, "RED names its reviewers");

    // A donor records a RED pledge naming nobody: it still reads it back.
    let donor = token("demo.donor").await;
    let pledge = r#"{"donor": "EE", "title": "Quiet pledge", "amount": "1000.00", "currency": "EUR", "pledged_on": "2026-01-05", "tlp": "red"}"#;
    let (status, created) = send(app, "POST", "/api/v1/pledges", Some(&donor), Some(pledge)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(send(app, "GET", &format!("/api/v1/pledges/{id}"), Some(&donor), None).await.0, StatusCode::OK, "the recorder sees its RED pledge");
    assert_eq!(send(app, "GET", &format!("/api/v1/pledges/{id}"), Some(&reviewer), None).await.0, StatusCode::NOT_FOUND);

    // The public sees that a need is under discussion, not with whom.
    let reserved = ledger.needs(&Principal::System, &Default::default()).await.unwrap().into_iter().find(|n| n.reservation.is_some() && n.tlp == Tlp::Clear);
    if let Some(n) = reserved {
        let (_, public) = send(app, "GET", &format!("/api/v1/needs/{}", n.id), None, None).await;
        assert!(public["reservation"]["donor"].is_null() && public["reservation"]["until"].is_string(), "{public}");
        let (_, seen) = send(app, "GET", &format!("/api/v1/needs/{}", n.id), Some(&donor), None).await;
        assert!(seen["reservation"]["donor"].is_string(), "participants see the donor: {seen}");
    } else {
        panic!("the demo reserves a CLEAR need");
    }

    // Flows: none the public sees names one it cannot see, and the public
    // facts count a pass-through whose origin is hidden as an origin.
    let (_, flows) = send(app, "GET", "/api/v1/transactions?limit=500", None, None).await;
    let seen: std::collections::HashSet<&str> = flows["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    for t in flows["items"].as_array().unwrap() {
        if let Some(up) = t["pass_through_of"].as_str() {
            assert!(
                seen.contains(up) || send(app, "GET", &format!("/api/v1/transactions/{up}"), None, None).await.0 == StatusCode::OK,
                "{t} names a hidden flow"
            );
        }
    }
    let facts = ledger.report_facts(&Principal::Public).await.unwrap();
    let keys: std::collections::HashSet<i64> = facts.flows.iter().map(|f| f.key).collect();
    assert!(facts.flows.iter().filter(|f| f.pass_through).all(|f| f.upstream.is_some_and(|u| keys.contains(&u))), "a counted-out flow's origin is counted");

    // An implementer sees its own projects, whatever their needs' levels.
    let implementer = token("demo.implementer").await;
    let (_, mine) = send(app, "GET", "/api/v1/projects?limit=500", Some(&implementer), None).await;
    let all = ledger.projects(&Principal::System).await.unwrap();
    let own: Vec<String> = all.iter().filter(|p| p.implementer == "IMP-DEMO-A").map(|p| p.id.to_string()).collect();
    let listed: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(!own.is_empty() && own.iter().all(|p| listed.contains(&p.as_str())), "own {own:?}, listed {listed:?}");
    for p in &own {
        assert_eq!(send(app, "GET", &format!("/api/v1/projects/{p}"), Some(&implementer), None).await.0, StatusCode::OK);
    }
}

/// Every list endpoint applies the caller's visibility (the same set the
/// store yields for that principal), and the restricted endpoints answer
/// by role.
#[tokio::test]
async fn every_list_endpoint_applies_the_callers_visibility() {
    for (ledger, pg, _dir) in ledgers().await {
        ledger.init().await.unwrap();
        tallinn_demo::load(&ledger).await.unwrap();
        let app = tallinn_http::router(ledger.clone());
        let users = [
            "demo.coordinator",
            "demo.auditor",
            "demo.beneficiary",
            "demo.reviewer.technical",
            "demo.donor",
            "demo.observer",
            "demo.implementer",
            "demo.analyst",
        ];
        let ids = |v: &serde_json::Value| -> Vec<String> {
            let mut out: Vec<String> = v["items"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect();
            out.sort();
            out
        };
        for user in std::iter::once(None).chain(users.iter().map(|u| Some(*u))) {
            let token = match user {
                Some(u) => Some(ledger.create_token(Principal::System, u, None).await.unwrap().1),
                None => None,
            };
            let token = token.as_deref();
            let who = match user {
                Some(u) => ledger.principal(u).await.unwrap(),
                None => Principal::Public,
            };
            let sorted = |mut v: Vec<String>| {
                v.sort();
                v
            };
            let expected = [
                ("/api/v1/pledges", sorted(ledger.pledges(&who, None, None).await.unwrap().into_iter().map(|p| p.id.to_string()).collect())),
                ("/api/v1/allocations", sorted(ledger.allocations(&who).await.unwrap().into_iter().map(|a| a.id.to_string()).collect())),
                ("/api/v1/transactions", sorted(ledger.transactions(&who, &Default::default()).await.unwrap().into_iter().map(|t| t.id.to_string()).collect())),
                ("/api/v1/projects", sorted(ledger.projects(&who).await.unwrap().into_iter().map(|p| p.id.to_string()).collect())),
                ("/api/v1/agreements", sorted(ledger.agreements(&who).await.unwrap().into_iter().map(|a| a.id.to_string()).collect())),
                ("/api/v1/needs", sorted(ledger.needs(&who, &Default::default()).await.unwrap().into_iter().map(|n| n.id.to_string()).collect())),
            ];
            for (path, want) in expected {
                let (status, body) = send(&app, "GET", &format!("{path}?limit=500"), token, None).await;
                assert_eq!(status, StatusCode::OK, "{user:?} {path}");
                assert_eq!(ids(&body), want, "{user:?} {path}");
            }
            let privileged = matches!(user, Some("demo.coordinator" | "demo.auditor"));
            for path in ["/api/v1/audit-log", "/api/v1/access-log", "/api/v1/users", "/api/v1/tokens"] {
                let (status, _) = send(&app, "GET", path, token, None).await;
                let want = match (user, privileged) {
                    (None, _) => StatusCode::UNAUTHORIZED,
                    (_, true) => StatusCode::OK,
                    _ => StatusCode::FORBIDDEN,
                };
                assert_eq!(status, want, "{user:?} {path}");
            }
            let (status, _) = send(&app, "GET", "/api/v1/allocation-proposals", token, None).await;
            assert_eq!(status == StatusCode::OK, privileged, "{user:?} proposals");
        }
        ledger.backend().close().await;
        if let Some((base, name)) = pg {
            tallinn_store_postgres::PostgresBackend::drop_database(&base, &name).await.unwrap();
        }
    }
}
