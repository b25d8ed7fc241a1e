//! `/api/v1/needs`: the Catalogue as each caller may see it.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tallinn_core::need::{Capability, MAX_RESERVATION_DAYS, Need, NeedStatus, NewNeed, Sector, Urgency};
use tallinn_core::participant::{CODE_PATTERN, Panel};
use tallinn_core::policy::Principal;
use tallinn_core::review::MAX_SCORE;
use tallinn_core::review::{Decision, NewReview};
use tallinn_core::text::{NON_BLANK_PATTERN, PATTERN as TEXT_PATTERN};
use tallinn_ledger::{Keyset, NeedFilter, TriageDecision, Via};

use super::{Page, check_limit, decode_cursor, encode_cursor};
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<NeedStatus>,
    capability: Option<Capability>,
    sector: Option<Sector>,
    urgency: Option<Urgency>,
    #[schemars(regex(pattern = CODE_PATTERN))]
    beneficiary: Option<String>,
    sort: Option<super::Sort>,
    #[schemars(range(min = 1, max = super::MAX_LIMIT))]
    limit: Option<usize>,
    #[schemars(regex(pattern = super::CURSOR_PATTERN))]
    cursor: Option<String>,
}

/// `GET /api/v1/needs`
pub async fn list(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Page<Need>>, ApiError> {
    let Query(q) = query?;
    let limit = check_limit(q.limit)?;
    let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
    super::code_filter("beneficiary", q.beneficiary.as_deref())?;
    let filter = NeedFilter { status: q.status, capability: q.capability, sector: q.sector, urgency: q.urgency, beneficiary: q.beneficiary };
    let oldest_first = q.sort == Some(super::Sort::Oldest);
    let (items, next) = s.ledger.view(&who, Via::Api).needs_page(&filter, &Keyset { after: before, limit, oldest_first }).await?;
    Ok(Json(Page { items, next_cursor: next.map(encode_cursor) }))
}

/// `GET /api/v1/needs/{id}`
pub async fn get(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Need>, ApiError> {
    Ok(Json(s.ledger.view(&who, Via::Api).need(id.parse()?).await?))
}

/// Writes need a signed-in caller; the store decides what each role may do.
pub fn signed_in(who: Principal) -> Result<Principal, ApiError> {
    match who {
        Principal::Public => {
            Err(ApiError { status: StatusCode::UNAUTHORIZED, code: "unauthorized", message: "sign in to change the ledger".into(), field: None })
        }
        other => Ok(other),
    }
}

/// `POST /api/v1/needs`: files a draft. The body is a `NewNeed` as JSON.
pub async fn create(State(s): State<AppState>, Caller(who): Caller, body: Result<Json<NewNeed>, JsonRejection>) -> Result<(StatusCode, Json<Need>), ApiError> {
    let who = signed_in(who)?;
    let Json(need) = body?;
    Ok((StatusCode::CREATED, Json(s.ledger.add_need(who, need).await?)))
}

/// `POST /api/v1/needs/{id}/submit`
pub async fn submit(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Need>, ApiError> {
    Ok(Json(s.ledger.submit_need(signed_in(who)?, id.parse()?).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Triage {
    Accept,
    Reject,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("if" = { "properties": { "decision": { "const": "reject" } } }, "then" = { "required": ["comment"], "properties": { "comment": { "pattern": NON_BLANK_PATTERN } } }))]
pub struct TriageBody {
    decision: Triage,
    /// Required, saying why, for a rejection.
    #[serde(default)]
    #[schemars(regex(pattern = TEXT_PATTERN))]
    comment: String,
}

/// `POST /api/v1/needs/{id}/triage`: to the technical panel, or rejected.
pub async fn triage(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<TriageBody>, JsonRejection>,
) -> Result<Json<Need>, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let decision = match b.decision {
        Triage::Accept => TriageDecision::Accept,
        Triage::Reject => TriageDecision::Reject,
    };
    Ok(Json(s.ledger.triage_need(who, id.parse()?, decision, &b.comment).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("allOf" = [
    { "if": { "properties": { "conflict_of_interest": { "const": true } }, "required": ["conflict_of_interest"] },
      "then": { "properties": { "decision": { "const": "abstain" } } } },
    { "if": { "properties": { "decision": { "const": "reject" } } },
      "then": { "required": ["comment"], "properties": { "comment": { "pattern": NON_BLANK_PATTERN } } } },
    { "if": { "properties": { "panel": { "const": "technical" }, "decision": { "enum": ["approve", "reject"] } } },
      "then": { "required": ["feasibility", "relevance"],
                "properties": { "feasibility": { "type": "integer" }, "relevance": { "type": "integer" }, "importance": { "type": "null" } } } },
    { "if": { "properties": { "panel": { "const": "strategic" }, "decision": { "enum": ["approve", "reject"] } } },
      "then": { "required": ["importance"],
                "properties": { "importance": { "type": "integer" }, "feasibility": { "type": "null" }, "relevance": { "type": "null" } } } }
]))]
pub struct ReviewBody {
    panel: Panel,
    decision: Decision,
    /// The technical panel's scores (0-5), unless abstaining.
    #[serde(default, deserialize_with = "tallinn_core::integer::optional")]
    #[schemars(range(max = MAX_SCORE))]
    feasibility: Option<u8>,
    #[serde(default, deserialize_with = "tallinn_core::integer::optional")]
    #[schemars(range(max = MAX_SCORE))]
    relevance: Option<u8>,
    /// The strategic panel's score (0-5), unless abstaining.
    #[serde(default, deserialize_with = "tallinn_core::integer::optional")]
    #[schemars(range(max = MAX_SCORE))]
    importance: Option<u8>,
    /// Required, saying why, for a rejection.
    #[serde(default)]
    #[schemars(regex(pattern = TEXT_PATTERN))]
    comment: String,
    #[serde(default)]
    conflict_of_interest: bool,
}

/// `POST /api/v1/needs/{id}/reviews`: a panel member's review.
pub async fn review(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Json<Need>, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let review = NewReview {
        panel: b.panel,
        decision: b.decision,
        feasibility: b.feasibility,
        relevance: b.relevance,
        importance: b.importance,
        comment: b.comment,
        conflict_of_interest: b.conflict_of_interest,
    };
    Ok(Json(s.ledger.review_need(who, id.parse()?, review).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveBody {
    /// Default: the caller's organisation.
    #[schemars(regex(pattern = CODE_PATTERN))]
    donor: Option<String>,
    #[serde(default, deserialize_with = "tallinn_core::integer::optional")]
    #[schemars(range(min = 1, max = MAX_RESERVATION_DAYS))]
    days: Option<i64>,
}

/// `POST /api/v1/needs/{id}/reservation`
pub async fn reserve(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<ReserveBody>, JsonRejection>,
) -> Result<Json<Need>, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let donor = match (&b.donor, &who) {
        (Some(d), _) => d.clone(),
        (None, Principal::User { org, .. }) => org.clone(),
        (None, _) => return Err(ApiError::bad_request("donor", "name the donor organisation")),
    };
    Ok(Json(s.ledger.reserve_need(who, id.parse()?, &donor, b.days).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    #[schemars(regex(pattern = TEXT_PATTERN))]
    reason: String,
}

/// `POST /api/v1/needs/{id}/withdraw`
pub async fn withdraw(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<WithdrawBody>, JsonRejection>,
) -> Result<Json<Need>, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    Ok(Json(s.ledger.withdraw_need(who, id.parse()?, &b.reason).await?))
}

/// `GET /api/v1/needs/{id}/history`: every stamped lifecycle step.
pub async fn history(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<tallinn_core::need::NeedTransition>>, ApiError> {
    Ok(Json(s.ledger.view(&who, Via::Api).need_history(id.parse()?).await?))
}

/// `GET /api/v1/needs/{id}/reviews`: the panels' reviews.
pub async fn reviews(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Vec<tallinn_core::review::Review>>, ApiError> {
    Ok(Json(s.ledger.view(&who, Via::Api).need_reviews(id.parse()?).await?))
}

/// `GET /api/v1/needs/{id}/relations`: duplicate/complementary verdicts.
pub async fn relations(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<tallinn_core::need::NeedRelation>>, ApiError> {
    Ok(Json(s.ledger.view(&who, Via::Api).need_relations(id.parse()?).await?))
}
