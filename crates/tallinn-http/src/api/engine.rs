//! The allocation engine, gap analysis and deconfliction over HTTP.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tallinn_allocate::gaps::GapRow;
use tallinn_core::allocation::Allocation;
use tallinn_core::need::Relation;
use tallinn_ledger::{Duplicates, Proposal, gap_by};

use super::needs::signed_in;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// `POST /api/v1/allocation-proposals`: runs the engine over the ledger.
pub async fn propose(State(s): State<AppState>, Caller(who): Caller) -> Result<(StatusCode, Json<Proposal>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.ledger.propose_allocations(signed_in(who)?).await?)))
}

/// `GET /api/v1/allocation-proposals`
pub async fn proposals(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<super::PageQuery>, QueryRejection>,
) -> Result<Json<super::Page<Proposal>>, ApiError> {
    let Query(q) = query?;
    Ok(Json(super::paginate(s.ledger.proposals(&signed_in(who)?).await?, |p| p.id.key(), q.sort, q.cursor.as_deref(), q.limit)?))
}

/// `GET /api/v1/allocation-proposals/{id}`
pub async fn proposal(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Proposal>, ApiError> {
    Ok(Json(s.ledger.proposal(&signed_in(who)?, id.parse()?).await?))
}

/// `POST /api/v1/allocation-proposals/{id}/apply`: all lines or none.
pub async fn apply(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Vec<Allocation>>, ApiError> {
    Ok(Json(s.ledger.apply_proposal(signed_in(who)?, id.parse()?).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GapsQuery {
    #[schemars(extend("enum" = tallinn_ledger::GAP_BY_WORDS))]
    by: Option<String>,
}

/// `GET /api/v1/gaps?by=need|capability|sector|beneficiary|urgency`
pub async fn gaps(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<GapsQuery>, QueryRejection>) -> Result<Json<Vec<GapRow>>, ApiError> {
    let Query(q) = query?;
    let by = gap_by(q.by.as_deref().unwrap_or("need"))?;
    Ok(Json(s.ledger.view(&who, tallinn_ledger::Via::Api).gaps(by).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    #[schemars(range(min = 0, max = 1))]
    threshold: Option<f64>,
}

/// `GET /api/v1/duplicates?threshold=0.65`
pub async fn duplicates(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<DuplicatesQuery>, QueryRejection>,
) -> Result<Json<Duplicates>, ApiError> {
    let Query(q) = query?;
    let threshold = q.threshold.unwrap_or(tallinn_allocate::dedup::DEFAULT_THRESHOLD);
    let who = signed_in(who)?;
    Ok(Json(s.ledger.view(&who, tallinn_ledger::Via::Api).duplicates(threshold).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationBody {
    /// The other need's id; not the need in the path.
    #[schemars(regex(pattern = tallinn_core::id::Kind::Need.pattern()))]
    other: String,
    relation: Relation,
    #[serde(default)]
    #[schemars(regex(pattern = tallinn_core::text::PATTERN))]
    note: String,
}

/// `POST /api/v1/needs/{id}/relations`: a coordinator's verdict on a pair.
pub async fn relate(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<RelationBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    s.ledger.relate_needs(who, id.parse()?, b.other.parse()?, b.relation, &b.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/threat-factors`: each sector's sightings in the last 30
/// days and the threat factor they give its needs (from sightings every
/// participant may read, so the same for every caller).
pub async fn threat_factors(State(s): State<AppState>) -> Result<Json<Vec<tallinn_core::threat::SectorThreat>>, ApiError> {
    Ok(Json(s.ledger.threat_by_sector().await?))
}
