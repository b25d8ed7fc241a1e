//! Transactions, projects, agreements, and the audit and access logs.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::Deserialize;
use tallinn_core::agreement::{Agreement, AgreementDomain, AgreementStatus, NewAgreement};
use tallinn_core::audit::AuditEntry;
use tallinn_core::id::Kind;
use tallinn_core::money::{Currency, Money};
use tallinn_core::money::{POSITIVE_AMOUNT_PATTERN, POSITIVE_WHOLE_AMOUNT_PATTERN};
use tallinn_core::need::MAX_TITLE;
use tallinn_core::participant::CODE_PATTERN;
use tallinn_core::project::{NewDeliveryItem, NewProject, Project};
use tallinn_core::text::{NON_BLANK_PATTERN, PATTERN as TEXT_PATTERN};
use tallinn_core::transaction::{NewTransaction, Transaction, TransactionKind};
use tallinn_ledger::{AccessEntry, TransactionFilter};

use super::needs::signed_in;
use super::{Page, PageQuery, Sort, paginate};
use crate::auth::Caller;
use crate::{ApiError, AppState};

fn invalid(field: &str, message: String) -> ApiError {
    ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, field: Some(field.into()) }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionsQuery {
    kind: Option<TransactionKind>,
    year: Option<i16>,
    sort: Option<Sort>,
    #[schemars(range(min = 1, max = super::MAX_LIMIT))]
    limit: Option<usize>,
    #[schemars(regex(pattern = super::CURSOR_PATTERN))]
    cursor: Option<String>,
}

/// `GET /api/v1/transactions`
pub async fn transactions(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<TransactionsQuery>, QueryRejection>,
) -> Result<Json<Page<Transaction>>, ApiError> {
    let Query(q) = query?;
    let all = s.ledger.transactions(&who, &TransactionFilter { kind: q.kind, year: q.year, need: None, limit: None }).await?;
    Ok(Json(paginate(all, |t| t.id.key(), q.sort, q.cursor.as_deref(), q.limit)?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("if" = { "properties": { "currency": { "enum": super::whole_currencies() } }, "required": ["currency"] },
                  "then" = { "properties": { "amount": { "pattern": POSITIVE_WHOLE_AMOUNT_PATTERN } } }))]
pub struct CreateTransaction {
    kind: TransactionKind,
    /// Provider and receiver differ.
    #[schemars(regex(pattern = CODE_PATTERN))]
    provider: String,
    #[schemars(regex(pattern = CODE_PATTERN))]
    receiver: String,
    value_date: Date,
    #[schemars(regex(pattern = POSITIVE_AMOUNT_PATTERN))]
    amount: String,
    #[serde(default = "eur")]
    #[schemars(schema_with = "super::currency_schema")]
    currency: String,
    #[schemars(regex(pattern = Kind::Pledge.pattern()))]
    pledge: Option<String>,
    #[schemars(regex(pattern = Kind::Need.pattern()))]
    need: Option<String>,
    #[schemars(regex(pattern = Kind::Transaction.pattern()))]
    pass_through_of: Option<String>,
    #[serde(default)]
    #[schemars(regex(pattern = TEXT_PATTERN))]
    description: String,
}

fn eur() -> String {
    "EUR".into()
}

/// `POST /api/v1/transactions`
pub async fn create_transaction(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateTransaction>, JsonRejection>,
) -> Result<(StatusCode, Json<Transaction>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let currency = Currency::from_code(&b.currency).map_err(|e| invalid("currency", e.message))?;
    fn reference<T: std::str::FromStr<Err = tallinn_core::FieldError>>(field: &str, v: Option<String>) -> Result<Option<T>, ApiError> {
        v.map(|v| v.parse().map_err(|e: tallinn_core::FieldError| invalid(field, e.message))).transpose()
    }
    let t = NewTransaction {
        kind: b.kind,
        provider: b.provider,
        receiver: b.receiver,
        value_date: b.value_date,
        amount: Money::parse("amount", &b.amount, currency).map_err(|e| invalid("amount", e.message))?,
        pledge: reference("pledge", b.pledge)?,
        need: reference("need", b.need)?,
        pass_through_of: reference("pass_through_of", b.pass_through_of)?,
        description: b.description,
        synthetic: false,
    };
    Ok((StatusCode::CREATED, Json(s.ledger.add_transaction(who, t).await?)))
}

/// `GET /api/v1/projects`: those whose need the caller may see.
pub async fn projects(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<Project>>, ApiError> {
    let Query(q) = query?;
    Ok(Json(paginate(s.ledger.projects(&who).await?, |p| p.id.key(), q.sort, q.cursor.as_deref(), q.limit)?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    #[schemars(regex(pattern = Kind::Need.pattern()))]
    need: String,
    #[schemars(regex(pattern = CODE_PATTERN))]
    implementer: String,
    #[schemars(regex(pattern = NON_BLANK_PATTERN), length(max = MAX_TITLE))]
    title: String,
    #[serde(default)]
    items: Vec<NewDeliveryItem>,
}

/// `POST /api/v1/projects`: delivery of a funded need.
pub async fn create_project(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateProject>, JsonRejection>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let need = b.need.parse().map_err(|e: tallinn_core::FieldError| invalid("need", e.message))?;
    let p = NewProject { need, implementer: b.implementer, title: b.title, items: b.items, synthetic: false };
    Ok((StatusCode::CREATED, Json(s.ledger.add_project(who, p).await?)))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    #[schemars(regex(pattern = NON_BLANK_PATTERN))]
    title: String,
    due: Option<Date>,
}

/// `POST /api/v1/projects/{id}/milestones`
pub async fn add_milestone(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<MilestoneBody>, JsonRejection>,
) -> Result<Json<Project>, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    Ok(Json(s.ledger.add_milestone(who, id.parse()?, &b.title, b.due).await?))
}

/// `POST /api/v1/projects/{id}/milestones/{milestone}/complete`
pub async fn complete_milestone(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, milestone)): Path<(String, String)>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(s.ledger.complete_milestone(signed_in(who)?, id.parse()?, milestone.parse()?).await?))
}

/// `POST /api/v1/projects/{id}/deliver`
pub async fn deliver(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Project>, ApiError> {
    Ok(Json(s.ledger.deliver_project(signed_in(who)?, id.parse()?).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// What was received.
    #[schemars(regex(pattern = NON_BLANK_PATTERN))]
    statement: String,
}

/// `POST /api/v1/projects/{id}/accept`: the beneficiary's sealed acceptance.
pub async fn accept(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Result<Json<AcceptBody>, JsonRejection>,
) -> Result<Json<Project>, ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    Ok(Json(s.ledger.accept_project(who, id.parse()?, &b.statement).await?))
}

/// `GET /api/v1/agreements`
pub async fn agreements(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<Agreement>>, ApiError> {
    let Query(q) = query?;
    Ok(Json(paginate(s.ledger.agreements(&who).await?, |a| a.id.key(), q.sort, q.cursor.as_deref(), q.limit)?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("if" = { "properties": { "status": { "const": "negotiating" } } },
                  "then" = { "properties": { "signed_on": { "type": "null" } } },
                  "else" = { "required": ["signed_on"], "properties": { "signed_on": { "type": "string" } } }))]
pub struct CreateAgreement {
    #[schemars(regex(pattern = NON_BLANK_PATTERN), length(max = MAX_TITLE))]
    title: String,
    /// At least two participant codes.
    #[schemars(length(min = 2), inner(regex(pattern = CODE_PATTERN)))]
    parties: Vec<String>,
    domain: AgreementDomain,
    /// Required once signed; absent while negotiating.
    signed_on: Option<Date>,
    status: AgreementStatus,
    #[serde(default)]
    #[schemars(inner(regex(pattern = Kind::Pledge.pattern())))]
    pledges: Vec<String>,
}

/// `POST /api/v1/agreements`
pub async fn create_agreement(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreateAgreement>, JsonRejection>,
) -> Result<(StatusCode, Json<Agreement>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let pledges = b.pledges.iter().map(|p| p.parse().map_err(|e: tallinn_core::FieldError| invalid("pledges", e.message))).collect::<Result<_, _>>()?;
    let a = NewAgreement { title: b.title, parties: b.parties, domain: b.domain, signed_on: b.signed_on, status: b.status, pledges, synthetic: false };
    Ok((StatusCode::CREATED, Json(s.ledger.add_agreement(who, a).await?)))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    #[schemars(range(min = 1, max = super::MAX_LIMIT))]
    limit: Option<usize>,
    /// Only entries about this kind of record (need, pledge, …).
    #[schemars(regex(pattern = TEXT_PATTERN))]
    entity: Option<String>,
    /// Continue after this page.
    #[schemars(regex(pattern = super::CURSOR_PATTERN))]
    cursor: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessLogQuery {
    #[schemars(range(min = 1, max = super::MAX_LIMIT))]
    limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[schemars(regex(pattern = super::CURSOR_PATTERN))]
    cursor: Option<String>,
}

/// `GET /api/v1/audit-log` (auditors and coordinators)
pub async fn audit_log(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let Query(q) = query?;
    let limit = super::check_limit(q.limit)?;
    let before = q.cursor.as_deref().map(super::decode_cursor).transpose()?;
    let items = s.ledger.audit_page(&signed_in(who)?, limit as i64, q.entity.as_deref(), before).await?;
    let next_cursor = (items.len() == limit).then(|| items.last().map(|e| super::encode_cursor(e.seq))).flatten();
    Ok(Json(Page { items, next_cursor }))
}

/// `GET /api/v1/access-log` (auditors and coordinators)
pub async fn access_log(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<AccessLogQuery>, QueryRejection>,
) -> Result<Json<Page<AccessEntry>>, ApiError> {
    let Query(q) = query?;
    let limit = super::check_limit(q.limit)?;
    let before = q.cursor.as_deref().map(super::decode_cursor).transpose()?;
    // One more than asked tells whether another page follows.
    let mut items = s.ledger.access_page(&signed_in(who)?, limit as i64 + 1, before).await?;
    let next_cursor = (items.len() > limit).then(|| super::encode_cursor(items[limit - 1].seq));
    items.truncate(limit);
    Ok(Json(Page { items, next_cursor }))
}

/// `GET /api/v1/transactions/{id}`
pub async fn transaction(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Transaction>, ApiError> {
    Ok(Json(s.ledger.transaction(&who, id.parse()?).await?))
}

/// `GET /api/v1/projects/{id}`
pub async fn project(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Project>, ApiError> {
    Ok(Json(s.ledger.project(&who, id.parse()?).await?))
}

/// `GET /api/v1/agreements/{id}`
pub async fn agreement(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Agreement>, ApiError> {
    Ok(Json(s.ledger.agreement(&who, id.parse()?).await?))
}
