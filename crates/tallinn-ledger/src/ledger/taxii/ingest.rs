//! Uploads: every object is read strictly (a repeated key refuses it),
//! validated and its markings resolved on its own; valid ones are stored,
//! invalid ones reported with their reasons. One transaction per upload,
//! holding the collection's lock, so that `date_added` grows in commit
//! order.
//!
//! Versions belong to lineages (ADR 0011): an organisation's versions of an
//! id are its own, so no upload changes what others see of an object
//! another organisation shared, and no answer — status, message — depends
//! on objects the uploader may not see.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use serde_json::value::RawValue;
use tallinn_core::DomainError;
use tallinn_core::policy::Principal;
use tallinn_core::time::to_micros;
use tallinn_stix::exchange::{Descriptor, describe_envelope, unresolved_marking_refs};
use tallinn_stix::marking::{MarkingKind, marking_of_definition};

use super::{Status, StatusDetail, StoredRow, collections, creator, delimited, version_string};
use crate::args;
use crate::error::Result;
use crate::ledger::{Ledger, audit};
use crate::sql::{Value as Sql, insert_many};
use crate::tx::Tx;

const COLUMNS: &[&str] = &[
    "collection",
    "object_id",
    "type",
    "spec_version",
    "version",
    "version_rest",
    "version_text",
    "created",
    "modified",
    "date_added",
    "tlp",
    "creator_org",
    "creator_user",
    "share_orgs",
    "share_users",
    "private_org",
    "is_first",
    "is_latest",
    "body",
];

/// Ids per `IN (...)` list.
const IDS_PER_STATEMENT: usize = 500;

/// A version's place in its lineage: whole microseconds, then the digits
/// beyond (see `StixTime::rest`).
type VersionKey = (i64, String);

/// The version a status names: the object's own text when it has one.
fn version_text(value: &Value) -> String {
    ["modified", "created"].iter().find_map(|k| value.get(*k).and_then(Value::as_str)).unwrap_or_default().to_string()
}

/// Reads every object strictly, outside the transaction (it is pure work).
fn read(objects: &[Box<RawValue>]) -> Vec<std::result::Result<Value, String>> {
    objects.iter().map(|raw| tallinn_stix::strict_json::from_raw(raw).map_err(|e| format!("is not readable JSON: {e}"))).collect()
}

/// One organisation's stored versions of one id.
#[derive(Default)]
struct Lineage {
    /// Each version, and whether the uploader may see it.
    versions: HashMap<VersionKey, bool>,
    private_org: Option<String>,
    /// The first and latest before this upload.
    before: Option<(VersionKey, VersionKey)>,
}

/// The stored lineages of `ids`: by id, then by creator organisation.
async fn lineages(tx: &mut Tx, collection: &str, ids: &[&str], actor: &Principal) -> Result<HashMap<String, HashMap<String, Lineage>>> {
    let mut out: HashMap<String, HashMap<String, Lineage>> = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let mut args = args![collection];
        args.extend(chunk.iter().map(|id| Sql::from(*id)));
        let sql = format!("SELECT {} FROM taxii_objects WHERE collection = $1 AND object_id IN ({})", StoredRow::COLUMNS, list.join(", "));
        for r in tx.fetch(&sql, args).await? {
            let row = StoredRow::read(&r)?;
            let lineage = out.entry(row.object_id.clone()).or_default().entry(row.creator_org.clone()).or_default();
            lineage.versions.insert((row.version, row.version_rest.clone()), row.visible_to(actor));
            lineage.private_org = row.private_org.clone();
        }
    }
    for lineage in out.values_mut().flat_map(HashMap::values_mut) {
        lineage.before = Some((lineage.versions.keys().min().cloned().unwrap_or_default(), lineage.versions.keys().max().cloned().unwrap_or_default()));
    }
    Ok(out)
}

/// What the marking definitions this collection holds, among those the
/// uploader may see, state: for references the envelope does not resolve.
async fn stored_markings(tx: &mut Tx, collection: &str, wanted: &[String], actor: &Principal) -> Result<HashMap<String, MarkingKind>> {
    let mut out = HashMap::new();
    for chunk in wanted.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let mut args = args![collection];
        args.extend(chunk.iter().map(|id| Sql::from(id.as_str())));
        let sql = format!(
            "SELECT {}, body FROM taxii_objects WHERE collection = $1 AND type = 'marking-definition' AND object_id IN ({})",
            StoredRow::COLUMNS,
            list.join(", ")
        );
        for r in tx.fetch(&sql, args).await? {
            let row = StoredRow::read(&r)?;
            if !row.visible_to(actor) {
                continue;
            }
            let body = r.text("body")?;
            if let Some(kind) = tallinn_stix::strict_json::from_str(&body).ok().as_ref().and_then(Value::as_object).and_then(marking_of_definition) {
                out.insert(row.object_id, kind);
            }
        }
    }
    Ok(out)
}

/// Clears `flag` on the uploader's organisation's stored versions of `ids`
/// (a newer or older version arrived in that lineage).
async fn clear_flag(tx: &mut Tx, collection: &str, org: &str, flag: &str, ids: &[&str]) -> Result<()> {
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        let mut args = args![collection, false, org];
        args.extend(chunk.iter().map(|id| Sql::from(*id)));
        tx.execute(
            &format!("UPDATE taxii_objects SET {flag} = $2 WHERE collection = $1 AND creator_org = $3 AND {flag} AND object_id IN ({})", list.join(", ")),
            args,
        )
        .await?;
    }
    Ok(())
}

/// A version to store.
struct Fresh {
    descriptor: Descriptor,
    body: String,
    version: VersionKey,
    version_text: Option<String>,
    date_added: i64,
    private_org: Option<String>,
}

async fn store(tx: &mut Tx, key: &str, objects: &[Box<RawValue>], values: Vec<std::result::Result<Value, String>>) -> Result<Status> {
    let lock = tx.dialect.lock_rows;
    let actor = tx.actor.clone();
    let (collection, mut last_added) = collections::usable(tx.conn(), &actor, key, lock).await?;
    if !collection.can_write(&actor) {
        return Err(DomainError::Forbidden(format!("{} may not add objects to collection {}", actor.actor(), collection.id)).into());
    }
    let readable: Vec<Value> = values.iter().filter_map(|v| v.as_ref().ok().cloned()).collect();
    let stored = stored_markings(tx, &collection.id, &unresolved_marking_refs(&readable), &actor).await?;
    let described = describe_envelope(&values, &|id| stored.get(id).copied());

    let mut failures = Vec::new();
    let mut candidates = Vec::new();
    for (i, (result, value)) in described.into_iter().zip(&values).enumerate() {
        let label = format!("objects[{i}]");
        match result {
            Ok(descriptor) => candidates.push((descriptor, objects[i].get())),
            Err(problems) => {
                let value = value.as_ref().ok();
                failures.push(StatusDetail {
                    id: value.and_then(|v| v.get("id")).and_then(Value::as_str).unwrap_or(&label).to_string(),
                    version: value.map(version_text).unwrap_or_default(),
                    message: Some(
                        problems
                            .iter()
                            .map(|p| if p.property.is_empty() { p.message.clone() } else { format!("{}: {}", p.property, p.message) })
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                })
            }
        }
    }

    let ids: Vec<&str> = candidates.iter().map(|(d, _)| d.id.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut held = lineages(tx, &collection.id, &ids, &actor).await?;
    let (org, user) = creator(&actor);
    let now = to_micros(tx.at);
    let mut successes = Vec::new();
    let mut fresh: Vec<Fresh> = Vec::new();
    for (d, body) in candidates {
        let detail = StatusDetail { id: d.id.clone(), version: d.version().map(|v| v.as_str().to_string()).unwrap_or_default(), message: None };
        let by_org = held.entry(d.id.clone()).or_default();
        // Another organisation's lineage of this id that others see: an
        // object with a version is owned by whoever shared it first.
        let owner = (!d.is_observable()).then(|| by_org.iter().find(|(o, l)| **o != org && l.private_org.is_none())).flatten();
        let (owned, owner_visible) = (owner.is_some(), owner.is_some_and(|(_, l)| l.versions.values().any(|v| *v)));
        let is_new_lineage = !by_org.contains_key(&org);
        let lineage = by_org.entry(org.clone()).or_default();
        if is_new_lineage && owned {
            lineage.private_org = Some(org.clone());
        }
        let private_org = lineage.private_org.clone();
        // Said only when the uploader may see the other organisation's object.
        let private_note = (private_org.is_some() && owner_visible)
            .then(|| format!("kept as {org}'s own copy: another organisation shared {} here first, and only its versions are shown outside {org}", d.id));
        let version: VersionKey = match d.version() {
            Some(v) => (v.micros(), v.rest().to_string()),
            // An object without `modified` or `created` (an SCO) is
            // immutable: its id is derived from its content, so each
            // producer stores it once.
            None => match lineage.versions.values().next() {
                Some(visible) => {
                    let message = visible.then(|| "already held".to_string());
                    successes.push(StatusDetail { message, ..detail });
                    continue;
                }
                None => (now.max(last_added + 1), String::new()),
            },
        };
        if let Some(visible) = lineage.versions.get(&version) {
            // A version the uploader may not see answers as a fresh one would.
            let message = visible.then(|| "this version is already held".to_string()).or(private_note);
            successes.push(StatusDetail { message, ..detail });
            continue;
        }
        lineage.versions.insert(version.clone(), true);
        last_added = now.max(last_added + 1);
        successes.push(StatusDetail { message: private_note, ..detail });
        let version_text = d.version().map(|v| v.as_str().to_string());
        fresh.push(Fresh { descriptor: d, body: body.to_string(), version, version_text, date_added: last_added, private_org });
    }

    // Which versions are now the first and the latest of the uploader's lineages.
    let mut clear_first = Vec::new();
    let mut clear_latest = Vec::new();
    for (id, by_org) in &held {
        let Some(lineage) = by_org.get(&org) else { continue };
        let Some((min, max)) = &lineage.before else { continue };
        if lineage.versions.keys().any(|v| v < min) {
            clear_first.push(id.as_str());
        }
        if lineage.versions.keys().any(|v| v > max) {
            clear_latest.push(id.as_str());
        }
    }
    clear_flag(tx, &collection.id, &org, "is_first", &clear_first).await?;
    clear_flag(tx, &collection.id, &org, "is_latest", &clear_latest).await?;
    let rows: Vec<Vec<Sql>> = fresh
        .iter()
        .map(|f| {
            let d = &f.descriptor;
            let versions = &held[&d.id][&org].versions;
            let is_first = versions.keys().min() == Some(&f.version);
            let is_latest = versions.keys().max() == Some(&f.version);
            // The creator always reads back what it shared.
            let users = d.share_users.iter().cloned().chain([user.clone()]);
            let mut row = args![
                &collection.id,
                &d.id,
                &d.object_type,
                &d.spec_version,
                f.version.0,
                f.version.1.as_str(),
                f.version_text.clone(),
                d.created.as_ref().map(|t| t.micros()),
                d.modified.as_ref().map(|t| t.micros()),
                f.date_added,
                d.tlp.as_str(),
                &org,
                &user,
                delimited(d.share_orgs.iter().cloned()),
                delimited(users),
                f.private_org.clone(),
                is_first,
                is_latest
            ];
            row.push(Sql::Text(f.body.clone()));
            row
        })
        .collect();
    let dialect = tx.dialect;
    insert_many(tx.conn(), dialect, "taxii_objects", COLUMNS, rows, |_| {}).await?;
    tx.execute("UPDATE taxii_collections SET last_added = $2 WHERE id = $1", args![&collection.id, last_added]).await?;

    failures.sort_by_key(|f| f.id.clone());
    let status = Status { id: uuid::Uuid::new_v4().to_string(), collection: collection.id.clone(), request_timestamp: tx.at, successes, failures };
    tx.execute(
        "INSERT INTO taxii_status (id, collection, owner, request_timestamp, total_count, success_count, failure_count, successes, failures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            &status.id,
            &collection.id,
            actor.actor(),
            now,
            status.total_count() as i64,
            status.successes.len() as i64,
            status.failures.len() as i64,
            crate::ledger::json(&status.successes),
            crate::ledger::json(&status.failures)
        ],
    )
    .await?;
    let stored_by_tlp: HashMap<&str, usize> = fresh.iter().fold(HashMap::new(), |mut m, f| {
        *m.entry(f.descriptor.tlp.as_str()).or_default() += 1;
        m
    });
    let summary = serde_json::json!({
        "status": status.id, "total": status.total_count(), "stored": fresh.len(),
        "already_held": status.successes.len() - fresh.len(), "failed": status.failures.len(), "stored_by_tlp": stored_by_tlp,
        "kept_private": fresh.iter().filter(|f| f.private_org.is_some()).count(),
        "inherited_marking": fresh.iter().filter(|f| f.descriptor.inherited_from.is_some()).count(),
    });
    audit(tx, "stix.add", "collection", &collection.id, &summary).await?;
    Ok(status)
}

impl Ledger {
    /// Adds objects (each the JSON text as received) to a collection and
    /// returns the upload's status. Fails as a whole only when the caller
    /// may not write to the collection.
    pub async fn add_stix_objects(&self, actor: Principal, collection: &str, objects: &[Box<RawValue>]) -> Result<Status> {
        let values = read(objects);
        let mut tx = self.write(actor).await?;
        let result = store(&mut tx, collection, objects, values).await;
        let status = tx.finish(result).await?;
        self.grew("taxii_objects", status.successes.len() as u64);
        Ok(status)
    }
}

/// The version text a row without one of its own shows (a date added, or
/// a row stored before versions were kept as given).
pub(super) fn shown_version(version_text: Option<String>, micros: i64) -> String {
    version_text.unwrap_or_else(|| version_string(tallinn_core::time::from_micros(micros)))
}
