//! Pledges: the list, the form to pledge, and a pledge's page with the
//! steps of its life (commit, disburse, cancel).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_core::allocation::Allocation;
use tallinn_core::money::{Currency, Money};
use tallinn_core::need::{Capability, Sector};
use tallinn_core::pledge::{Earmarks, InKindItem, NewPledge, Pledge, PledgeStatus, ValuationMethod, kind_and_amount};
use tallinn_core::policy::{self, Tlp};

use super::form::Posted;
use super::i18n::Catalogue;
use super::needs::refuse;
use super::{FormState, Layout, Viewer, WebError, render, render_status, see_other};
use crate::AppState;

#[derive(Template)]
#[template(path = "pledges.html")]
struct PledgesPage {
    l: Layout,
    query: FormState,
    pledges: Vec<Pledge>,
    statuses: &'static [PledgeStatus],
    can_pledge: bool,
}

/// A donor's users pledge for it; the office for any donor.
fn may_pledge(viewer: &Viewer) -> bool {
    policy::work::pledges(&viewer.principal)
}

/// `GET /pledges?donor=&status=`
pub async fn list(State(s): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.signed_in("/pledges")?;
    let cat = viewer.cat;
    super::only_parameters(&q, &["donor", "status"], cat)?;
    let donor = q.get("donor").map(|d| d.trim()).filter(|d| !d.is_empty());
    let status = match q.get("status").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(v.parse::<PledgeStatus>().map_err(|_| WebError::bad_request(cat.fill("error.bad_filter", &[("field", "status"), ("value", v)])))?),
    };
    let pledges = viewer.view(&s.ledger).pledges(donor, status).await?;
    let page = PledgesPage {
        l: Layout::new(&viewer, "pledges.title", "/pledges"),
        query: FormState::new(q),
        pledges,
        statuses: PledgeStatus::ALL,
        can_pledge: may_pledge(&viewer),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "pledge.html")]
struct PledgePage {
    l: Layout,
    pledge: Pledge,
    /// In-kind items: description, quantity, unit value in the pledge's currency.
    items: Vec<(String, u32, String)>,
    allocations: Vec<Allocation>,
    /// The steps the reader may take now.
    /// (action, label key, drawn as a secondary button)
    steps: Vec<(&'static str, &'static str, bool)>,
    form: FormState,
}

async fn pledge_page(state: &AppState, viewer: &Viewer, id: &str, form: FormState, status: StatusCode, done: Option<&str>) -> Result<Response, WebError> {
    let who = viewer.signed_in(&format!("/pledges/{id}"))?.clone();
    let pledge = viewer.view(&state.ledger).pledge(id.parse()?).await?;
    let allocations = state.ledger.allocations(&who).await?.into_iter().filter(|a| a.pledge == pledge.id).collect();
    // The steps the store would accept now (`tallinn_core::policy::pledge`).
    let steps = [
        ("commit", "pledge.commit", PledgeStatus::Committed, false),
        ("disburse", "pledge.disburse", PledgeStatus::Disbursed, false),
        ("cancel", "pledge.cancel", PledgeStatus::Cancelled, true),
    ]
    .into_iter()
    .filter(|(_, _, to, _)| policy::pledge::change(&who, &pledge, *to).is_ok())
    .map(|(action, label, _, secondary)| (action, label, secondary))
    .collect();
    let l = Layout::titled(viewer, format!("{} · {}", pledge.id, pledge.title), "/pledges").with_flash(done);
    let exponent = Currency::from_code(&pledge.currency).map_or(2, |c| c.exponent());
    let items = pledge.items.iter().map(|i| (i.description.clone(), i.quantity, tallinn_core::money::format_minor(i.unit_value_minor, exponent))).collect();
    render_status(status, &PledgePage { l, pledge, items, allocations, steps, form })
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /pledges/{id}`
pub async fn detail(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>, Query(query): Query<DoneQuery>) -> Result<Response, WebError> {
    let done = query.done;
    pledge_page(&s, &viewer, &id, FormState::default(), StatusCode::OK, done.as_deref()).await
}

/// `POST /pledges/{id}/{commit|disburse|cancel}`
pub async fn act(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Posted(mut form): Posted,
) -> Result<Response, WebError> {
    let here = format!("/pledges/{id}");
    let who = viewer.check_form(form.values(), &here)?;
    let (to, done) = match action.as_str() {
        "commit" => (PledgeStatus::Committed, "pledge_committed"),
        "disburse" => (PledgeStatus::Disbursed, "pledge_disbursed"),
        "cancel" => (PledgeStatus::Cancelled, "pledge_cancelled"),
        _ => return Err(WebError::page(StatusCode::NOT_FOUND, viewer.cat.get("error.not_found").to_string())),
    };
    match s.ledger.set_pledge_status(who, id.parse()?, to).await {
        Ok(_) => Ok(see_other(&format!("{here}?done={done}"))),
        Err(e) => {
            let status = refuse(&mut form, e)?;
            pledge_page(&s, &viewer, &id, form, status, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "pledge_form.html")]
struct PledgeFormPage {
    l: Layout,
    form: FormState,
    tlps: &'static [Tlp],
    capabilities: &'static [Capability],
    sectors: &'static [Sector],
    valuations: &'static [ValuationMethod],
    item_rows: std::ops::RangeInclusive<usize>,
}

fn pledge_form_page(viewer: &Viewer, form: FormState, status: StatusCode) -> Result<Response, WebError> {
    let page = PledgeFormPage {
        l: Layout::new(viewer, "pledge_form.title", "/pledges/new"),
        form,
        tlps: Tlp::ALL,
        capabilities: Capability::ALL,
        sectors: Sector::ALL,
        valuations: ValuationMethod::ALL,
        item_rows: 1..=ITEM_ROWS,
    };
    render_status(status, &page)
}

/// `GET /pledges/new`
pub async fn new_form(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.signed_in("/pledges/new")?;
    if !may_pledge(&viewer) {
        return Err(WebError::page(StatusCode::FORBIDDEN, viewer.cat.get("error.forbidden").to_string()));
    }
    // A donor pledges for itself; the office names the donor it records for.
    let org = if policy::is_office(&viewer.principal) { String::new() } else { viewer.org().unwrap_or_default().to_string() };
    let today = s.ledger.now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    pledge_form_page(
        &viewer,
        FormState::with(&[("donor", &org), ("kind", "money"), ("currency", "EUR"), ("pledged_on", &today), ("tlp", "green"), ("valuation", "market_price")]),
        StatusCode::OK,
    )
}

/// Reads a list of vocabulary words (checkboxes of one name arrive joined).
fn words<T: std::str::FromStr>(form: &mut FormState, field: &str, cat: &'static Catalogue) -> Option<Vec<T>> {
    let mut out = Vec::new();
    for w in form.list(field) {
        match w.parse() {
            Ok(v) => out.push(v),
            Err(_) => {
                form.fail(field, cat.fill("form.not_a_word", &[("value", &w)]));
                return None;
            }
        }
    }
    Some(out)
}

fn read_pledge(form: &mut FormState, cat: &'static Catalogue) -> Option<NewPledge> {
    let donor = form.required("donor", cat.get("form.required"));
    let title = form.required("title", cat.get("form.required"));
    let tlp = form.parse::<Tlp>("tlp", cat.get("form.choose"));
    let pledged_on = form.parse::<jiff::civil::Date>("pledged_on", cat.get("form.date"));
    let currency = match Currency::from_code(form.value("currency")) {
        Ok(c) => Some(c),
        Err(e) => {
            form.fail("currency", e.message);
            None
        }
    };
    let in_kind = form.is("kind", "in_kind");
    // In kind, the amount may be left empty: the items' total.
    let amount = match currency {
        Some(_) if in_kind && form.value("amount").is_empty() => Some(None),
        Some(c) => match Money::parse("amount", form.value("amount"), c) {
            Ok(m) => Some(Some(m)),
            Err(e) => {
                form.fail("amount", e.message);
                None
            }
        },
        None => None,
    };
    let items = match currency {
        Some(c) if in_kind => read_items(form, c, cat),
        _ => Vec::new(),
    };
    let valuation = if in_kind { form.optional::<ValuationMethod>("valuation", cat.get("form.choose")).flatten() } else { None };
    let mut budget_years = Vec::new();
    for y in form.list("budget_years") {
        match y.parse::<i16>() {
            Ok(y) => budget_years.push(y),
            Err(_) => form.fail("budget_years", cat.fill("form.not_a_year", &[("value", &y)])),
        }
    }
    let capabilities = words::<Capability>(form, "capabilities", cat);
    let sectors = words::<Sector>(form, "sectors", cat);
    let beneficiaries = form.list("beneficiaries");
    let share_orgs = form.list("share_orgs");
    let share_users = form.list("share_users");
    if form.has_errors() {
        return None;
    }
    let (kind, amount, valuation) = match kind_and_amount(amount?, currency?, &items, valuation) {
        Ok(v) => v,
        Err(tallinn_core::DomainError::Invalid(e) | tallinn_core::DomainError::Refused(e)) => {
            form.fail(&e.field, e.message);
            return None;
        }
        Err(e) => {
            form.fail("amount", e.to_string());
            return None;
        }
    };
    Some(NewPledge {
        donor: donor?,
        title: title?,
        kind,
        amount,
        items,
        valuation,
        pledged_on: pledged_on?,
        budget_years,
        earmarks: Earmarks { capabilities: capabilities?, sectors: sectors?, beneficiaries },
        tlp: tlp?,
        share_orgs,
        share_users,
        synthetic: false,
    })
}

/// Rows of in-kind items the form offers (empty rows are ignored).
pub const ITEM_ROWS: usize = 5;

/// The in-kind items typed in the form's rows; each error beside its cell.
fn read_items(form: &mut FormState, currency: Currency, cat: &'static Catalogue) -> Vec<InKindItem> {
    let mut items = Vec::new();
    // Whether any row was filled in (a wrong row is not "no items").
    let mut typed = false;
    for row in 1..=ITEM_ROWS {
        let field = |name: &str| format!("item_{name}_{row}");
        let (description, quantity, unit) =
            (form.value(&field("description")).to_string(), form.value(&field("quantity")).to_string(), form.value(&field("unit_value")).to_string());
        if description.is_empty() && quantity.is_empty() && unit.is_empty() {
            continue;
        }
        typed = true;
        if description.is_empty() {
            form.fail(&field("description"), cat.get("form.required"));
        }
        let quantity = match quantity.parse::<u32>() {
            Ok(q) if q > 0 => q,
            _ => {
                form.fail(&field("quantity"), cat.get("pledge_form.quantity"));
                continue;
            }
        };
        match Money::parse("unit_value", &unit, currency) {
            Ok(m) if m.minor > 0 => items.push(InKindItem { description, quantity, unit_value_minor: m.minor }),
            Ok(_) => form.fail(&field("unit_value"), cat.get("pledge_form.unit_value")),
            Err(e) => form.fail(&field("unit_value"), e.message),
        }
    }
    if !typed {
        form.fail("item_description_1", cat.get("pledge_form.items_required"));
    }
    items
}

/// `POST /pledges/new`: records an announced pledge and shows it.
pub async fn create(State(s): State<AppState>, viewer: Viewer, Posted(mut form): Posted) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/pledges/new")?;
    let Some(pledge) = read_pledge(&mut form, viewer.cat) else {
        return pledge_form_page(&viewer, form, StatusCode::UNPROCESSABLE_ENTITY);
    };
    match s.ledger.add_pledge(who, pledge).await {
        Ok(p) => Ok(see_other(&format!("/pledges/{}?done=pledge_recorded", p.id))),
        Err(e) => {
            let status = refuse(&mut form, e)?;
            pledge_form_page(&viewer, form, status)
        }
    }
}
