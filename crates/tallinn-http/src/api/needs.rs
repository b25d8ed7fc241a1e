//! `/api/v1/needs`: the Catalogue as each caller may see it.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tallinn_core::need::{Capability, Need, NeedStatus, Sector, Urgency};
use tallinn_store::NeedFilter;

use super::{Page, check_limit, decode_cursor, encode_cursor};
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<NeedStatus>,
    capability: Option<Capability>,
    sector: Option<Sector>,
    urgency: Option<Urgency>,
    beneficiary: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /api/v1/needs`
pub async fn list(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Page<Need>>, ApiError> {
    let Query(q) = query?;
    let limit = check_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = NeedFilter { status: q.status, capability: q.capability, sector: q.sector, urgency: q.urgency, beneficiary: q.beneficiary };
    let (items, next) = s.ledger.needs_page(&who, &filter, before, limit).await?;
    let read: Vec<(&str, &str, _)> = items.iter().map(|n| ("need", n.id.as_str(), n.tlp)).collect();
    s.ledger.log_access(&who, "api", &read).await?;
    Ok(Json(Page { items, next_cursor: next.map(encode_cursor) }))
}

/// `GET /api/v1/needs/{id}`
pub async fn get(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Need>, ApiError> {
    let need = s.ledger.need(&who, &id).await?;
    s.ledger.log_access(&who, "api", &[("need", need.id.as_str(), need.tlp)]).await?;
    Ok(Json(need))
}
