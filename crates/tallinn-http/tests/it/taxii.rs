//! TAXII 2.1 over HTTP: media types and every error path as TAXII error
//! resources, the TLP matrix on every read endpoint, headers, and cursors
//! that work across two server processes on one database.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tallinn_core::participant::{NewUser, Role};
use tallinn_core::policy::Principal;
use tallinn_ledger::Ledger;
use tower::ServiceExt;

const TAXII: &str = "application/taxii+json;version=2.1";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const OBJECTS: &str = "/taxii2/tallinn/collections/community/objects/";

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn call(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, headers: &[(&str, &str)], body: Option<String>) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = app.clone().oneshot(req.body(body.map(Body::from).unwrap_or_default()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

async fn get(app: &axum::Router, uri: &str, token: &str) -> Answer {
    call(app, "GET", uri, Some(token), &[("accept", TAXII)], None).await
}

async fn post(app: &axum::Router, uri: &str, token: &str, objects: &[Value]) -> Answer {
    call(app, "POST", uri, Some(token), &[("accept", TAXII), ("content-type", TAXII)], Some(json!({ "objects": objects }).to_string())).await
}

fn indicator(n: u32, extra: Value) -> Value {
    let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-2222-4222-8222-222222222222"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v
}

fn ids(envelope: &Value) -> Vec<String> {
    envelope["objects"].as_array().map(|l| l.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// Analysts of UA, EE, FI and US, a coordinator, an auditor and a donor,
/// each with a token.
async fn people(ledger: &Ledger) -> std::collections::HashMap<&'static str, String> {
    let mut tokens = std::collections::HashMap::new();
    for (name, org, role) in [
        ("ua.a", "UA", Role::Analyst),
        ("ua.b", "UA", Role::Analyst),
        ("ee.a", "EE", Role::Analyst),
        ("fi.a", "FI", Role::Analyst),
        ("us.a", "US", Role::Analyst),
        ("coord", "TMPO", Role::Coordinator),
        ("aud", "TMPO", Role::Auditor),
        ("donor", "EE", Role::Donor),
    ] {
        ledger.add_user(Principal::System, NewUser { name: name.into(), org: org.into(), role, panel: None, password_hash: None }).await.unwrap();
        tokens.insert(name, ledger.create_token(Principal::System, name, None).await.unwrap().1);
    }
    tokens
}

async fn sqlite_ledger(dir: &tempfile::TempDir) -> (Ledger, String) {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let ledger = Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.unwrap()));
    ledger.init().await.unwrap();
    (ledger, url)
}

#[tokio::test]
async fn every_error_is_a_taxii_error() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = sqlite_ledger(&dir).await;
    let t = people(&ledger).await;
    let app = tallinn_http::router(ledger.clone());
    let taxii_error = |a: &Answer, status: u16, says: &str| {
        assert_eq!(a.status.as_u16(), status, "{:?}", a.body);
        assert_eq!(a.headers["content-type"], TAXII);
        assert_eq!(a.body["http_status"], status.to_string());
        let text = format!("{} {}", a.body["title"], a.body["description"]);
        assert!(text.to_lowercase().contains(&says.to_lowercase()), "{text} lacks {says}");
    };
    let a = call(&app, "GET", "/taxii2/", None, &[], None).await;
    taxii_error(&a, 401, "sign in");
    assert!(a.headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    taxii_error(&call(&app, "GET", "/taxii2/", Some("tallinn_0000000000000000000000000000000000000000"), &[], None).await, 401, "token");
    taxii_error(&call(&app, "GET", "/taxii2/", Some(&t["ua.a"]), &[("accept", "text/html")], None).await, 406, TAXII);
    taxii_error(&call(&app, "GET", "/taxii2/", Some(&t["ua.a"]), &[("accept", "application/taxii+json;version=2.0")], None).await, 406, "accept");
    for ok in ["application/taxii+json", "*/*"] {
        assert_eq!(call(&app, "GET", "/taxii2/tallinn", Some(&t["ua.a"]), &[("accept", ok)], None).await.status, StatusCode::OK, "{ok}");
    }
    let json_body = call(&app, "POST", OBJECTS, Some(&t["ua.a"]), &[("content-type", "application/json")], Some("{}".into())).await;
    taxii_error(&json_body, 415, TAXII);
    let huge = "x".repeat(tallinn_http::taxii::MAX_CONTENT_LENGTH + 1);
    taxii_error(&call(&app, "POST", OBJECTS, Some(&t["ua.a"]), &[("content-type", TAXII)], Some(huge)).await, 413, "max_content_length");
    taxii_error(&call(&app, "POST", OBJECTS, Some(&t["ua.a"]), &[("content-type", TAXII)], Some("{not json".into())).await, 400, "not a TAXII envelope");
    taxii_error(&post(&app, OBJECTS, &t["ua.a"], &[]).await, 400, "no objects");
    taxii_error(&get(&app, &format!("{OBJECTS}?match[colour]=red"), &t["ua.a"]).await, 400, "match[colour]");
    taxii_error(&get(&app, &format!("{OBJECTS}?next=nothex"), &t["ua.a"]).await, 400, "next");
    taxii_error(&get(&app, &format!("{OBJECTS}?added_after=yesterday"), &t["ua.a"]).await, 400, "added_after");
    taxii_error(&get(&app, "/taxii2/tallinn/collections/no-such/objects/", &t["ua.a"]).await, 404, "collection");
    taxii_error(&get(&app, "/taxii2/tallinn/nothing/", &t["ua.a"]).await, 404, "no such");
    taxii_error(&call(&app, "PUT", OBJECTS, Some(&t["ua.a"]), &[], None).await, 405, "method");
    taxii_error(&get(&app, &format!("{OBJECTS}indicator--00000001-2222-4222-8222-222222222222/"), &t["ua.a"]).await, 404, "no object");
    // A donor is not an analyst: no collections, and the community is "not found".
    assert_eq!(get(&app, "/taxii2/tallinn/collections/", &t["donor"]).await.body, json!({}));
    taxii_error(&post(&app, OBJECTS, &t["donor"], &[indicator(1, json!({}))]).await, 404, "collection");
    // Read-only: 403, and nothing stored.
    ledger
        .add_collection(
            Principal::System,
            tallinn_ledger::NewCollection {
                title: "EE writes".into(),
                description: None,
                alias: Some("ee-writes".into()),
                read: tallinn_ledger::Audience::All,
                write: tallinn_ledger::Audience::Orgs(vec!["EE".into()]),
            },
        )
        .await
        .unwrap();
    taxii_error(&post(&app, "/taxii2/tallinn/collections/ee-writes/objects/", &t["ua.a"], &[indicator(1, json!({}))]).await, 403, "may not add");
    let c = get(&app, "/taxii2/tallinn/collections/ee-writes/", &t["ua.a"]).await;
    assert_eq!((c.body["can_read"].clone(), c.body["can_write"].clone()), (json!(true), json!(false)));
    // Statuses belong to their uploader.
    let status = post(&app, OBJECTS, &t["ua.a"], &[indicator(1, json!({}))]).await;
    assert_eq!(status.status, StatusCode::ACCEPTED);
    let path = format!("/taxii2/tallinn/status/{}", status.body["id"].as_str().unwrap());
    assert_eq!(get(&app, &path, &t["ua.a"]).await.body["success_count"], 1);
    taxii_error(&get(&app, &path, &t["ee.a"]).await, 404, "status");
    assert_eq!(get(&app, &format!("{path}/"), &t["aud"]).await.status, StatusCode::OK, "auditors read everything; trailing slash or not");
}

#[tokio::test]
async fn the_tlp_matrix_on_every_read() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = sqlite_ledger(&dir).await;
    let t = people(&ledger).await;
    let app = tallinn_http::router(ledger.clone());
    let objects = [
        indicator(1, json!({"object_marking_refs": [CLEAR]})),
        indicator(2, json!({})),
        indicator(3, json!({"object_marking_refs": [AMBER], "x_tallinn_share_orgs": ["EE"]})),
        indicator(4, json!({"object_marking_refs": [AMBER_STRICT], "x_tallinn_share_users": ["fi.a"]})),
        indicator(5, json!({"object_marking_refs": [RED], "x_tallinn_share_users": ["fi.a"]})),
    ];
    assert_eq!(post(&app, OBJECTS, &t["ua.a"], &objects).await.body["success_count"], 5);
    let id = |n: usize| objects[n - 1]["id"].as_str().unwrap().to_string();
    // (reader, the objects 1..=5 it sees)
    let matrix: &[(&str, &[usize])] = &[
        ("ua.a", &[1, 2, 3, 4, 5]),
        ("ua.b", &[1, 2, 3, 4]),
        ("ee.a", &[1, 2, 3]),
        ("fi.a", &[1, 2, 4, 5]),
        ("us.a", &[1, 2]),
        ("coord", &[1, 2, 3, 4, 5]),
        ("aud", &[1, 2, 3, 4, 5]),
    ];
    for (reader, visible) in matrix {
        let want: Vec<String> = visible.iter().map(|n| id(*n)).collect();
        let page = get(&app, OBJECTS, &t[reader]).await;
        assert_eq!(ids(&page.body), want, "{reader}: objects");
        let manifest = get(&app, "/taxii2/tallinn/collections/community/manifest", &t[reader]).await;
        assert_eq!(ids(&manifest.body), want, "{reader}: manifest");
        assert_eq!(page.headers["x-taxii-date-added-last"], manifest.headers["x-taxii-date-added-last"], "{reader}: headers count only what is visible");
        for n in 1..=5 {
            let one = get(&app, &format!("{OBJECTS}{}", id(n)), &t[reader]).await;
            let versions = get(&app, &format!("{OBJECTS}{}/versions/", id(n)), &t[reader]).await;
            let seen = visible.contains(&n);
            assert_eq!(one.status == StatusCode::OK, seen, "{reader}: object {n}");
            assert_eq!(versions.status == StatusCode::OK, seen, "{reader}: versions {n}");
            if seen {
                assert_eq!(versions.body["versions"], json!(["2026-01-02T00:00:00.000Z"]));
            }
        }
    }
    // Objects come back exactly as sent.
    let page = get(&app, &format!("{OBJECTS}{}", id(3)), &t["ee.a"]).await;
    assert_eq!(page.body["objects"][0], objects[2]);
    // Reading AMBER and RED objects is in the access log (committed before
    // the response).
    let log = ledger.access_log(&Principal::System, 1000).await.unwrap();
    assert!(log.iter().any(|e| e.actor == "fi.a" && e.entity_id == id(5) && e.via == "taxii"), "{log:?}");
    assert!(!log.iter().any(|e| e.entity_id == id(1) || e.entity_id == id(2)), "CLEAR and GREEN reads are not logged");
}

/// Two ledgers over one database, as two `tallinn serve` processes: one on
/// PostgreSQL when TALLINN_TEST_POSTGRES_URL is set, and on SQLite always.
async fn two_processes(dir: &tempfile::TempDir) -> Vec<(Ledger, Ledger, Option<(String, String)>)> {
    let (a, url) = sqlite_ledger(dir).await;
    let b = Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.unwrap()));
    let mut out = vec![(a, b, None)];
    if let Ok(base) = std::env::var("TALLINN_TEST_POSTGRES_URL") {
        let name = format!("tallinn_taxii_{}_{}", std::process::id(), jiff::Timestamp::now().as_microsecond() % 1_000_000);
        let url = tallinn_store_postgres::PostgresBackend::create_database(&base, &name).await.unwrap();
        let a = Ledger::new(Arc::new(tallinn_store_postgres::PostgresBackend::connect(&url).await.unwrap()));
        a.init().await.unwrap();
        let b = Ledger::new(Arc::new(tallinn_store_postgres::PostgresBackend::connect(&url).await.unwrap()));
        out.push((a, b, Some((base, name))));
    }
    out
}

#[tokio::test]
async fn cursors_work_across_server_processes() {
    let dir = tempfile::tempdir().unwrap();
    for (a, b, pg) in two_processes(&dir).await {
        let t = people(&a).await;
        let (one, two) = (tallinn_http::router(a.clone()), tallinn_http::router(b.clone()));
        let batch = |from: u32, to: u32| (from..to).map(|n| indicator(n, json!({}))).collect::<Vec<_>>();
        post(&one, OBJECTS, &t["ua.a"], &batch(0, 10)).await;
        let mut seen = Vec::new();
        let mut uri = format!("{OBJECTS}?limit=4");
        for turn in 0.. {
            // Alternate servers; the second adds objects while the walk goes on.
            let app = if turn % 2 == 0 { &one } else { &two };
            let page = get(app, &uri, &t["us.a"]).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            seen.extend(ids(&page.body));
            if turn == 0 {
                post(&two, OBJECTS, &t["ee.a"], &batch(100, 103)).await;
            }
            if page.body["more"] != true {
                assert!(page.body.get("next").is_none());
                break;
            }
            uri = format!("{OBJECTS}?limit=4&next={}", page.body["next"].as_str().unwrap());
        }
        let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
        assert_eq!((seen.len(), unique.len()), (13, 13), "every object once, none lost: {seen:?}");
        if let Some((base, name)) = pg {
            a.backend().close().await;
            b.backend().close().await;
            tallinn_store_postgres::PostgresBackend::drop_database(&base, &name).await.unwrap();
        }
    }
}

/// Sets SQLite's page limit on every connection of the pool (it is kept per
/// connection): at the current size, a full disk; high, room again.
async fn page_limit(ledger: &Ledger, full: bool) {
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(ledger.backend().begin_read().await.unwrap());
    }
    for conn in &mut open {
        let pages = conn.fetch("PRAGMA page_count", vec![]).await.unwrap()[0].int(0).unwrap();
        let limit = if full { pages } else { 1 << 30 };
        conn.fetch(&format!("PRAGMA max_page_count = {limit}"), vec![]).await.unwrap();
    }
    for conn in open {
        conn.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_readiness_says_so_until_a_write_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, _) = sqlite_ledger(&dir).await;
    let t = people(&ledger).await;
    let app = tallinn_http::router(ledger.clone());
    let ready = |app: axum::Router| async move { call(&app, "GET", "/readyz", None, &[], None).await.status };
    assert_eq!(ready(app.clone()).await, StatusCode::OK);
    page_limit(&ledger, true).await;
    // Free room inside the last pages may take a few objects first.
    let mut refused = None;
    for round in 0..50u32 {
        let objects: Vec<Value> = (0..50).map(|n| indicator(round * 100 + n, json!({"description": "x".repeat(2000)}))).collect();
        let a = post(&app, OBJECTS, &t["ua.a"], &objects).await;
        if a.status != StatusCode::ACCEPTED {
            refused = Some(a);
            break;
        }
    }
    let a = refused.expect("a full disk refuses the upload");
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", a.body);
    assert_eq!(a.headers["content-type"], TAXII, "a TAXII error, in TAXII's format");
    assert!(a.body["description"].as_str().unwrap().contains("nothing was changed"), "{:?}", a.body);
    assert_eq!(ready(app.clone()).await, StatusCode::SERVICE_UNAVAILABLE, "not ready while writes are refused");
    let api = call(&app, "GET", "/readyz", None, &[], None).await;
    assert_eq!(api.body["error"]["code"], "not_ready", "{:?}", api.body);
    assert_eq!(get(&app, OBJECTS, &t["ua.a"]).await.status, StatusCode::OK, "reads go on");
    page_limit(&ledger, false).await;
    assert_eq!(post(&app, OBJECTS, &t["ua.a"], &[indicator(9_999, json!({}))]).await.status, StatusCode::ACCEPTED);
    assert_eq!(ready(app.clone()).await, StatusCode::OK, "ready again after a write succeeds, without a restart");
}

/// A server on a store opened read-only (`serve --read-only`): reads work,
/// changes are answered 503, and it stays ready.
#[tokio::test]
async fn a_read_only_store_serves_reads_refuses_changes_and_stays_ready() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, url) = sqlite_ledger(&dir).await;
    let t = people(&ledger).await;
    assert_eq!(post(&tallinn_http::router(ledger.clone()), OBJECTS, &t["ua.a"], &[indicator(1, json!({}))]).await.status, StatusCode::ACCEPTED);
    let read_only = Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&format!("{url}?mode=ro")).await.unwrap()));
    read_only.init().await.unwrap();
    let app = tallinn_http::router(read_only);
    let a = get(&app, OBJECTS, &t["ua.a"]).await;
    assert_eq!((a.status, ids(&a.body).len()), (StatusCode::OK, 1));
    let refused = post(&app, OBJECTS, &t["ua.a"], &[indicator(2, json!({}))]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", refused.body);
    assert_eq!(call(&app, "GET", "/readyz", None, &[], None).await.status, StatusCode::OK);
}
