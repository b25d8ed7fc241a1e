//! Uploads: every object is validated on its own; valid ones are stored,
//! invalid ones are reported with their reasons, and a version already held
//! is a success that stores nothing. One transaction per upload, holding
//! the collection's lock, so that `date_added` grows in commit order.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use serde_json::value::RawValue;
use tallinn_core::DomainError;
use tallinn_core::policy::Principal;
use tallinn_core::time::to_micros;
use tallinn_stix::exchange::{Descriptor, definitions_in, describe};

use super::{Status, StatusDetail, collections, creator, delimited, version_string};
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
    "created",
    "modified",
    "date_added",
    "tlp",
    "creator_org",
    "creator_user",
    "share_orgs",
    "share_users",
    "is_first",
    "is_latest",
    "body",
];

/// Ids per `IN (...)` list.
const IDS_PER_STATEMENT: usize = 500;

/// A valid object waiting to be stored.
struct Candidate {
    descriptor: Descriptor,
    body: String,
}

/// The version a status names: the object's own text when it has one.
fn version_text(value: &Value) -> String {
    ["modified", "created"].iter().find_map(|k| value.get(*k).and_then(Value::as_str)).unwrap_or_default().to_string()
}

/// Validates every object outside the transaction (it is pure work).
fn prepare(objects: &[Box<RawValue>]) -> (Vec<Candidate>, Vec<StatusDetail>) {
    let values: Vec<Value> = objects.iter().map(|raw| serde_json::from_str(raw.get()).unwrap_or(Value::Null)).collect();
    let known = definitions_in(&values);
    let lookup = |id: &str| known.iter().find(|(k, _)| k == id).map(|(_, t)| *t);
    let mut candidates = Vec::new();
    let mut failures = Vec::new();
    for (i, (raw, value)) in objects.iter().zip(&values).enumerate() {
        let label = format!("objects[{i}]");
        match describe(value, &label, &lookup) {
            Ok(descriptor) => candidates.push(Candidate { descriptor, body: raw.get().to_string() }),
            Err(problems) => failures.push(StatusDetail {
                id: value.get("id").and_then(Value::as_str).unwrap_or(&label).to_string(),
                version: version_text(value),
                message: Some(problems.iter().map(|p| format!("{}: {}", p.property, p.message)).collect::<Vec<_>>().join("; ")),
            }),
        }
    }
    (candidates, failures)
}

/// The versions already stored for each of `ids`, with the current
/// first and latest.
async fn existing(tx: &mut Tx, collection: &str, ids: &[&str]) -> Result<HashMap<String, HashSet<i64>>> {
    let mut out: HashMap<String, HashSet<i64>> = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let mut args = args![collection];
        args.extend(chunk.iter().map(|id| Sql::from(*id)));
        let rows =
            tx.fetch(&format!("SELECT object_id, version FROM taxii_objects WHERE collection = $1 AND object_id IN ({})", list.join(", ")), args).await?;
        for r in rows {
            out.entry(r.text(0)?).or_default().insert(r.int(1)?);
        }
    }
    Ok(out)
}

/// Clears `flag` on the stored versions of `ids` (a newer or older version
/// arrived).
async fn clear_flag(tx: &mut Tx, collection: &str, flag: &str, ids: &[&str]) -> Result<()> {
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let mut args = args![collection, false];
        args.extend(chunk.iter().map(|id| Sql::from(*id)));
        tx.execute(&format!("UPDATE taxii_objects SET {flag} = $2 WHERE collection = $1 AND {flag} AND object_id IN ({})", list.join(", ")), args).await?;
    }
    Ok(())
}

async fn store(tx: &mut Tx, key: &str, candidates: Vec<Candidate>, mut failures: Vec<StatusDetail>) -> Result<Status> {
    let lock = tx.dialect.lock_rows;
    let actor = tx.actor.clone();
    let (collection, mut last_added) = collections::usable(tx.conn(), &actor, key, lock).await?;
    if !collection.can_write(&actor) {
        return Err(DomainError::Forbidden(format!("{} may not add objects to collection {}", actor.actor(), collection.id)).into());
    }
    let ids: Vec<&str> = {
        let set: HashSet<&str> = candidates.iter().map(|c| c.descriptor.id.as_str()).collect();
        set.into_iter().collect()
    };
    let mut versions = existing(tx, &collection.id, &ids).await?;
    let before: HashMap<String, (i64, i64)> = versions.iter().filter_map(|(id, v)| Some((id.clone(), (*v.iter().min()?, *v.iter().max()?)))).collect();
    let (org, user) = creator(&actor);
    let now = to_micros(tx.at);
    let mut successes = Vec::new();
    let mut fresh: Vec<(Candidate, i64, i64)> = Vec::new();
    for c in candidates {
        let d = &c.descriptor;
        let held = versions.entry(d.id.clone()).or_default();
        let detail = StatusDetail { id: d.id.clone(), version: d.version().map(version_string).unwrap_or_default(), message: None };
        // An object without `modified` or `created` (an SCO) is immutable:
        // its id is derived from its content, so it is stored once.
        let version = match d.version() {
            Some(v) => to_micros(v),
            None if !held.is_empty() => {
                successes.push(StatusDetail { message: Some("already held".into()), ..detail });
                continue;
            }
            None => now.max(last_added + 1),
        };
        if !held.insert(version) {
            successes.push(StatusDetail { message: Some("this version is already held".into()), ..detail });
            continue;
        }
        last_added = now.max(last_added + 1);
        successes.push(detail);
        fresh.push((c, version, last_added));
    }
    // Which versions are now the first and the latest of each id.
    let mut clear_first = Vec::new();
    let mut clear_latest = Vec::new();
    for (id, (min, max)) in &before {
        let held = &versions[id];
        if held.iter().any(|v| v < min) {
            clear_first.push(id.as_str());
        }
        if held.iter().any(|v| v > max) {
            clear_latest.push(id.as_str());
        }
    }
    clear_flag(tx, &collection.id, "is_first", &clear_first).await?;
    clear_flag(tx, &collection.id, "is_latest", &clear_latest).await?;
    let rows: Vec<Vec<Sql>> = fresh
        .iter()
        .map(|(c, version, added)| {
            let d = &c.descriptor;
            let held = &versions[&d.id];
            let is_first = held.iter().min() == Some(version);
            let is_latest = held.iter().max() == Some(version);
            // The creator always reads back what it shared.
            let users = d.share_users.iter().cloned().chain([user.clone()]);
            let mut row = args![
                &collection.id,
                &d.id,
                &d.object_type,
                &d.spec_version,
                *version,
                d.created.map(to_micros),
                d.modified.map(to_micros),
                *added,
                d.tlp.as_str(),
                &org,
                &user,
                delimited(d.share_orgs.iter().cloned()),
                delimited(users),
                is_first,
                is_latest
            ];
            row.push(Sql::Text(c.body.clone()));
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
    let stored: HashMap<&str, usize> = fresh.iter().fold(HashMap::new(), |mut m, (c, _, _)| {
        *m.entry(c.descriptor.tlp.as_str()).or_default() += 1;
        m
    });
    let summary = serde_json::json!({
        "status": status.id, "total": status.total_count(), "stored": fresh.len(),
        "already_held": status.successes.len() - fresh.len(), "failed": status.failures.len(), "stored_by_tlp": stored,
    });
    audit(tx, "stix.add", "collection", &collection.id, &summary).await?;
    Ok(status)
}

impl Ledger {
    /// Adds objects (each the JSON text as received) to a collection and
    /// returns the upload's status. Fails as a whole only when the caller
    /// may not write to the collection.
    pub async fn add_stix_objects(&self, actor: Principal, collection: &str, objects: &[Box<RawValue>]) -> Result<Status> {
        let (candidates, failures) = prepare(objects);
        let mut tx = self.write(actor).await?;
        let result = store(&mut tx, collection, candidates, failures).await;
        tx.finish(result).await
    }
}
