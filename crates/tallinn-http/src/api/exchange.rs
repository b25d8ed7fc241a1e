//! TAXII collections in the JSON API: listed for whoever may use them,
//! created by coordinators (the TAXII protocol itself has no way to create
//! one).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::Deserialize;
use tallinn_ledger::{Audience, Collection, NewCollection, Via};

use super::needs::signed_in;
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    #[schemars(regex(pattern = tallinn_core::text::NON_BLANK_PATTERN), length(max = tallinn_core::need::MAX_TITLE))]
    title: String,
    #[schemars(regex(pattern = tallinn_core::text::PATTERN))]
    description: Option<String>,
    /// A short name usable in TAXII URLs in place of the id (a-z, 0-9, '-'; not a UUID).
    #[schemars(regex(pattern = tallinn_ledger::ALIAS_PATTERN), extend("not" = { "type": "string", "pattern": tallinn_ledger::UUID_PATTERN }))]
    alias: Option<String>,
    /// "all" (every analyst, the default) or participant codes.
    read: Option<AudienceBody>,
    /// "all" (every analyst, the default) or participant codes.
    write: Option<AudienceBody>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AudienceBody {
    Word(String),
    Orgs(Vec<String>),
}

impl schemars::JsonSchema for AudienceBody {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AudienceBody".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "\"all\", or the codes of the participants admitted (at least one)",
            "oneOf": [
                { "const": "all" },
                { "type": "array", "minItems": 1, "items": { "type": "string", "pattern": tallinn_core::participant::CODE_PATTERN } }
            ]
        })
    }
}

fn audience(field: &str, body: Option<AudienceBody>) -> Result<Audience, ApiError> {
    match body {
        None => Ok(Audience::All),
        Some(AudienceBody::Word(w)) if w == "all" => Ok(Audience::All),
        Some(AudienceBody::Word(w)) => Err(ApiError::bad_request(field, &format!("'{w}': give \"all\" or a list of participant codes"))),
        Some(AudienceBody::Orgs(orgs)) if !orgs.is_empty() => Ok(Audience::Orgs(orgs)),
        Some(AudienceBody::Orgs(_)) => Err(ApiError::bad_request(field, "an empty list admits nobody; give \"all\" or participant codes")),
    }
}

/// `GET /api/v1/collections`
pub async fn list(State(s): State<AppState>, Caller(who): Caller) -> Result<Json<Vec<Collection>>, ApiError> {
    Ok(Json(s.ledger.collections(&signed_in(who)?).await?))
}

/// `POST /api/v1/collections`
pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateCollection>, JsonRejection>,
) -> Result<(StatusCode, Json<Collection>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let new = NewCollection { title: b.title, description: b.description, alias: b.alias, read: audience("read", b.read)?, write: audience("write", b.write)? };
    Ok((StatusCode::CREATED, Json(s.ledger.add_collection(who, new).await?)))
}

/// A sighting as the threat exchange lists it (the API and `/exchange`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SightingRow {
    /// The collection's alias, else its id.
    pub collection: String,
    pub id: String,
    /// The indicator sighted (`sighting_of_ref`).
    pub sighting_of: String,
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The identities where it was sighted.
    pub where_sighted: Vec<String>,
    pub tlp: tallinn_core::policy::Tlp,
}

impl SightingRow {
    pub fn from_stored(collection: &Collection, o: tallinn_ledger::StoredObject) -> SightingRow {
        let body: serde_json::Value = o.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).unwrap_or_default();
        let text = |key: &str| body[key].as_str().map(str::to_string);
        SightingRow {
            collection: collection.alias.clone().unwrap_or_else(|| collection.id.clone()),
            sighting_of: text("sighting_of_ref").unwrap_or_default(),
            count: body["count"].as_u64().unwrap_or(1),
            first_seen: text("first_seen"),
            last_seen: text("last_seen"),
            where_sighted: body["where_sighted_refs"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            tlp: o.tlp,
            id: o.id,
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SightingsQuery {
    /// Per collection, the most recent this many (default 50).
    #[schemars(range(min = 1, max = super::MAX_LIMIT))]
    limit: Option<usize>,
}

/// `GET /api/v1/sightings`: the most recent sightings of every collection the
/// caller may read, each as the caller may see it (reads of AMBER and RED
/// ones go to the access log).
pub async fn sightings(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<axum::extract::Query<SightingsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<SightingRow>>, ApiError> {
    let axum::extract::Query(q) = query?;
    let limit = super::check_limit(q.limit)?;
    let who = signed_in(who)?;
    let mut rows = Vec::new();
    for c in s.ledger.collections(&who).await? {
        if !c.can_read(&who) {
            continue;
        }
        let (collection, _, recent) = s.ledger.view(&who, Via::Api).stix_overview(&c.id, "sighting", limit).await?;
        rows.extend(recent.into_iter().map(|o| SightingRow::from_stored(&collection, o)));
    }
    Ok(Json(rows))
}
