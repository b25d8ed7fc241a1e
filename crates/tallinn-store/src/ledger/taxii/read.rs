//! Reads: pages of objects (TAXII filters, stateless cursor), one upload's
//! status, and deletion.

use jiff::Timestamp;
use tallinn_core::DomainError;
use tallinn_core::policy::{Principal, may_see};
use tallinn_core::time::{from_micros, to_micros};

use super::{Collection, Page, Status, StatusDetail, StoredObject, collections, confidentiality};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFilter {
    First,
    Last,
    All,
    At(Timestamp),
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
    pub added_after: Option<Timestamp>,
    /// The cursor: the `date_added` of the last item already served.
    pub after: Option<Timestamp>,
    pub limit: usize,
}

/// A version as STIX writes it: milliseconds, or microseconds when needed.
pub fn version_string(t: Timestamp) -> String {
    if t.subsec_microsecond() == 0 { format!("{t:.3}") } else { format!("{t:.6}") }
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
    let Principal::User { name, org, .. } = reader else { return " AND tlp = 'clear'".into() };
    let org_p = push(args, Value::from(org.as_str()));
    let org_like = push(args, member(org));
    let user_like = push(args, member(name));
    let named = format!("share_users LIKE {user_like} ESCAPE '\\'");
    format!(
        " AND (tlp IN ('clear', 'green') \
          OR (tlp = 'amber' AND (creator_org = {org_p} OR share_orgs LIKE {org_like} ESCAPE '\\' OR {named})) \
          OR (tlp = 'amber+strict' AND (creator_org = {org_p} OR {named})) \
          OR (tlp = 'red' AND {named}))"
    )
}

const COLUMNS: &str = "object_id, spec_version, version, date_added, tlp, creator_org, share_orgs, share_users";

fn from_row(r: &Row, with_body: bool) -> Result<StoredObject> {
    Ok(StoredObject {
        id: r.text(0)?,
        spec_version: r.text(1)?,
        version: from_micros(r.int(2)?),
        date_added: from_micros(r.int(3)?),
        tlp: r.parse(4)?,
        body: if with_body { Some(r.text(8)?) } else { None },
    })
}

/// The SQL and arguments of one page.
fn page_sql(collection: &str, reader: &Principal, q: &ObjectQuery, object: Option<&str>, with_body: bool) -> (String, Vec<Value>) {
    let mut args = args![collection];
    let body = if with_body { ", body" } else { "" };
    let mut sql = format!("SELECT {COLUMNS}{body} FROM taxii_objects WHERE collection = $1");
    if let Some(id) = object {
        let p = push(&mut args, Value::from(id));
        sql.push_str(&format!(" AND object_id = {p}"));
    }
    for bound in [q.after, q.added_after].into_iter().flatten() {
        let p = push(&mut args, Value::Int(to_micros(bound)));
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
                VersionFilter::At(t) => format!("version = {}", push(&mut args, Value::Int(to_micros(*t)))),
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
                if may_see(reader, &confidentiality(r.parse(4)?, &r.text(5)?, &r.text(6)?, &r.text(7)?)) {
                    items.push(from_row(r, with_body)?);
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
                .fetch(&format!("SELECT type, tlp, COUNT(*) FROM taxii_objects WHERE collection = $1 AND is_latest{visible} GROUP BY type, tlp ORDER BY type, tlp"), args.clone())
                .await?
                .iter()
                .map(|r| Ok(ObjectCount { object_type: r.text(0)?, tlp: r.parse(1)?, count: r.int(2)? }))
                .collect::<Result<Vec<_>>>()?;
            let kind = push(&mut args, Value::from(recent_type));
            let limit = push(&mut args, Value::Int(recent as i64));
            let rows = conn
                .fetch(&format!("SELECT {COLUMNS}, body FROM taxii_objects WHERE collection = $1 AND is_latest{visible} AND type = {kind} ORDER BY date_added DESC LIMIT {limit}"), args)
                .await?;
            let mut items = Vec::new();
            for r in &rows {
                if may_see(reader, &confidentiality(r.parse(4)?, &r.text(5)?, &r.text(6)?, &r.text(7)?)) {
                    items.push(from_row(r, true)?);
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
        let row = row?.filter(|r| r.text(0).is_ok_and(|o| o == reader.actor()) || reader.reads_everything());
        let Some(r) = row else { return Err(DomainError::not_found("status", id).into()) };
        Ok(Status {
            id: id.to_string(),
            collection: r.text(1)?,
            request_timestamp: from_micros(r.int(2)?),
            successes: r.json::<Vec<StatusDetail>>(3)?,
            failures: r.json::<Vec<StatusDetail>>(4)?,
        })
    }

    /// Deletes the versions of one object that match `q`'s version and
    /// spec-version filters (all versions when none is given). Only the
    /// creator's organisation (or the office) may, and only among versions
    /// it may see; returns how many versions went.
    pub async fn delete_stix_object(&self, actor: Principal, collection: &str, object: &str, q: &ObjectQuery) -> Result<usize> {
        let mut tx = self.write(actor.clone()).await?;
        let result = async {
            let lock = tx.dialect.lock_rows;
            let (c, _) = collections::usable(tx.conn(), &actor, collection, lock).await?;
            let query = ObjectQuery { versions: if q.versions.is_empty() { vec![VersionFilter::All] } else { q.versions.clone() }, limit: 1_000_000, ..q.clone() };
            let (sql, args) = page_sql(&c.id, &actor, &query, Some(object), false);
            let sql = sql.replacen(&format!("SELECT {COLUMNS}"), &format!("SELECT {COLUMNS}, seq, creator_org"), 1);
            let rows = tx.fetch(&sql, args).await?;
            let visible: Vec<&Row> = rows.iter().filter(|r| c.can_read(&actor) && r.parse(4).is_ok_and(|t| may_see(&actor, &confidentiality(t, &r.text(5).unwrap_or_default(), &r.text(6).unwrap_or_default(), &r.text(7).unwrap_or_default())))).collect();
            if visible.is_empty() {
                return Err(DomainError::not_found("object", object).into());
            }
            let own_org = match &actor {
                Principal::User { org, .. } => Some(org.as_str()),
                _ => None,
            };
            if !c.can_write(&actor) || !(is_office(&actor) || visible.iter().all(|r| r.text(9).ok().as_deref() == own_org)) {
                return Err(DomainError::Forbidden(format!("{} may not delete {object}: only its creator's organisation or the office may", actor.actor())).into());
            }
            for r in &visible {
                tx.execute("DELETE FROM taxii_objects WHERE seq = $1", args![r.int(8)?]).await?;
            }
            // The remaining versions' first and latest.
            tx.execute("UPDATE taxii_objects SET is_first = $3, is_latest = $3 WHERE collection = $1 AND object_id = $2", args![&c.id, object, false]).await?;
            for (flag, pick) in [("is_first", "MIN"), ("is_latest", "MAX")] {
                tx.execute(
                    &format!("UPDATE taxii_objects SET {flag} = $3 WHERE collection = $1 AND object_id = $2 AND version = (SELECT {pick}(version) FROM taxii_objects WHERE collection = $1 AND object_id = $2)"),
                    args![&c.id, object, true],
                )
                .await?;
            }
            let versions: Vec<String> = visible.iter().filter_map(|r| r.int(2).ok()).map(|v| version_string(from_micros(v))).collect();
            audit(&mut tx, "stix.delete", "stix", object, &serde_json::json!({"collection": c.id, "versions": versions})).await?;
            Ok(visible.len())
        }
        .await;
        tx.finish(result).await
    }
}
