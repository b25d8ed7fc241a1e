//! Reads: pages of objects (TAXII filters, stateless cursor), one upload's
//! status, and deletion.

use jiff::Timestamp;
use tallinn_core::DomainError;
use tallinn_core::policy::Principal;
use tallinn_core::time::{from_micros, to_micros};
use tallinn_stix::timestamp::StixTime;

use super::{Collection, Page, Status, StatusDetail, StoredObject, StoredRow, collections};
use crate::args;
use crate::error::Result;
use crate::ledger::{Ledger, audit, is_office};
use crate::sql::{Row, Value};

/// How many objects of one type and TLP level a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCount {
    pub object_type: String,
    pub tlp: tallinn_core::policy::Tlp,
    pub count: i64,
}

/// Which versions of each object a read returns (`match[version]`).
/// First and last are per lineage: each organisation's versions of an id
/// are their own (ADR 0011).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionFilter {
    First,
    Last,
    All,
    /// The version naming exactly this instant (any precision).
    At(StixTime),
}

impl std::str::FromStr for VersionFilter {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim() {
            "first" => Ok(VersionFilter::First),
            "last" => Ok(VersionFilter::Last),
            "all" => Ok(VersionFilter::All),
            t => t.parse().map(VersionFilter::At).map_err(|_| format!("'{t}' is not first, last, all or a timestamp")),
        }
    }
}

/// The filters and position of one read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectQuery {
    /// `match[id]` (any of).
    pub ids: Vec<String>,
    /// `match[type]` (any of).
    pub types: Vec<String>,
    /// `match[version]` (any of); empty means `last`.
    pub versions: Vec<VersionFilter>,
    /// `match[spec_version]` (any of).
    pub spec_versions: Vec<String>,
    /// Any STIX timestamp (the far future included).
    pub added_after: Option<StixTime>,
    /// The cursor: the `date_added` of the last item already served.
    pub after: Option<Timestamp>,
    pub limit: usize,
}

/// A date added (or the version of a row stored before versions were kept
/// as given) as STIX writes it: milliseconds, or microseconds when needed.
pub fn version_string(t: Timestamp) -> String {
    if t.subsec_nanosecond() % 1_000_000 == 0 { format!("{t:.3}") } else { format!("{t:.6}") }
}

/// Appends `column IN (...)` for a non-empty list.
fn any_of(sql: &mut String, args: &mut Vec<Value>, column: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    let start = args.len();
    args.extend(values.iter().map(|v| Value::from(v.as_str())));
    let list: Vec<String> = (start..args.len()).map(|i| format!("${}", i + 1)).collect();
    sql.push_str(&format!(" AND {column} IN ({})", list.join(", ")));
}

fn push(args: &mut Vec<Value>, v: Value) -> String {
    args.push(v);
    format!("${}", args.len())
}

/// A LIKE pattern matching `,item,` inside a delimited list.
fn member(item: &str) -> Value {
    let escaped: String = item.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    Value::Text(format!("%,{escaped},%"))
}

/// The visibility policy in SQL, for the rows `reader` may see: the same
/// cases as `may_see` (tested against it, level by level).
fn visible_to(reader: &Principal, args: &mut Vec<Value>) -> String {
    if reader.reads_everything() {
        return String::new();
    }
    let Principal::User { name, org, .. } = reader else { return " AND tlp = 'clear' AND private_org IS NULL".into() };
    let org_p = push(args, Value::from(org.as_str()));
    let org_like = push(args, member(org));
    let user_like = push(args, member(name));
    let named = format!("share_users LIKE {user_like} ESCAPE '\\'");
    format!(
        " AND (private_org IS NULL OR private_org = {org_p}) \
          AND (tlp IN ('clear', 'green') \
          OR (tlp = 'amber' AND (creator_org = {org_p} OR share_orgs LIKE {org_like} ESCAPE '\\' OR {named})) \
          OR (tlp = 'amber+strict' AND (creator_org = {org_p} OR {named})) \
          OR (tlp = 'red' AND {named}))"
    )
}

fn from_row(row: StoredRow, r: &Row, with_body: bool) -> Result<StoredObject> {
    Ok(StoredObject {
        version: row.version_shown(),
        id: row.object_id,
        spec_version: row.spec_version,
        date_added: from_micros(row.date_added),
        tlp: row.tlp,
        body: if with_body { Some(r.text("body")?) } else { None },
    })
}

/// The SQL and arguments of one page.
fn page_sql(collection: &str, reader: &Principal, q: &ObjectQuery, object: Option<&str>, with_body: bool) -> (String, Vec<Value>) {
    let mut args = args![collection];
    let body = if with_body { ", body" } else { "" };
    let mut sql = format!("SELECT {}{body} FROM taxii_objects WHERE collection = $1", StoredRow::COLUMNS);
    if let Some(id) = object {
        let p = push(&mut args, Value::from(id));
        sql.push_str(&format!(" AND object_id = {p}"));
    }
    // `date_added` is whole microseconds: later than an instant is later
    // than its whole microsecond.
    for bound in [q.after.map(to_micros), q.added_after.as_ref().map(StixTime::micros)].into_iter().flatten() {
        let p = push(&mut args, Value::Int(bound));
        sql.push_str(&format!(" AND date_added > {p}"));
    }
    any_of(&mut sql, &mut args, "object_id", &q.ids);
    any_of(&mut sql, &mut args, "type", &q.types);
    any_of(&mut sql, &mut args, "spec_version", &q.spec_versions);
    let versions = if q.versions.is_empty() { &[VersionFilter::Last][..] } else { &q.versions[..] };
    if !versions.contains(&VersionFilter::All) {
        let terms: Vec<String> = versions
            .iter()
            .map(|v| match v {
                VersionFilter::First => "is_first".to_string(),
                VersionFilter::Last => "is_latest".to_string(),
                VersionFilter::At(t) => {
                    let (micros, rest) = (push(&mut args, Value::Int(t.micros())), push(&mut args, Value::from(t.rest())));
                    format!("(version = {micros} AND version_rest = {rest})")
                }
                VersionFilter::All => unreachable!("handled above"),
            })
            .collect();
        sql.push_str(&format!(" AND ({})", terms.join(" OR ")));
    }
    sql.push_str(&visible_to(reader, &mut args));
    let limit = push(&mut args, Value::Int(q.limit as i64 + 1));
    sql.push_str(&format!(" ORDER BY date_added LIMIT {limit}"));
    (sql, args)
}

impl Ledger {
    /// One page of the objects of a collection that `reader` may see,
    /// ordered by `date_added`; `object` restricts it to one id (the object
    /// and versions endpoints); `with_body` adds the JSON (not needed for
    /// manifests and versions).
    pub async fn stix_objects(
        &self,
        reader: &Principal,
        collection: &str,
        q: &ObjectQuery,
        object: Option<&str>,
        with_body: bool,
    ) -> Result<(Collection, Page)> {
        let mut conn = self.read().await?;
        let result = async {
            let (c, _) = collections::usable(conn.as_mut(), reader, collection, "").await?;
            if !c.can_read(reader) {
                return Err(DomainError::Forbidden(format!("{} may not read collection {}", reader.actor(), c.id)).into());
            }
            let (sql, args) = page_sql(&c.id, reader, q, object, with_body);
            let rows = conn.fetch(&sql, args).await?;
            let more = rows.len() > q.limit;
            let mut items = Vec::with_capacity(rows.len().min(q.limit));
            for r in rows.iter().take(q.limit) {
                // The policy itself, on every row the SQL let through.
                let row = StoredRow::read(r)?;
                if row.visible_to(reader) {
                    items.push(from_row(row, r, with_body)?);
                }
            }
            Ok((c, Page { items, more }))
        }
        .await;
        let _ = conn.rollback().await;
        result
    }

    /// What a collection holds that `reader` may see: the latest version of
    /// each object, counted by type and TLP, and the most recently added
    /// objects of `recent_type` (newest first, with their JSON) — the threat
    /// exchange overview.
    pub async fn stix_overview(
        &self,
        reader: &Principal,
        collection: &str,
        recent_type: &str,
        recent: usize,
    ) -> Result<(Collection, Vec<ObjectCount>, Vec<StoredObject>)> {
        let mut conn = self.read().await?;
        let result = async {
            let (c, _) = collections::usable(conn.as_mut(), reader, collection, "").await?;
            if !c.can_read(reader) {
                return Err(DomainError::Forbidden(format!("{} may not read collection {}", reader.actor(), c.id)).into());
            }
            let mut args = args![c.id.as_str()];
            let visible = visible_to(reader, &mut args);
            let counts = conn
                .fetch(&format!("SELECT type, tlp, COUNT(*) AS n FROM taxii_objects WHERE collection = $1 AND is_latest{visible} GROUP BY type, tlp ORDER BY type, tlp"), args.clone())
                .await?
                .iter()
                .map(|r| Ok(ObjectCount { object_type: r.text("type")?, tlp: r.parse("tlp")?, count: r.int("n")? }))
                .collect::<Result<Vec<_>>>()?;
            let kind = push(&mut args, Value::from(recent_type));
            let limit = push(&mut args, Value::Int(recent as i64));
            let rows = conn
                .fetch(
                    &format!(
                        "SELECT {}, body FROM taxii_objects WHERE collection = $1 AND is_latest{visible} AND type = {kind} ORDER BY date_added DESC LIMIT {limit}",
                        StoredRow::COLUMNS
                    ),
                    args,
                )
                .await?;
            let mut items = Vec::new();
            for r in &rows {
                let row = StoredRow::read(r)?;
                if row.visible_to(reader) {
                    items.push(from_row(row, r, true)?);
                }
            }
            Ok((c, counts, items))
        }
        .await;
        let _ = conn.rollback().await;
        result
    }

    /// The status of an upload, for the user who made it (and the office
    /// and auditors); anyone else is told it does not exist.
    pub async fn stix_status(&self, reader: &Principal, id: &str) -> Result<Status> {
        let mut conn = self.read().await?;
        let row = crate::sql::fetch_optional(
            conn.as_mut(),
            "SELECT owner, collection, request_timestamp, successes, failures FROM taxii_status WHERE id = $1",
            args![id],
        )
        .await;
        let _ = conn.rollback().await;
        let row = row?.filter(|r| r.text("owner").is_ok_and(|o| o == reader.actor()) || reader.reads_everything());
        let Some(r) = row else { return Err(DomainError::not_found("status", id).into()) };
        Ok(Status {
            id: id.to_string(),
            collection: r.text("collection")?,
            request_timestamp: from_micros(r.int("request_timestamp")?),
            successes: r.json::<Vec<StatusDetail>>(3)?,
            failures: r.json::<Vec<StatusDetail>>(4)?,
        })
    }

    /// Deletes the versions of one object that match `q`'s version and
    /// spec-version filters (all versions when none is given), among those
    /// `actor` may see. An organisation deletes its own lineage only; the
    /// office any. Returns how many versions went.
    pub async fn delete_stix_object(&self, actor: Principal, collection: &str, object: &str, q: &ObjectQuery) -> Result<usize> {
        let mut tx = self.write(actor.clone()).await?;
        let result = async {
            let lock = tx.dialect.lock_rows;
            let (c, _) = collections::usable(tx.conn(), &actor, collection, lock).await?;
            let query =
                ObjectQuery { versions: if q.versions.is_empty() { vec![VersionFilter::All] } else { q.versions.clone() }, limit: 1_000_000, ..q.clone() };
            let (sql, args) = page_sql(&c.id, &actor, &query, Some(object), false);
            let sql = sql.replacen(&format!("SELECT {}", StoredRow::COLUMNS), &format!("SELECT {}, seq", StoredRow::COLUMNS), 1);
            let rows = tx.fetch(&sql, args).await?;
            let mut visible = Vec::new();
            for r in &rows {
                let row = StoredRow::read(r)?;
                if c.can_read(&actor) && row.visible_to(&actor) {
                    visible.push((row, r.int("seq")?));
                }
            }
            if visible.is_empty() {
                return Err(DomainError::not_found("object", object).into());
            }
            let own_org = match &actor {
                Principal::User { org, .. } => Some(org.as_str()),
                _ => None,
            };
            if !is_office(&actor) {
                visible.retain(|(row, _)| Some(row.creator_org.as_str()) == own_org);
            }
            if !c.can_write(&actor) || visible.is_empty() {
                return Err(
                    DomainError::Forbidden(format!("{} may not delete {object}: only its creator's organisation or the office may", actor.actor())).into()
                );
            }
            for (_, seq) in &visible {
                tx.execute("DELETE FROM taxii_objects WHERE seq = $1", args![*seq]).await?;
            }
            refresh_flags(&mut tx, &c.id, object).await?;
            let versions: Vec<String> = visible.iter().map(|(row, _)| row.version_shown()).collect();
            audit(&mut tx, "stix.delete", "stix", object, &serde_json::json!({"collection": c.id, "versions": versions})).await?;
            Ok(visible.len())
        }
        .await;
        tx.finish(result).await
    }
}

/// Sets `is_first` and `is_latest` again on the remaining versions of
/// `object`, lineage by lineage (versions compare exactly: whole
/// microseconds, then the digits beyond).
async fn refresh_flags(tx: &mut crate::tx::Tx, collection: &str, object: &str) -> Result<()> {
    let rows = tx
        .fetch("SELECT seq, creator_org, version, version_rest FROM taxii_objects WHERE collection = $1 AND object_id = $2", args![collection, object])
        .await?;
    // Per creator organisation: each version's key and row.
    type Versions = Vec<((i64, String), i64)>;
    let mut lineages: std::collections::HashMap<String, Versions> = std::collections::HashMap::new();
    for r in &rows {
        lineages.entry(r.text("creator_org")?).or_default().push(((r.int("version")?, r.text("version_rest")?), r.int("seq")?));
    }
    for versions in lineages.values() {
        let first = versions.iter().min().map(|(_, seq)| *seq);
        let last = versions.iter().max().map(|(_, seq)| *seq);
        for (_, seq) in versions {
            tx.execute("UPDATE taxii_objects SET is_first = $2, is_latest = $3 WHERE seq = $1", args![*seq, Some(*seq) == first, Some(*seq) == last]).await?;
        }
    }
    Ok(())
}
