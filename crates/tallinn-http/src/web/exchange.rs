//! `/exchange`: the threat exchange at a glance: the collections the reader
//! may use, what each holds by type and TLP (latest versions, only what the
//! reader may see), and the most recent sightings.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_core::policy::Tlp;
use tallinn_ledger::{Collection, ObjectCount};

use super::{Layout, Viewer, WebError, render};
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
    /// The indicator search: what was asked, and what matched.
    q: String,
    found: Vec<Found>,
}

/// An indicator the search found.
pub struct Found {
    pub collection: String,
    pub id: String,
    pub name: String,
    pub pattern: String,
    pub tlp: Tlp,
}

/// Indicators listed for one search, at most.
const FOUND: usize = 50;

/// The indicators of a collection the reader may see whose name or pattern
/// contains `q` (case-insensitive), as the search lists them.
async fn search(view: &tallinn_ledger::View<'_>, c: &Collection, q: &str, found: &mut Vec<Found>) -> Result<(), WebError> {
    for o in view.find_indicators(&c.id, q, FOUND - found.len()).await.map_err(crate::ApiError::from)? {
        let body: serde_json::Value = o.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default();
        let (name, pattern) = (body["name"].as_str().unwrap_or_default(), body["pattern"].as_str().unwrap_or_default());
        let collection = c.alias.clone().unwrap_or_else(|| c.id.clone());
        found.push(Found { collection, id: o.id, name: name.to_string(), pattern: pattern.to_string(), tlp: o.tlp });
    }
    Ok(())
}

/// `GET /exchange?q=` (analysts, the office, auditors).
pub async fn overview(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let who = viewer.signed_in("/exchange")?.clone();
    if !tallinn_core::policy::work::uses_exchange(&who) {
        return Err(WebError::page(StatusCode::FORBIDDEN, viewer.cat.get("error.forbidden").to_string()));
    }
    super::only_parameters(&params, &["q"], viewer.cat)?;
    let q = params.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let mut found = Vec::new();
    let mut collections = Vec::new();
    let view = viewer.view(&s.ledger);
    for c in s.ledger.collections(&who).await? {
        if !c.can_read(&who) {
            continue;
        }
        if !q.is_empty() && found.len() < FOUND {
            search(&view, &c, &q, &mut found).await?;
        }
        let (collection, counts, recent) = view.stix_overview(&c.id, "sighting", RECENT).await?;
        let sightings: Vec<_> = recent.into_iter().map(|o| crate::api::exchange::SightingRow::from_stored(&collection, o)).collect();
        let total = counts.iter().map(|c| c.count).sum();
        let can_write = collection.can_write(&who);
        collections.push(CollectionView { collection, counts, total, sightings, can_write });
    }
    render(&ExchangePage { l: Layout::new(&viewer, "exchange.title", "/exchange"), collections, q, found })
}
