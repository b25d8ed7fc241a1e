//! Projects that deliver funded needs, through milestones to acceptance.

use jiff::civil::Date;
use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::need::NeedStatus;
use tallinn_core::participant::{ParticipantKind, Role};
use tallinn_core::policy::{self, Principal};
use tallinn_core::project::{Acceptance, DeliveryItem, Milestone, NewProject, Project, ProjectStatus};
use tallinn_core::time::{from_micros, to_micros};
use tallinn_core::{MilestoneId, ProjectId};

use super::{Ledger, audit, needs, participants, prefixed};
use crate::args;
use crate::error::Result;
use crate::sql::Connection;
use crate::tx::Tx;

const COLUMNS: &str = "p.id, p.need_id, p.implementer, p.title, p.status, p.synthetic, p.created_at, p.accepted_by, p.accepted_at, p.acceptance_statement, p.acceptance_seal, n.beneficiary";

/// The projects `reader` may see — one whose need it may see, or its own
/// as the implementing organisation (ADR 0005: an implementer needs its
/// project whatever the need's level; the need itself stays as hidden as
/// its level says) — all, or only the one with key `only`. Three queries
/// whatever their number: the projects with their needs, the milestones,
/// the delivery items.
async fn read(conn: &mut dyn Connection, reader: &Principal, now: jiff::Timestamp, only: Option<ProjectId>) -> Result<Vec<Project>> {
    let (which, args) = match only {
        Some(key) => (" WHERE p.id = $1", args![key]),
        None => ("", vec![]),
    };
    let width = COLUMNS.split(',').count();
    let sql = format!("SELECT {COLUMNS}, {} FROM projects p JOIN needs n ON n.id = p.need_id{which} ORDER BY p.id", prefixed("n", needs::COLUMNS));
    let mut projects = Vec::new();
    for row in conn.fetch(&sql, args.clone()).await? {
        // The project's columns, then its need's (their names overlap).
        let (row, need) = (row.slice(0..width), row.slice(width..row.values().len()));
        let implementer = row.text("implementer")?;
        let own = matches!(reader, Principal::User { org, role: Role::Implementer, .. } if *org == implementer);
        if own || needs::from_row(&need, now)?.visible_to(reader) {
            projects.push(project_from(&row)?);
        }
    }
    if projects.is_empty() {
        return Ok(projects);
    }
    let at: std::collections::HashMap<ProjectId, usize> = projects.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let which = if only.is_some() { " WHERE project_id = $1" } else { "" };
    for m in conn.fetch(&format!("SELECT project_id, id, title, due, completed_at FROM milestones{which} ORDER BY id"), args.clone()).await? {
        if let Some(&i) = at.get(&m.id("project_id")?) {
            let milestone =
                Milestone { id: m.id("id")?, title: m.text("title")?, due: m.opt_parse("due")?, completed_at: m.opt_int("completed_at")?.map(from_micros) };
            projects[i].milestones.push(milestone);
        }
    }
    for item in conn.fetch(&format!("SELECT project_id, description, quantity FROM project_items{which} ORDER BY position"), args).await? {
        if let Some(&i) = at.get(&item.id("project_id")?) {
            let quantity = item.int("quantity")?.clamp(0, u32::MAX as i64) as u32;
            projects[i].items.push(DeliveryItem { description: item.text("description")?, quantity });
        }
    }
    Ok(projects)
}

/// A project's own columns (its milestones and items are read apart).
fn project_from(row: &crate::sql::Row) -> Result<Project> {
    let acceptance = match (row.opt_text("accepted_by")?, row.opt_int("accepted_at")?) {
        (Some(by), Some(at)) => Some(Acceptance {
            by,
            at: from_micros(at),
            statement: row.opt_text("acceptance_statement")?.unwrap_or_default(),
            seal: row.opt_text("acceptance_seal")?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Project {
        id: row.id("id")?,
        need: row.id("need_id")?,
        implementer: row.text("implementer")?,
        title: row.text("title")?,
        status: row.parse("status")?,
        synthetic: row.bool("synthetic")?,
        created_at: from_micros(row.int("created_at")?),
        acceptance,
        beneficiary: row.text("beneficiary")?,
        milestones: Vec::new(),
        items: Vec::new(),
    })
}

/// One project `reader` may see, else "not found".
async fn read_one(conn: &mut dyn Connection, reader: &Principal, now: jiff::Timestamp, key: ProjectId) -> Result<Project> {
    read(conn, reader, now, Some(key)).await?.pop().ok_or_else(|| DomainError::not_found("project", key).into())
}

/// Reads a project inside a write transaction, as its actor.
async fn load(tx: &mut Tx, key: ProjectId) -> Result<Project> {
    let (actor, at) = (tx.actor.clone(), tx.at);
    read_one(tx.conn(), &actor, at, key).await
}

pub(crate) async fn create(tx: &mut Tx, p: &NewProject) -> Result<Project> {
    p.validate()?;
    policy::project::start(&tx.actor)?;
    let kind = participants::kind_of(tx, &p.implementer).await?;
    if kind != ParticipantKind::Implementer {
        return Err(DomainError::refused("implementer", format!("{} is a {kind}, not an implementer", p.implementer)).into());
    }
    let mut need = needs::lock(tx, p.need).await?;
    if need.status != NeedStatus::Funded {
        return Err(DomainError::Conflict(format!("need {} is {}; a project delivers a funded need", need.id, need.status)).into());
    }
    let at = to_micros(tx.at);
    let key = tx
        .fetch_one(
            "INSERT INTO projects (need_id, implementer, title, status, synthetic, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            args![p.need, &p.implementer, p.title.trim(), ProjectStatus::InDelivery.as_str(), p.synthetic, at],
        )
        .await?
        .id(0)?;
    for (i, item) in p.items.iter().enumerate() {
        tx.execute(
            "INSERT INTO project_items (project_id, position, description, quantity) VALUES ($1, $2, $3, $4)",
            args![key, i as i64, &item.description, i64::from(item.quantity)],
        )
        .await?;
    }
    needs::move_to(tx, &mut need, NeedStatus::InDelivery, &format!("project {}", key)).await?;
    let project = load(tx, key).await?;
    audit(tx, "project.add", "project", project.id, &project).await?;
    Ok(project)
}

pub(crate) async fn add_milestone(tx: &mut Tx, key: ProjectId, title: &str, due: Option<Date>) -> Result<Project> {
    let project = load(tx, key).await?;
    policy::project::plan(&tx.actor, &project)?;
    if title.trim().is_empty() {
        return Err(DomainError::invalid("title", "a milestone needs a title").into());
    }
    let id = tx
        .fetch_one("INSERT INTO milestones (project_id, title, due) VALUES ($1, $2, $3) RETURNING id", args![key, title.trim(), due.map(|d| d.to_string())])
        .await?
        .id::<MilestoneId>(0)?;
    audit(tx, "project.milestone.add", "project", project.id, &json!({ "milestone": id, "title": title, "due": due })).await?;
    load(tx, key).await
}

pub(crate) async fn complete_milestone(tx: &mut Tx, key: ProjectId, milestone: MilestoneId) -> Result<Project> {
    let project = load(tx, key).await?;
    policy::project::report(&tx.actor, &project)?;
    let row = tx.fetch_optional("SELECT completed_at FROM milestones WHERE id = $1 AND project_id = $2", args![milestone, key]).await?;
    let row = row.ok_or_else(|| DomainError::not_found("milestone", milestone))?;
    if row.opt_int("completed_at")?.is_some() {
        return Err(DomainError::Conflict(format!("milestone {} is already complete", milestone)).into());
    }
    tx.execute("UPDATE milestones SET completed_at = $1 WHERE id = $2", args![to_micros(tx.at), milestone]).await?;
    audit(tx, "project.milestone.complete", "project", project.id, &json!({ "milestone": milestone })).await?;
    load(tx, key).await
}

pub(crate) async fn deliver(tx: &mut Tx, key: ProjectId) -> Result<Project> {
    let project = load(tx, key).await?;
    policy::project::deliver(&tx.actor, &project)?;
    tx.execute("UPDATE projects SET status = 'delivered', delivered_at = $1 WHERE id = $2", args![to_micros(tx.at), key]).await?;
    let mut need = needs::lock(tx, project.need).await?;
    needs::move_to(tx, &mut need, NeedStatus::Delivered, &format!("project {} delivered", project.id)).await?;
    audit(tx, "project.deliver", "project", project.id, &json!({})).await?;
    load(tx, key).await
}

pub(crate) async fn accept(tx: &mut Tx, key: ProjectId, statement: &str) -> Result<Project> {
    let project = load(tx, key).await?;
    policy::project::accept(&tx.actor, &project)?;
    let name = tx.actor.actor();
    if statement.trim().is_empty() {
        return Err(DomainError::invalid("statement", "an acceptance states what was received").into());
    }
    let seal = Acceptance::seal(project.id, project.need, &name, tx.at, statement);
    tx.execute(
        "UPDATE projects SET status = 'accepted', accepted_by = $1, accepted_at = $2, acceptance_statement = $3, acceptance_seal = $4 WHERE id = $5",
        args![&name, to_micros(tx.at), statement, &seal, key],
    )
    .await?;
    let mut need = needs::lock(tx, project.need).await?;
    needs::move_to(tx, &mut need, NeedStatus::Accepted, &format!("accepted by {name}")).await?;
    audit(tx, "project.accept", "project", project.id, &json!({ "by": name, "statement": statement, "seal": seal })).await?;
    load(tx, key).await
}

impl Ledger {
    pub async fn add_project(&self, actor: Principal, p: NewProject) -> Result<Project> {
        let mut tx = self.write(actor).await?;
        let result = create(&mut tx, &p).await;
        tx.finish(result).await
    }

    pub async fn add_milestone(&self, actor: Principal, key: ProjectId, title: &str, due: Option<Date>) -> Result<Project> {
        let mut tx = self.write(actor).await?;
        let result = add_milestone(&mut tx, key, title, due).await;
        tx.finish(result).await
    }

    pub async fn complete_milestone(&self, actor: Principal, key: ProjectId, m: MilestoneId) -> Result<Project> {
        let mut tx = self.write(actor).await?;
        let result = complete_milestone(&mut tx, key, m).await;
        tx.finish(result).await
    }

    pub async fn deliver_project(&self, actor: Principal, key: ProjectId) -> Result<Project> {
        let mut tx = self.write(actor).await?;
        let result = deliver(&mut tx, key).await;
        tx.finish(result).await
    }

    pub async fn accept_project(&self, actor: Principal, key: ProjectId, statement: &str) -> Result<Project> {
        let mut tx = self.write(actor).await?;
        let result = accept(&mut tx, key, statement).await;
        tx.finish(result).await
    }

    /// One project, if the reader may see its need.
    pub async fn project(&self, reader: &Principal, key: ProjectId) -> Result<Project> {
        let mut conn = self.read().await?;
        read_one(conn.as_mut(), reader, self.now(), key).await
    }

    /// Projects the reader may see (see `read`).
    pub async fn projects(&self, reader: &Principal) -> Result<Vec<Project>> {
        let mut conn = self.read().await?;
        read(conn.as_mut(), reader, self.now(), None).await
    }
}
