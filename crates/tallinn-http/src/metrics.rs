//! Prometheus metrics: request counts and latency by route and status,
//! recorded through the `metrics` facade and rendered at `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process-wide recorder (installed once, on first use).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            .expect("static buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests build several
        // routers); then this one still renders what it was given.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts and times every request by its route pattern (never the raw
/// path, which would carry ids) and status.
pub async fn track(request: Request, next: Next) -> Response {
    let _ = handle();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [("method", method), ("route", route), ("status", response.status().as_u16().to_string())];
    metrics::counter!("tallinn_http_requests_total", &labels).increment(1);
    metrics::histogram!("tallinn_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: for the scraper's token (`serve --metrics-token`, sent
/// as `Authorization: Bearer …`), or a signed-in coordinator or auditor.
/// Route names and rates say how the service is used: not for the public.
pub async fn render(axum::extract::State(state): axum::extract::State<crate::AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let sent = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let scraper =
        matches!((&state.options.metrics_token, sent), (Some(token), Some(sent)) if crate::web::constant_time_eq(token.as_bytes(), sent.trim().as_bytes()));
    if !scraper {
        let caller = match <crate::auth::Caller as axum::extract::FromRequestParts<crate::AppState>>::from_request_parts(&mut parts, &state).await {
            Ok(caller) => caller.0,
            Err(e) => return e.into_response(),
        };
        if !caller.reads_everything() {
            let (status, code) = match caller {
                tallinn_core::policy::Principal::Public => (axum::http::StatusCode::UNAUTHORIZED, "unauthorized"),
                _ => (axum::http::StatusCode::FORBIDDEN, "forbidden"),
            };
            return crate::ApiError { status, code, message: "the metrics are for the scraper's token, coordinators and auditors".into(), field: None }
                .into_response();
        }
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}
