//! Control characters in every text input of every endpoint, on SQLite and
//! PostgreSQL: a 400 naming the field before anything reaches the database
//! (NUL was a 500 on PostgreSQL at twelve entry points), and random text in
//! any field never a 5xx.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::Value;
use tallinn_core::policy::Principal;
use tallinn_ledger::Ledger;
use tower::ServiceExt;

/// A PostgreSQL test database to drop: (server URL, name).
type Dropped = Option<(String, String)>;

/// A demo ledger, with what keeps its database alive or removes it.
type Database = (Ledger, Option<tempfile::TempDir>, Dropped);

/// The demo on SQLite, and on PostgreSQL when `TALLINN_TEST_POSTGRES_URL` is set.
async fn ledgers() -> Vec<Database> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let sqlite = Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.unwrap()));
    let mut out = vec![(sqlite, Some(dir), None)];
    if let Ok(base) = std::env::var("TALLINN_TEST_POSTGRES_URL") {
        let name = format!("tallinn_http_control_{}_{}", std::process::id(), jiff::Timestamp::now().as_microsecond() % 1_000_000);
        let url = tallinn_store_postgres::PostgresBackend::create_database(&base, &name).await.unwrap();
        let pg = Ledger::new(Arc::new(tallinn_store_postgres::PostgresBackend::connect(&url).await.unwrap()));
        out.push((pg, None, Some((base, name))));
    }
    for (ledger, _, _) in &out {
        ledger.init().await.unwrap();
        tallinn_demo::load(ledger).await.unwrap();
    }
    out
}

async fn drop_database(dropped: Dropped) {
    if let Some((base, name)) = dropped {
        let _ = tallinn_store_postgres::PostgresBackend::drop_database(&base, &name).await;
    }
}

/// One request: (status, content type, body).
async fn send(app: &axum::Router, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<String>) -> (StatusCode, String, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app.clone().oneshot(request.body(body.map_or_else(Body::empty, Body::from)).unwrap()).await.unwrap();
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, String::from_utf8_lossy(&bytes).into_owned())
}

/// Every text input the OpenAPI document lists: (method, path with ids
/// filled in, where the text goes, the field's name).
#[derive(Debug, Clone)]
enum Place {
    Path,
    Query(String),
    Body(String),
}

fn inputs() -> Vec<(String, String, Place)> {
    let doc: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut out = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, op) in operations.as_object().unwrap() {
            let filled = fill(path);
            for p in op["parameters"].as_array().into_iter().flatten() {
                match p["in"].as_str() {
                    Some("path") => out.push((method.to_uppercase(), path.clone(), Place::Path)),
                    Some("query") => out.push((method.to_uppercase(), filled.clone(), Place::Query(p["name"].as_str().unwrap().into()))),
                    _ => {}
                }
            }
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let schema = match schema["$ref"].as_str() {
                Some(r) => &schemas[r.rsplit('/').next().unwrap()],
                None => schema,
            };
            for property in schema["properties"].as_object().into_iter().flat_map(|p| p.keys()) {
                out.push((method.to_uppercase(), filled.clone(), Place::Body(property.clone())));
            }
        }
    }
    out
}

/// A path template with plausible ids.
fn fill(path: &str) -> String {
    path.replace("{id}", "N-1")
        .replace("{code}", "EE")
        .replace("{name}", "demo.donor")
        .replace("{milestone}", "1")
        .replace("{file}", "funding-by-year.svg")
        .replace("{section}", "coverage")
}

/// `template` with the path parameter(s) carrying `text`, percent-encoded.
fn with_text_in_path(template: &str, text: &str) -> String {
    let encoded: String = percent_encode(text);
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push_str(&encoded);
        rest = &rest[rest[start..].find('}').map_or(rest.len(), |e| start + e + 1)..];
    }
    out.push_str(rest);
    out
}

fn percent_encode(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The request that puts `text` in `place`.
fn request(method: &str, path: &str, place: &Place, text: &str) -> (String, String, Option<String>) {
    match place {
        Place::Path => (method.into(), with_text_in_path(path, text), None),
        Place::Query(name) => (method.into(), format!("{path}?{}={}", percent_encode(name), percent_encode(text)), None),
        Place::Body(name) => (method.into(), path.into(), Some(serde_json::json!({ name: text }).to_string())),
    }
}

#[tokio::test]
async fn nul_and_control_characters_are_refused_naming_the_field() {
    let inputs = inputs();
    assert!(inputs.len() > 80, "the OpenAPI document lists the inputs: {}", inputs.len());
    for (ledger, _dir, dropped) in ledgers().await {
        let app = tallinn_http::router(ledger.clone());
        let (_, token) = ledger.create_token(Principal::System, "demo.coordinator", None).await.unwrap();
        let bearer = format!("Bearer {token}");
        let headers = [("authorization", bearer.as_str()), ("content-type", "application/json")];
        for (method, path, place) in &inputs {
            for bad in ["a\0b", "\u{1b}[2J", "x\u{7f}"] {
                let (method, uri, body) = request(method, path, place, bad);
                let (status, _, answer) = send(&app, &method, &uri, &headers, body).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {uri} {place:?}: {answer}");
                let answer: Value = serde_json::from_str(&answer).unwrap();
                let field = match place {
                    Place::Path => "path",
                    Place::Query(name) | Place::Body(name) => name.as_str(),
                };
                assert_eq!(
                    (answer["error"]["code"].as_str(), answer["error"]["field"].as_str()),
                    (Some("control_character"), Some(field)),
                    "{method} {uri}: {answer}"
                );
            }
        }
        // Signing in: a JSON user name, a Basic user name, a web form.
        let (status, _, _) =
            send(&app, "POST", "/api/v1/session", &[("content-type", "application/json")], Some(r#"{"user": "a\u0000", "password": "x"}"#.into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let basic = format!("Basic {}", base64_encode("demo\0donor:secret"));
        let (status, _, answer) = send(&app, "GET", "/api/v1/needs", &[("authorization", &basic)], None).await;
        assert!(status == StatusCode::BAD_REQUEST && answer.contains("authorization"), "{status} {answer}");
        let (status, content_type, _) =
            send(&app, "POST", "/login", &[("content-type", "application/x-www-form-urlencoded")], Some("user=a%00b&password=x".into())).await;
        assert!(status == StatusCode::BAD_REQUEST && content_type.starts_with("text/html"), "{status} {content_type}");
        // TAXII: the collection in the path and match[id], as TAXII errors.
        for uri in ["/taxii2/tallinn/collections/comm%00unity/objects/", "/taxii2/tallinn/collections/community/objects/?match[id]=a%00b"] {
            let (status, content_type, answer) = send(&app, "GET", uri, &[("authorization", &bearer)], None).await;
            assert!(
                status == StatusCode::BAD_REQUEST && content_type.starts_with("application/taxii+json") && answer.contains("U+0000"),
                "{uri}: {status} {answer}"
            );
        }
        drop_database(dropped).await;
    }
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The store refuses what slipped past every interface, on both databases
/// alike: an invalid input, never a database error.
#[tokio::test]
async fn the_store_refuses_text_it_must_not_store() {
    for (ledger, _dir, dropped) in ledgers().await {
        let collection = tallinn_ledger::NewCollection {
            title: "a\0b".into(),
            description: None,
            alias: None,
            read: tallinn_ledger::Audience::All,
            write: tallinn_ledger::Audience::All,
        };
        let err = ledger.add_collection(Principal::System, collection).await.unwrap_err();
        assert!(matches!(err, tallinn_ledger::StoreError::Domain(tallinn_core::DomainError::Invalid(_))), "{err:?}");
        assert!(ledger.collections(&Principal::System).await.unwrap().iter().all(|c| !c.title.contains('\0')));
        drop_database(dropped).await;
    }
}

/// Text drawn from printable and control characters alike, in a random
/// field of a random endpoint, never answers a 5xx.
#[test]
fn random_text_in_any_field_never_yields_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let setups: Vec<(axum::Router, String, Option<tempfile::TempDir>, Dropped)> = runtime.block_on(async {
        let mut out = Vec::new();
        for (ledger, dir, dropped) in ledgers().await {
            let (_, token) = ledger.create_token(Principal::System, "demo.coordinator", None).await.unwrap();
            out.push((tallinn_http::router(ledger), format!("Bearer {token}"), dir, dropped));
        }
        out
    });
    let inputs = inputs();
    let config = ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(pick in any::<prop::sample::Index>(), text in "[\\x00-\\x1f\\x7f a-zA-Z0-9'\"%&;<>{}\\[\\]\\\\/\\-.:,=+*?#@!~`^|$()_\\u{0400}-\\u{04ff}\\u{1f600}]{0,24}")| {
        let (method, path, place) = &inputs[pick.index(inputs.len())];
        let (method, uri, body) = request(method, path, place, &text);
        for (app, bearer, _, _) in &setups {
            let headers = [("authorization", bearer.as_str()), ("content-type", "application/json")];
            let (status, _, answer) = runtime.block_on(send(app, &method, &uri, &headers, body.clone()));
            prop_assert!(status.as_u16() < 500, "{} {} {:?}: {} {}", method, uri, place, status, answer);
        }
    });
    runtime.block_on(async {
        for (_, _, _, dropped) in setups {
            drop_database(dropped).await;
        }
    });
}
