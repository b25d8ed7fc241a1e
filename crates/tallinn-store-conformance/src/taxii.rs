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
use tallinn_ledger::{Audience, COMMUNITY, Ledger, NewCollection, ObjectQuery, VersionFilter};

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

    // The same versions again from the same organisation: successes that
    // store nothing.
    let again = l.add_stix_objects(analyst("ua.a2"), COMMUNITY, &raw(&[good.clone(), sco.clone()])).await.unwrap();
    assert_eq!((again.successes.len(), again.failures.len()), (2, 0));
    assert!(again.successes.iter().all(|s| s.message.as_deref().is_some_and(|m| m.contains("already held"))), "{again:?}");
    let (_, page) = l.stix_objects(&analyst("ua.a2"), COMMUNITY, &all_versions(10), None, true).await.unwrap();
    assert_eq!(page.items.len(), 2);
    // From another organisation: the indicator becomes its own private
    // copy (said, since it may see the original); the observable its own.
    let other = l.add_stix_objects(analyst("ee.a"), COMMUNITY, &raw(&[good, sco])).await.unwrap();
    assert!(other.successes[0].message.as_deref().is_some_and(|m| m.contains("kept as EE's own copy")), "{other:?}");
    assert_eq!(other.successes[1].message, None);
    let (_, page) = l.stix_objects(&analyst("us.a"), COMMUNITY, &all_versions(10), None, true).await.unwrap();
    assert_eq!(page.items.len(), 3, "the private copy is EE's alone; each producer's observable is shown");

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
        json!({"type": "marking-definition", "spec_version": "2.1", "id": custom, "created": "2022-01-01T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "amber"}}),
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
                    r.text("object_id").unwrap(),
                    Confidentiality {
                        tlp: r.parse("tlp").unwrap(),
                        owner_org: r.text("creator_org").unwrap(),
                        share_orgs: list(r.text("share_orgs").unwrap()),
                        share_users: list(r.text("share_users").unwrap()),
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
        page.items.iter().map(|o| o.version.clone()).collect::<Vec<_>>()
    };
    assert_eq!(versions(vec![]).await, ["2026-01-03T00:00:00.000Z"], "last by default");
    assert_eq!(versions(vec![VersionFilter::First]).await, ["2026-01-01T00:00:00.000Z"]);
    assert_eq!(versions(vec![VersionFilter::All]).await.len(), 3);
    let at = tallinn_stix::timestamp::StixTime::parse("2026-01-02T00:00:00Z").unwrap();
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
    let added_after = ObjectQuery { added_after: Some(seen[20].1.to_string().parse().unwrap()), limit: 100, ..Default::default() };
    let (_, tail) = l.stix_objects(&analyst("us.a"), COMMUNITY, &added_after, None, false).await.unwrap();
    assert_eq!(tail.items.len(), 5, "added_after is exclusive");
    let types = ObjectQuery { types: vec!["malware".into()], limit: 100, ..Default::default() };
    assert!(l.stix_objects(&analyst("us.a"), COMMUNITY, &types, None, false).await.unwrap().1.items.is_empty());
    let spec = ObjectQuery { spec_versions: vec!["2.0".into(), "2.1".into()], ids: vec![id(100), id(200)], limit: 100, ..Default::default() };
    assert_eq!(l.stix_objects(&analyst("us.a"), COMMUNITY, &spec, None, false).await.unwrap().1.items.len(), 2);
}

/// An upload as raw JSON text (to send what `serde_json::Value` cannot hold,
/// such as a repeated key).
fn raw_text(objects: &[&str]) -> Vec<Box<RawValue>> {
    objects.iter().map(|o| RawValue::from_string(o.to_string()).unwrap()).collect()
}

async fn latest(l: &Ledger, reader: &Principal, object: &str) -> Vec<(String, String)> {
    let q = ObjectQuery { limit: 10, ..Default::default() };
    let (_, page) = l.stix_objects(reader, COMMUNITY, &q, Some(object), true).await.unwrap();
    page.items
        .iter()
        .map(|o| (o.version.clone(), serde_json::from_str::<Value>(o.body.as_deref().unwrap()).unwrap()["name"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// Issue items 3-5: versions compare exactly and come back as given; valid
/// content from the field is stored; a repeated key refuses the object.
pub async fn versions_are_exact_and_input_strict(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let ua = analyst("ua.a1");
    let v = |m: &str| indicator(1, m, json!({"name": m}));
    let status = l
        .add_stix_objects(ua.clone(), COMMUNITY, &raw(&[v("2026-01-01T00:00:00.1234567Z"), v("2026-01-01T00:00:00.1234568Z"), v("2026-01-01T00:00:00.432Z")]))
        .await
        .unwrap();
    assert_eq!(status.failures, []);
    assert!(status.successes.iter().all(|s| s.message.is_none()), "three versions, none 'already held': {status:?}");
    assert_eq!(status.successes[1].version, "2026-01-01T00:00:00.1234568Z", "the status names the version as given");
    assert_eq!(latest(l, &ua, &id(1)).await, [("2026-01-01T00:00:00.432Z".to_string(), "2026-01-01T00:00:00.432Z".to_string())]);
    let at = |t: &str| ObjectQuery { versions: vec![VersionFilter::At(t.parse().unwrap())], limit: 10, ..Default::default() };
    let (_, page) = l.stix_objects(&ua, COMMUNITY, &at("2026-01-01T00:00:00.12345680Z"), Some(&id(1)), false).await.unwrap();
    assert_eq!(page.items.iter().map(|o| o.version.as_str()).collect::<Vec<_>>(), ["2026-01-01T00:00:00.1234568Z"], "the same instant, another precision");
    let (_, all) = l.stix_objects(&ua, COMMUNITY, &all_versions(10), Some(&id(1)), false).await.unwrap();
    assert_eq!(all.items.len(), 3);
    // Deleting the newest makes the 7th-digit one the latest.
    let newest = ObjectQuery { versions: vec![VersionFilter::Last], ..Default::default() };
    assert_eq!(l.delete_stix_object(ua.clone(), COMMUNITY, &id(1), &newest).await.unwrap(), 1);
    assert_eq!(latest(l, &ua, &id(1)).await[0].0, "2026-01-01T00:00:00.1234568Z");

    // Valid content that was refused before.
    let never = indicator(2, "2026-01-02T00:00:00.000Z", json!({"valid_until": "9999-12-31T23:59:59Z", "x_mitre_data_source_ref": ""}));
    let status = l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[never])).await.unwrap();
    assert_eq!(status.failures, []);

    // A repeated key refuses that object, naming the key, and stores nothing of it.
    let red_then_clear = format!(
        r#"{{"type": "indicator", "spec_version": "2.1", "id": "{}", "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.1']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": ["{}"], "object_marking_refs": ["{}"]}}"#,
        id(3),
        TLP_2[4].1,
        TLP_2[0].1
    );
    let status = l.add_stix_objects(ua.clone(), COMMUNITY, &raw_text(&[&red_then_clear])).await.unwrap();
    assert_eq!(status.successes, []);
    assert!(status.failures[0].message.as_deref().is_some_and(|m| m.contains("duplicate key `object_marking_refs`")), "{status:?}");
    let (_, page) = l.stix_objects(&Principal::System, COMMUNITY, &all_versions(10), Some(&id(3)), false).await.unwrap();
    assert!(page.items.is_empty());
    // An unreadable string says why, not "is not a JSON object".
    let surrogate = r#"{"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "\ud800"}"#;
    if let Ok(raw) = RawValue::from_string(surrogate.to_string()) {
        let status = l.add_stix_objects(ua.clone(), COMMUNITY, &[raw]).await.unwrap();
        let message = status.failures[0].message.clone().unwrap_or_default();
        assert!(message.starts_with("is not readable JSON:") && message.contains("escape"), "{message}");
    }
}

/// Issue items 6 and 8: observables under a marked container, granular
/// markings, and markings that cannot be resolved.
pub async fn markings_fail_closed(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let ua = analyst("ua.a1");
    let ip = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
    let observed = json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "first_observed": "2026-01-01T00:00:00Z",
        "last_observed": "2026-01-01T00:00:00Z", "number_observed": 1, "object_refs": [ip],
        "object_marking_refs": [TLP_2[4].1], "x_tallinn_share_users": ["fi.a"]});
    // As misp-stix writes it: only the container is marked.
    let status = l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[observed, json!({"type": "ipv4-addr", "id": ip, "value": "203.0.113.77"})])).await.unwrap();
    assert_eq!(status.failures, []);
    assert!(visible_ids(l, &analyst("us.a"), COMMUNITY).await.is_empty(), "the unmarked address is RED with its observation");
    assert_eq!(visible_ids(l, &analyst("fi.a"), COMMUNITY).await.len(), 2, "the user the container names reads both");

    // A RED part makes the object RED for listing; its JSON is never rewritten.
    let granular = indicator(
        5,
        "2026-01-02T00:00:00.000Z",
        json!({"description": "source: agent X",
        "object_marking_refs": [TLP_2[0].1], "granular_markings": [{"marking_ref": TLP_2[4].1, "selectors": ["description"]}]}),
    );
    // An unknown marking id, and a definition of a kind nobody can enforce.
    let unknown = indicator(6, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": ["marking-definition--99999999-9999-4999-8999-999999999999"]}));
    let odd_id = "marking-definition--88888888-8888-4888-8888-888888888888";
    let odd = json!({"type": "marking-definition", "spec_version": "2.1", "id": odd_id, "created": "2022-01-01T00:00:00.000Z", "definition_type": "x-acme", "definition": {"level": 3}});
    let odd_user = indicator(7, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [odd_id]}));
    let status = l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[granular, unknown, odd, odd_user])).await.unwrap();
    let failed: Vec<String> = status.failures.iter().map(|f| format!("{} {}", f.id, f.message.clone().unwrap_or_default())).collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().any(|f| f.starts_with(&id(6)) && f.contains("marking-definition--99999999-9999-4999-8999-999999999999 is not known")), "{failed:?}");
    assert!(failed.iter().any(|f| f.starts_with(&id(7)) && f.contains("states no TLP level")), "{failed:?}");
    let us = visible_ids(l, &analyst("us.a"), COMMUNITY).await;
    assert!(!us.contains(&id(5)) && us.contains(odd_id), "{us:?}");

    // A custom definition sent in an earlier envelope resolves.
    let custom = "marking-definition--11111111-1111-4111-8111-111111111111";
    let definition = json!({"type": "marking-definition", "spec_version": "2.1", "id": custom, "created": "2022-01-01T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "red"}});
    assert_eq!(l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[definition])).await.unwrap().failures, []);
    let later = indicator(8, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [custom]}));
    assert_eq!(l.add_stix_objects(ua.clone(), COMMUNITY, &raw(&[later])).await.unwrap().failures, []);
    let (_, stored) = l.stix_objects(&Principal::System, COMMUNITY, &all_versions(10), Some(&id(8)), false).await.unwrap();
    assert_eq!(stored.items[0].tlp, Tlp::Red);
}

/// Issue items 7 and 9: no organisation changes what others see of an
/// object it did not create, and no upload answer tells whether an object
/// the uploader may not see exists.
pub async fn versions_belong_to_their_organisation(h: Harness) {
    let l = &h.ledger;
    people(l).await;
    let original = indicator(1, "2026-01-02T00:00:00.000Z", json!({"name": "original"}));
    l.add_stix_objects(analyst("ua.a1"), COMMUNITY, &raw(&[original])).await.unwrap();
    // EE sends a later version, then a RED one.
    let hijack = indicator(1, "2026-02-01T00:00:00.000Z", json!({"name": "HIJACKED"}));
    let hide = indicator(1, "2026-03-01T00:00:00.000Z", json!({"name": "hidden", "object_marking_refs": [TLP_2[4].1]}));
    let status = l.add_stix_objects(analyst("ee.a"), COMMUNITY, &raw(&[hijack, hide])).await.unwrap();
    assert_eq!(status.failures, []);
    for reader in ["ua.a1", "ua.a2", "fi.a", "us.a"] {
        assert_eq!(latest(l, &analyst(reader), &id(1)).await, [("2026-01-02T00:00:00.000Z".to_string(), "original".to_string())], "{reader}");
    }
    // EE reads the original and its own copy.
    let ee: Vec<String> = latest(l, &analyst("ee.a"), &id(1)).await.into_iter().map(|(_, name)| name).collect();
    assert_eq!(ee, ["original", "hidden"], "its creator reads the RED one, its lineage's latest");
    // UA's own new versions still reach everyone.
    l.add_stix_objects(analyst("ua.a2"), COMMUNITY, &raw(&[indicator(1, "2026-04-01T00:00:00.000Z", json!({"name": "update"}))])).await.unwrap();
    assert_eq!(latest(l, &analyst("us.a"), &id(1)).await[0].1, "update");

    // The oracle: an observable held under RED, tested by another
    // organisation, answers exactly as an observable nobody holds.
    let held =
        json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "203.0.113.77", "object_marking_refs": [TLP_2[4].1]});
    let fresh = json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742de", "value": "203.0.113.78"});
    l.add_stix_objects(analyst("ua.a1"), COMMUNITY, &raw(std::slice::from_ref(&held))).await.unwrap();
    let probe = |o: &Value| {
        let mut o = o.clone();
        o.as_object_mut().unwrap().remove("object_marking_refs");
        o
    };
    let answers = l.add_stix_objects(analyst("us.a"), COMMUNITY, &raw(&[probe(&held), probe(&fresh)])).await.unwrap();
    assert_eq!(answers.successes.iter().map(|s| (&s.version, &s.message)).collect::<Vec<_>>(), [(&String::new(), &None), (&String::new(), &None)]);
    // Within an organisation too: a colleague's RED version answers as new.
    let red = indicator(9, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[4].1]}));
    l.add_stix_objects(analyst("ua.a1"), COMMUNITY, &raw(std::slice::from_ref(&red))).await.unwrap();
    let again = l.add_stix_objects(analyst("ua.a2"), COMMUNITY, &raw(&[red])).await.unwrap();
    assert_eq!(again.successes[0].message, None);
    // And a private copy is announced only to who may see the original.
    let red_original = indicator(10, "2026-01-02T00:00:00.000Z", json!({"object_marking_refs": [TLP_2[4].1]}));
    l.add_stix_objects(analyst("ua.a1"), COMMUNITY, &raw(std::slice::from_ref(&red_original))).await.unwrap();
    let copy = l.add_stix_objects(analyst("ee.a"), COMMUNITY, &raw(&[red_original])).await.unwrap();
    assert_eq!(copy.successes[0].message, None, "EE may not see the original: nothing is said");
    // Deleting: an organisation deletes its own lineage, never another's.
    assert_eq!(l.delete_stix_object(analyst("ee.a"), COMMUNITY, &id(1), &ObjectQuery::default()).await.unwrap(), 2);
    assert_eq!(latest(l, &analyst("ee.a"), &id(1)).await[0].1, "update");
    assert_eq!(latest(l, &analyst("us.a"), &id(1)).await[0].1, "update");
}
