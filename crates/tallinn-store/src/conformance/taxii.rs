//! The threat exchange's store: collections and their audiences, uploads
//! object by object, versions and pages, and the TLP policy on every read.

use std::collections::BTreeSet;

use serde_json::value::RawValue;
use serde_json::{Value, json};
use tallinn_core::DomainError;
use tallinn_core::participant::{NewUser, Role};
use tallinn_core::policy::{Confidentiality, Principal, Tlp, may_see};
use tallinn_stix::marking::{TLP_1, TLP_2};

use super::{Harness, domain, user};
use crate::{Audience, COMMUNITY, Ledger, NewCollection, ObjectQuery, VersionFilter};

/// Analysts of three organisations, a coordinator, an auditor and a donor.
async fn people(l: &Ledger) {
    for (name, org, role) in [
        ("ua.a1", "UA", Role::Analyst),
        ("ua.a2", "UA", Role::Analyst),
        ("ee.a", "EE", Role::Analyst),
        ("fi.a", "FI", Role::Analyst),
        ("us.a", "US", Role::Analyst),
        ("coord", "TMPO", Role::Coordinator),
        ("aud", "TMPO", Role::Auditor),
        ("ee.donor", "EE", Role::Donor),
    ] {
        l.add_user(Principal::System, NewUser { name: name.into(), org: org.into(), role, panel: None, password_hash: None }).await.unwrap();
    }
}

fn analyst(name: &str) -> Principal {
    let org = match name.split('.').next().unwrap() {
        "ua" => "UA",
        "ee" => "EE",
        "fi" => "FI",
        _ => "US",
    };
    user(name, org, Role::Analyst)
}

/// An indicator with a UUID made from `n`.
fn indicator(n: u32, modified: &str, extra: Value) -> Value {
    let mut v = json!({
        "type": "indicator", "spec_version": "2.1", "id": id(n),
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "pattern": format!("[ipv4-addr:value = '198.51.100.{}']", n % 250), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v
}

fn id(n: u32) -> String {
    format!("indicator--{n:08x}-0000-4000-8000-000000000000")
}

fn raw(objects: &[Value]) -> Vec<Box<RawValue>> {
    objects.iter().map(|o| RawValue::from_string(serde_json::to_string(o).unwrap()).unwrap()).collect()
}

fn all_versions(limit: usize) -> ObjectQuery {
    ObjectQuery { versions: vec![VersionFilter::All], limit, ..Default::default() }
}

async fn visible_ids(l: &Ledger, reader: &Principal, collection: &str) -> BTreeSet<String> {
    let (_, page) = l.stix_objects(reader, collection, &all_versions(1000), None, true).await.unwrap();
    assert!(!page.more);
    let (_, manifest) = l.stix_objects(reader, collection, &all_versions(1000), None, false).await.unwrap();
    let ids: BTreeSet<String> = page.items.iter().map(|o| o.id.clone()).collect();
    assert_eq!(ids, manifest.items.iter().map(|o| o.id.clone()).collect(), "objects and manifest agree");
    ids
}

pub async fn collections_are_created_and_scoped(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let community = l.collection(&analyst("us.a"), COMMUNITY).await.unwrap();
    assert_eq!((community.read.clone(), community.write.clone()), (Audience::All, Audience::All));
    assert!(uuid::Uuid::parse_str(&community.id).is_ok(), "TAXII ids are UUIDs");
    l.init().await.unwrap();
    assert_eq!(l.collections(&Principal::System).await.unwrap().len(), 1, "init creates the community collection once");

    let new = |alias: Option<&str>, read: Audience, write: Audience| NewCollection {
        title: "Energy sector".into(),
        description: Some("ICS indicators".into()),
        alias: alias.map(str::to_string),
        read,
        write,
    };
    let energy = l
        .add_collection(
            user("coord", "TMPO", Role::Coordinator),
            new(Some("energy"), Audience::Orgs(vec!["UA".into(), "EE".into()]), Audience::Orgs(vec!["UA".into()])),
        )
        .await
        .unwrap();
    let listed = |who: Principal| async move { l.collections(&who).await.unwrap().into_iter().map(|c| c.alias.unwrap_or(c.id)).collect::<Vec<_>>() };
    assert_eq!(listed(analyst("ee.a")).await, ["community", "energy"]);
    assert_eq!(listed(analyst("us.a")).await, ["community"], "a collection the reader may not use is not listed");
    assert_eq!(listed(user("aud", "TMPO", Role::Auditor)).await, ["community", "energy"]);
    assert!(listed(user("ee.donor", "EE", Role::Donor)).await.is_empty(), "the exchange is for analysts");
    assert!(matches!(domain(l.collection(&analyst("us.a"), &energy.id).await.unwrap_err()), DomainError::NotFound { .. }));
    assert!(l.collection(&analyst("ee.a"), &energy.id).await.unwrap().can_read(&analyst("ee.a")));

    for (bad, field) in [
        (new(Some("Energy!"), Audience::All, Audience::All), "alias"),
        (new(Some("energy"), Audience::All, Audience::All), "energy"),
        (new(None, Audience::Orgs(vec!["XX".into()]), Audience::All), "XX"),
        (NewCollection { title: " ".into(), ..new(None, Audience::All, Audience::All) }, "title"),
    ] {
        let err = l.add_collection(Principal::System, bad).await.unwrap_err().to_string();
        assert!(err.contains(field), "{err}");
    }
    let err = l.add_collection(analyst("ua.a1"), new(None, Audience::All, Audience::All)).await.unwrap_err();
    assert!(matches!(domain(err), DomainError::Forbidden(_)));
    assert_eq!(l.collections(&Principal::System).await.unwrap().len(), 2, "refused creations change nothing");
}

pub async fn uploads_report_each_object(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let good = indicator(1, "2026-01-02T00:00:00.000Z", json!({}));
    let mut bad_id = indicator(2, "2026-01-02T00:00:00.000Z", json!({}));
    bad_id["id"] = json!("indicator--not-a-uuid");
    let bad_pattern = indicator(3, "2026-01-02T00:00:00.000Z", json!({"pattern": "[ipv4-addr:value = "}));
    let sco = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"});
    let envelope = raw(&[good.clone(), bad_id, json!("not an object"), bad_pattern, sco.clone()]);
    let status = l.add_stix_objects(analyst("ua.a1"), COMMUNITY, &envelope).await.unwrap();
    assert_eq!((status.total_count(), status.successes.len(), status.failures.len()), (5, 2, 3));
    let reasons: Vec<String> = status.failures.iter().map(|f| format!("{} {}", f.id, f.message.clone().unwrap_or_default())).collect();
    assert!(reasons.iter().any(|r| r.starts_with("indicator--not-a-uuid id:")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains(&id(3)) && r.contains("not a valid STIX pattern")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("objects[2]") && r.contains("not a JSON object")), "{reasons:?}");
    assert_eq!(l.stix_status(&analyst("ua.a1"), &status.id).await.unwrap(), status);
    assert!(l.stix_status(&analyst("ee.a"), &status.id).await.is_err(), "another analyst does not read my status");

    // Stored exactly as received.
    let (_, page) = l.stix_objects(&analyst("ua.a2"), COMMUNITY, &all_versions(10), None, true).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].body.as_deref(), Some(envelope[0].get()));
    assert_eq!(page.items[1].body.as_deref(), Some(envelope[4].get()));

    // The same versions again: successes that store nothing.
    let again = l.add_stix_objects(analyst("ee.a"), COMMUNITY, &raw(&[good, sco])).await.unwrap();
    assert_eq!((again.successes.len(), again.failures.len()), (2, 0));
    assert!(again.successes.iter().all(|s| s.message.as_deref().is_some_and(|m| m.contains("already held"))));
    let (_, page) = l.stix_objects(&analyst("ua.a2"), COMMUNITY, &all_versions(10), None, true).await.unwrap();
    assert_eq!(page.items.len(), 2);

    // A collection the analyst may read but not write: refused whole.
    let read_only = l
        .add_collection(
            Principal::System,
            NewCollection {
                title: "EE only".into(),
                description: None,
                alias: Some("ee-only".into()),
                read: Audience::All,
                write: Audience::Orgs(vec!["EE".into()]),
            },
        )
        .await
        .unwrap();
    let err = l.add_stix_objects(analyst("ua.a1"), "ee-only", &raw(&[indicator(9, "2026-01-02T00:00:00.000Z", json!({}))])).await.unwrap_err();
    assert!(matches!(domain(err), DomainError::Forbidden(_)));
    let err =
        l.add_stix_objects(user("aud", "TMPO", Role::Auditor), "ee-only", &raw(&[indicator(9, "2026-01-02T00:00:00.000Z", json!({}))])).await.unwrap_err();
    assert!(matches!(domain(err), DomainError::Forbidden(_)), "auditors read, never write");
    let (_, page) = l.stix_objects(&Principal::System, &read_only.id, &all_versions(10), None, true).await.unwrap();
    assert!(page.items.is_empty());
}

pub async fn reads_follow_tlp(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let custom = "marking-definition--11111111-1111-4111-8111-111111111111";
    let objects = vec![
        indicator(10, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[0].1]})),
        indicator(11, "2026-01-02T00:00:00.000Z", json!({})),
        indicator(12, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[2].1], "x_tallinn_share_orgs": ["EE"]})),
        indicator(13, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[3].1], "x_tallinn_share_users": ["fi.a"]})),
        indicator(14, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[4].1], "x_tallinn_share_users": ["fi.a"]})),
        indicator(15, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_1[3].1]})),
        indicator(16, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [custom]})),
        json!({"type": "marking-definition", "spec_version": "2.1", "id": custom, "created": "2022-01-01T00:00:00Z", "definition_type": "tlp", "definition": {"tlp": "amber"}}),
        // A user name with a LIKE wildcard must not match others.
        indicator(17, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[4].1], "x_tallinn_share_users": ["e_.a"]})),
    ];
    let status = l.add_stix_objects(analyst("ua.a1"), COMMUNITY, &raw(&objects)).await.unwrap();
    assert_eq!(status.failures, []);
    let (_, stored) = l.stix_objects(&Principal::System, COMMUNITY, &all_versions(100), None, false).await.unwrap();
    let levels: Vec<Tlp> = stored.items.iter().map(|o| o.tlp).collect();
    use Tlp::*;
    assert_eq!(
        levels,
        [Clear, Green, Amber, AmberStrict, Red, Red, Amber, Green, Red],
        "levels from TLP 2.0, TLP 1.0 and envelope definitions; unmarked is GREEN"
    );

    // What each reader sees, by hand: (reader, ids 10..=17 + the marking definition).
    let expected: &[(&str, &[u32])] = &[
        ("ua.a1", &[10, 11, 12, 13, 14, 15, 16, 17]), // the creator
        ("ua.a2", &[10, 11, 12, 13, 16]),             // the creator's organisation
        ("ee.a", &[10, 11, 12]),                      // the organisation AMBER names
        ("fi.a", &[10, 11, 13, 14]),                  // the user RED and AMBER+STRICT name
        ("us.a", &[10, 11]),                          // anyone else
    ];
    for (reader, ids) in expected {
        let mut want: BTreeSet<String> = ids.iter().map(|n| id(*n)).collect();
        want.insert(custom.to_string());
        let got = visible_ids(l, &analyst(reader), COMMUNITY).await;
        assert_eq!(got, want, "{reader}");
    }
    for reader in [user("coord", "TMPO", Role::Coordinator), user("aud", "TMPO", Role::Auditor)] {
        assert_eq!(visible_ids(l, &reader, COMMUNITY).await.len(), objects.len(), "{reader:?} reads everything");
    }
    // The overview (counts by type and TLP, latest objects of a type) counts
    // exactly what each reader may list, and lists nothing else.
    for (reader, ids) in expected {
        let (_, counts, recent) = l.stix_overview(&analyst(reader), COMMUNITY, "indicator", 100).await.unwrap();
        let indicators: i64 = counts.iter().filter(|c| c.object_type == "indicator").map(|c| c.count).sum();
        assert_eq!(indicators, ids.len() as i64, "{reader}: {counts:?}");
        let listed: BTreeSet<String> = recent.iter().map(|o| o.id.clone()).collect();
        assert_eq!(listed, ids.iter().map(|n| id(*n)).collect(), "{reader}");
        assert!(recent.windows(2).all(|w| w[0].date_added > w[1].date_added), "newest first");
    }
    // The SQL filter is the policy: every reader, every stored object.
    let stored_conf: Vec<(String, Confidentiality)> = {
        let mut conn = l.backend().begin_read().await.unwrap();
        let rows = conn.fetch("SELECT object_id, tlp, creator_org, share_orgs, share_users FROM taxii_objects", vec![]).await.unwrap();
        let _ = conn.rollback().await;
        rows.iter()
            .map(|r| {
                let list = |s: String| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect();
                (
                    r.text(0).unwrap(),
                    Confidentiality {
                        tlp: r.parse(1).unwrap(),
                        owner_org: r.text(2).unwrap(),
                        share_orgs: list(r.text(3).unwrap()),
                        share_users: list(r.text(4).unwrap()),
                    },
                )
            })
            .collect()
    };
    for reader in ["ua.a1", "ua.a2", "ee.a", "fi.a", "us.a"].map(analyst) {
        let by_policy: BTreeSet<String> = stored_conf.iter().filter(|(_, c)| may_see(&reader, c)).map(|(i, _)| i.clone()).collect();
        assert_eq!(visible_ids(l, &reader, COMMUNITY).await, by_policy, "{reader:?}");
    }
    // A hidden object is absent from its own endpoint too.
    let q = ObjectQuery { limit: 10, ..Default::default() };
    let (_, page) = l.stix_objects(&analyst("us.a"), COMMUNITY, &q, Some(&id(14)), true).await.unwrap();
    assert!(page.items.is_empty() && !page.more);
    let err = l.delete_stix_object(analyst("us.a"), COMMUNITY, &id(14), &ObjectQuery::default()).await.unwrap_err();
    assert!(matches!(domain(err), DomainError::NotFound { .. }), "deleting a hidden object is 'not found'");
}

pub async fn versions_and_pages_hold_under_writes(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let ua = analyst("ua.a1");
    let v = |m: &str| indicator(1, m, json!({}));
    l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[v("2026-01-02T00:00:00.000Z")])).await.unwrap();
    // An older and a newer version arrive together, out of order.
    l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[v("2026-01-03T00:00:00.000Z"), v("2026-01-01T00:00:00.000Z")])).await.unwrap();
    let versions = |filter: Vec<VersionFilter>| async move {
        let q = ObjectQuery { versions: filter, limit: 10, ..Default::default() };
        let (_, page) = l.stix_objects(&analyst("ee.a"), COMMUNITY, &q, Some(&id(1)), false).await.unwrap();
        page.items.iter().map(|o| crate::version_string(o.version)).collect::<Vec<_>>()
    };
    assert_eq!(versions(vec![]).await, ["2026-01-03T00:00:00.000Z"], "last by default");
    assert_eq!(versions(vec![VersionFilter::First]).await, ["2026-01-01T00:00:00.000Z"]);
    assert_eq!(versions(vec![VersionFilter::All]).await.len(), 3);
    let at: jiff::Timestamp = "2026-01-02T00:00:00Z".parse().unwrap();
    assert_eq!(
        versions(vec![VersionFilter::At(at), VersionFilter::First]).await,
        ["2026-01-02T00:00:00.000Z", "2026-01-01T00:00:00.000Z"],
        "in date_added order"
    );

    // Deleting the newest makes the previous one the latest; only the
    // creator's organisation may delete.
    let newest = ObjectQuery { versions: vec![VersionFilter::Last], ..Default::default() };
    let err = l.delete_stix_object(analyst("ee.a"), COMMUNITY, &id(1), &newest).await.unwrap_err();
    assert!(matches!(domain(err), DomainError::Forbidden(_)));
    assert_eq!(l.delete_stix_object(analyst("ua.a2"), COMMUNITY, &id(1), &newest).await.unwrap(), 1);
    assert_eq!(versions(vec![]).await, ["2026-01-02T00:00:00.000Z"]);
    assert_eq!(versions(vec![VersionFilter::First]).await, ["2026-01-01T00:00:00.000Z"]);

    // Pages of 3 over 20 objects while another process adds 5 more between
    // pages: every object exactly once, in date_added order, none skipped.
    let batch = |from: u32, to: u32| raw(&(from..to).map(|n| indicator(n, "2026-01-02T00:00:00.000Z", json!({}))).collect::<Vec<_>>());
    l.add_stix_objects(ua.clone(), COMMUNITY, &batch(100, 120)).await.unwrap();
    let other = l.another_process();
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let q = ObjectQuery { after, limit: 3, ..Default::default() };
        let (_, page) = l.stix_objects(&analyst("us.a"), COMMUNITY, &q, None, false).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|o| (o.id.clone(), o.date_added)));
        after = page.items.last().map(|o| o.date_added);
        pages += 1;
        if pages == 2 {
            other.add_stix_objects(analyst("ee.a"), COMMUNITY, &batch(200, 205)).await.unwrap();
        }
        if !page.more {
            break;
        }
    }
    let ids: BTreeSet<&str> = seen.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(seen.len(), 1 + 20 + 5, "{seen:?}");
    assert_eq!(ids.len(), seen.len(), "no object twice");
    assert!(seen.windows(2).all(|w| w[0].1 < w[1].1), "date_added grows strictly");
    let added_after = ObjectQuery { added_after: Some(seen[20].1), limit: 100, ..Default::default() };
    let (_, tail) = l.stix_objects(&analyst("us.a"), COMMUNITY, &added_after, None, false).await.unwrap();
    assert_eq!(tail.items.len(), 5, "added_after is exclusive");
    let types = ObjectQuery { types: vec!["malware".into()], limit: 100, ..Default::default() };
    assert!(l.stix_objects(&analyst("us.a"), COMMUNITY, &types, None, false).await.unwrap().1.items.is_empty());
    let spec = ObjectQuery { spec_versions: vec!["2.0".into(), "2.1".into()], ids: vec![id(100), id(200)], limit: 100, ..Default::default() };
    assert_eq!(l.stix_objects(&analyst("us.a"), COMMUNITY, &spec, None, false).await.unwrap().1.items.len(), 2);
}
