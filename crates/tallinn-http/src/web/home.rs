//! `/home`: each role's starting page: what waits for this reader.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use tallinn_core::need::{Need, NeedStatus};
use tallinn_core::participant::{Panel, Role};
use tallinn_core::pledge::Pledge;
use tallinn_ledger::NeedFilter;

use super::{Layout, Viewer, WebError, render};
use crate::AppState;

/// One thing to do or look at, with how many records wait there.
pub struct Task {
    pub href: String,
    pub label: String,
    pub count: Option<usize>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    role: String,
    tasks: Vec<Task>,
    /// The reader's organisation's needs (beneficiaries).
    own_needs: Vec<Need>,
    /// The reader's organisation's pledges (donors).
    own_pledges: Vec<Pledge>,
}

/// The panel a reviewer sits on.
pub async fn panel_of(state: &AppState, viewer: &Viewer) -> Result<Option<Panel>, WebError> {
    Ok(state.ledger.own_panel(&viewer.principal).await?)
}

pub async fn page(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let who = viewer.signed_in("/home")?.clone();
    let cat = viewer.cat;
    let role = viewer.role().unwrap_or(Role::Observer);
    let org = viewer.org().unwrap_or("").to_string();
    // Counted, not shown: the reader's own needs are shown (and logged) below.
    let needs = s.ledger.needs(&who, &Default::default()).await?;
    let count = |status: NeedStatus| needs.iter().filter(|n| n.status == status).count();
    let task = |href: &str, key: &str, count: Option<usize>| Task { href: href.to_string(), label: cat.get(key).to_string(), count };
    let mut tasks = vec![task("/needs?status=approved", "home.fundable", Some(needs.iter().filter(|n| n.status.is_fundable()).count()))];
    let mut own_needs = Vec::new();
    let mut own_pledges = Vec::new();
    match role {
        Role::Beneficiary => {
            own_needs = viewer.view(&s.ledger).needs(&NeedFilter { beneficiary: Some(org.clone()), ..Default::default() }).await?;
            tasks.push(task("/needs/new", "home.file_need", None));
            tasks.push(task("/projects", "home.projects", None));
        }
        Role::Reviewer => {
            let waiting = match panel_of(&s, &viewer).await? {
                Some(Panel::Technical) => count(NeedStatus::TechnicalReview),
                Some(Panel::Strategic) => count(NeedStatus::StrategicReview),
                None => 0,
            };
            tasks.push(task("/reviews", "home.review_queue", Some(waiting)));
        }
        Role::Donor => {
            own_pledges = viewer.view(&s.ledger).pledges(Some(&org), None).await?;
            tasks.push(task("/pledges/new", "home.new_pledge", None));
            tasks.push(task("/pledges", "home.pledges", Some(own_pledges.len())));
        }
        Role::Coordinator => {
            tasks.push(task("/reviews", "home.triage", Some(count(NeedStatus::Submitted))));
            tasks.push(task("/allocation", "home.allocation", None));
            tasks.push(task("/participants", "home.participants", None));
        }
        Role::Implementer => tasks.push(task("/projects", "home.projects", None)),
        Role::Analyst => tasks.push(task("/exchange", "home.exchange", None)),
        Role::Auditor => {
            tasks.push(task("/audit", "home.audit", None));
            tasks.push(task("/access", "home.access", None));
        }
        Role::Observer => tasks.push(task("/pledges", "home.pledges", None)),
    }
    tasks.push(task("/agreements", "home.agreements", None));
    let l = Layout::new(&viewer, "home.title", "/home");
    render(&HomePage { l, role: cat.word("role", role.as_str()).to_string(), tasks, own_needs, own_pledges })
}
