//! The HTTP surface of Tallinn.
//!
//! Health checks, the public dashboard page and public read API (as
//! `Principal::Public`: TLP:CLEAR only), and the authenticated API
//! (`Authorization: Bearer`, Basic, or a session cookie with its CSRF
//! token for writes), every read through the one
//! visibility policy; what a caller is shown is read through the ledger's
//! `View` (`Via::Api`, `Via::Web`, `Via::Taxii`), which writes confidential
//! reads to the access log (ADR 0025).
//!
//! # Modules
//!
//! `server` (the connection loop: header timeout, connection limits per address and in all),
//! `input` (the text rule applied to every request before routing), `headers` (security headers on
//! every response); the axum router: `auth` (the `Caller` extractor: Bearer tokens, Basic with
//! Argon2 on the blocking pool and a keyed cache of verified credentials, else the public), `api/*`
//! (authenticated JSON API: `needs` — list with stateless keyset cursors, get, create, one action
//! per lifecycle step; `engine` — proposals, apply, gaps, duplicates, verdicts; `reports` — figures
//! as JSON or CSV, SVG charts, the public dashboard and IATI file), `public_api`
//! (TLP:CLEAR only), `error` (the JSON error contract, including query and body rejections; HTML
//! pages outside `/api/`); `openapi` (the OpenAPI 3.1 document from one table of operations,
//! schemas derived with `schemars` from the very types the handlers read and answer with — the
//! domain crates derive them behind their `schema` feature — and its HTML rendering at
//! `/api/docs`); `metrics`; `taxii/*` (the TAXII 2.1 resources: `media` — Accept/Content-Type rules
//! —, `query` — filters, limit, the cursor —, `error` — the TAXII error resource for every error
//! under `/taxii2/` —, `handlers`, which write envelopes from the stored JSON texts without
//! re-serialising them); `web/*`
//! (the web interface: askama templates in `templates/` compiled into the binary, the stylesheet in
//! `assets/` embedded; `session` — the `Viewer` extractor (session cookie only) and the CSRF
//! checks: every form posts the session's token, the sign-in form a random value also set in its
//! own SameSite=Strict cookie —; `form` — a posted form as `FormState`: the text typed and the
//! error per field, so that a refused form comes back as typed with each error beside its field —;
//! `i18n` — every user-facing string in `locales/{en,uk,fr}.json`, looked up by key with English as
//! the fallback, vocabulary words through `group.word` keys —; `language` — `/language/{lang}`, the
//! reader's choice kept in a cookie —; one module per area: `dashboard`, `login`, `home`, `needs`
//! (Catalogue, need page and its actions — including starting the project of a funded need —, need
//! form, review queues), `pledges` (money and in-kind), `allocation`, `registers` (projects and
//! their milestones, agreements, participants, audit and access logs), `exchange` (collections,
//! objects by type and TLP, recent sightings). Pages read the ledger as their reader through the
//! same store calls as the API, so the one policy decides; what a page shows is read through
//! `Viewer::view`, so reads of AMBER/RED records go to the access log with `via = web`; a successful POST answers 303 to the page that shows its result;
//! errors made outside the handlers — an unreadable query, a wrong method — get the HTML error
//! page; ADR 0008). Layers: request ids, body limit (1 MiB for the API; TAXII reads envelopes up to
//! its own `max_content_length`), timeout, tracing.

mod api;
mod auth;
mod error;
mod headers;

pub use headers::CONTENT_SECURITY_POLICY;
pub mod api_reference;
mod input;
mod metrics;
pub mod openapi;
mod public_api;
pub mod server;
pub mod taxii;
pub mod web;

use axum::Router;
use axum::routing::get;
use tallinn_ledger::Ledger;

pub use error::ApiError;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Ledger,
    pub credentials: auth::Credentials,
    pub options: Options,
    /// The installation's key for the sign-in form's CSRF value, read from
    /// the store once.
    pub login_key: std::sync::Arc<tokio::sync::OnceCell<[u8; 32]>>,
}

/// How the server is deployed.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Mark session cookies `Secure` (the public address is https).
    pub secure_cookies: bool,
    /// The address clients reach the server at (`https://tallinn.example`),
    /// for absolute URLs such as TAXII's API roots; else the request's `Host`.
    pub public_url: Option<String>,
    /// Proxies (nginx in front of several servers) whose `X-Forwarded-For`
    /// names the client, for sign-in limits and the connection limits.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token a Prometheus scraper sends for `/metrics` (without
    /// it, only coordinators and auditors read them).
    pub metrics_token: Option<String>,
}

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub fn router(ledger: Ledger) -> Router {
    router_with(ledger, Options::default())
}

pub fn router_with(ledger: Ledger, options: Options) -> Router {
    let https = options.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
    let state = AppState { ledger, credentials: Default::default(), options, login_key: Default::default() };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::render))
        .route("/readyz", get(public_api::ready))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/docs", get(openapi::docs))
        // Every API operation, from the table its OpenAPI document is built from.
        .merge(openapi::routes())
        // TAXII envelopes have their own, larger limit (and error form).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(web::routes())
        .merge(taxii::routes())
        .fallback(error::not_found)
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        // Spans name the method, the path and the request id, never the query
        // string (which may carry filters and ids a log reader should not).
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                })
                // A 503 is the store being away, logged once per outage by
                // the store's availability guard, not once per request.
                .on_failure(|failure: tower_http::classify::ServerErrorsFailureClass, latency: std::time::Duration, _: &tracing::Span| {
                    if !matches!(failure, tower_http::classify::ServerErrorsFailureClass::StatusCode(s) if s == axum::http::StatusCode::SERVICE_UNAVAILABLE) {
                        tracing::error!(classification = %failure, latency = ?latency, "response failed");
                    }
                }),
        )
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn(input::guard))
        .layer(axum::middleware::from_fn(error::uri_limit))
        // A panic in one request answers 500 (logged) instead of ending the
        // connection's task; none is known, and input-driven recursion is
        // bounded everywhere (ADR 0011), since a stack overflow cannot be caught.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        // Outside the body limit and timeout, so that it also gives their
        // errors the JSON body (headers, such as the request id, are kept).
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(axum::middleware::map_response_with_state(
            https,
            |axum::extract::State(https): axum::extract::State<bool>, mut response: axum::response::Response| async move {
                headers::add(&mut response, https);
                response
            },
        ))
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(tower_http::request_id::MakeRequestUuid))
        // Request ids are the server's own: a client's is dropped before a
        // new one is made, so logs cannot be forged or confused by it.
        .layer(axum::middleware::map_request(|mut request: axum::extract::Request| async move {
            request.headers_mut().remove("x-request-id");
            request
        }))
}
