//! The HTTP surface of Tallinn.
//!
//! This first slice serves what anyone may see without signing in: health
//! checks, the public dashboard page and the public read API — all through
//! the one visibility policy as `Principal::Public`, so only TLP:CLEAR
//! records appear. Accounts, the full API, TAXII and the role pages build on
//! this router.

mod error;
mod pages;
mod public_api;

use axum::Router;
use axum::routing::get;
use tallinn_store::Ledger;

pub use error::ApiError;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Ledger,
}

pub fn router(ledger: Ledger) -> Router {
    let state = AppState { ledger };
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(public_api::ready))
        .route("/api/v1/public/summary", get(public_api::summary))
        .route("/api/v1/public/needs", get(public_api::needs))
        .route("/api/v1/participants", get(public_api::participants))
        .route("/api/v1/announcements", get(public_api::announcements))
        .fallback(error::not_found)
        .with_state(state)
}
