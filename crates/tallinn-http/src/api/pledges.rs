//! `/api/v1/pledges` and `/api/v1/allocations`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::Deserialize;
use tallinn_core::allocation::Allocation;
use tallinn_core::id::Kind;
use tallinn_core::money::{Currency, Money, POSITIVE_AMOUNT_PATTERN, POSITIVE_WHOLE_AMOUNT_PATTERN, parse_minor};
use tallinn_core::need::MAX_TITLE;
use tallinn_core::need::{Capability, Sector};
use tallinn_core::participant::{CODE_PATTERN, USER_NAME_PATTERN};
use tallinn_core::pledge::{Earmarks, InKindItem, NewPledge, Pledge, PledgeStatus, ValuationMethod, kind_and_amount};
use tallinn_core::pledge::{MAX_BUDGET_YEAR, MAX_ITEM_QUANTITY, MAX_ITEMS, MIN_BUDGET_YEAR, UNIT_VALUE_PATTERN, WHOLE_UNIT_VALUE_PATTERN};
use tallinn_core::policy::Tlp;
use tallinn_core::text::NON_BLANK_PATTERN;
use tallinn_ledger::Via;
use tallinn_ledger::{AllocationLine, StoreError};

use super::needs::signed_in;
use super::{Page, PageQuery, Sort, paginate};
use crate::auth::Caller;
use crate::{ApiError, AppState};

fn invalid(field: &str, message: String) -> ApiError {
    ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, field: Some(field.into()) }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[schemars(regex(pattern = CODE_PATTERN))]
    donor: Option<String>,
    status: Option<PledgeStatus>,
    sort: Option<Sort>,
    #[schemars(range(min = 1, max = super::MAX_LIMIT))]
    limit: Option<usize>,
    #[schemars(regex(pattern = super::CURSOR_PATTERN))]
    cursor: Option<String>,
}

/// `GET /api/v1/pledges`
pub async fn list(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Page<Pledge>>, ApiError> {
    let Query(q) = query?;
    let donor = super::code_filter("donor", q.donor.as_deref())?;
    let page = super::keyset(q.sort, q.cursor.as_deref(), q.limit)?;
    let (items, next) = s.ledger.view(&who, Via::Api).pledges_page(donor, q.status, &page).await?;
    Ok(Json(Page { items, next_cursor: next.map(super::encode_cursor) }))
}

/// `GET /api/v1/pledges/{id}`
pub async fn get(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Pledge>, ApiError> {
    Ok(Json(s.ledger.view(&who, Via::Api).pledge(id.parse()?).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("allOf" = [
    { "if": { "properties": { "items": { "maxItems": 0 } } },
      "then": { "required": ["amount"], "properties": { "amount": { "type": "string" }, "valuation": { "type": "null" } } },
      "else": { "properties": { "amount": { "type": "null" } } } },
    { "if": { "properties": { "currency": { "enum": super::whole_currencies() } }, "required": ["currency"] },
      "then": { "properties": { "amount": { "pattern": POSITIVE_WHOLE_AMOUNT_PATTERN },
                                "items": { "items": { "properties": { "unit_value": { "pattern": WHOLE_UNIT_VALUE_PATTERN } } } } } } }
]))]
pub struct CreatePledge {
    #[schemars(regex(pattern = CODE_PATTERN))]
    donor: String,
    #[schemars(regex(pattern = NON_BLANK_PATTERN), length(max = MAX_TITLE))]
    title: String,
    /// In `currency`, e.g. "500000.00". Required for money; for in-kind help
    /// it may be left out (the items' total) and, if given, must equal it.
    #[schemars(regex(pattern = POSITIVE_AMOUNT_PATTERN))]
    amount: Option<String>,
    #[serde(default = "eur")]
    #[schemars(schema_with = "super::currency_schema")]
    currency: String,
    /// In-kind help: what is given. Listing items makes an in-kind pledge.
    #[serde(default)]
    #[schemars(length(max = MAX_ITEMS))]
    items: Vec<CreateItem>,
    /// How in-kind help is valued (default `market_price`).
    valuation: Option<ValuationMethod>,
    pledged_on: Date,
    #[serde(default, deserialize_with = "tallinn_core::integer::list")]
    #[schemars(inner(range(min = MIN_BUDGET_YEAR, max = MAX_BUDGET_YEAR)))]
    budget_years: Vec<i16>,
    #[serde(default)]
    capabilities: Vec<Capability>,
    #[serde(default)]
    sectors: Vec<Sector>,
    #[serde(default)]
    #[schemars(inner(regex(pattern = CODE_PATTERN)))]
    beneficiaries: Vec<String>,
    tlp: Tlp,
    #[serde(default)]
    #[schemars(inner(regex(pattern = CODE_PATTERN)))]
    share_orgs: Vec<String>,
    /// Users who may read a RED or AMBER+STRICT pledge (the recording user
    /// always may).
    #[serde(default)]
    #[schemars(inner(regex(pattern = USER_NAME_PATTERN)))]
    share_users: Vec<String>,
}

/// One line of in-kind help.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItem {
    #[schemars(regex(pattern = NON_BLANK_PATTERN))]
    description: String,
    #[serde(deserialize_with = "tallinn_core::integer::one")]
    #[schemars(range(min = 1, max = MAX_ITEM_QUANTITY))]
    quantity: u32,
    /// Value of one unit in the pledge's currency, e.g. "1500.00".
    #[schemars(regex(pattern = UNIT_VALUE_PATTERN))]
    unit_value: String,
}

fn eur() -> String {
    "EUR".into()
}

/// `POST /api/v1/pledges`: records a pledge, of money or in kind, as announced.
pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<CreatePledge>, JsonRejection>,
) -> Result<(StatusCode, Json<Pledge>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let currency = Currency::from_code(&b.currency).map_err(|e| invalid("currency", e.message))?;
    let amount = b.amount.as_deref().map(|a| Money::parse("amount", a, currency).map_err(|e| invalid("amount", e.message))).transpose()?;
    let mut items = Vec::with_capacity(b.items.len());
    for (i, item) in b.items.into_iter().enumerate() {
        let unit = Money::parse("unit_value", &item.unit_value, currency).map_err(|e| invalid("items", format!("item {}: {}", i + 1, e.message)))?;
        items.push(InKindItem { description: item.description, quantity: item.quantity, unit_value_minor: unit.minor });
    }
    let (kind, amount, valuation) = kind_and_amount(amount, currency, &items, b.valuation).map_err(|e| ApiError::from(StoreError::from(e)))?;
    let pledge = NewPledge {
        donor: b.donor,
        title: b.title,
        kind,
        amount,
        items,
        valuation,
        pledged_on: b.pledged_on,
        budget_years: b.budget_years,
        earmarks: Earmarks { capabilities: b.capabilities, sectors: b.sectors, beneficiaries: b.beneficiaries },
        tlp: b.tlp,
        share_orgs: b.share_orgs,
        share_users: b.share_users,
        synthetic: false,
    };
    Ok((StatusCode::CREATED, Json(s.ledger.add_pledge(who, pledge).await?)))
}

async fn step(s: AppState, who: tallinn_core::policy::Principal, id: &str, to: PledgeStatus) -> Result<Json<Pledge>, ApiError> {
    Ok(Json(s.ledger.set_pledge_status(signed_in(who)?, id.parse()?, to).await?))
}

/// `POST /api/v1/pledges/{id}/commit`
pub async fn commit(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Pledge>, ApiError> {
    step(s, who, &id, PledgeStatus::Committed).await
}

/// `POST /api/v1/pledges/{id}/disburse`
pub async fn disburse(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Pledge>, ApiError> {
    step(s, who, &id, PledgeStatus::Disbursed).await
}

/// `POST /api/v1/pledges/{id}/cancel`
pub async fn cancel(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Pledge>, ApiError> {
    step(s, who, &id, PledgeStatus::Cancelled).await
}

/// `GET /api/v1/allocations`: those whose need and pledge the caller may both see.
pub async fn allocations(
    State(s): State<AppState>,
    Caller(who): Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Page<Allocation>>, ApiError> {
    let Query(q) = query?;
    Ok(Json(paginate(s.ledger.allocations(&who).await?, |a| a.id.key(), q.sort, q.cursor.as_deref(), q.limit)?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationLineBody {
    #[schemars(regex(pattern = Kind::Pledge.pattern()))]
    pledge: String,
    #[schemars(regex(pattern = Kind::Need.pattern()))]
    need: String,
    #[schemars(regex(pattern = POSITIVE_AMOUNT_PATTERN))]
    amount_eur: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateBody {
    #[schemars(length(min = 1))]
    lines: Vec<AllocationLineBody>,
}

/// `POST /api/v1/allocations`: one or more lines, all or nothing.
pub async fn allocate(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Result<Json<AllocateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Vec<Allocation>>), ApiError> {
    let who = signed_in(who)?;
    let Json(b) = body?;
    let lines = b
        .lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let field = |f: &str| format!("lines[{i}].{f}");
            Ok(AllocationLine {
                pledge: l.pledge.parse().map_err(|e: tallinn_core::FieldError| invalid(&field("pledge"), e.message))?,
                need: l.need.parse().map_err(|e: tallinn_core::FieldError| invalid(&field("need"), e.message))?,
                amount_eur_minor: parse_minor("amount_eur", &l.amount_eur, 2).map_err(|e| invalid(&field("amount_eur"), e.message))?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((StatusCode::CREATED, Json(s.ledger.allocate(who, &lines).await?)))
}

/// `GET /api/v1/allocations/{id}`
pub async fn allocation(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Allocation>, ApiError> {
    Ok(Json(s.ledger.allocation(&who, id.parse()?).await?))
}
