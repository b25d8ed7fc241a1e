//! `/exchange`: the threat exchange at a glance: the collections the reader
//! may use, what each holds by type and TLP (latest versions, only what the
//! reader may see), and the most recent sightings.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_core::participant::Role;
use tallinn_core::policy::Tlp;
use tallinn_store::{Collection, ObjectCount};

use super::{Layout, Viewer, WebError, log_reads, render};
use crate::AppState;

/// Sightings shown per collection.
const RECENT: usize = 10;

pub struct CollectionView {
    pub collection: Collection,
    pub counts: Vec<ObjectCount>,
    pub total: i64,
    pub sightings: Vec<crate::api::exchange::SightingRow>,
    pub can_write: bool,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    l: Layout,
    collections: Vec<CollectionView>,
}

/// `GET /exchange` (analysts, the office, auditors).
pub async fn overview(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let who = viewer.signed_in("/exchange")?.clone();
    if !matches!(viewer.role(), Some(Role::Analyst | Role::Coordinator | Role::Auditor)) {
        return Err(WebError::page(StatusCode::FORBIDDEN, viewer.cat.get("error.forbidden").to_string()));
    }
    let mut collections = Vec::new();
    let mut read = Vec::new();
    for c in s.ledger.collections(&who).await? {
        if !c.can_read(&who) {
            continue;
        }
        let (collection, counts, recent) = s.ledger.stix_overview(&who, &c.id, "sighting", RECENT).await?;
        let sightings: Vec<_> = recent.into_iter().map(|o| crate::api::exchange::SightingRow::from_stored(&collection, o)).collect();
        read.extend(sightings.iter().map(|x| (x.id.clone(), x.tlp)));
        let total = counts.iter().map(|c| c.count).sum();
        let can_write = collection.can_write(&who);
        collections.push(CollectionView { collection, counts, total, sightings, can_write });
    }
    let records: Vec<(&str, &str, Tlp)> = read.iter().map(|(id, tlp)| ("stix", id.as_str(), *tlp)).collect();
    log_reads(&s, &viewer, &records).await?;
    render(&ExchangePage { l: Layout::new(&viewer, "exchange.title", "/exchange"), collections })
}
