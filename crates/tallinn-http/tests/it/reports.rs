//! Reports over HTTP: JSON equal to the report of the caller's facts, CSV,
//! SVG charts, the public dashboard and IATI file, and clear errors.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tallinn_core::policy::{Principal, Tlp};
use tower::ServiceExt;

use super::demo_app;

async fn fetch(app: &axum::Router, uri: &str, auth: Option<&str>) -> (StatusCode, String, String) {
    let mut req = Request::get(uri);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let response = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn reports_over_http() {
    let (app, ledger, _dir) = demo_app().await;
    let (_, token) = ledger.create_token(Principal::System, "demo.donor", None).await.unwrap();
    let bearer = format!("Bearer {token}");
    let donor = ledger.principal("demo.donor").await.unwrap();

    // The JSON is the report of exactly the caller's facts.
    let (status, kind, body) = fetch(&app, "/api/v1/reports", Some(&bearer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(kind.starts_with("application/json"));
    let expected = serde_json::to_value(tallinn_report::overview(&ledger.report_facts(&donor).await.unwrap(), None)).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap(), expected);
    let (_, _, public) = fetch(&app, "/api/v1/reports", None).await;
    let public: serde_json::Value = serde_json::from_str(&public).unwrap();
    assert_eq!(public, serde_json::to_value(tallinn_report::overview(&ledger.report_facts(&Principal::Public).await.unwrap(), None)).unwrap());
    assert_ne!(public, expected, "the public sees less than a donor");
    let (_, _, dashboard) = fetch(&app, "/api/v1/public/dashboard", Some(&bearer)).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&dashboard).unwrap(), public, "the dashboard is public whoever asks");

    // Funding by a dimension, as JSON and CSV.
    let (status, _, body) = fetch(&app, "/api/v1/reports/funding?by=year&year=2025", Some(&bearer)).await;
    assert_eq!(status, StatusCode::OK);
    let table: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((table["by"].as_str(), table["year"].as_i64()), (Some("year"), Some(2025)));
    assert_eq!(table["rows"].as_array().unwrap().len(), 1);
    let (status, kind, csv) = fetch(&app, "/api/v1/reports/funding?by=capability&format=csv", Some(&bearer)).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    assert!(csv.starts_with("key,label,committed_eur,disbursed_eur,spent_eur,announced_eur,flows\n"), "{csv}");
    for section in ["coverage", "gaps", "timing", "agreements", "reconciliation"] {
        let (status, _, body) = fetch(&app, &format!("/api/v1/reports/{section}"), Some(&bearer)).await;
        assert_eq!(status, StatusCode::OK, "{section}: {body}");
        let (status, kind, _) = fetch(&app, &format!("/api/v1/reports/{section}?format=csv"), Some(&bearer)).await;
        assert_eq!((status, kind.starts_with("text/csv")), (StatusCode::OK, true), "{section}");
    }

    // Charts.
    for chart in tallinn_report::ChartKind::ALL {
        let (status, kind, svg) = fetch(&app, &format!("/api/v1/reports/charts/{}.svg", chart.as_str()), None).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/svg+xml"));
        assert!(svg.starts_with("<svg") && !svg.contains("<script"));
    }

    // Bad input: clear 4xx with the error body.
    for (uri, status, field) in [
        ("/api/v1/reports/funding?by=planet", StatusCode::BAD_REQUEST, Some("by")),
        ("/api/v1/reports/funding?format=xls", StatusCode::BAD_REQUEST, Some("format")),
        ("/api/v1/reports/funding?year=twenty", StatusCode::BAD_REQUEST, None),
        ("/api/v1/reports/funding?colour=red", StatusCode::BAD_REQUEST, None),
        ("/api/v1/reports?format=csv", StatusCode::BAD_REQUEST, Some("format")),
        ("/api/v1/reports/coverage?by=donor", StatusCode::BAD_REQUEST, None),
        ("/api/v1/reports/weather", StatusCode::NOT_FOUND, None),
        ("/api/v1/reports/charts/pie.svg", StatusCode::NOT_FOUND, None),
        ("/api/v1/reports/charts/top-gaps.png", StatusCode::NOT_FOUND, None),
    ] {
        let (got, _, body) = fetch(&app, uri, Some(&bearer)).await;
        assert_eq!(got, status, "{uri}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}");
        assert_eq!(body["error"]["field"].as_str(), field, "{uri}");
    }
}

#[tokio::test]
async fn public_iati_and_charts_name_clear_records_only() {
    let (app, ledger, _dir) = demo_app().await;
    let all = ledger.needs(&Principal::System, &Default::default()).await.unwrap();
    let (status, kind, xml) = fetch(&app, "/api/v1/public/iati.xml", None).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/xml; charset=utf-8"));
    assert!(xml.contains("<iati-activities version=\"2.03\""));
    let (_, _, gaps) = fetch(&app, "/api/v1/reports/charts/top-gaps.svg", None).await;
    let (_, _, dashboard) = fetch(&app, "/api/v1/public/dashboard", None).await;
    for n in all.iter().filter(|n| n.tlp != Tlp::Clear) {
        let id = format!("{}<", n.id);
        assert!(!xml.contains(&format!("-{id}")), "{} in the IATI file", n.id);
        assert!(!gaps.contains(&format!("{} ", n.id)), "{} on the public chart", n.id);
        assert!(!dashboard.contains(&format!("\"{}\"", n.id)), "{} on the public dashboard", n.id);
    }
    // A coordinator's report names AMBER and RED needs: those reads are logged.
    let (_, token) = ledger.create_token(Principal::System, "demo.coordinator", None).await.unwrap();
    let before = ledger.access_log(&Principal::System, 1000).await.unwrap().len();
    let (status, _, body) = fetch(&app, "/api/v1/reports/gaps", Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, StatusCode::OK);
    let named: Vec<String> =
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["top"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap().to_string()).collect();
    let confidential = all.iter().filter(|n| named.contains(&n.id.to_string()) && n.tlp.is_logged_on_read()).count();
    assert!(confidential > 0, "the demo's largest gaps include confidential needs");
    assert_eq!(ledger.access_log(&Principal::System, 1000).await.unwrap().len(), before + confidential);
}
