//! Reading and verifying the audit log.

use tallinn_core::audit::{AuditEntry, BrokenChain, ChainVerifier};
use tallinn_core::policy::Principal;
use tallinn_core::time::from_micros;

use super::Ledger;
use crate::args;
use crate::error::Result;
use crate::sql::Row;

/// Entries are read and checked in pages so that a long log needs no memory.
const PAGE: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    /// The first bad entry, if any.
    pub broken: Option<BrokenEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BrokenEntry {
    pub seq: i64,
    pub reason: String,
}

fn from_row(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.int("seq")?,
        at: from_micros(r.int("at")?),
        actor: r.text("actor")?,
        action: r.text("action")?,
        entity: r.text("entity")?,
        entity_id: r.text("entity_id")?,
        details: r.text("details")?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

const COLUMNS: &str = "seq, at, actor, action, entity, entity_id, details, prev_hash, hash";

impl Ledger {
    /// Recomputes the whole chain and names the first bad entry.
    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        let mut conn = self.read().await?;
        let mut verifier = ChainVerifier::default();
        let mut after = 0i64;
        loop {
            let rows = conn.fetch(&format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"), args![after, PAGE]).await?;
            let Some(last) = rows.last() else { break };
            after = last.int("seq")?;
            for row in &rows {
                let entry = match from_row(row) {
                    Ok(e) => e,
                    Err(e) => {
                        let seq = row.int("seq").unwrap_or(after);
                        return Ok(VerifyReport { entries: verifier.checked, broken: Some(BrokenEntry { seq, reason: e.to_string() }) });
                    }
                };
                if let Err(BrokenChain { seq, reason }) = verifier.check(&entry) {
                    return Ok(VerifyReport { entries: verifier.checked, broken: Some(BrokenEntry { seq, reason }) });
                }
            }
        }
        // The tip must match the head too: deleting the newest entries
        // (with the trigger dropped) leaves a valid but shorter chain.
        let head = crate::sql::fetch_one(conn.as_mut(), "SELECT seq, hash FROM audit_head WHERE id = 1", vec![]).await?;
        let (head_seq, head_hash) = (head.int("seq")?, head.text("hash")?);
        if head_seq != verifier.checked as i64 {
            return Ok(VerifyReport {
                entries: verifier.checked,
                broken: Some(BrokenEntry {
                    seq: verifier.checked as i64 + 1,
                    reason: format!("missing: the log ends at {} but {head_seq} entries were written", verifier.checked),
                }),
            });
        }
        let tip = if head_seq == 0 {
            tallinn_core::audit::GENESIS.to_string()
        } else {
            conn.fetch(&format!("SELECT {COLUMNS} FROM audit_log WHERE seq = $1"), args![head_seq])
                .await?
                .first()
                .map(from_row)
                .transpose()?
                .map(|e| e.hash)
                .unwrap_or_default()
        };
        if tip != head_hash {
            return Ok(VerifyReport {
                entries: verifier.checked,
                broken: Some(BrokenEntry { seq: head_seq, reason: "its hash does not match the recorded head of the chain".into() }),
            });
        }
        Ok(VerifyReport { entries: verifier.checked, broken: None })
    }

    /// Audit entries, newest first, for auditors and coordinators.
    pub async fn audit_log(&self, reader: &Principal, limit: i64, entity: Option<&str>) -> Result<Vec<AuditEntry>> {
        self.audit_page(reader, limit, entity, None).await
    }

    /// Audit entries before sequence number `before`, newest first.
    pub async fn audit_page(&self, reader: &Principal, limit: i64, entity: Option<&str>, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        tallinn_core::policy::admin::read_audit_log(reader)?;
        let mut conn = self.read().await?;
        let rows = conn
            .fetch(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE ($1 = '' OR entity = $1 OR entity_id = $1) AND seq < $3 ORDER BY seq DESC LIMIT $2"),
                args![entity.unwrap_or(""), limit.max(0), before.unwrap_or(i64::MAX)],
            )
            .await?;
        rows.iter().map(from_row).collect()
    }
}
