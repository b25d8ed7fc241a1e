//! The allocation engine in the browser: run it over the ledger, read the
//! proposal (every line with its reason, the gap that remains), apply it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_ledger::Proposal;

use super::form::Posted;
use super::needs::refuse;
use super::{FormState, Layout, Viewer, WebError, render_status, see_other};
use crate::AppState;

#[derive(Template)]
#[template(path = "allocation.html")]
struct ProposalsPage {
    l: Layout,
    proposals: Vec<Proposal>,
    can_run: bool,
    form: FormState,
}

fn may_run(viewer: &Viewer) -> bool {
    viewer.role().is_some() && tallinn_core::policy::admin::run_engine(&viewer.principal).is_ok()
}

async fn proposals_page(state: &AppState, viewer: &Viewer, form: FormState, status: StatusCode) -> Result<Response, WebError> {
    let who = viewer.signed_in("/allocation")?.clone();
    let mut proposals = state.ledger.proposals(&who).await?;
    proposals.sort_by_key(|p| std::cmp::Reverse(p.id.key()));
    render_status(status, &ProposalsPage { l: Layout::new(viewer, "allocation.title", "/allocation"), proposals, can_run: may_run(viewer), form })
}

/// `GET /allocation`
pub async fn list(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    proposals_page(&s, &viewer, FormState::default(), StatusCode::OK).await
}

/// `POST /allocation/run`: a new proposal over the ledger as it is now.
pub async fn run(State(s): State<AppState>, viewer: Viewer, Posted(mut form): Posted) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/allocation")?;
    match s.ledger.propose_allocations(who).await {
        Ok(p) => Ok(see_other(&format!("/allocation/{}?done=proposal_made", p.id))),
        Err(e) => {
            let status = refuse(&mut form, e)?;
            proposals_page(&s, &viewer, form, status).await
        }
    }
}

/// One proposed allocation, as the engine explains it.
pub struct Line {
    pub pledge: String,
    pub need: String,
    pub amount_eur: String,
    pub reason: String,
}

/// A need the proposal leaves (partly) unfunded.
pub struct Gap {
    pub need: String,
    pub remainder_eur: String,
    pub urgency: String,
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    l: Layout,
    proposal: Proposal,
    lines: Vec<Line>,
    gaps: Vec<Gap>,
    can_apply: bool,
    form: FormState,
}

fn text(v: &serde_json::Value, key: &str) -> String {
    match &v[key] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

async fn proposal_page(state: &AppState, viewer: &Viewer, id: &str, form: FormState, status: StatusCode, done: Option<&str>) -> Result<Response, WebError> {
    let who = viewer.signed_in(&format!("/allocation/{id}"))?.clone();
    let proposal = state.ledger.proposal(&who, id.parse()?).await?;
    let empty = Vec::new();
    let lines = proposal.result["allocations"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|a| Line { pledge: text(a, "pledge"), need: text(a, "need"), amount_eur: text(a, "amount_eur"), reason: text(a, "reason") })
        .collect();
    let gaps = proposal.result["unfunded"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|g| Gap { need: text(g, "need"), remainder_eur: text(g, "remainder_eur"), urgency: text(g, "urgency") })
        .collect();
    let can_apply = may_run(viewer) && proposal.status == "proposed";
    let l = Layout::titled(viewer, format!("{} · {}", viewer.cat.get("allocation.proposal"), proposal.id), "/allocation").with_flash(done);
    render_status(status, &ProposalPage { l, proposal, lines, gaps, can_apply, form })
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /allocation/{id}`
pub async fn detail(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>, Query(query): Query<DoneQuery>) -> Result<Response, WebError> {
    let done = query.done;
    proposal_page(&s, &viewer, &id, FormState::default(), StatusCode::OK, done.as_deref()).await
}

/// `POST /allocation/{id}/apply`: writes every line as an allocation, in one
/// transaction (the store refuses the whole proposal if the ledger moved).
pub async fn apply(State(s): State<AppState>, viewer: Viewer, Path(id): Path<String>, Posted(mut form): Posted) -> Result<Response, WebError> {
    let here = format!("/allocation/{id}");
    let who = viewer.check_form(form.values(), &here)?;
    match s.ledger.apply_proposal(who, id.parse()?).await {
        Ok(_) => Ok(see_other(&format!("{here}?done=proposal_applied"))),
        Err(e) => {
            let status = refuse(&mut form, e)?;
            proposal_page(&s, &viewer, &id, form, status, None).await
        }
    }
}
