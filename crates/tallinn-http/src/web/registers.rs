//! The registers: projects (with their delivery steps), agreements,
//! participants and users, and the audit and access logs.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tallinn_core::agreement::Agreement;
use tallinn_core::audit::AuditEntry;
use tallinn_core::participant::{Participant, User};
use tallinn_core::policy::{self, Principal};
use tallinn_core::project::Project;
use tallinn_ledger::AccessEntry;

use super::form::Posted;
use super::needs::refuse;
use super::{FormState, Layout, Viewer, WebError, render, render_status, see_other};
use crate::AppState;

/// Entries per page of the logs.
const LOG_PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    l: Layout,
    projects: Vec<Project>,
    /// The reader, to offer the steps the store would accept.
    who: Principal,
    form: FormState,
    failed: String,
}

async fn projects_page(state: &AppState, viewer: &Viewer, form: FormState, failed: &str, status: StatusCode, done: Option<&str>) -> Result<Response, WebError> {
    let who = viewer.signed_in("/projects")?.clone();
    let mut projects = state.ledger.projects(&who).await?;
    projects.sort_by_key(|p| std::cmp::Reverse(p.id.key()));
    let l = Layout::new(viewer, "projects.title", "/projects").with_flash(done);
    render_status(status, &ProjectsPage { l, projects, who, form, failed: failed.to_string() })
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /projects`
pub async fn projects(State(s): State<AppState>, viewer: Viewer, Query(query): Query<DoneQuery>) -> Result<Response, WebError> {
    let done = query.done;
    projects_page(&s, &viewer, FormState::default(), "", StatusCode::OK, done.as_deref()).await
}

/// `POST /projects/{id}/{plan|milestone|deliver|accept}`
pub async fn project_act(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Posted(mut form): Posted,
) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/projects")?;
    let cat = viewer.cat;
    let result = match action.as_str() {
        "milestone" => match form.required("milestone", cat.get("form.required")) {
            Some(m) => Some(match m.parse() {
                Ok(m) => s.ledger.complete_milestone(who, id.parse()?, m).await.map(|_| "milestone_completed"),
                Err(e) => Err(tallinn_ledger::StoreError::from(e)),
            }),
            None => None,
        },
        "plan" => {
            let title = form.required("milestone_title", cat.get("form.required"));
            let due = form.optional::<jiff::civil::Date>("due", cat.get("form.date"));
            match (title, due) {
                (Some(title), Some(due)) => Some(s.ledger.add_milestone(who, id.parse()?, &title, due).await.map(|_| "milestone_planned")),
                _ => None,
            }
        }
        "deliver" => Some(s.ledger.deliver_project(who, id.parse()?).await.map(|_| "project_delivered")),
        "accept" => match form.required("statement", cat.get("projects.statement_required")) {
            Some(statement) => Some(s.ledger.accept_project(who, id.parse()?, &statement).await.map(|_| "project_accepted")),
            None => None,
        },
        _ => return Err(WebError::page(StatusCode::NOT_FOUND, cat.get("error.not_found").to_string())),
    };
    let status = match result {
        Some(Ok(done)) => return Ok(see_other(&format!("/projects?done={done}"))),
        Some(Err(e)) => refuse(&mut form, e)?,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    projects_page(&s, &viewer, form, &format!("{id}/{action}"), status, None).await
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct AgreementsPage {
    l: Layout,
    agreements: Vec<Agreement>,
}

/// `GET /agreements`
pub async fn agreements(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let who = viewer.signed_in("/agreements")?.clone();
    let agreements = s.ledger.agreements(&who).await?;
    render(&AgreementsPage { l: Layout::new(&viewer, "agreements.title", "/agreements"), agreements })
}

#[derive(Template)]
#[template(path = "participants.html")]
struct ParticipantsPage {
    l: Layout,
    participants: Vec<Participant>,
    /// Only the office sees the user accounts.
    users: Vec<User>,
    /// Coordinators disable, enable and remove them, and set their passwords.
    manage: bool,
    /// The set-password form, as posted when it is refused.
    form: FormState,
}

/// `GET /participants`
pub async fn participants(State(s): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    participants_page(&s, &viewer, FormState::default(), q.get("done").map(String::as_str), StatusCode::OK).await
}

async fn participants_page(s: &AppState, viewer: &Viewer, form: FormState, done: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let who = viewer.signed_in("/participants")?.clone();
    let participants = s.ledger.participants().await?;
    let users = if policy::admin::list_users(&who).is_ok() { s.ledger.users(&who).await? } else { Vec::new() };
    let manage = policy::admin::add_users(&who).is_ok();
    let l = Layout::new(viewer, "participants.title", "/participants").with_flash(done);
    render_status(status, &ParticipantsPage { l, participants, users, manage, form })
}

/// `POST /users/password` (coordinators): sets another user's password;
/// every session of that account ends and its old password stops at once,
/// on every server process (ADR 0013).
pub async fn set_password(State(s): State<AppState>, viewer: Viewer, Posted(mut form): Posted) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/participants")?;
    let cat = viewer.cat;
    let user = form.required("user", cat.get("form.choose"));
    let password = form.required("password", cat.get("account.too_short"));
    if password.as_ref().is_some_and(|p| p.chars().count() < tallinn_core::participant::MIN_PASSWORD_CHARS) {
        form.fail("password", cat.get("account.too_short"));
    }
    if password.as_deref() != Some(form.value("repeat")) {
        form.fail("repeat", cat.get("account.mismatch"));
    }
    let (Some(user), Some(password)) = (user, password) else {
        return participants_page(&s, &viewer, FormState::default_with_errors(&form), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if form.has_errors() {
        return participants_page(&s, &viewer, FormState::default_with_errors(&form), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = crate::api::accounts::hash_new_password(password).await?;
    if let Err(e) = s.ledger.change_password(who, &user, &hash).await {
        let api = crate::ApiError::from(e);
        if api.status.is_server_error() || api.status == StatusCode::FORBIDDEN {
            return Err(api.into());
        }
        // No such user, or one removed: said beside the user field.
        form.fail(api.field.as_deref().unwrap_or("user"), api.message);
        return participants_page(&s, &viewer, FormState::default_with_errors(&form), None, api.status).await;
    }
    s.credentials.clear();
    Ok(super::see_other("/participants?done=password_set"))
}

/// `POST /users/{name}/{disable|enable|remove}` (coordinators): the
/// account's sessions end and its credentials stop at once (ADR 0013).
pub async fn user_act(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((name, action)): Path<(String, String)>,
    Posted(form): Posted,
) -> Result<Response, WebError> {
    let who = viewer.check_form(form.values(), "/participants")?;
    let (change, done) = match action.as_str() {
        "disable" => (tallinn_ledger::AccountChange::Disable, "account_disabled"),
        "enable" => (tallinn_ledger::AccountChange::Enable, "account_enabled"),
        "remove" => (tallinn_ledger::AccountChange::Remove, "account_removed"),
        _ => return Err(WebError::page(axum::http::StatusCode::NOT_FOUND, viewer.cat.get("error.not_found").to_string())),
    };
    s.ledger.change_account(who, &name, change).await.map_err(crate::ApiError::from)?;
    s.credentials.clear();
    Ok(super::see_other(&format!("/participants?done={done}")))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    entries: Vec<AuditEntry>,
    entity: String,
    older_href: Option<String>,
}

/// `GET /audit?entity=&before=`: the hash-chained log, newest first.
pub async fn audit_log(State(s): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let who = viewer.signed_in("/audit")?.clone();
    super::only_parameters(&q, &["entity", "before"], viewer.cat)?;
    let entity = q.get("entity").map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
    let before = match q.get("before").map(|b| b.trim()).filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => Some(b.parse::<i64>().map_err(|_| WebError::bad_request(viewer.cat.fill("error.bad_filter", &[("field", "before"), ("value", b)])))?),
    };
    let entries = s.ledger.audit_page(&who, LOG_PAGE, entity.as_deref(), before).await?;
    let older_href = (entries.len() as i64 == LOG_PAGE).then(|| {
        let last = entries.last().map_or(0, |e| e.seq);
        let mut params = vec![("before", last.to_string())];
        if let Some(e) = &entity {
            params.push(("entity", e.clone()));
        }
        format!("/audit?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
    });
    render(&AuditPage { l: Layout::new(&viewer, "audit.title", "/audit"), entries, entity: entity.unwrap_or_default(), older_href })
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    l: Layout,
    entries: Vec<AccessEntry>,
}

/// `GET /access`: who read which confidential record, newest first.
pub async fn access_log(State(s): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let who = viewer.signed_in("/access")?.clone();
    let entries = s.ledger.access_log(&who, 500).await?;
    render(&AccessPage { l: Layout::new(&viewer, "access.title", "/access"), entries })
}

impl ProjectsPage {
    /// Whether a project step is offered to this reader: exactly when the
    /// store would accept it (`tallinn_core::policy::project`).
    fn offers(&self, p: &Project, step: &str) -> bool {
        let rule = match step {
            "plan" => policy::project::plan,
            "milestone" => policy::project::report,
            "deliver" => policy::project::deliver,
            "accept" => policy::project::accept,
            _ => return false,
        };
        rule(&self.who, p).is_ok()
    }
}
