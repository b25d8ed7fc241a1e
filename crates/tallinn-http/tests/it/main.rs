//! The public HTTP slice, in process: only TLP:CLEAR data, the error
//! contract on unknown routes, health and readiness.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tallinn_core::policy::Tlp;
use tallinn_ledger::Ledger;
use tower::ServiceExt;

mod api;
mod control;
mod matrix;
mod random;
mod reports;
mod taxii;
mod web;

pub async fn demo_app() -> (axum::Router, Ledger, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let ledger = Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.unwrap()));
    ledger.init().await.unwrap();
    tallinn_demo::load(&ledger).await.unwrap();
    (tallinn_http::router(ledger.clone()), ledger, dir)
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn public_reads_show_clear_records_only() {
    let (app, ledger, _dir) = demo_app().await;
    let all = ledger.needs(&tallinn_core::policy::Principal::System, &Default::default()).await.unwrap();
    let clear: Vec<_> = all.iter().filter(|n| n.tlp == Tlp::Clear).collect();
    assert!(clear.len() < all.len(), "the demo has confidential needs");

    let (status, body) = get(&app, "/api/v1/public/needs").await;
    assert_eq!(status, StatusCode::OK);
    let needs: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(needs.len(), clear.len());
    assert!(needs.iter().all(|n| n["tlp"] == "clear"));

    let (status, page) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("TLP:CLEAR records only"));
    for hidden in all.iter().filter(|n| n.tlp != Tlp::Clear) {
        assert!(
            !page.contains(&format!("<td>{}</td>", hidden.id)) && !page.contains(&format!("/needs/{}\"", hidden.id)),
            "{} ({}) leaked into the page",
            hidden.id,
            hidden.tlp
        );
    }
    let (_, summary) = get(&app, "/api/v1/public/summary").await;
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["needs"], clear.len());
    assert!(page.contains("241,700,000.00"), "the Paris announcement is shown");
    assert!(page.contains("Reconciliation with Paris") && page.contains("not recorded in this ledger"), "the reconciliation is explained");
    assert!(page.contains("<img src=\"/api/v1/reports/charts/funding-by-year.svg\" alt="), "charts are images with text alternatives");
    let public = tallinn_report::overview(&ledger.report_facts(&tallinn_core::policy::Principal::Public).await.unwrap(), None);
    let committed = tallinn_http::web::group_digits(&tallinn_core::money::format_minor(public.totals.committed, 2), ",", ".");
    assert!(page.contains(&format!("<dd id=\"fig-committed\">EUR {committed}</dd>")), "the committed total is shown");
}

#[tokio::test]
async fn health_readiness_and_errors() {
    let (app, ledger, _dir) = demo_app().await;
    assert_eq!(get(&app, "/healthz").await, (StatusCode::OK, "ok".into()));
    assert_eq!(get(&app, "/readyz").await, (StatusCode::OK, "ready".into()));
    let (status, body) = get(&app, "/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let (_, participants) = get(&app, "/api/v1/participants").await;
    assert!(participants.contains("\"code\":\"NATO\""));
    // Pages of 5 walk every participant once, in code order.
    let mut codes = Vec::new();
    let mut uri = "/api/v1/participants?limit=5".to_string();
    loop {
        let (_, page) = get(&app, &uri).await;
        let page: serde_json::Value = serde_json::from_str(&page).unwrap();
        codes.extend(page["items"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/participants?limit=5&cursor={c}"),
            None => break,
        }
    }
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert!(codes.len() > 30);
    // The metrics: not for the public, nor for other roles; for the office.
    assert_eq!(get(&app, "/metrics").await.0, StatusCode::UNAUTHORIZED);
    let (_, donor) = ledger.create_token(tallinn_core::policy::Principal::System, "demo.donor", None).await.unwrap();
    let (_, coordinator) = ledger.create_token(tallinn_core::policy::Principal::System, "demo.coordinator", None).await.unwrap();
    let bearer = |t: &str| Request::get("/metrics").header("authorization", format!("Bearer {t}")).body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(bearer(&donor)).await.unwrap().status(), StatusCode::FORBIDDEN);
    let response = app.clone().oneshot(bearer(&coordinator)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metrics = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(metrics.contains("tallinn_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/participants\""), "by route pattern");
    assert!(metrics.contains("tallinn_http_request_duration_seconds_bucket"));
}

/// Security headers on pages, API answers and errors alike; HSTS only when
/// the public address is https; request ids are the server's own; a Host
/// that is no host name is not reflected into TAXII discovery.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (app, ledger, _dir) = demo_app().await;
    for uri in ["/", "/login", "/api/v1/public/summary", "/api/v1/nothing", "/taxii2/", "/assets/tallinn.css"] {
        let request = Request::get(uri).header("x-request-id", "client-chosen").body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let h = response.headers();
        assert_eq!(h.get("content-security-policy").unwrap(), tallinn_http::CONTENT_SECURITY_POLICY, "{uri}");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over http");
        let id = h.get("x-request-id").unwrap().to_str().unwrap();
        assert!(id != "client-chosen" && uuid_like(id), "{uri}: {id}");
    }
    let (_, analyst) = ledger.create_token(tallinn_core::policy::Principal::System, "demo.analyst", None).await.unwrap();
    let https = tallinn_http::router_with(
        ledger,
        tallinn_http::Options { public_url: Some("https://tallinn.example.org".into()), secure_cookies: true, ..Default::default() },
    );
    let response = https.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    assert!(response.headers().get("strict-transport-security").unwrap().to_str().unwrap().starts_with("max-age="));
    let request = Request::get("/taxii2/").header("host", "evil.example/x?").header("authorization", format!("Bearer {analyst}")).body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::BAD_REQUEST);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.bytes().filter(|b| *b == b'-').count() == 4
}

/// The OpenAPI document is a reviewed artefact: any change to the API shows
/// as a diff of `openapi.json`. Regenerate with TALLINN_UPDATE_OPENAPI=1.
#[tokio::test]
async fn openapi_document_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let generated = serde_json::to_string_pretty(&*tallinn_http::openapi::DOCUMENT).unwrap() + "\n";
    if std::env::var_os("TALLINN_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == generated, "openapi.json is out of date: run TALLINN_UPDATE_OPENAPI=1 cargo test -p tallinn-http openapi");
    // It is also what the server serves, and every route of the router is in it.
    let (app, _ledger, _dir) = demo_app().await;
    let (status, served) = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, methods) in [("/api/v1/needs", ["get", "post"]), ("/api/v1/pledges", ["get", "post"]), ("/api/v1/session", ["post", "delete"])] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
        }
    }
    let (status, page) = get(&app, "/api/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/api/v1/allocation-proposals/{id}/apply"));
}

/// The router serves exactly the operations the OpenAPI document lists
/// (both are built from one table, `openapi::routes`): every documented
/// method on every documented path reaches a handler, and every other
/// method on those paths is refused with 405.
#[tokio::test]
async fn the_router_serves_exactly_the_documented_operations() {
    let (app, _ledger, _dir) = demo_app().await;
    let mut served = 0;
    for (path, item) in tallinn_http::openapi::DOCUMENT["paths"].as_object().unwrap() {
        let documented: Vec<String> = item.as_object().unwrap().keys().map(|m| m.to_uppercase()).collect();
        // Path parameters filled with something of the right shape.
        let uri: String = path
            .split('/')
            .map(|seg| match seg {
                "{id}" => "N-999999",
                "{code}" => "EE",
                "{name}" => "demo.donor",
                "{milestone}" => "1",
                "{file}" => "funding.svg",
                "{section}" => "funding",
                other => other,
            })
            .collect::<Vec<_>>()
            .join("/");
        assert!(!uri.contains('{'), "a parameter of {path} has no sample");
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let request = Request::builder().method(method).uri(&uri).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
            if documented.iter().any(|m| m == method) {
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not served");
                assert!(!body.contains("no such resource"), "{method} {path} is documented but not routed: {body}");
                served += 1;
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is served but not documented");
            }
        }
    }
    assert!(served >= 70, "{served} operations");
    let (status, body) = get(&app, "/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

/// The API reference in docs/ is what the OpenAPI document says.
#[test]
fn api_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/reference/api.md");
    let rendered = tallinn_http::api_reference::render();
    if std::env::var_os("TALLINN_UPDATE_DOCS").is_some() {
        std::fs::write(path, &rendered).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == rendered, "docs/reference/api.md is out of date: run TALLINN_UPDATE_DOCS=1 cargo test -p tallinn-http api_reference");
    for (path, item) in tallinn_http::openapi::DOCUMENT["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(committed.contains(&format!("### `{} {path}`", method.to_uppercase())), "{method} {path}");
        }
    }
}

/// Every route the server registers is documented: the JSON API's in the
/// OpenAPI document (hence in docs/reference/api.md), the pages and form
/// actions in the web guide, the rest (health, metrics, TAXII) in the guides.
/// The API's routes are built from the OpenAPI table (checked above); the
/// others are read from the router's source.
#[test]
fn every_route_is_in_the_docs() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs");
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let routes = |text: &str| -> Vec<String> { text.split(".route(\"").skip(1).filter_map(|r| r.split('"').next()).map(str::to_string).collect() };
    let openapi = &tallinn_http::openapi::DOCUMENT["paths"];
    let guides: String = std::fs::read_dir(format!("{docs}/guide")).unwrap().map(|e| read(e.unwrap().path().to_str().unwrap())).collect::<Vec<_>>().join("\n")
        + &read(&format!("{docs}/operations.md"));
    let web_guide = read(&format!("{docs}/guide/web.md"));
    let mut missing = Vec::new();
    for path in routes(&read(&format!("{src}/lib.rs"))) {
        let documented =
            if path.starts_with("/api/v1/") && path != "/api/v1/openapi.json" { openapi.get(&path).is_some() } else { guides.contains(&format!("`{path}`")) };
        if !documented {
            missing.push(path);
        }
    }
    for path in routes(&read(&format!("{src}/web/mod.rs"))) {
        if !web_guide.contains(&format!("`{path}`")) {
            missing.push(path);
        }
    }
    for resource in ["/taxii2/", "/collections/", "/objects/", "/manifest/", "/versions/", "/status/"] {
        if !guides.contains(resource) {
            missing.push(resource.to_string());
        }
    }
    assert!(missing.is_empty(), "routes missing from docs/: {missing:?}");
}
