//! The export archive: a whole store as JSON lines, read back into an
//! empty store of either backend with every row as it was — ids, stamps,
//! hashes — so that the audit chain verifies entry for entry and every
//! list, report and log reads the same (`docs/operations.md` documents the
//! format; `tallinn export`/`import` compress it with zstd).
//!
//! ```text
//! {"format":"tallinn-export","version":1,"schema":12,"source":"sqlite","exported_at":"…"}
//! {"table":"participants","columns":["code","name",…]}
//! ["EE","Estonia",…]                       one JSON array per row
//! {"end":"participants","rows":17}
//! …                                         every table of [`TABLES`], in that order
//! {"end":"archive","tables":27,"rows":123456,"sha256":"…"}   of every line before it
//! ```
//!
//! Rows are copied, not replayed: nothing passes through the ledger's
//! operations, so no audit entry is added. The export reads one snapshot;
//! the import writes in one transaction and checks the counts and the
//! digest before it commits — a damaged or truncated archive leaves the
//! target as it was (empty).

use std::io::{BufRead, Write};

use sha2::{Digest, Sha256};
use tallinn_core::DomainError;

use crate::error::StoreError;
use crate::sql::{Backend, Connection, Value, insert_many};

pub const FORMAT: &str = "tallinn-export";
/// The format's version: an archive of a later one is refused.
pub const VERSION: u64 = 1;

/// The tables exported, in an order in which their rows can be inserted
/// (a row's references before it), each with the unique column the export
/// pages by (`None`: read whole, a small table without one).
pub const TABLES: &[(&str, Option<&str>)] = &[
    ("participants", Some("code")),
    ("users", Some("name")),
    ("needs", Some("id")),
    ("need_transitions", Some("id")),
    ("reviews", Some("id")),
    ("pledges", Some("id")),
    ("pledge_transitions", Some("id")),
    ("allocations", Some("id")),
    ("fx_rates", None),
    ("transactions", Some("id")),
    ("flow_chunks", Some("chunk")),
    ("projects", Some("id")),
    ("project_items", None),
    ("milestones", Some("id")),
    ("agreements", Some("id")),
    ("agreement_pledges", None),
    ("announcements", Some("id")),
    ("allocation_proposals", Some("id")),
    ("allocation_proposal_lines", None),
    ("need_relations", None),
    ("api_tokens", Some("id")),
    ("access_log", Some("id")),
    ("taxii_collections", Some("id")),
    ("taxii_objects", Some("seq")),
    ("taxii_status", Some("id")),
    ("audit_log", Some("seq")),
    ("audit_head", None),
];

/// Tables left out, and why: sign-in sessions and throttling counts are
/// of the moment; the server's keys (cursor and form signatures) are the
/// running installation's own — the target makes its own.
pub const NOT_EXPORTED: &[&str] = &["sessions", "login_failures", "server_keys"];

/// The longest line read back (a STIX object version is far shorter).
const MAX_LINE: usize = 64 << 20;
/// Rows read per page on export, and inserted per batch on import.
const PAGE: usize = 5_000;

/// What an export wrote or an import read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub schema: i64,
    pub tables: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
}

fn kind_of(declared: &str) -> Kind {
    let d = declared.to_ascii_lowercase();
    if d.contains("bool") {
        Kind::Bool
    } else if d.contains("int") {
        Kind::Int
    } else {
        Kind::Text
    }
}

fn bad(message: impl Into<String>) -> StoreError {
    StoreError::Domain(DomainError::invalid("input", message.into()))
}

async fn columns(conn: &mut dyn Connection, backend: &dyn Backend, table: &str) -> Result<Vec<(String, Kind)>, StoreError> {
    let rows = conn.fetch(backend.dialect().columns_of, vec![table.into()]).await?;
    rows.iter().map(|r| Ok((r.text("name")?, kind_of(&r.text("type")?)))).collect()
}

async fn schema_version(conn: &mut dyn Connection) -> Result<i64, StoreError> {
    let row = crate::sql::fetch_one(conn, "SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE", vec![]).await?;
    row.int(0)
}

/// The store's tables, for the test that [`TABLES`] and [`NOT_EXPORTED`] name them all.
pub async fn table_names(backend: &dyn Backend) -> Result<Vec<String>, StoreError> {
    let mut conn = backend.begin_read().await?;
    let rows = conn.fetch(backend.dialect().tables, vec![]).await?;
    let _ = conn.rollback().await;
    rows.iter().map(|r| r.text(0)).filter(|n| !n.as_ref().is_ok_and(|n| n.starts_with("_sqlx"))).collect()
}

fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::NullInt | Value::NullText => serde_json::Value::Null,
        Value::Int(i) => (*i).into(),
        Value::Text(t) => t.as_str().into(),
        Value::Bool(b) => (*b).into(),
    }
}

fn from_json(v: &serde_json::Value, kind: Kind, column: &str) -> Result<Value, StoreError> {
    use serde_json::Value as J;
    Ok(match (v, kind) {
        (J::Null, Kind::Text) => Value::NullText,
        (J::Null, _) => Value::NullInt,
        (J::Number(n), Kind::Int) => Value::Int(n.as_i64().ok_or_else(|| bad(format!("{column}: {n} is not a 64-bit integer")))?),
        (J::Bool(b), Kind::Int) => Value::Int(i64::from(*b)),
        (J::Bool(b), Kind::Bool) => Value::Bool(*b),
        (J::Number(n), Kind::Bool) if n.as_i64().is_some_and(|i| i == 0 || i == 1) => Value::Bool(n.as_i64() == Some(1)),
        (J::String(s), Kind::Text) => Value::Text(s.clone()),
        (other, _) => return Err(bad(format!("{column}: {other} does not fit the column"))),
    })
}

/// Writes the whole store, one read snapshot of it, to `out`; `progress`
/// hears each table and the rows written so far.
pub async fn export(backend: &dyn Backend, out: &mut dyn Write, progress: &mut dyn FnMut(&str, u64)) -> Result<Summary, StoreError> {
    let io = |e: std::io::Error| bad(format!("writing the archive: {e}"));
    let mut conn = backend.begin_read().await?;
    let schema = schema_version(conn.as_mut()).await?;
    let mut digest = Sha256::new();
    let mut line = |out: &mut dyn Write, value: &serde_json::Value| -> Result<(), StoreError> {
        let mut text = serde_json::to_vec(value).map_err(|e| bad(e.to_string()))?;
        text.push(b'\n');
        digest.update(&text);
        out.write_all(&text).map_err(io)
    };
    let exported_at = jiff::Timestamp::now().to_string();
    line(out, &serde_json::json!({"format": FORMAT, "version": VERSION, "schema": schema, "source": backend.name(), "exported_at": exported_at}))?;
    let mut summary = Summary { schema, ..Summary::default() };
    for (table, key) in TABLES {
        let cols = columns(conn.as_mut(), backend, table).await?;
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        line(out, &serde_json::json!({"table": table, "columns": names}))?;
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let mut count = 0u64;
        match key {
            Some(key) => {
                let at = names.iter().position(|n| n == key).ok_or_else(|| StoreError::Corrupt(format!("{table} has no column {key}")))?;
                let mut after: Option<Value> = None;
                loop {
                    let rows = match &after {
                        None => conn.fetch(&format!("{select} ORDER BY {key} LIMIT {PAGE}"), vec![]).await?,
                        Some(last) => conn.fetch(&format!("{select} WHERE {key} > $1 ORDER BY {key} LIMIT {PAGE}"), vec![last.clone()]).await?,
                    };
                    for row in &rows {
                        line(out, &serde_json::Value::Array(row.values().iter().map(to_json).collect()))?;
                    }
                    count += rows.len() as u64;
                    progress(table, count);
                    match rows.last() {
                        Some(last) if rows.len() == PAGE => after = Some(last.values()[at].clone()),
                        _ => break,
                    }
                }
            }
            None => {
                let order: Vec<String> = (1..=names.len()).map(|i| i.to_string()).collect();
                let rows = conn.fetch(&format!("{select} ORDER BY {}", order.join(", ")), vec![]).await?;
                for row in &rows {
                    line(out, &serde_json::Value::Array(row.values().iter().map(to_json).collect()))?;
                }
                count = rows.len() as u64;
                progress(table, count);
            }
        }
        line(out, &serde_json::json!({"end": table, "rows": count}))?;
        summary.tables += 1;
        summary.rows += count;
    }
    let _ = conn.rollback().await;
    let hash = hex::encode(digest.finalize());
    let trailer = serde_json::json!({"end": "archive", "tables": summary.tables, "rows": summary.rows, "sha256": hash});
    let mut text = serde_json::to_vec(&trailer).map_err(|e| bad(e.to_string()))?;
    text.push(b'\n');
    out.write_all(&text).map_err(io)?;
    out.flush().map_err(io)?;
    Ok(summary)
}

/// Reads lines of an archive, each into the digest (all but the trailer).
struct Lines<'r> {
    input: &'r mut dyn BufRead,
    digest: Sha256,
    number: u64,
    buffer: Vec<u8>,
}

impl Lines<'_> {
    /// The next line as JSON; `None` at the end of the input.
    fn next(&mut self) -> Result<Option<serde_json::Value>, StoreError> {
        self.buffer.clear();
        loop {
            let available = self.input.fill_buf().map_err(|e| bad(format!("reading the archive: {e}")))?;
            if available.is_empty() {
                break;
            }
            let (taken, done) = match memchr_newline(available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if self.buffer.len() + taken > MAX_LINE {
                return Err(bad(format!("line {} is longer than {} MiB: not an archive", self.number + 1, MAX_LINE >> 20)));
            }
            self.buffer.extend_from_slice(&available[..taken]);
            self.input.consume(taken);
            if done {
                break;
            }
        }
        if self.buffer.is_empty() {
            return Ok(None);
        }
        self.number += 1;
        if self.buffer.last() != Some(&b'\n') {
            return Err(bad(format!("the archive ends in the middle of line {}: it is truncated", self.number)));
        }
        let value: serde_json::Value =
            serde_json::from_slice(&self.buffer).map_err(|e| bad(format!("line {} is not JSON ({e}): the archive is damaged", self.number)))?;
        Ok(Some(value))
    }

    /// The next line, which must be there; counted into the digest.
    fn expect(&mut self, what: &str) -> Result<serde_json::Value, StoreError> {
        let value = self.next()?.ok_or_else(|| bad(format!("the archive ends before {what}: it is truncated")))?;
        if value.get("end").and_then(serde_json::Value::as_str) != Some("archive") {
            self.digest.update(&self.buffer);
        }
        Ok(value)
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Reads an archive into `backend`, which must be empty (migrated, nothing
/// recorded), in one transaction: all of it, or — on any fault of the
/// archive or refusal of the store — nothing.
pub async fn import(backend: &dyn Backend, input: &mut dyn BufRead, progress: &mut dyn FnMut(&str, u64)) -> Result<Summary, StoreError> {
    let mut lines = Lines { input, digest: Sha256::new(), number: 0, buffer: Vec::new() };
    let header = lines.expect("its header")?;
    if header.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
        return Err(bad("not a Tallinn export archive (its first line does not say \"format\": \"tallinn-export\")"));
    }
    let version = header.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if version == 0 || version > VERSION {
        return Err(bad(format!("archive format version {version}: this tallinn reads version {VERSION}")));
    }
    let mut conn = backend.begin_write().await?;
    let schema = schema_version(conn.as_mut()).await?;
    if header.get("schema").and_then(serde_json::Value::as_i64) != Some(schema) {
        return Err(bad(format!(
            "the archive was written at schema {}, this store is at {schema}: export and import with the same tallinn version",
            header["schema"]
        )));
    }
    for (table, _) in TABLES {
        let occupied = if *table == "audit_head" {
            conn.fetch("SELECT seq FROM audit_head WHERE seq <> 0", vec![]).await?
        } else {
            conn.fetch(&format!("SELECT 1 FROM {table} LIMIT 1"), vec![]).await?
        };
        if !occupied.is_empty() {
            return Err(StoreError::Domain(DomainError::refused(
                "database",
                format!(
                    "the target store is not empty ({table} has rows): import goes into a new database, before any other command opens it (each records the reference data)"
                ),
            )));
        }
    }
    let dialect = backend.dialect();
    let mut summary = Summary { schema, ..Summary::default() };
    for (table, key) in TABLES {
        let head = lines.expect(&format!("table {table}"))?;
        if head.get("table").and_then(serde_json::Value::as_str) != Some(table) {
            return Err(bad(format!("line {}: expected table {table}: the archive is damaged", lines.number)));
        }
        let named: Vec<String> = head
            .get("columns")
            .and_then(serde_json::Value::as_array)
            .map(|c| c.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let target = columns(conn.as_mut(), backend, table).await?;
        let mut kinds = Vec::with_capacity(named.len());
        for name in &named {
            let kind = target.iter().find(|(n, _)| n == name).map(|(_, k)| *k).ok_or_else(|| bad(format!("{table}: the store has no column {name}")))?;
            kinds.push(kind);
        }
        if named.len() != target.len() {
            return Err(bad(format!("{table}: the archive has {} columns, the store {}", named.len(), target.len())));
        }
        if *table == "audit_head" {
            conn.execute("DELETE FROM audit_head", vec![]).await?;
        }
        let names: Vec<&str> = named.iter().map(String::as_str).collect();
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(PAGE);
        let mut count = 0u64;
        let mut largest: Option<i64> = None;
        let key_at = key.and_then(|k| names.iter().position(|n| *n == k));
        loop {
            let line = lines.expect(&format!("the end of table {table}"))?;
            if let Some(end) = line.get("end") {
                if end.as_str() != Some(table) || line.get("rows").and_then(serde_json::Value::as_u64) != Some(count + batch.len() as u64) {
                    return Err(bad(format!("line {}: table {table} does not end as it should: the archive is damaged", lines.number)));
                }
                break;
            }
            let Some(values) = line.as_array().filter(|v| v.len() == kinds.len()) else {
                return Err(bad(format!("line {}: not a row of {table}: the archive is damaged", lines.number)));
            };
            let row = values
                .iter()
                .zip(&kinds)
                .zip(&names)
                .map(|((v, k), n)| from_json(v, *k, &format!("line {}, {table}.{n}", lines.number)))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(Value::Int(i)) = key_at.map(|i| &row[i]) {
                largest = Some(largest.map_or(*i, |l| l.max(*i)));
            }
            batch.push(row);
            if batch.len() == PAGE {
                count += batch.len() as u64;
                insert_many(conn.as_mut(), dialect, table, &names, std::mem::take(&mut batch), |_| {}).await?;
                progress(table, count);
            }
        }
        count += batch.len() as u64;
        if !batch.is_empty() {
            insert_many(conn.as_mut(), dialect, table, &names, batch, |_| {}).await?;
        }
        progress(table, count);
        if let (Some(set), Some(key), Some(largest)) = (dialect.set_identity, key, largest) {
            conn.fetch(set, vec![(*table).into(), (*key).into(), Value::Int(largest)]).await?;
        }
        summary.tables += 1;
        summary.rows += count;
    }
    let computed = hex::encode(std::mem::take(&mut lines.digest).finalize());
    let trailer = lines.expect("its last line")?;
    let promised = (trailer.get("tables").and_then(serde_json::Value::as_u64), trailer.get("rows").and_then(serde_json::Value::as_u64));
    if trailer.get("end").and_then(serde_json::Value::as_str) != Some("archive") || promised != (Some(summary.tables), Some(summary.rows)) {
        return Err(bad("the archive does not end as it should: it is damaged or truncated"));
    }
    if trailer.get("sha256").and_then(serde_json::Value::as_str) != Some(computed.as_str()) {
        return Err(bad("the archive's digest does not match its contents: it is damaged"));
    }
    if lines.next()?.is_some() {
        return Err(bad("text after the archive's last line: the archive is damaged"));
    }
    conn.commit().await?;
    Ok(summary)
}
