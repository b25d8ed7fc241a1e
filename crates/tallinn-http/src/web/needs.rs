//! The Catalogue (`/needs`), a need's page with the actions its reader may
//! take, the form to file a need, and the panels' review queue.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_core::NeedId;
use tallinn_core::allocation::Allocation;
use tallinn_core::money::parse_minor;
use tallinn_core::need::{Capability, Need, NeedRelation, NeedStatus, NeedTransition, NewNeed, Sector, Urgency};
use tallinn_core::participant::{Panel, ParticipantKind, Role};
use tallinn_core::policy::{self, Principal, Tlp};
use tallinn_core::project::{NewDeliveryItem, NewProject, Project};
use tallinn_core::review::{Decision, NewReview, Review};
use tallinn_core::transaction::Transaction;
use tallinn_ledger::{Listed, NeedFilter, NeedOrder, NeedSearch, TransactionFilter, TriageDecision};

use super::form::Posted;
use super::home::panel_of;
use super::i18n::Catalogue;
use super::{FormState, Layout, Viewer, WebError, render, render_status, see_other};
use crate::AppState;

/// Needs per page of the Catalogue.
pub const PAGE_SIZE: usize = 25;

#[derive(Template)]
#[template(path = "needs.html")]
struct CataloguePage {
    l: Layout,
    query: FormState,
    needs: Vec<Need>,
    total: usize,
    page: usize,
    pages: usize,
    prev_href: Option<String>,
    next_href: Option<String>,
    statuses: &'static [NeedStatus],
    capabilities: &'static [Capability],
    sectors: &'static [Sector],
    urgencies: &'static [Urgency],
    sorts: &'static [(&'static str, NeedOrder)],
}

/// Reads one vocabulary word of the query string; a word outside the
/// vocabulary is a 400 naming it.
fn word<T: std::str::FromStr>(q: &HashMap<String, String>, key: &str, cat: &'static Catalogue) -> Result<Option<T>, WebError> {
    match q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| WebError::bad_request(cat.fill("error.bad_filter", &[("field", key), ("value", v)]))),
    }
}

/// `GET /needs`: filters, search, sort and pages over what the reader may see.
pub async fn catalogue(State(s): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let cat = viewer.cat;
    super::only_parameters(&q, &["q", "status", "capability", "sector", "urgency", "beneficiary", "sort", "page"], cat)?;
    let filter = NeedFilter {
        status: word(&q, "status", cat)?,
        capability: word(&q, "capability", cat)?,
        sector: word(&q, "sector", cat)?,
        urgency: word(&q, "urgency", cat)?,
        beneficiary: q.get("beneficiary").map(|b| b.trim().to_string()).filter(|b| !b.is_empty()),
    };
    let sort = q.get("sort").map(String::as_str).filter(|s| !s.is_empty()).unwrap_or("newest");
    let order = NeedOrder::named(sort).ok_or_else(|| WebError::bad_request(cat.fill("error.bad_filter", &[("field", "sort"), ("value", sort)])))?;
    let page: usize = match q.get("page").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p.parse().ok().filter(|p| *p >= 1).ok_or_else(|| WebError::bad_request(cat.fill("error.bad_filter", &[("field", "page"), ("value", p)])))?,
    };
    let search = NeedSearch { text: q.get("q").cloned().unwrap_or_default(), order, page, page_size: PAGE_SIZE };
    let Listed { items: shown, total } = viewer.view(&s.ledger).needs_search(&filter, &search).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let link = |p: usize| {
        let mut params: Vec<(&str, &str)> = q.iter().filter(|(k, v)| k.as_str() != "page" && !v.is_empty()).map(|(k, v)| (k.as_str(), v.as_str())).collect();
        params.sort();
        let page = p.to_string();
        params.push(("page", &page));
        format!("/needs?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    };
    let prev_href = (page > 1).then(|| link(page - 1));
    let next_href = (page < pages).then(|| link(page + 1));
    let mut query = FormState::new(q.clone());
    if !query.values().contains_key("sort") {
        query = FormState::new(q.into_iter().chain([("sort".to_string(), "newest".to_string())]).collect());
    }
    render(&CataloguePage {
        l: Layout::new(&viewer, "needs.title", "/needs"),
        query,
        needs: shown,
        total,
        page,
        pages,
        prev_href,
        next_href,
        statuses: NeedStatus::ALL,
        capabilities: Capability::ALL,
        sectors: Sector::ALL,
        urgencies: Urgency::ALL,
        sorts: NeedOrder::ALL,
    })
}

/// What the reader may do with a need now (the store checks again).
#[derive(Debug, Default)]
struct Actions {
    /// Edit the draft, then submit it.
    submit: bool,
    triage: bool,
    review: Option<Panel>,
    reserve: bool,
    withdraw: bool,
    /// Start a project delivering the funded need: (code, name) of each
    /// implementer to choose from; empty when not offered.
    start_project: Vec<(String, String)>,
}

impl Actions {
    fn any(&self) -> bool {
        self.submit || self.triage || self.review.is_some() || self.reserve || self.withdraw || !self.start_project.is_empty()
    }
}

#[derive(Template)]
#[template(path = "need.html")]
struct NeedPage {
    l: Layout,
    need: Need,
    reviews: Vec<Review>,
    history: Vec<NeedTransition>,
    relations: Vec<NeedRelation>,
    allocations: Vec<Allocation>,
    transactions: Vec<Transaction>,
    projects: Vec<Project>,
    actions: Actions,
    /// The form that was refused, and which action it was.
    form: FormState,
    failed: String,
    decisions: &'static [Decision],
    delivery_rows: std::ops::RangeInclusive<usize>,
    /// The threat factor of the need's sector, and the sightings behind it.
    threat: tallinn_core::threat::SectorThreat,
}

/// What the viewer may do to `need` now: exactly what the store would
/// accept, asked of the same rules (`tallinn_core::policy::need`).
async fn actions_for(state: &AppState, viewer: &Viewer, need: &Need) -> Result<Actions, WebError> {
    let who = &viewer.principal;
    let Principal::User { org, role, .. } = who else { return Ok(Actions::default()) };
    let sits_on = if *role == Role::Reviewer { panel_of(state, viewer).await? } else { None };
    let review = [Panel::Technical, Panel::Strategic].into_iter().find(|&panel| policy::need::review(who, sits_on, panel, need).is_ok());
    // A donor reserves for itself; the office for the donor it names (the
    // one holding the need, if any).
    let donor = need.reservation.as_ref().and_then(|r| r.donor.as_deref()).filter(|_| policy::is_office(who)).unwrap_or(org);
    Ok(Actions {
        submit: policy::need::submit(who, need).is_ok(),
        triage: policy::need::triage(who, need).is_ok(),
        review,
        reserve: policy::need::reserve(who, need, donor).is_ok(),
        withdraw: policy::need::withdraw(who, need).is_ok(),
        start_project: if policy::project::start(who).is_ok() && need.status == NeedStatus::Funded {
            state.ledger.participants().await?.into_iter().filter(|p| p.kind == ParticipantKind::Implementer).map(|p| (p.code, p.name)).collect()
        } else {
            Vec::new()
        },
    })
}

async fn need_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: FormState,
    failed: &str,
    status: StatusCode,
    done: Option<&str>,
) -> Result<Response, WebError> {
    let who = &viewer.principal;
    let tallinn_ledger::NeedDetails { need, history, reviews, relations } = viewer.view(&state.ledger).need_details(id.parse()?).await?;
    let allocations: Vec<Allocation> = state.ledger.allocations(who).await?.into_iter().filter(|a| a.need == need.id).collect();
    let transactions = state.ledger.transactions(who, &TransactionFilter { need: Some(need.id), ..Default::default() }).await?;
    let projects: Vec<Project> = state.ledger.projects(who).await?.into_iter().filter(|p| p.need == need.id).collect();
    let actions = actions_for(state, viewer, &need).await?;
    let threat = state.ledger.threat_factors().await?.remove(&need.sector).unwrap_or(tallinn_core::threat::SectorThreat::new(need.sector, 0));
    let l = Layout::titled(viewer, format!("{} · {}", need.id, need.title), "/needs").with_flash(done);
    let page = NeedPage {
        l,
        need,
        reviews,
        history,
        relations,
        allocations,
        transactions,
        projects,
        actions,
        form,
        failed: failed.to_string(),
        decisions: Decision::ALL,
        delivery_rows: 1..=DELIVERY_ROWS,
        threat,
    };
    render_status(status, &page)
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /needs/{id}`
pub async fn detail(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>, Query(query): Query<DoneQuery>) -> Result<Response, WebError> {
    let done = query.done;
    need_page(&s, &viewer, &id, FormState::default(), "", StatusCode::OK, done.as_deref()).await
}

/// A store error on a form: beside its field when it names one (else at the
/// top of the form), with the status the API would give.
pub fn refuse(form: &mut FormState, e: tallinn_ledger::StoreError) -> Result<StatusCode, WebError> {
    let api = crate::ApiError::from(e);
    if api.status.is_server_error() {
        return Err(api.into());
    }
    form.fail(api.field.as_deref().unwrap_or("form"), api.message);
    Ok(api.status)
}

/// `POST /needs/{id}/{action}`: submit, triage, review, reserve, withdraw.
pub async fn act(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Posted(mut form): Posted,
) -> Result<Response, WebError> {
    let here = format!("/needs/{id}");
    let who = viewer.check_form(form.values(), &here)?;
    let key: NeedId = id.parse()?;
    let cat = viewer.cat;
    let result = match action.as_str() {
        "submit" => Some(s.ledger.submit_need(who, key).await.map(|_| "need_submitted")),
        "triage" => match form.parse::<String>("decision", cat.get("form.choose")).as_deref() {
            Some("accept") => Some(s.ledger.triage_need(who, key, TriageDecision::Accept, form.value("comment")).await.map(|_| "need_triaged")),
            Some("reject") => Some(s.ledger.triage_need(who, key, TriageDecision::Reject, form.value("comment")).await.map(|_| "need_rejected")),
            _ => {
                form.fail("decision", cat.get("form.choose"));
                None
            }
        },
        "review" => {
            let panel = form.parse::<Panel>("panel", cat.get("form.choose"));
            let decision = form.parse::<Decision>("decision", cat.get("form.choose"));
            let score = cat.get("review.score_range");
            let feasibility = form.optional::<u8>("feasibility", score);
            let relevance = form.optional::<u8>("relevance", score);
            let importance = form.optional::<u8>("importance", score);
            match (panel, decision, feasibility, relevance, importance) {
                (Some(panel), Some(decision), Some(feasibility), Some(relevance), Some(importance)) => {
                    let review = NewReview {
                        panel,
                        decision,
                        feasibility,
                        relevance,
                        importance,
                        comment: form.value("comment").to_string(),
                        conflict_of_interest: form.checked("conflict_of_interest"),
                    };
                    Some(s.ledger.review_need(who, key, review).await.map(|_| "review_recorded"))
                }
                _ => None,
            }
        }
        "reserve" => match form.optional::<i64>("days", cat.get("form.whole_days")) {
            Some(days) => {
                let donor = viewer.org().unwrap_or_default().to_string();
                let donor = if form.value("donor").is_empty() { donor } else { form.value("donor").to_string() };
                Some(s.ledger.reserve_need(who, key, &donor, days).await.map(|_| "need_reserved"))
            }
            None => None,
        },
        "withdraw" => match form.required("reason", cat.get("need.reason_required")) {
            Some(reason) => Some(s.ledger.withdraw_need(who, key, &reason).await.map(|_| "need_withdrawn")),
            None => None,
        },
        "project" => match read_project(&mut form, &id, cat) {
            // The project page is where its delivery is followed.
            Some(project) => match s.ledger.add_project(who, project).await {
                Ok(p) => return Ok(see_other(&format!("/projects?done=project_started#project-{}", p.id))),
                Err(e) => Some(Err(e)),
            },
            None => None,
        },
        _ => return Err(WebError::page(StatusCode::NOT_FOUND, cat.get("error.not_found").to_string())),
    };
    let status = match result {
        Some(Ok(done)) => return Ok(see_other(&format!("{here}?done={done}"))),
        Some(Err(e)) => refuse(&mut form, e)?,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    need_page(&s, &viewer, &id, form, &action, status, None).await
}

/// Rows of delivery items the project form offers (empty rows are ignored).
pub const DELIVERY_ROWS: usize = 3;

/// The project form of a funded need: implementer, title, delivery items.
fn read_project(form: &mut FormState, need: &str, cat: &'static Catalogue) -> Option<NewProject> {
    let implementer = form.required("implementer", cat.get("form.choose"));
    let title = form.required("project_title", cat.get("form.required"));
    let mut items = Vec::new();
    for row in 1..=DELIVERY_ROWS {
        let (d, q) = (format!("delivery_description_{row}"), format!("delivery_quantity_{row}"));
        let description = form.value(&d).to_string();
        if description.is_empty() && form.value(&q).is_empty() {
            continue;
        }
        if description.is_empty() {
            form.fail(&d, cat.get("form.required"));
        }
        match form.value(&q).parse::<u32>() {
            Ok(quantity) if quantity > 0 => items.push(NewDeliveryItem { description, quantity }),
            _ => form.fail(&q, cat.get("pledge_form.quantity")),
        }
    }
    let need = match need.parse::<NeedId>() {
        Ok(key) => key,
        Err(e) => {
            form.fail("form", e.message);
            return None;
        }
    };
    if form.has_errors() {
        return None;
    }
    Some(NewProject { need, implementer: implementer?, title: title?, items, synthetic: false })
}

#[derive(Template)]
#[template(path = "need_form.html")]
struct NeedFormPage {
    l: Layout,
    form: FormState,
    /// Where the form posts: `/needs/new`, or `/needs/{id}/edit`.
    action: String,
    editing: bool,
    capabilities: &'static [Capability],
    sectors: &'static [Sector],
    urgencies: &'static [Urgency],
    tlps: &'static [Tlp],
}

fn need_form_page(viewer: &Viewer, form: FormState, status: StatusCode) -> Result<Response, WebError> {
    need_form(viewer, form, status, None)
}

/// The need form: a new need, or (`editing`) the draft `id`.
fn need_form(viewer: &Viewer, form: FormState, status: StatusCode, editing: Option<&str>) -> Result<Response, WebError> {
    let (l, action) = match editing {
        None => (Layout::new(viewer, "need_form.title", "/needs/new"), "/needs/new".to_string()),
        Some(id) => (Layout::titled(viewer, viewer.cat.fill("need_form.edit_title", &[("id", id)]), "/needs"), format!("/needs/{id}/edit")),
    };
    let page = NeedFormPage {
        l,
        form,
        action,
        editing: editing.is_some(),
        capabilities: Capability::ALL,
        sectors: Sector::ALL,
        urgencies: Urgency::ALL,
        tlps: Tlp::ALL,
    };
    render_status(status, &page)
}

/// `GET /needs/new`
pub async fn new_form(viewer: Viewer) -> Result<Response, WebError> {
    viewer.signed_in("/needs/new")?;
    if !policy::work::files_needs(&viewer.principal) {
        return Err(WebError::page(StatusCode::FORBIDDEN, viewer.cat.get("error.forbidden").to_string()));
    }
    // An institution files for itself; the office names the institution it files for.
    let org = if policy::is_office(&viewer.principal) { String::new() } else { viewer.org().unwrap_or_default().to_string() };
    need_form_page(&viewer, FormState::with(&[("beneficiary", &org), ("urgency", "medium"), ("tlp", "amber"), ("divisible", "on")]), StatusCode::OK)
}

/// Reads the need form; `None` when a field is wrong (each error recorded).
fn read_need(form: &mut FormState, cat: &'static Catalogue) -> Option<NewNeed> {
    let choose = cat.get("form.choose");
    let beneficiary = form.required("beneficiary", cat.get("form.required"));
    let title = form.required("title", cat.get("form.required"));
    let capability = form.parse::<Capability>("capability", choose);
    let sector = form.parse::<Sector>("sector", choose);
    let urgency = form.parse::<Urgency>("urgency", choose);
    let tlp = form.parse::<Tlp>("tlp", choose);
    let deadline = form.optional::<jiff::civil::Date>("deadline", cat.get("form.date"));
    let cost = match parse_minor("cost_eur", form.value("cost_eur"), 2) {
        Ok(c) => Some(c),
        Err(e) => {
            form.fail("cost_eur", e.message);
            None
        }
    };
    Some(NewNeed {
        beneficiary: beneficiary?,
        title: title?,
        description: form.raw("description").trim().to_string(),
        capability: capability?,
        sector: sector?,
        urgency: urgency?,
        cost_eur_minor: cost?,
        divisible: form.checked("divisible"),
        deadline: deadline?,
        tlp: tlp?,
        share_orgs: form.list("share_orgs"),
        share_users: form.list("share_users"),
        tags: form.list("tags"),
        synthetic: false,
    })
}

/// `POST /needs/new`: files a draft and shows it.
pub async fn create(State(s): State<AppState>, viewer: Viewer, Posted(mut form): Posted) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/needs/new")?;
    let Some(need) = read_need(&mut form, viewer.cat) else {
        return need_form_page(&viewer, form, StatusCode::UNPROCESSABLE_ENTITY);
    };
    match s.ledger.add_need(who, need).await {
        Ok(need) => Ok(see_other(&format!("/needs/{}?done=need_filed", need.id))),
        Err(e) => {
            let status = refuse(&mut form, e)?;
            need_form_page(&viewer, form, status)
        }
    }
}

/// A need's fields as the form shows them.
fn form_of(need: &Need) -> FormState {
    let cost = tallinn_core::money::format_minor(need.cost_eur_minor, 2);
    let deadline = need.deadline.map(|d| d.to_string()).unwrap_or_default();
    let (orgs, users, tags) = (need.share_orgs.join(", "), need.share_users.join(", "), need.tags.join(", "));
    FormState::with(&[
        ("beneficiary", &need.beneficiary),
        ("title", &need.title),
        ("description", &need.description),
        ("capability", need.capability.as_str()),
        ("sector", need.sector.as_str()),
        ("urgency", need.urgency.as_str()),
        ("cost_eur", &cost),
        ("divisible", if need.divisible { "on" } else { "" }),
        ("deadline", &deadline),
        ("tlp", need.tlp.as_str()),
        ("share_orgs", &orgs),
        ("share_users", &users),
        ("tags", &tags),
    ])
}

/// `GET /needs/{id}/edit`: the draft in the need form.
pub async fn edit_form(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    viewer.signed_in(&format!("/needs/{id}/edit"))?;
    let need = viewer.view(&s.ledger).need(id.parse()?).await?;
    need_form(&viewer, form_of(&need), StatusCode::OK, Some(&need.id.to_string()))
}

/// `POST /needs/{id}/edit`: rewrites the draft, or shows the form again.
pub async fn amend(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>, Posted(mut form): Posted) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), &format!("/needs/{id}/edit"))?;
    let Some(need) = read_need(&mut form, viewer.cat) else {
        return need_form(&viewer, form, StatusCode::UNPROCESSABLE_ENTITY, Some(&id));
    };
    match s.ledger.amend_need(who, id.parse()?, need).await {
        Ok(need) => Ok(see_other(&format!("/needs/{}?done=need_amended", need.id))),
        Err(e) => {
            let status = refuse(&mut form, e)?;
            need_form(&viewer, form, status, Some(&id))
        }
    }
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewQueuePage {
    l: Layout,
    /// (heading key, needs) per stage the reader acts on.
    queues: Vec<(&'static str, Vec<Need>)>,
}

/// `GET /reviews`: needs waiting for the reader's panel (reviewers) or for
/// triage (coordinators).
pub async fn review_queue(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.signed_in("/reviews")?;
    let stages: Vec<(&'static str, NeedStatus)> = match viewer.role() {
        Some(Role::Coordinator) => vec![
            ("reviews.triage", NeedStatus::Submitted),
            ("reviews.technical", NeedStatus::TechnicalReview),
            ("reviews.strategic", NeedStatus::StrategicReview),
        ],
        Some(Role::Reviewer) => match panel_of(&s, &viewer).await? {
            Some(Panel::Technical) => vec![("reviews.technical", NeedStatus::TechnicalReview)],
            Some(Panel::Strategic) => vec![("reviews.strategic", NeedStatus::StrategicReview)],
            None => vec![],
        },
        _ => return Err(WebError::page(StatusCode::FORBIDDEN, viewer.cat.get("error.forbidden").to_string())),
    };
    let mut queues = Vec::new();
    for (key, status) in stages {
        queues.push((key, viewer.view(&s.ledger).needs(&NeedFilter { status: Some(status), ..Default::default() }).await?));
    }
    render(&ReviewQueuePage { l: Layout::new(&viewer, "reviews.title", "/reviews"), queues })
}
