//! Needs: filing, lifecycle, panel reviews, reservations and CSV import.

use serde_json::json;
use tallinn_core::import::{Parsed, RowError, merge_errors};
use tallinn_core::need::{
    Capability, DEFAULT_RESERVATION_DAYS, MAX_RESERVATION_DAYS, Need, NeedRelation, NeedStatus, NeedTransition, NewNeed, Relation, Reservation, Sector, Urgency,
};
use tallinn_core::participant::{Panel, ParticipantKind};
use tallinn_core::policy::{self, Principal};
use tallinn_core::review::{Decision, NewReview, Review, outcome};
use tallinn_core::time::{from_micros, plus_days, to_micros};
use tallinn_core::{DomainError, Lifecycle, NeedId};

use super::{Ledger, audit, json, participants};
use crate::args;
use crate::error::Result;
use crate::sql::{Connection, Row, Value, insert_many};
use crate::tx::Tx;

pub(crate) const COLUMNS: &str = "id, beneficiary, title, description, capability, sector, urgency, cost_eur_minor, funded_eur_minor, divisible, deadline, status, tlp, share_orgs, share_users, tags, reserved_by, reserved_until, synthetic, created_at, created_by";

/// Decodes a need row; the reservation is shown only while active at `now`.
pub(crate) fn from_row(r: &Row, now: jiff::Timestamp) -> Result<Need> {
    let reservation = match (r.opt_text("reserved_by")?, r.opt_int("reserved_until")?) {
        (Some(donor), Some(until)) => Some(Reservation { donor: Some(donor), until: from_micros(until) }).filter(|res| res.is_active(now)),
        _ => None,
    };
    Ok(Need {
        id: r.id("id")?,
        beneficiary: r.text("beneficiary")?,
        title: r.text("title")?,
        description: r.text("description")?,
        capability: r.parse("capability")?,
        sector: r.parse("sector")?,
        urgency: r.parse("urgency")?,
        cost_eur_minor: r.int("cost_eur_minor")?,
        funded_eur_minor: r.int("funded_eur_minor")?,
        divisible: r.bool("divisible")?,
        deadline: r.opt_parse("deadline")?,
        status: r.parse("status")?,
        tlp: r.parse("tlp")?,
        share_orgs: r.json("share_orgs")?,
        share_users: r.json("share_users")?,
        tags: r.json("tags")?,
        reservation,
        synthetic: r.bool("synthetic")?,
        created_at: from_micros(r.int("created_at")?),
        created_by: r.text("created_by")?,
    })
}

/// A need, its history, its panels' reviews and its relations to needs the
/// reader may see, read in one transaction.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NeedDetails {
    pub need: Need,
    pub history: Vec<NeedTransition>,
    pub reviews: Vec<Review>,
    pub relations: Vec<NeedRelation>,
}

/// The need `id` as `reader` may read it, or "not found".
async fn visible(conn: &mut dyn Connection, reader: &Principal, id: NeedId, now: jiff::Timestamp) -> Result<Need> {
    let row = crate::sql::fetch_optional(conn, &format!("SELECT {COLUMNS} FROM needs WHERE id = $1"), args![id]).await?;
    match row.map(|r| from_row(&r, now)).transpose()? {
        Some(n) if n.visible_to(reader) => Ok(n.as_seen_by(reader)),
        _ => Err(DomainError::not_found("need", id).into()),
    }
}

async fn history_of(conn: &mut dyn Connection, need: &Need, id: NeedId) -> Result<Vec<NeedTransition>> {
    let rows = conn.fetch("SELECT from_status, to_status, at, actor, note FROM need_transitions WHERE need_id = $1 ORDER BY id", args![id]).await?;
    rows.iter()
        .map(|r| {
            Ok(NeedTransition {
                need: need.id,
                from: r.opt_parse("from_status")?,
                to: r.parse("to_status")?,
                at: from_micros(r.int("at")?),
                actor: r.text("actor")?,
                note: r.text("note")?,
            })
        })
        .collect()
}

async fn reviews_of(conn: &mut dyn Connection, need: &Need, id: NeedId) -> Result<Vec<Review>> {
    let rows = conn
        .fetch("SELECT panel, reviewer, decision, feasibility, relevance, importance, comment, conflict_of_interest, at FROM reviews WHERE need_id = $1 ORDER BY id", args![id])
        .await?;
    let score = |v: Option<i64>| v.map(|s| s.clamp(0, 5) as u8);
    rows.iter()
        .map(|r| {
            Ok(Review {
                need: need.id,
                panel: r.parse("panel")?,
                reviewer: r.text("reviewer")?,
                decision: r.parse("decision")?,
                feasibility: score(r.opt_int("feasibility")?),
                relevance: score(r.opt_int("relevance")?),
                importance: score(r.opt_int("importance")?),
                comment: r.text("comment")?,
                conflict_of_interest: r.bool("conflict_of_interest")?,
                at: from_micros(r.int("at")?),
            })
        })
        .collect()
}

/// The verdicts on pairs that include need `id`, each with the other need
/// read in the same query (one, not one per relation) and kept only if the
/// reader may see it.
async fn relations_of(conn: &mut dyn Connection, reader: &Principal, id: NeedId, now: jiff::Timestamp) -> Result<Vec<NeedRelation>> {
    // The other need's columns, then the verdict's (their names differ).
    let sql = format!(
        "SELECT {}, r.relation, r.note, r.decided_at, r.decided_by FROM need_relations r \
         JOIN needs n ON n.id = CASE WHEN r.need_a = $1 THEN r.need_b ELSE r.need_a END \
         WHERE r.need_a = $1 OR r.need_b = $1 ORDER BY r.decided_at",
        super::prefixed("n", COLUMNS)
    );
    let mut out = Vec::new();
    for r in conn.fetch(&sql, args![id]).await? {
        let other = from_row(&r, now)?;
        if other.visible_to(reader) {
            out.push(NeedRelation {
                other: other.id,
                relation: r.parse("relation")?,
                note: r.text("note")?,
                decided_at: from_micros(r.int("decided_at")?),
                decided_by: r.text("decided_by")?,
            });
        }
    }
    Ok(out)
}

/// Reads a need and locks its row for the rest of the transaction. A need
/// the actor may not see is "not found".
pub(crate) async fn lock(tx: &mut Tx, id: NeedId) -> Result<Need> {
    let sql = format!("SELECT {COLUMNS} FROM needs WHERE id = $1{}", tx.dialect.lock_rows);
    let row = tx.fetch_optional(&sql, args![id]).await?;
    let need = row.map(|r| from_row(&r, tx.at)).transpose()?;
    match need {
        Some(n) if n.visible_to(&tx.actor) => Ok(n),
        _ => Err(DomainError::not_found("need", id).into()),
    }
}

/// Moves a need to `to`, stamping the step with time and actor.
pub(crate) async fn move_to(tx: &mut Tx, need: &mut Need, to: NeedStatus, note: &str) -> Result<()> {
    need.status.check_move(to, need.id)?;
    let id = need.id;
    tx.execute("UPDATE needs SET status = $1 WHERE id = $2", args![to.as_str(), id]).await?;
    let (at, actor) = (to_micros(tx.at), tx.actor.actor());
    tx.execute(
        "INSERT INTO need_transitions (need_id, from_status, to_status, at, actor, note) VALUES ($1, $2, $3, $4, $5, $6)",
        args![id, need.status.as_str(), to.as_str(), at, actor, note],
    )
    .await?;
    need.status = to;
    Ok(())
}

fn insert_row(need: &NewNeed, at: i64, actor: &str) -> Vec<Value> {
    args![
        &need.beneficiary,
        need.title.trim(),
        &need.description,
        need.capability.as_str(),
        need.sector.as_str(),
        need.urgency.as_str(),
        need.cost_eur_minor,
        0i64,
        need.divisible,
        need.deadline.map(|d| d.to_string()),
        NeedStatus::Draft.as_str(),
        need.tlp.as_str(),
        json(&need.share_orgs),
        json(&need.share_users),
        json(&need.tags),
        need.synthetic,
        at,
        actor
    ]
}

const INSERT_COLUMNS: &[&str] = &[
    "beneficiary",
    "title",
    "description",
    "capability",
    "sector",
    "urgency",
    "cost_eur_minor",
    "funded_eur_minor",
    "divisible",
    "deadline",
    "status",
    "tlp",
    "share_orgs",
    "share_users",
    "tags",
    "synthetic",
    "created_at",
    "created_by",
];

/// Checks that the actor may file for the beneficiary, which must be a
/// beneficiary institution.
async fn check_beneficiary(tx: &mut Tx, code: &str) -> Result<()> {
    let kind = participants::kind_of(tx, code).await?;
    if kind != ParticipantKind::Beneficiary {
        return Err(DomainError::refused("beneficiary", format!("{code} is a {kind}, not a beneficiary institution")).into());
    }
    Ok(policy::need::file(&tx.actor, code)?)
}

/// Files a need as a draft (used by the operation and by the demo loader).
pub(crate) async fn insert(tx: &mut Tx, need: &NewNeed) -> Result<Need> {
    need.validate()?;
    check_beneficiary(tx, &need.beneficiary).await?;
    for org in &need.share_orgs {
        participants::get(tx, org).await?;
    }
    let mut need = need.clone();
    // The filing user always sees their own RED need.
    if let Principal::User { name, .. } = &tx.actor
        && !need.share_users.contains(name)
    {
        need.share_users.push(name.clone());
    }
    let (at, actor) = (to_micros(tx.at), tx.actor.actor());
    let sql = format!(
        "INSERT INTO needs ({}) VALUES ({}) RETURNING id",
        INSERT_COLUMNS.join(", "),
        (1..=INSERT_COLUMNS.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
    );
    let id: NeedId = tx.fetch_one(&sql, insert_row(&need, at, &actor)).await?.id(0)?;
    tx.execute(
        "INSERT INTO need_transitions (need_id, from_status, to_status, at, actor, note) VALUES ($1, NULL, 'draft', $2, $3, 'filed')",
        args![id, at, &actor],
    )
    .await?;
    lock(tx, id).await
}

/// Rewrites a draft's fields (not its beneficiary, status or funding).
async fn amend(tx: &mut Tx, id: NeedId, new: &NewNeed) -> Result<Need> {
    let old = lock(tx, id).await?;
    policy::need::edit(&tx.actor, &old)?;
    if new.beneficiary != old.beneficiary {
        return Err(DomainError::refused("beneficiary", format!("need {} stays with {}; withdraw it and file a new one", old.id, old.beneficiary)).into());
    }
    new.validate()?;
    for org in &new.share_orgs {
        participants::get(tx, org).await?;
    }
    let mut new = new.clone();
    // The filing user keeps seeing their own need, whatever its new level.
    if old.share_users.contains(&old.created_by) && !new.share_users.contains(&old.created_by) {
        new.share_users.push(old.created_by.clone());
    }
    let fields: [(&str, bool); 12] = [
        ("title", old.title != new.title.trim()),
        ("description", old.description != new.description),
        ("capability", old.capability != new.capability),
        ("sector", old.sector != new.sector),
        ("urgency", old.urgency != new.urgency),
        ("cost", old.cost_eur_minor != new.cost_eur_minor),
        ("divisible", old.divisible != new.divisible),
        ("deadline", old.deadline != new.deadline),
        ("tlp", old.tlp != new.tlp),
        ("share_orgs", old.share_orgs != new.share_orgs),
        ("share_users", old.share_users != new.share_users),
        ("tags", old.tags != new.tags),
    ];
    let changed: Vec<&str> = fields.iter().filter(|(_, c)| *c).map(|(f, _)| *f).collect();
    tx.execute(
        "UPDATE needs SET title = $1, description = $2, capability = $3, sector = $4, urgency = $5, cost_eur_minor = $6, divisible = $7, deadline = $8, tlp = $9, share_orgs = $10, share_users = $11, tags = $12 WHERE id = $13",
        args![
            new.title.trim(),
            &new.description,
            new.capability.as_str(),
            new.sector.as_str(),
            new.urgency.as_str(),
            new.cost_eur_minor,
            new.divisible,
            new.deadline.map(|d| d.to_string()),
            new.tlp.as_str(),
            json(&new.share_orgs),
            json(&new.share_users),
            json(&new.tags),
            id
        ],
    )
    .await?;
    audit(tx, "need.amend", "need", &old.id, &json!({ "changed": changed })).await?;
    lock(tx, id).await
}

/// Filters for listing needs. Unset fields match everything.
#[derive(Debug, Clone, Default)]
pub struct NeedFilter {
    pub status: Option<NeedStatus>,
    pub capability: Option<Capability>,
    pub sector: Option<Sector>,
    pub urgency: Option<Urgency>,
    pub beneficiary: Option<String>,
}

/// What the coordinator decides when triaging a submitted need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriageDecision {
    /// Send to the technical panel.
    Accept,
    Reject,
}

impl Ledger {
    pub async fn add_need(&self, actor: Principal, need: NewNeed) -> Result<Need> {
        let mut tx = self.write(actor).await?;
        let result = async {
            let need = insert(&mut tx, &need).await?;
            audit(&mut tx, "need.add", "need", need.id, &need).await?;
            Ok(need)
        }
        .await;
        tx.finish(result).await
    }

    /// Needs the reader may see, newest first.
    pub async fn needs(&self, reader: &Principal, filter: &NeedFilter) -> Result<Vec<Need>> {
        let mut sql = format!("SELECT {COLUMNS} FROM needs WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        let mut and = |column: &str, value: Option<String>| {
            if let Some(v) = value {
                args.push(Value::Text(v));
                sql.push_str(&format!(" AND {column} = ${}", args.len()));
            }
        };
        and("status", filter.status.map(|s| s.to_string()));
        and("capability", filter.capability.map(|s| s.to_string()));
        and("sector", filter.sector.map(|s| s.to_string()));
        and("urgency", filter.urgency.map(|s| s.to_string()));
        and("beneficiary", filter.beneficiary.clone());
        sql.push_str(" ORDER BY id DESC");
        let now = self.now();
        let mut conn = self.read().await?;
        let rows = conn.fetch(&sql, args).await?;
        let mut needs = Vec::with_capacity(rows.len());
        for row in &rows {
            let need = from_row(row, now)?;
            if need.visible_to(reader) {
                needs.push(need.as_seen_by(reader));
            }
        }
        Ok(needs)
    }

    /// A page of the needs the reader may see, newest first, after the need
    /// with key `before` (keyset pagination: stable while needs are added,
    /// and valid on any server process), served from the versioned snapshot.
    /// Returns the page and the key to continue from, if there is more.
    pub async fn needs_page(
        &self,
        reader: &Principal,
        filter: &NeedFilter,
        after: Option<i64>,
        limit: usize,
        oldest_first: bool,
    ) -> Result<(Vec<Need>, Option<i64>)> {
        let mut conn = self.read().await?;
        let all = self.needs_snapshot.get(conn.as_mut()).await?;
        drop(conn);
        let now = self.now();
        let matches = |n: &Need| {
            filter.status.is_none_or(|s| s == n.status)
                && filter.capability.is_none_or(|c| c == n.capability)
                && filter.sector.is_none_or(|s| s == n.sector)
                && filter.urgency.is_none_or(|u| u == n.urgency)
                && filter.beneficiary.as_ref().is_none_or(|b| *b == n.beneficiary)
        };
        // The snapshot is newest first: skip to the cursor by key, or walk it
        // backwards for oldest first.
        let ordered: Box<dyn Iterator<Item = &Need> + Send> = if oldest_first {
            let end = all.partition_point(|n| after.is_none_or(|a| n.id.key() > a));
            Box::new(all[..end].iter().rev())
        } else {
            let start = all.partition_point(|n| n.id.key() >= after.unwrap_or(i64::MAX));
            Box::new(all[start..].iter())
        };
        let mut page: Vec<Need> = Vec::with_capacity(limit);
        for need in ordered {
            if matches(need) && need.visible_to(reader) {
                if let Some(last) = page.last().filter(|_| page.len() == limit) {
                    // Another visible need follows: the next page starts after this one.
                    let next = last.id.key();
                    return Ok((page, Some(next)));
                }
                let mut need = need.clone();
                need.reservation = need.reservation.filter(|r| r.is_active(now));
                page.push(need.as_seen_by(reader));
            }
        }
        Ok((page, None))
    }

    /// One need, if the reader may see it.
    pub async fn need(&self, reader: &Principal, id: NeedId) -> Result<Need> {
        let mut conn = self.read().await?;
        let result = visible(conn.as_mut(), reader, id, self.now()).await;
        let _ = conn.rollback().await;
        result
    }

    /// A need with its history, reviews and relations, read at one moment
    /// (one read transaction): what `need show` and the need's page show.
    pub async fn need_details(&self, reader: &Principal, id: NeedId) -> Result<NeedDetails> {
        let now = self.now();
        let mut conn = self.read().await?;
        let result = async {
            let conn = conn.as_mut();
            let need = visible(conn, reader, id, now).await?;
            let history = history_of(conn, &need, id).await?;
            let reviews = reviews_of(conn, &need, id).await?;
            let relations = relations_of(conn, reader, id, now).await?;
            Ok(NeedDetails { need, history, reviews, relations })
        }
        .await;
        let _ = conn.rollback().await;
        result
    }

    /// The stamped lifecycle of a need, oldest first.
    pub async fn need_history(&self, reader: &Principal, id: NeedId) -> Result<Vec<NeedTransition>> {
        let now = self.now();
        let mut conn = self.read().await?;
        let result = async {
            let need = visible(conn.as_mut(), reader, id, now).await?;
            history_of(conn.as_mut(), &need, id).await
        }
        .await;
        let _ = conn.rollback().await;
        result
    }

    pub async fn need_reviews(&self, reader: &Principal, id: NeedId) -> Result<Vec<Review>> {
        let now = self.now();
        let mut conn = self.read().await?;
        let result = async {
            let need = visible(conn.as_mut(), reader, id, now).await?;
            reviews_of(conn.as_mut(), &need, id).await
        }
        .await;
        let _ = conn.rollback().await;
        result
    }

    /// Changes a draft, by its beneficiary or the office. Once submitted, a
    /// need is what the panels review, and it no longer changes.
    pub async fn amend_need(&self, actor: Principal, id: NeedId, need: NewNeed) -> Result<Need> {
        let mut tx = self.write(actor).await?;
        let result = amend(&mut tx, id, &need).await;
        tx.finish(result).await
    }

    /// draft → submitted, by the beneficiary or the office.
    pub async fn submit_need(&self, actor: Principal, id: NeedId) -> Result<Need> {
        let mut tx = self.write(actor).await?;
        let result = submit(&mut tx, id).await;
        tx.finish(result).await
    }

    /// submitted → technical_review (or rejected), by the office.
    pub async fn triage_need(&self, actor: Principal, id: NeedId, decision: TriageDecision, comment: &str) -> Result<Need> {
        policy::need::triager(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = triage(&mut tx, id, decision, comment).await;
        tx.finish(result).await
    }

    /// A panel member's review. The actor must be a reviewer on that panel.
    pub async fn review_need(&self, actor: Principal, id: NeedId, review: NewReview) -> Result<Need> {
        let mut tx = self.write(actor).await?;
        let result = self::review(&mut tx, id, &review).await;
        tx.finish(result).await
    }

    /// Reserves an approved need for `donor` for `days` (default 30).
    pub async fn reserve_need(&self, actor: Principal, id: NeedId, donor: &str, days: Option<i64>) -> Result<Need> {
        let mut tx = self.write(actor).await?;
        let result = reserve(&mut tx, id, donor, days.unwrap_or(DEFAULT_RESERVATION_DAYS)).await;
        tx.finish(result).await
    }

    pub async fn withdraw_need(&self, actor: Principal, id: NeedId, reason: &str) -> Result<Need> {
        let mut tx = self.write(actor).await?;
        let result = async {
            let need = withdraw(&mut tx, id, reason).await?;
            audit(&mut tx, "need.withdraw", "need", need.id, &json!({ "reason": reason })).await?;
            Ok(need)
        }
        .await;
        tx.finish(result).await
    }

    /// Records a coordinator's verdict on a pair of needs (replacing an
    /// earlier verdict on the same pair).
    pub async fn relate_needs(&self, actor: Principal, a: NeedId, b: NeedId, relation: Relation, note: &str) -> Result<()> {
        policy::need::relate(&actor)?;
        if a == b {
            return Err(DomainError::refused("need", "a need cannot be related to itself").into());
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let mut tx = self.write(actor).await?;
        let result = async {
            lock(&mut tx, lo).await?;
            lock(&mut tx, hi).await?;
            let (at, by) = (to_micros(tx.at), tx.actor.actor());
            tx.execute("DELETE FROM need_relations WHERE need_a = $1 AND need_b = $2", args![lo, hi]).await?;
            tx.execute(
                "INSERT INTO need_relations (need_a, need_b, relation, note, decided_at, decided_by) VALUES ($1, $2, $3, $4, $5, $6)",
                args![lo, hi, relation.as_str(), note, at, &by],
            )
            .await?;
            audit(&mut tx, "need.relate", "need", &format!("{lo}~{hi}"), &json!({ "a": lo, "b": hi, "relation": relation, "note": note })).await
        }
        .await;
        tx.finish(result).await
    }

    /// The verdicts involving a need, with the other need of each pair
    /// shown only if the reader may see it.
    pub async fn need_relations(&self, reader: &Principal, id: NeedId) -> Result<Vec<NeedRelation>> {
        let now = self.now();
        let mut conn = self.read().await?;
        let result = async {
            visible(conn.as_mut(), reader, id, now).await?;
            relations_of(conn.as_mut(), reader, id, now).await
        }
        .await;
        let _ = conn.rollback().await;
        result
    }

    /// Every recorded pair (lower id first), for deconfliction to skip.
    pub async fn related_pairs(&self) -> Result<Vec<(NeedId, NeedId)>> {
        let mut conn = self.read().await?;
        let rows = conn.fetch("SELECT need_a, need_b FROM need_relations", vec![]).await?;
        rows.iter().map(|r| Ok((r.id("need_a")?, r.id("need_b")?))).collect()
    }

    /// Imports needs as drafts, all or nothing: any bad row (including an
    /// unknown beneficiary) means nothing is written, and every bad row is
    /// reported. `progress` is told how many rows have been written.
    pub async fn import_needs(&self, actor: Principal, rows: Parsed<NewNeed>, progress: &(dyn Fn(u64) + Send + Sync)) -> Result<usize> {
        let mut tx = self.write(actor).await?;
        let result = import(&mut tx, rows, progress).await;
        tx.finish(result).await
    }
}

pub(crate) async fn withdraw(tx: &mut Tx, id: NeedId, reason: &str) -> Result<Need> {
    let mut need = lock(tx, id).await?;
    policy::need::withdraw(&tx.actor, &need)?;
    move_to(tx, &mut need, NeedStatus::Withdrawn, reason).await?;
    Ok(need)
}

pub(crate) async fn submit(tx: &mut Tx, id: NeedId) -> Result<Need> {
    let mut need = lock(tx, id).await?;
    policy::need::submit(&tx.actor, &need)?;
    move_to(tx, &mut need, NeedStatus::Submitted, "submitted").await?;
    audit(tx, "need.submit", "need", need.id, &json!({})).await?;
    Ok(need)
}

pub(crate) async fn triage(tx: &mut Tx, id: NeedId, decision: TriageDecision, comment: &str) -> Result<Need> {
    let mut need = lock(tx, id).await?;
    let (to, action) = match decision {
        TriageDecision::Accept => (NeedStatus::TechnicalReview, "need.triage"),
        TriageDecision::Reject => {
            if comment.trim().is_empty() {
                return Err(DomainError::invalid("comment", "a rejection needs a comment that says why").into());
            }
            (NeedStatus::Rejected, "need.reject")
        }
    };
    move_to(tx, &mut need, to, comment).await?;
    audit(tx, action, "need", need.id, &json!({ "comment": comment })).await?;
    Ok(need)
}

pub(crate) async fn review(tx: &mut Tx, id: NeedId, review: &NewReview) -> Result<Need> {
    review.validate()?;
    let name = match &tx.actor {
        Principal::User { name, .. } => name.clone(),
        _ => String::new(),
    };
    let sits_on = match tx.fetch_optional("SELECT panel FROM users WHERE name = $1", args![&name]).await? {
        Some(row) => row.opt_text("panel")?.and_then(|p| p.parse::<Panel>().ok()),
        None => None,
    };
    policy::need::reviewer(&tx.actor, sits_on, review.panel)?;
    let mut need = lock(tx, id).await?;
    policy::need::review(&tx.actor, sits_on, review.panel, &need)?;
    let score = |s: Option<u8>| s.map(i64::from);
    tx.execute(
        "INSERT INTO reviews (need_id, panel, reviewer, decision, feasibility, relevance, importance, comment, conflict_of_interest, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![id, review.panel.as_str(), &name, review.decision.as_str(), score(review.feasibility), score(review.relevance), score(review.importance), &review.comment, review.conflict_of_interest, to_micros(tx.at)],
    )
    .await?;
    if let Some(to) = outcome(review.panel, review.decision) {
        let note = format!("{} panel: {}", review.panel, review.decision);
        move_to(tx, &mut need, to, &note).await?;
    }
    let action = match review.decision {
        Decision::Approve => "need.review.approve",
        Decision::Reject => "need.review.reject",
        Decision::Abstain => "need.review.abstain",
    };
    audit(tx, action, "need", need.id, review).await?;
    Ok(need)
}

pub(crate) async fn reserve(tx: &mut Tx, id: NeedId, donor: &str, days: i64) -> Result<Need> {
    if !(1..=MAX_RESERVATION_DAYS).contains(&days) {
        return Err(DomainError::invalid("days", format!("a reservation lasts 1 to {MAX_RESERVATION_DAYS} days")).into());
    }
    let kind = participants::kind_of(tx, donor).await?;
    if !matches!(kind, ParticipantKind::Member | ParticipantKind::Observer) {
        return Err(DomainError::refused("donor", format!("{donor} is a {kind}; only members and observers reserve needs")).into());
    }
    policy::need::reserver(&tx.actor, donor)?;
    let mut need = lock(tx, id).await?;
    let donor_principal = participants::as_principal(tx, donor).await?;
    if !need.visible_to(&donor_principal) {
        return Err(DomainError::not_found("need", need.id).into());
    }
    policy::need::reserve(&tx.actor, &need, donor)?;
    let until = plus_days(tx.at, days);
    tx.execute("UPDATE needs SET reserved_by = $1, reserved_until = $2 WHERE id = $3", args![donor, to_micros(until), id]).await?;
    need.reservation = Some(Reservation { donor: Some(donor.to_string()), until });
    audit(tx, "need.reserve", "need", need.id, &json!({ "donor": donor, "until": until })).await?;
    Ok(need)
}

async fn import(tx: &mut Tx, parsed: Parsed<NewNeed>, progress: &(dyn Fn(u64) + Send + Sync)) -> Result<usize> {
    let rows = parsed.rows;
    // Check every referenced organisation once, and report every bad row.
    let known: std::collections::HashMap<String, ParticipantKind> =
        tx.fetch("SELECT code, kind FROM participants", vec![]).await?.iter().map(|r| Ok((r.text("code")?, r.parse("kind")?))).collect::<Result<_>>()?;
    let actor = tx.actor.clone();
    let mut errors = Vec::new();
    for row in &rows {
        let need = &row.value;
        match known.get(&need.beneficiary) {
            None => errors.push(RowError { row: row.row, field: "beneficiary".into(), message: format!("unknown participant '{}'", need.beneficiary) }),
            Some(ParticipantKind::Beneficiary) => {
                if policy::need::file(&actor, &need.beneficiary).is_err() {
                    errors.push(RowError {
                        row: row.row,
                        field: "beneficiary".into(),
                        message: format!("{} may not file needs for {}", actor.actor(), need.beneficiary),
                    });
                }
            }
            Some(kind) => errors.push(RowError {
                row: row.row,
                field: "beneficiary".into(),
                message: format!("{} is a {kind}, not a beneficiary institution", need.beneficiary),
            }),
        }
        if let Some(org) = need.share_orgs.iter().find(|o| !known.contains_key(*o)) {
            errors.push(RowError { row: row.row, field: "share_orgs".into(), message: format!("unknown participant '{org}'") });
        }
    }
    let errors = merge_errors(parsed.errors, errors);
    if !errors.is_empty() {
        return Err(tallinn_core::import::ImportErrors(errors).into());
    }
    let (at, actor_name) = (to_micros(tx.at), tx.actor.actor());
    let count = rows.len();
    let first: i64 = tx.fetch_one("SELECT COALESCE(MAX(id), 0) FROM needs", vec![]).await?.int(0)? + 1;
    let values: Vec<Vec<Value>> = rows.iter().map(|r| insert_row(&r.value, at, &actor_name)).collect();
    let dialect = tx.dialect;
    insert_many(tx.conn(), dialect, "needs", INSERT_COLUMNS, values, progress).await?;
    // Ids were assigned in order after `first`: this transaction holds the write lock (SQLite)
    // or ids come from one sequence in insertion order within this statement set (PostgreSQL);
    // read them back rather than assume.
    let ids: Vec<NeedId> = tx
        .fetch("SELECT id FROM needs WHERE id >= $1 AND created_at = $2 AND created_by = $3 ORDER BY id", args![first, at, &actor_name])
        .await?
        .iter()
        .map(|r| r.id("id"))
        .collect::<Result<_>>()?;
    let transitions: Vec<Vec<Value>> = ids.iter().map(|id| args![*id, Value::NullText, "draft", at, &actor_name, "imported"]).collect();
    insert_many(tx.conn(), dialect, "need_transitions", &["need_id", "from_status", "to_status", "at", "actor", "note"], transitions, |_| {}).await?;
    let range = match (ids.first(), ids.last()) {
        (Some(a), Some(b)) => format!("{a}..{b}"),
        _ => String::new(),
    };
    audit(tx, "need.import", "need", &range, &json!({ "count": count })).await?;
    Ok(count)
}
