//! `/api/v1/pledges` and `/api/v1/allocations`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::Deserialize;
use tallinn_core::allocation::Allocation;
use tallinn_core::id::Kind;
use tallinn_core::money::{Currency, Money, parse_minor};
use tallinn_core::need::{Capability, Sector};
use tallinn_core::pledge::{Earmarks, InKindItem, NewPledge, Pledge, PledgeStatus, ValuationMethod, kind_and_amount};
use tallinn_core::policy::Tlp;
use tallinn_store::{AllocationLine, StoreError};

use super::needs::signed_in;
use super::{Page, PageQuery, Sort, key_of, paginate};
use crate::auth::Caller;
use crate::{ApiError, AppState};

fn invalid(field: &str, message: String) -> ApiError {
    ApiError { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, field: Some(field.into()) }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    donor: Option<String>,
    status: Option<PledgeStatus>,
    sort: Option<Sort>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /api/v1/pledges`
pub async fn list(State(s): State<AppState>, Caller(who): Caller, query: Result<Query<ListQuery>, QueryRejection>) -> Result<Json<Page<Pledge>>, ApiError> {
    let Query(q) = query?;
    let pledges = s.ledger.pledges(&who, q.donor.as_deref(), q.status).await?;
    let page = paginate(pledges, |p| key_of(&p.id), q.sort, q.cursor.as_deref(), q.limit)?;
    let read: Vec<(&str, &str, _)> = page.items.iter().map(|p| ("pledge", p.id.as_str(), p.tlp)).collect();
    s.ledger.log_access(&who, "api", &read).await?;
    Ok(Json(page))
}

/// `GET /api/v1/pledges/{id}`
pub async fn get(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Pledge>, ApiError> {
    let pledge = s.ledger.pledge(&who, &id).await?;
    s.ledger.log_access(&who, "api", &[("pledge", pledge.id.as_str(), pledge.tlp)]).await?;
    Ok(Json(pledge))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePledge {
    donor: String,
    title: String,
    /// In `currency`, e.g. "500000.00". Required for money; for in-kind help
    /// it may be left out (the items' total) and, if given, must equal it.
    amount: Option<String>,
    #[serde(default = "eur")]
    currency: String,
    /// In-kind help: what is given. Listing items makes an in-kind pledge.
    #[serde(default)]
    items: Vec<CreateItem>,
    /// How in-kind help is valued (default `market_price`).
    valuation: Option<ValuationMethod>,
    pledged_on: Date,
    #[serde(default)]
    budget_years: Vec<i16>,
    #[serde(default)]
    capabilities: Vec<Capability>,
    #[serde(default)]
    sectors: Vec<Sector>,
    #[serde(default)]
    beneficiaries: Vec<String>,
    tlp: Tlp,
    #[serde(default)]
    share_orgs: Vec<String>,
    /// Users who may read a RED or AMBER+STRICT pledge (the recording user
    /// always may).
    #[serde(default)]
    share_users: Vec<String>,
}

/// One line of in-kind help.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItem {
    description: String,
    quantity: u32,
    /// Value of one unit in the pledge's currency, e.g. "1500.00".
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
    Ok(Json(s.ledger.set_pledge_status(signed_in(who)?, id, to).await?))
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
    Ok(Json(paginate(s.ledger.allocations(&who).await?, |a| key_of(&a.id), q.sort, q.cursor.as_deref(), q.limit)?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationLineBody {
    pledge: String,
    need: String,
    amount_eur: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocateBody {
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
                pledge: Kind::Pledge.display(Kind::Pledge.parse(&l.pledge).map_err(|e| invalid(&field("pledge"), e.message))?),
                need: Kind::Need.display(Kind::Need.parse(&l.need).map_err(|e| invalid(&field("need"), e.message))?),
                amount_eur_minor: parse_minor("amount_eur", &l.amount_eur, 2).map_err(|e| invalid(&field("amount_eur"), e.message))?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((StatusCode::CREATED, Json(s.ledger.allocate(who, &lines).await?)))
}

/// `GET /api/v1/allocations/{id}`
pub async fn allocation(State(s): State<AppState>, Caller(who): Caller, Path(id): Path<String>) -> Result<Json<Allocation>, ApiError> {
    Ok(Json(s.ledger.allocation(&who, &id).await?))
}
