//! Random requests never produce a 500, a panic, or an error without its
//! body: the JSON error body under the API, an HTML page (or JSON) elsewhere.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use proptest::prelude::*;
use tower::ServiceExt;

const PATHS: &[&str] = &[
    "/api/v1/needs",
    "/api/v1/needs/{x}",
    "/api/v1/needs/{x}/submit",
    "/api/v1/needs/{x}/triage",
    "/api/v1/needs/{x}/reviews",
    "/api/v1/needs/{x}/reservation",
    "/api/v1/needs/{x}/withdraw",
    "/api/v1/needs/{x}/relations",
    "/api/v1/pledges",
    "/api/v1/pledges/{x}",
    "/api/v1/pledges/{x}/commit",
    "/api/v1/allocations",
    "/api/v1/allocation-proposals",
    "/api/v1/allocation-proposals/{x}/apply",
    "/api/v1/gaps",
    "/api/v1/duplicates",
    "/api/v1/public/needs",
    "/{x}",
    "/login",
    "/logout",
    "/home",
    "/needs",
    "/needs/{x}",
    "/needs/{x}/review",
    "/needs/{x}/{x}",
    "/pledges/{x}",
    "/pledges/{x}/commit",
    "/allocation/{x}/apply",
    "/projects/{x}/accept",
    "/audit",
    "/exchange",
];

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("N-1".to_string()),
        Just("P-1".to_string()),
        Just("AP-1".to_string()),
        "[A-Za-z0-9%._~-]{0,12}",
        Just("N-99999999999999999999".to_string())
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z_]{1,10}=[A-Za-z0-9%+._-]{0,10}".prop_map(|q| format!("?{q}")),
        Just("?limit=-1".to_string()),
        Just("?cursor=%00".to_string()),
        Just("?by=need&by=sector".to_string()),
        Just("?threshold=NaN".to_string()),
    ]
}

fn body() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        Just(Some(b"{}".to_vec())),
        Just(Some(b"{\"decision\": \"accept\"}".to_vec())),
        Just(Some(b"{\"lines\": [{\"pledge\": \"P-1\", \"need\": \"N-1\", \"amount_eur\": \"1e9\"}]}".to_vec())),
        Just(Some(b"[1, 2, ".to_vec())),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Some),
        "\\{\"[a-z_]{1,12}\": (\"[^\"]{0,12}\"|[0-9]{1,30}|true|null)\\}".prop_map(|s| Some(s.into_bytes())),
    ]
}

fn auth(token: String) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(format!("Bearer {token}"))),
        Just(Some("Bearer tallinn_zz".to_string())),
        Just(Some("Basic Og==".to_string())),
        "[ -~]{0,20}".prop_map(Some)
    ]
}

#[test]
fn random_requests_never_fail_the_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, ledger, _dir) = rt.block_on(super::demo_app());
    let token = rt.block_on(ledger.create_token(tallinn_core::policy::Principal::System, "demo.coordinator", None)).unwrap().1;
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH"];
    let strategy = (prop::sample::select(methods.to_vec()), prop::sample::select(PATHS.to_vec()), segment(), query(), body(), auth(token), any::<bool>());
    proptest!(ProptestConfig::with_cases(400), |((method, path, seg, query, body, auth, json_type) in strategy)| {
        let uri = format!("{}{}", path.replace("{x}", &seg), query);
        let Ok(mut req) = Request::builder().method(method).uri(&uri).body(Body::empty()) else { return Ok(()) };
        if let Some(b) = body {
            *req.body_mut() = Body::from(b);
        }
        if json_type {
            req.headers_mut().insert("content-type", "application/json".parse().unwrap());
        }
        if let Some(a) = auth.and_then(|a| a.parse().ok()) {
            req.headers_mut().insert("authorization", a);
        }
        let response = rt.block_on(app.clone().oneshot(req)).unwrap();
        let status = response.status();
        let html = response.headers().get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        let bytes = rt.block_on(response.into_body().collect()).unwrap().to_bytes();
        prop_assert!(!status.is_server_error(), "{method} {uri}: {status} {}", String::from_utf8_lossy(&bytes));
        if status.is_client_error() && html {
            prop_assert!(!uri.starts_with("/api/"), "{method} {uri}: an HTML error under the API");
            let page = String::from_utf8_lossy(&bytes);
            prop_assert!(page.contains("role=\"alert\"") && page.contains(status.as_str()), "{method} {uri}: {page}");
        } else if status.is_client_error() {
            let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| TestCaseError::fail(format!("{method} {uri}: {status} not JSON: {e}")))?;
            prop_assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{method} {uri}: {body}");
        }
    });
}
