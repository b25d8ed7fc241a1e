//! The authenticated API in process: credentials, visibility, pagination,
//! the access log, and the error contract.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use tallinn_core::policy::{Principal, Tlp};
use tower::ServiceExt;

use super::demo_app;

async fn call(app: &axum::Router, uri: &str, auth: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = Request::get(uri);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let response = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn credentials_visibility_pages_and_access_log() {
    let (app, ledger, _dir) = demo_app().await;
    let (_, token) = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap();
    let bearer = format!("Bearer {token}");
    let all = ledger.needs(&Principal::System, &Default::default()).await.unwrap();
    let donor = ledger.principal("demo.donor").await.unwrap();
    let visible: Vec<String> = ledger.needs(&donor, &Default::default()).await.unwrap().into_iter().map(|n| n.id.to_string()).collect();
    assert!(visible.len() < all.len());

    // Pages of 30 concatenate to exactly what the donor may see.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/needs?limit=30&cursor={c}"),
            None => "/api/v1/needs?limit=30".to_string(),
        };
        let (status, body) = call(&app, &uri, Some(&bearer)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(body["items"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()));
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, visible);

    // The public sees CLEAR only; filters apply.
    let (_, public) = call(&app, "/api/v1/needs?limit=500", None).await;
    assert!(public["items"].as_array().unwrap().iter().all(|n| n["tlp"] == "clear"));
    let (_, energy) = call(&app, "/api/v1/needs?sector=energy&limit=500", Some(&bearer)).await;
    assert!(energy["items"].as_array().unwrap().iter().all(|n| n["sector"] == "energy"));

    // A hidden need answers exactly like a missing one.
    let hidden = all.iter().find(|n| !visible.contains(&n.id.to_string())).unwrap();
    let (s1, b1) = call(&app, &format!("/api/v1/needs/{}", hidden.id), Some(&bearer)).await;
    let (s2, b2) = call(&app, "/api/v1/needs/N-99999", Some(&bearer)).await;
    assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(
        b1["error"]["message"].as_str().unwrap().replace(&hidden.id.to_string(), "N-?"),
        b2["error"]["message"].as_str().unwrap().replace("N-99999", "N-?")
    );

    // Confidential reads are logged; CLEAR and GREEN ones are not.
    let amber = all.iter().find(|n| n.tlp == Tlp::Amber && visible.contains(&n.id.to_string()));
    let log = ledger.access_log(&Principal::System, 10_000).await.unwrap();
    assert!(log.iter().all(|e| e.actor == "demo.donor" && e.via == "api" && e.tlp != Tlp::Green && e.tlp != Tlp::Clear));
    if let Some(a) = amber {
        assert!(log.iter().any(|e| e.entity_id == a.id.to_string()));
    }

    // Basic: right password works (and again, from the cache); wrong is 401.
    let hash = {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default().hash_password(b"correct horse battery", &salt).unwrap().to_string()
    };
    ledger.set_password(Principal::System, "demo.donor", &hash).await.unwrap();
    let basic = |p: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("demo.donor:{p}")));
    for _ in 0..2 {
        let (status, body) = call(&app, "/api/v1/needs?limit=1", Some(&basic("correct horse battery"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = call(&app, "/api/v1/needs", Some(&basic("wrong"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    // Five failures from one address make the next attempt from it wait,
    // even with the right password not yet cached (no connection info in
    // process: every request comes from "unknown").
    for _ in 0..4 {
        assert_eq!(call(&app, "/api/v1/needs", Some(&basic("wrong"))).await.0, StatusCode::UNAUTHORIZED);
    }
    let fresh_app = tallinn_http::router(ledger.clone());
    let (status, body) = call(&fresh_app, "/api/v1/needs?limit=1", Some(&basic("correct horse battery"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("try again in"), "{body}");
    // A credential verified before the attack stays usable from the cache.
    assert_eq!(call(&app, "/api/v1/needs?limit=1", Some(&basic("correct horse battery"))).await.0, StatusCode::OK);
}

#[tokio::test]
async fn malformed_requests_are_4xx_with_the_error_body() {
    let (app, ledger, _dir) = demo_app().await;
    let (_, token) = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap();
    let bearer = format!("Bearer {token}");
    let before = ledger.verify_audit().await.unwrap().entries;
    let cases: &[(&str, Option<&str>, StatusCode, &str)] = &[
        ("/api/v1/needs?colour=red", Some(&bearer), StatusCode::BAD_REQUEST, "bad_query"),
        ("/api/v1/needs?sector=space", Some(&bearer), StatusCode::BAD_REQUEST, "bad_query"),
        ("/api/v1/needs?limit=0", Some(&bearer), StatusCode::BAD_REQUEST, "bad_request"),
        ("/api/v1/needs?limit=abc", Some(&bearer), StatusCode::BAD_REQUEST, "bad_query"),
        ("/api/v1/needs?cursor=zz", Some(&bearer), StatusCode::BAD_REQUEST, "bad_request"),
        ("/api/v1/needs/P-1", Some(&bearer), StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        ("/api/v1/needs", Some("Bearer tallinn_0000000000000000000000000000000000000000"), StatusCode::UNAUTHORIZED, "unauthorized"),
        ("/api/v1/needs", Some("Bearer nonsense"), StatusCode::UNAUTHORIZED, "unauthorized"),
        ("/api/v1/needs", Some("Digest abc"), StatusCode::UNAUTHORIZED, "unauthorized"),
        ("/api/v1/needs", Some("Basic !!!"), StatusCode::UNAUTHORIZED, "unauthorized"),
        ("/api/v1/nothing", None, StatusCode::NOT_FOUND, "not_found"),
    ];
    for (uri, auth, status, code) in cases {
        let (got, body) = call(&app, uri, *auth).await;
        assert_eq!((got, body["error"]["code"].as_str()), (*status, Some(*code)), "{uri}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}");
    }
    assert_eq!(ledger.verify_audit().await.unwrap().entries, before, "nothing changed");
}

#[tokio::test]
async fn framework_errors_have_the_json_body_too() {
    let (app, _ledger, _dir) = demo_app().await;
    // Oversized body, announced by its length.
    let big = vec![b'x'; tallinn_http::MAX_BODY_BYTES + 1];
    let response = app.clone().oneshot(Request::post("/api/v1/needs").header("content-length", big.len()).body(Body::from(big)).unwrap()).await.unwrap();
    let status = response.status();
    let body: serde_json::Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    // A method the route does not take.
    let response = app.clone().oneshot(Request::delete("/api/v1/needs").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers().get("x-request-id").is_some());
    let body: serde_json::Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

pub async fn send(app: &axum::Router, method: &str, uri: &str, token: Option<&str>, body: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let response = app.clone().oneshot(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_default()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn a_need_through_the_api() {
    let (app, ledger, _dir) = demo_app().await;
    let token = |user: &'static str| {
        let l = ledger.clone();
        async move { l.create_token(Principal::System, user, None).await.unwrap().1 }
    };
    let (ben, donor, coord, tech, strat, observer) = (
        token("demo.beneficiary").await,
        token("demo.donor").await,
        token("demo.coordinator").await,
        token("demo.reviewer.technical").await,
        token("demo.reviewer.strategic").await,
        token("demo.observer").await,
    );
    let body = r#"{"beneficiary": "UA-DEMO-CERT", "title": "Sensors for the SOC", "capability": "detect", "sector": "energy", "urgency": "critical", "cost_eur": "250000.00", "tlp": "green"}"#;
    let before = ledger.verify_audit().await.unwrap().entries;
    for (who, status) in [(None, StatusCode::UNAUTHORIZED), (Some(donor.as_str()), StatusCode::FORBIDDEN), (Some(observer.as_str()), StatusCode::FORBIDDEN)] {
        let (got, b) = send(&app, "POST", "/api/v1/needs", who, Some(body)).await;
        assert_eq!(got, status, "{b}");
    }
    // Malformed bodies: a value refused at a field names the field, by its
    // path, whether serde or the ledger refused it.
    for (text, status, field) in [
        ("{not json", StatusCode::BAD_REQUEST, None),
        (r#"{"beneficiary": 5}"#, StatusCode::UNPROCESSABLE_ENTITY, Some("beneficiary")),
        (&body.replace("\"tlp\"", "\"colour\": \"red\", \"tlp\"") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("colour")),
        (&body.replace("\"tlp\"", "\"synthetic\": true, \"tlp\"") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("synthetic")),
        (&body.replace("250000.00", "-5") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("cost_eur")),
        (&body.replace("250000.00", "0.00") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("cost_eur")),
        (&body.replace("energy", "space") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("sector")),
        (&body.replace("\"tlp\"", "\"tags\": [\"soc\", 7], \"tlp\"") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("tags[1]")),
        (&body.replace("Sensors for the SOC", " ") as &str, StatusCode::UNPROCESSABLE_ENTITY, Some("title")),
    ] {
        let (got, b) = send(&app, "POST", "/api/v1/needs", Some(&ben), Some(text)).await;
        assert_eq!(got, status, "{text}: {b}");
        assert!(b["error"]["message"].is_string(), "{b}");
        assert_eq!(b["error"]["field"].as_str(), field, "{text}: {b}");
        if field.is_some() {
            assert_eq!(b["error"]["code"], "invalid", "{b}");
        }
    }
    // A huge unknown key is named, not echoed whole.
    let huge = body.replace("\"tlp\"", &format!("\"{}\": 1, \"tlp\"", "k".repeat(100_000)));
    let (got, b) = send(&app, "POST", "/api/v1/needs", Some(&ben), Some(&huge)).await;
    assert_eq!((got, b["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")), "{b}");
    assert!(b.to_string().len() < 1_000 && b["error"]["field"].as_str().unwrap().starts_with("kkk"), "{b}");
    assert_eq!(ledger.verify_audit().await.unwrap().entries, before, "no refused request wrote anything");

    let (got, need) = send(&app, "POST", "/api/v1/needs", Some(&ben), Some(body)).await;
    assert_eq!(got, StatusCode::CREATED, "{need}");
    let id = need["id"].as_str().unwrap().to_string();
    assert_eq!(need["status"], "draft");
    let at = |action: &str| format!("/api/v1/needs/{id}/{action}");
    assert_eq!(send(&app, "POST", &at("submit"), Some(&ben), None).await.1["status"], "submitted");
    let (got, b) = send(&app, "POST", &at("submit"), Some(&ben), None).await;
    assert_eq!((got, b["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("invalid_transition")));
    assert_eq!(send(&app, "POST", &at("triage"), Some(&ben), Some(r#"{"decision": "accept"}"#)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "POST", &at("triage"), Some(&coord), Some(r#"{"decision": "accept"}"#)).await.1["status"], "technical_review");
    let tech_review = r#"{"panel": "technical", "decision": "approve", "feasibility": 4, "relevance": 5}"#;
    assert_eq!(send(&app, "POST", &at("reviews"), Some(&strat), Some(tech_review)).await.0, StatusCode::FORBIDDEN, "not on that panel");
    assert_eq!(send(&app, "POST", &at("reviews"), Some(&tech), Some(tech_review)).await.1["status"], "strategic_review");
    let strat_review = r#"{"panel": "strategic", "decision": "approve", "importance": 5}"#;
    assert_eq!(send(&app, "POST", &at("reviews"), Some(&strat), Some(strat_review)).await.1["status"], "approved");
    let (got, reserved) = send(&app, "POST", &at("reservation"), Some(&donor), Some("{}")).await;
    assert_eq!((got, reserved["reservation"]["donor"].as_str()), (StatusCode::OK, Some("EE")));
    assert_eq!(send(&app, "POST", &at("withdraw"), Some(&observer), Some(r#"{"reason": "x"}"#)).await.0, StatusCode::FORBIDDEN);
    let (_, reviews) = send(&app, "GET", &at("reviews"), Some(&ben), None).await;
    assert_eq!(reviews.as_array().unwrap().len(), 2);
    let (_, steps) = send(&app, "GET", &at("history"), Some(&ben), None).await;
    assert_eq!(steps.as_array().unwrap().last().unwrap()["to"], "approved");
    assert_eq!(send(&app, "GET", &at("history"), None, None).await.0, StatusCode::NOT_FOUND, "a GREEN need's history is hidden from the public");
    // Reading an AMBER need's history is a confidential read, logged.
    let amber = ledger
        .needs(&Principal::System, &Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.tlp == tallinn_core::policy::Tlp::Amber && n.beneficiary == "UA-DEMO-CERT")
        .unwrap();
    assert_eq!(send(&app, "GET", &format!("/api/v1/needs/{}/history", amber.id), Some(&ben), None).await.0, StatusCode::OK);
    assert!(ledger.access_log(&Principal::System, 50).await.unwrap().iter().any(|e| e.entity_id == amber.id.to_string() && e.actor == "demo.beneficiary"));
    let history = ledger.need_history(&Principal::System, id.parse().unwrap()).await.unwrap();
    assert_eq!(
        history.iter().map(|t| t.actor.as_str()).collect::<Vec<_>>(),
        ["demo.beneficiary", "demo.beneficiary", "demo.coordinator", "demo.reviewer.technical", "demo.reviewer.strategic"]
    );
}

#[tokio::test]
async fn the_engine_through_the_api() {
    let (app, ledger, _dir) = demo_app().await;
    let coord = ledger.create_token(Principal::System, "demo.coordinator", None).await.unwrap().1;
    let donor = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap().1;
    assert_eq!(send(&app, "POST", "/api/v1/allocation-proposals", Some(&donor), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "POST", "/api/v1/allocation-proposals", None, None).await.0, StatusCode::UNAUTHORIZED);
    let (got, proposal) = send(&app, "POST", "/api/v1/allocation-proposals", Some(&coord), None).await;
    assert_eq!(got, StatusCode::CREATED, "{proposal}");
    let id = proposal["id"].as_str().unwrap().to_string();
    assert_eq!(send(&app, "GET", &format!("/api/v1/allocation-proposals/{id}"), Some(&coord), None).await.1["status"], "proposed");
    let (got, made) = send(&app, "POST", &format!("/api/v1/allocation-proposals/{id}/apply"), Some(&coord), None).await;
    assert_eq!(got, StatusCode::OK, "{made}");
    assert_eq!(made.as_array().unwrap().len(), proposal["result"]["allocations"].as_array().unwrap().len());
    assert_eq!(send(&app, "POST", &format!("/api/v1/allocation-proposals/{id}/apply"), Some(&coord), None).await.0, StatusCode::CONFLICT);
    assert_eq!(send(&app, "GET", "/api/v1/allocation-proposals", Some(&coord), None).await.1["items"].as_array().unwrap().len(), 1);

    let (got, gaps) = send(&app, "GET", "/api/v1/gaps?by=sector", None, None).await;
    assert_eq!(got, StatusCode::OK);
    assert!(gaps.is_array());
    assert_eq!(send(&app, "GET", "/api/v1/gaps?by=colour", None, None).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    let (got, dup) = send(&app, "GET", "/api/v1/duplicates", Some(&coord), None).await;
    assert_eq!(got, StatusCode::OK);
    let pair = &dup["needs"][0];
    let (a, b) = (pair["a"].as_str().unwrap(), pair["b"].as_str().unwrap());
    let body = format!(r#"{{"other": "{b}", "relation": "duplicate", "note": "same request"}}"#);
    assert_eq!(send(&app, "POST", &format!("/api/v1/needs/{a}/relations"), Some(&donor), Some(&body)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "POST", &format!("/api/v1/needs/{a}/relations"), Some(&coord), Some(&body)).await.0, StatusCode::NO_CONTENT);
    let (_, again) = send(&app, "GET", "/api/v1/duplicates", Some(&coord), None).await;
    assert!(!again["needs"].as_array().unwrap().iter().any(|p| p["a"] == a && p["b"] == b));
    assert_eq!(send(&app, "GET", "/api/v1/duplicates?threshold=7", Some(&coord), None).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn pledges_and_allocations_through_the_api() {
    let (app, ledger, _dir) = demo_app().await;
    let donor = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap().1;
    let observer = ledger.create_token(Principal::System, "demo.observer", None).await.unwrap().1;
    let body = r#"{"donor": "EE", "title": "SOC support", "amount": "300.00", "pledged_on": "2026-10-01", "tlp": "green"}"#;
    assert_eq!(send(&app, "POST", "/api/v1/pledges", Some(&observer), Some(body)).await.0, StatusCode::FORBIDDEN, "observers never write");
    assert_eq!(
        send(&app, "POST", "/api/v1/pledges", Some(&donor), Some(&body.replace("EUR", "XYZ").replace("\"tlp\"", "\"currency\": \"XYZ\", \"tlp\""))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        send(&app, "POST", "/api/v1/pledges", Some(&donor), Some(&body.replace("\"EE\"", "\"DE\""))).await.0,
        StatusCode::FORBIDDEN,
        "only for its own organisation"
    );
    let (got, pledge) = send(&app, "POST", "/api/v1/pledges", Some(&donor), Some(body)).await;
    assert_eq!(got, StatusCode::CREATED, "{pledge}");
    let id = pledge["id"].as_str().unwrap().to_string();
    assert_eq!(
        send(&app, "POST", &format!("/api/v1/pledges/{id}/disburse"), Some(&donor), None).await.0,
        StatusCode::CONFLICT,
        "announced cannot be disbursed"
    );
    assert_eq!(send(&app, "POST", &format!("/api/v1/pledges/{id}/commit"), Some(&donor), None).await.1["status"], "committed");
    // Allocate to an approved need the donor may see; over-allocation is refused whole.
    let needs = ledger
        .needs(
            &ledger.principal("demo.donor").await.unwrap(),
            &tallinn_ledger::NeedFilter { status: Some(tallinn_core::need::NeedStatus::Approved), ..Default::default() },
        )
        .await
        .unwrap();
    let target = needs.iter().find(|n| n.reservation.as_ref().is_none_or(|r| r.donor.as_deref() == Some("EE"))).unwrap();
    let too_much = format!(
        r#"{{"lines": [{{"pledge": "{id}", "need": "{}", "amount_eur": "200.00"}}, {{"pledge": "{id}", "need": "{}", "amount_eur": "200.00"}}]}}"#,
        target.id, target.id
    );
    let (got, err) = send(&app, "POST", "/api/v1/allocations", Some(&donor), Some(&too_much)).await;
    assert_eq!(got, StatusCode::CONFLICT, "{err}");
    let ok = format!(r#"{{"lines": [{{"pledge": "{id}", "need": "{}", "amount_eur": "200.00"}}]}}"#, target.id);
    let (got, made) = send(&app, "POST", "/api/v1/allocations", Some(&donor), Some(&ok)).await;
    assert_eq!(got, StatusCode::CREATED, "{made}");
    assert_eq!(send(&app, "GET", &format!("/api/v1/pledges/{id}"), Some(&donor), None).await.1["allocated_eur"], "200.00");
    let bad = format!(r#"{{"lines": [{{"pledge": "{id}", "need": "{}", "amount_eur": "1.001"}}]}}"#, target.id);
    let (got, err) = send(&app, "POST", "/api/v1/allocations", Some(&donor), Some(&bad)).await;
    assert_eq!((got, err["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].amount_eur")));
    // In-kind help: the items, valued per unit; the amount is their total
    // when left out, and must equal it when given.
    let in_kind = r#"{"donor": "EE", "title": "Terminals", "currency": "USD", "pledged_on": "2026-10-01", "tlp": "green",
        "items": [{"description": "Satellite terminal", "quantity": 20, "unit_value": "1500.00"}, {"description": "Service year", "quantity": 20, "unit_value": "600"}]}"#;
    let (got, made) = send(&app, "POST", "/api/v1/pledges", Some(&donor), Some(in_kind)).await;
    assert_eq!(got, StatusCode::CREATED, "{made}");
    assert_eq!((made["kind"].as_str(), made["amount"].as_str(), made["currency"].as_str()), (Some("in_kind"), Some("42000.00"), Some("USD")));
    assert_eq!((made["valuation"].as_str(), made["items"][1]["unit_value_minor"].as_i64()), (Some("market_price"), Some(60000)));
    for (bad, field) in [
        (in_kind.replace(r#""tlp""#, r#""amount": "41999.99", "tlp""#), "amount"),
        (in_kind.replace(r#""1500.00""#, r#""15.001""#), "items"),
        (in_kind.replace(r#""quantity": 20, "unit_value": "600""#, r#""quantity": 0, "unit_value": "600""#), "items"),
        (in_kind.replace("Service year", " "), "items"),
        (
            in_kind
                .replace(r#""quantity": 0"#, r#""quantity": "many""#)
                .replace(r#""quantity": 20, "unit_value": "1500.00""#, r#""quantity": "many", "unit_value": "1500.00""#),
            "items[0].quantity",
        ),
        (in_kind.replace(r#""tlp": "green""#, r#""tlp": "purple""#), "tlp"),
        (in_kind.replace(r#""tlp""#, r#""valuation": "donor_cost", "tlp""#).replace("items", "itemz"), "body"),
        (body.replace(r#""amount": "300.00", "#, ""), "amount"),
        (body.replace(r#""tlp""#, r#""valuation": "donor_cost", "tlp""#), "items"),
    ] {
        let (got, err) = send(&app, "POST", "/api/v1/pledges", Some(&donor), Some(&bad)).await;
        assert_eq!(got.as_u16() / 100, 4, "{bad}: {err}");
        if field != "body" {
            assert_eq!(err["error"]["field"].as_str(), Some(field), "{bad}: {err}");
        }
    }
    // The public sees CLEAR pledges only.
    let (_, public) = send(&app, "GET", "/api/v1/pledges", None, None).await;
    assert!(public["items"].as_array().unwrap().iter().all(|p| p["tlp"] == "clear"));
}

#[tokio::test]
async fn delivery_flows_and_logs_through_the_api() {
    let (app, ledger, _dir) = demo_app().await;
    let tok = |u: &'static str| {
        let l = ledger.clone();
        async move { l.create_token(Principal::System, u, None).await.unwrap().1 }
    };
    let (coord, imp, cert, auditor, donor) =
        (tok("demo.coordinator").await, tok("demo.implementer").await, tok("demo.cert").await, tok("demo.auditor").await, tok("demo.donor").await);
    // A funded need of UA-DEMO-CERT without a project.
    let funded = ledger
        .needs(
            &Principal::System,
            &tallinn_ledger::NeedFilter {
                status: Some(tallinn_core::need::NeedStatus::Funded),
                beneficiary: Some("UA-DEMO-CERT".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    {
        let need = funded.first().expect("the seeded demo has a funded need of UA-DEMO-CERT");
        let body =
            format!(r#"{{"need": "{}", "implementer": "IMP-DEMO-A", "title": "Deliver", "items": [{{"description": "Sensor", "quantity": 3}}]}}"#, need.id);
        assert_eq!(send(&app, "POST", "/api/v1/projects", Some(&imp), Some(&body)).await.0, StatusCode::FORBIDDEN);
        let (got, project) = send(&app, "POST", "/api/v1/projects", Some(&coord), Some(&body)).await;
        assert_eq!(got, StatusCode::CREATED, "{project}");
        let id = project["id"].as_str().unwrap().to_string();
        let (_, with_m) =
            send(&app, "POST", &format!("/api/v1/projects/{id}/milestones"), Some(&imp), Some(r#"{"title": "Installed", "due": "2027-01-01"}"#)).await;
        let m = with_m["milestones"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(send(&app, "POST", &format!("/api/v1/projects/{id}/deliver"), Some(&imp), None).await.0, StatusCode::CONFLICT, "milestone open");
        assert_eq!(send(&app, "POST", &format!("/api/v1/projects/{id}/milestones/{m}/complete"), Some(&imp), None).await.0, StatusCode::OK);
        assert_eq!(send(&app, "POST", &format!("/api/v1/projects/{id}/deliver"), Some(&imp), None).await.1["status"], "delivered");
        let (got, accepted) = send(&app, "POST", &format!("/api/v1/projects/{id}/accept"), Some(&cert), Some(r#"{"statement": "Received"}"#)).await;
        assert_eq!((got, accepted["acceptance"]["by"].as_str()), (StatusCode::OK, Some("demo.cert")), "{accepted}");
    }
    let tx = r#"{"kind": "disbursement", "provider": "EE", "receiver": "UA-DEMO-CERT", "value_date": "2026-01-10", "amount": "100.00"}"#;
    assert_eq!(send(&app, "POST", "/api/v1/transactions", Some(&donor), Some(tx)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "POST", "/api/v1/transactions", Some(&coord), Some(tx)).await.0, StatusCode::CREATED);
    assert_eq!(
        send(&app, "POST", "/api/v1/transactions", Some(&coord), Some(&tx.replace("2026-01-10", "2099-01-10"))).await.0,
        StatusCode::CONFLICT,
        "no future disbursements"
    );
    let (status, page) = send(&app, "GET", "/api/v1/transactions?limit=5&sort=oldest", Some(&donor), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let (_, next) =
        send(&app, "GET", &format!("/api/v1/transactions?limit=5&sort=oldest&cursor={}", page["next_cursor"].as_str().unwrap()), Some(&donor), None).await;
    let key = |v: &serde_json::Value| v["id"].as_str().unwrap().trim_start_matches("T-").parse::<i64>().unwrap();
    assert!(key(&next["items"][0]) > key(&page["items"][4]), "oldest first, continued by the cursor");
    assert_eq!(send(&app, "GET", "/api/v1/transactions?sort=sideways", Some(&donor), None).await.0, StatusCode::BAD_REQUEST);
    let agreement = r#"{"title": "MoU", "parties": ["UA", "EE"], "domain": "cybersecurity", "status": "signed", "signed_on": "2025-06-01"}"#;
    assert_eq!(send(&app, "POST", "/api/v1/agreements", Some(&coord), Some(agreement)).await.0, StatusCode::CREATED);
    assert_eq!(
        send(&app, "POST", "/api/v1/agreements", Some(&coord), Some(&agreement.replace(r#", "signed_on": "2025-06-01""#, ""))).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(send(&app, "GET", "/api/v1/audit-log?limit=3", Some(&donor), None).await.0, StatusCode::FORBIDDEN);
    let (_, first) = send(&app, "GET", "/api/v1/audit-log?limit=3", Some(&auditor), None).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let (_, second) = send(&app, "GET", &format!("/api/v1/audit-log?limit=3&cursor={}", first["next_cursor"].as_str().unwrap()), Some(&auditor), None).await;
    assert_eq!(second["items"][0]["seq"].as_i64().unwrap(), first["items"][2]["seq"].as_i64().unwrap() - 1, "the cursor continues the chain");
    // Single reads follow their lists' visibility.
    let (_, txs) = send(&app, "GET", "/api/v1/transactions?limit=1", Some(&coord), None).await;
    let tx_id = txs["items"][0]["id"].as_str().unwrap();
    assert_eq!(send(&app, "GET", &format!("/api/v1/transactions/{tx_id}"), Some(&coord), None).await.0, StatusCode::OK);
    assert_eq!(send(&app, "GET", "/api/v1/transactions/T-999999", Some(&coord), None).await.0, StatusCode::NOT_FOUND);
    let (_, projects) = send(&app, "GET", "/api/v1/projects?limit=1", Some(&coord), None).await;
    let project_id = projects["items"][0]["id"].as_str().unwrap();
    assert_eq!(send(&app, "GET", &format!("/api/v1/projects/{project_id}"), Some(&coord), None).await.1["id"], project_id);
    let (_, agreements) = send(&app, "GET", "/api/v1/agreements?limit=1", None, None).await;
    let agreement_id = agreements["items"][0]["id"].as_str().unwrap();
    assert_eq!(send(&app, "GET", &format!("/api/v1/agreements/{agreement_id}"), None, None).await.0, StatusCode::OK);
    let (_, allocations) = send(&app, "GET", "/api/v1/allocations?limit=1", Some(&coord), None).await;
    let allocation_id = allocations["items"][0]["id"].as_str().unwrap();
    assert_eq!(send(&app, "GET", &format!("/api/v1/allocations/{allocation_id}"), Some(&coord), None).await.0, StatusCode::OK);
    assert_eq!(send(&app, "GET", "/api/v1/access-log", None, None).await.0, StatusCode::UNAUTHORIZED);
    // The access log pages like every other list: newest first, by cursor.
    let shown = ledger.view(&Principal::System, tallinn_ledger::Via::Api).needs(&Default::default()).await.unwrap();
    assert!(shown.iter().filter(|n| n.tlp.is_logged_on_read()).count() >= 5, "the demo holds AMBER and RED needs, and reading them logs them");
    let total = ledger.access_log(&Principal::System, 1_000_000).await.unwrap().len();
    assert!(total >= 5);
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/access-log?limit=2&cursor={c}"),
            None => "/api/v1/access-log?limit=2".to_string(),
        };
        let (got, page) = send(&app, "GET", &uri, Some(&auditor), None).await;
        assert_eq!(got, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|e| e["seq"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // The auditor's own reads are not confidential reads: the count holds.
    assert_eq!(seen.len(), total);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, each entry once");
    assert_eq!(send(&app, "GET", "/api/v1/access-log?cursor=zz", Some(&auditor), None).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn browser_sessions_with_csrf_across_processes() {
    let (app, ledger, _dir) = demo_app().await;
    let hash = {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default().hash_password(b"a long password", &salt).unwrap().to_string()
    };
    ledger.set_password(Principal::System, "demo.beneficiary", &hash).await.unwrap();
    let sign_in = |body: &'static str| {
        let app = app.clone();
        async move { app.oneshot(Request::post("/api/v1/session").header("content-type", "application/json").body(Body::from(body)).unwrap()).await.unwrap() }
    };
    assert_eq!(sign_in(r#"{"user": "demo.beneficiary", "password": "nope"}"#).await.status(), StatusCode::UNAUTHORIZED);
    let response = sign_in(r#"{"user": "demo.beneficiary", "password": "a long password"}"#).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"), "{cookie}");
    let secure_app = tallinn_http::router_with(ledger.clone(), tallinn_http::Options { secure_cookies: true, ..Default::default() });
    let secure = secure_app
        .oneshot(
            Request::post("/api/v1/session")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"user": "demo.beneficiary", "password": "a long password"}"#))
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(secure.headers().get("set-cookie").unwrap().to_str().unwrap().ends_with("; Secure"));
    let pair = cookie.split(';').next().unwrap().to_string();
    let csrf =
        serde_json::from_slice::<serde_json::Value>(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()["csrf"].as_str().unwrap().to_string();
    // Another process (its own router and caches over the same database) accepts the cookie.
    let other = tallinn_http::router(ledger.another_process());
    let request = |method: &str, uri: &str, csrf: Option<&str>, body: Option<&'static str>| {
        let mut r = Request::builder().method(method).uri(uri).header("cookie", pair.clone());
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        if body.is_some() {
            r = r.header("content-type", "application/json");
        }
        r.body(body.map(Body::from).unwrap_or_default()).unwrap()
    };
    let listed = other.clone().oneshot(request("GET", "/api/v1/needs?limit=500", None, None)).await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&listed.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(body["items"].as_array().unwrap().iter().any(|n| n["tlp"] == "amber+strict" && n["beneficiary"] == "UA-DEMO-CERT"), "signed in as the beneficiary");
    let new_need =
        r#"{"beneficiary": "UA-DEMO-CERT", "title": "t", "capability": "detect", "sector": "energy", "urgency": "low", "cost_eur": "1.00", "tlp": "clear"}"#;
    let refused = other.clone().oneshot(request("POST", "/api/v1/needs", None, Some(new_need))).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a cookie alone cannot write");
    let wrong = other.clone().oneshot(request("POST", "/api/v1/needs", Some("0000"), Some(new_need))).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let made = other.clone().oneshot(request("POST", "/api/v1/needs", Some(&csrf), Some(new_need))).await.unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let out = app.clone().oneshot(request("DELETE", "/api/v1/session", Some(&csrf), None)).await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let after = other.clone().oneshot(request("POST", "/api/v1/needs", Some(&csrf), Some(new_need))).await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "signed out everywhere");
}

#[tokio::test]
async fn accounts_through_the_api() {
    let (app, ledger, _dir) = demo_app().await;
    let coord = ledger.create_token(Principal::System, "demo.coordinator", None).await.unwrap().1;
    let donor = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap().1;
    let org = r#"{"code": "UA-NEW", "name": "New institution", "kind": "beneficiary", "parent": "UA"}"#;
    assert_eq!(send(&app, "POST", "/api/v1/participants", Some(&donor), Some(org)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "POST", "/api/v1/participants", Some(&coord), Some(org)).await.0, StatusCode::CREATED);
    assert_eq!(send(&app, "POST", "/api/v1/participants", Some(&coord), Some(org)).await.0, StatusCode::CONFLICT, "exists");
    let user = r#"{"name": "new.user", "org": "UA-NEW", "role": "beneficiary", "password": "short"}"#;
    assert_eq!(send(&app, "POST", "/api/v1/users", Some(&coord), Some(user)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (got, created) = send(&app, "POST", "/api/v1/users", Some(&coord), Some(&user.replace("short", "a long password"))).await;
    assert_eq!(got, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains("argon2"), "no hash in answers");
    let (got, token) = send(&app, "POST", "/api/v1/users/new.user/tokens", Some(&coord), Some(r#"{"expires_days": 30}"#)).await;
    assert_eq!(got, StatusCode::CREATED);
    let secret = token["token"].as_str().unwrap().to_string();
    assert_eq!(send(&app, "GET", "/api/v1/needs?limit=1", Some(&secret), None).await.0, StatusCode::OK);
    let listed = send(&app, "GET", "/api/v1/tokens", Some(&coord), None).await.1;
    assert!(!listed.to_string().contains(&secret), "secrets are never listed");
    assert_eq!(send(&app, "GET", "/api/v1/users", Some(&donor), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "GET", "/api/v1/users/new.user", Some(&coord), None).await.1["org"], "UA-NEW");
    assert_eq!(send(&app, "GET", "/api/v1/users/new.user", Some(&donor), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(&app, "GET", "/api/v1/participants/UA-NEW", None, None).await.1["kind"], "beneficiary");
    assert_eq!(send(&app, "GET", "/api/v1/participants/ZZ-NONE", None, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, "DELETE", &format!("/api/v1/tokens/{}", token["id"]), Some(&secret), None).await.0,
        StatusCode::NO_CONTENT,
        "users revoke their own tokens"
    );
    assert_eq!(send(&app, "GET", "/api/v1/needs?limit=1", Some(&secret), None).await.0, StatusCode::UNAUTHORIZED);
}

/// A password change or a disabled account takes effect at once on every
/// server process: another process's remembered Basic credential and
/// resolved token stop working on the next request; signing out ends every
/// session of the account.
#[tokio::test]
async fn account_changes_reach_every_process_at_once() {
    use base64::Engine;
    let (a, ledger, _dir) = demo_app().await;
    let b = tallinn_http::router(ledger.another_process());
    let hash = {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default().hash_password(b"correct horse battery", &salt).unwrap().to_string()
    };
    ledger.set_password(Principal::System, "demo.donor", &hash).await.unwrap();
    let (_, office) = ledger.create_token(Principal::System, "demo.coordinator", None).await.unwrap();
    let (_, token) = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap();
    let basic = |p: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("demo.donor:{p}")));
    let get = |app: &axum::Router, auth: String| {
        let app = app.clone();
        async move { app.oneshot(Request::get("/api/v1/needs?limit=1").header("authorization", auth).body(Body::empty()).unwrap()).await.unwrap().status() }
    };
    // Process A remembers both credentials.
    assert_eq!(get(&a, basic("correct horse battery")).await, StatusCode::OK);
    assert_eq!(get(&a, format!("Bearer {token}")).await, StatusCode::OK);
    // The user changes its password through process B (giving the current one).
    let wrong = send(&b, "PUT", "/api/v1/users/demo.donor/password", Some(&token), Some(r#"{"password": "another long password"}"#)).await;
    assert_eq!((wrong.0, wrong.1["error"]["field"].as_str()), (StatusCode::FORBIDDEN, Some("current_password")));
    let (status, body) = send(
        &b,
        "PUT",
        "/api/v1/users/demo.donor/password",
        Some(&token),
        Some(r#"{"current_password": "correct horse battery", "password": "another long password"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(get(&a, basic("correct horse battery")).await, StatusCode::UNAUTHORIZED, "the old password, remembered by A, fails at once");
    assert_eq!(get(&a, basic("another long password")).await, StatusCode::OK);
    // The office disables the account through B: A's remembered token fails at once.
    assert_eq!(send(&b, "POST", "/api/v1/users/demo.donor/disable", Some(&token), None).await.0, StatusCode::FORBIDDEN, "not the user's own to do");
    assert_eq!(send(&b, "POST", "/api/v1/users/demo.donor/disable", Some(&office), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(get(&a, format!("Bearer {token}")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&a, basic("another long password")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&b, "POST", "/api/v1/users/demo.donor/enable", Some(&office), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(get(&a, format!("Bearer {token}")).await, StatusCode::OK);

    // Signing out ends every session of the account, on every process.
    let sign_in = |app: &axum::Router| {
        let app = app.clone();
        async move {
            let r = app
                .oneshot(
                    Request::post("/api/v1/session")
                        .header("content-type", "application/json")
                        .body(Body::from(r#"{"user": "demo.donor", "password": "another long password"}"#))
                        .unwrap(),
                )
                .await
                .unwrap();
            let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
            let csrf =
                serde_json::from_slice::<serde_json::Value>(&r.into_body().collect().await.unwrap().to_bytes()).unwrap()["csrf"].as_str().unwrap().to_string();
            (cookie, csrf)
        }
    };
    let (one, csrf) = sign_in(&a).await;
    let (two, _) = sign_in(&b).await;
    let with_cookie = |app: &axum::Router, method: &str, cookie: &str, csrf: Option<&str>| {
        let mut r = Request::builder().method(method).uri(if method == "GET" { "/api/v1/pledges?limit=1" } else { "/api/v1/session" }).header("cookie", cookie);
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        let app = app.clone();
        let r = r.body(Body::empty()).unwrap();
        async move { app.oneshot(r).await.unwrap().status() }
    };
    assert_eq!(with_cookie(&b, "DELETE", &one, Some(&csrf)).await, StatusCode::NO_CONTENT);
    let (_, after) = {
        let r = b.clone().oneshot(Request::get("/api/v1/pledges?limit=50").header("cookie", &two).body(Body::empty()).unwrap()).await.unwrap();
        (r.status(), serde_json::from_slice::<serde_json::Value>(&r.into_body().collect().await.unwrap().to_bytes()).unwrap())
    };
    let donor_only = ledger.pledges(&Principal::Public, None, None).await.unwrap().len();
    assert_eq!(after["items"].as_array().unwrap().len(), donor_only.min(50), "the other session is the public now");
    let _ = with_cookie;
}

/// `GET /api/v1/sightings` and `/api/v1/threat-factors` over the demo's
/// intelligence: the sharing analyst sees every sighting, an analyst of
/// another organisation not the AMBER one, a donor none; every caller the
/// same factors, from GREEN and CLEAR sightings only.
#[tokio::test]
async fn sightings_and_threat_factors_through_the_api() {
    let (app, ledger, _dir) = demo_app().await;
    ledger
        .add_user(
            Principal::System,
            tallinn_core::participant::NewUser {
                name: "fi.analyst".into(),
                org: "FI".into(),
                role: tallinn_core::participant::Role::Analyst,
                panel: None,
                password_hash: None,
            },
        )
        .await
        .unwrap();
    let token = |user: &'static str| {
        let l = ledger.clone();
        async move { l.create_token(Principal::System, user, None).await.unwrap().1 }
    };
    let (own, other, donor) = (token("demo.analyst").await, token("fi.analyst").await, token("demo.donor").await);
    let (status, seen) = send(&app, "GET", "/api/v1/sightings", Some(&own), None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let rows = seen.as_array().unwrap();
    assert_eq!(rows.len(), 9, "{seen}");
    assert!(rows.iter().all(|r| r["collection"] == "community" && r["count"].as_u64().unwrap() > 0 && r["last_seen"].is_string()));
    let (_, seen) = send(&app, "GET", "/api/v1/sightings", Some(&other), None).await;
    assert_eq!(seen.as_array().unwrap().len(), 8, "FI does not read the AMBER sighting: {seen}");
    assert!(seen.as_array().unwrap().iter().all(|r| r["tlp"] != "amber"));
    assert_eq!(send(&app, "GET", "/api/v1/sightings", Some(&donor), None).await.1, serde_json::json!([]), "donors use no collection");
    assert_eq!(send(&app, "GET", "/api/v1/sightings", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app, "GET", "/api/v1/sightings?limit=0", Some(&own), None).await.0, StatusCode::BAD_REQUEST);
    let (status, factors) = send(&app, "GET", "/api/v1/threat-factors", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let energy = factors.as_array().unwrap().iter().find(|f| f["sector"] == "energy").unwrap();
    assert_eq!((energy["sightings"].as_u64(), energy["factor"].as_f64()), (Some(212), Some(1.58)), "{factors}");
    assert_eq!(send(&app, "GET", "/api/v1/threat-factors", Some(&own), None).await.1, factors, "the same for everyone");
    // FI restates one of the demo's GREEN sightings with a huge count: its
    // copy is private to FI (the id was shared first by UA-DEMO-CERT) and
    // moves no public factor.
    let green = rows.iter().find(|r| r["tlp"] == "green").unwrap();
    let mut copy = serde_json::json!({"type": "sighting", "spec_version": "2.1", "id": green["id"], "created": "2026-01-01T00:00:00.000Z",
        "modified": jiff::Timestamp::now().to_string(), "sighting_of_ref": green["sighting_of"], "count": 1_000_000,
        "where_sighted_refs": green["where_sighted"], "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]});
    copy["last_seen"] = copy["modified"].clone();
    let fi = Principal::User { name: "fi.analyst".into(), org: "FI".into(), role: tallinn_core::participant::Role::Analyst };
    let raw = vec![serde_json::value::to_raw_value(&copy).unwrap()];
    let status = ledger.add_stix_objects(fi, "community", &raw).await.unwrap();
    assert_eq!(status.failures.len(), 0, "{status:?}");
    assert_eq!(send(&app, "GET", "/api/v1/threat-factors", None, None).await.1, factors, "a private copy never counts");
}
