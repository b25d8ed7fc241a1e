//! `/exchange`: the threat exchange at a glance: the collections the reader
//! may use, what each holds by type and TLP (latest versions, only what the
//! reader may see), and the most recent sightings.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_core::participant::Role;
use tallinn_core::policy::Tlp;
use tallinn_ledger::{Collection, ObjectCount};

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
/// contains `q` (case-insensitive): read through the same store call as
/// TAXII, so the policy decides every row.
async fn search(s: &AppState, who: &tallinn_core::policy::Principal, c: &Collection, q: &str, found: &mut Vec<Found>) -> Result<(), WebError> {
    let needle = q.to_lowercase();
    let mut query = tallinn_ledger::ObjectQuery { types: vec!["indicator".into()], limit: 1_000, ..Default::default() };
    loop {
        let (_, page) = s.ledger.stix_objects(who, &c.id, &query, None, true).await.map_err(crate::ApiError::from)?;
        for o in &page.items {
            let body: serde_json::Value = o.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default();
            let (name, pattern) = (body["name"].as_str().unwrap_or_default(), body["pattern"].as_str().unwrap_or_default());
            if found.len() < FOUND && (name.to_lowercase().contains(&needle) || pattern.to_lowercase().contains(&needle)) {
                let collection = c.alias.clone().unwrap_or_else(|| c.id.clone());
                found.push(Found { collection, id: o.id.clone(), name: name.to_string(), pattern: pattern.to_string(), tlp: o.tlp });
            }
        }
        match page.items.last() {
            Some(last) if page.more && found.len() < FOUND => query.after = Some(last.date_added),
            _ => return Ok(()),
        }
    }
}

/// `GET /exchange?q=` (analysts, the office, auditors).
pub async fn overview(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let who = viewer.signed_in("/exchange")?.clone();
    if !matches!(viewer.role(), Some(Role::Analyst | Role::Coordinator | Role::Auditor)) {
        return Err(WebError::page(StatusCode::FORBIDDEN, viewer.cat.get("error.forbidden").to_string()));
    }
    super::only_parameters(&params, &["q"], viewer.cat)?;
    let q = params.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let mut found = Vec::new();
    let mut collections = Vec::new();
    let mut read = Vec::new();
    for c in s.ledger.collections(&who).await? {
        if !c.can_read(&who) {
            continue;
        }
        if !q.is_empty() {
            search(&s, &who, &c, &q, &mut found).await?;
        }
        let (collection, counts, recent) = s.ledger.stix_overview(&who, &c.id, "sighting", RECENT).await?;
        let sightings: Vec<_> = recent.into_iter().map(|o| crate::api::exchange::SightingRow::from_stored(&collection, o)).collect();
        read.extend(sightings.iter().map(|x| (x.id.clone(), x.tlp)));
        let total = counts.iter().map(|c| c.count).sum();
        let can_write = collection.can_write(&who);
        collections.push(CollectionView { collection, counts, total, sightings, can_write });
    }
    read.extend(found.iter().map(|f| (f.id.clone(), f.tlp)));
    let records: Vec<(&str, &str, Tlp)> = read.iter().map(|(id, tlp)| ("stix", id.as_str(), *tlp)).collect();
    log_reads(&s, &viewer, &records).await?;
    render(&ExchangePage { l: Layout::new(&viewer, "exchange.title", "/exchange"), collections, q, found })
}
