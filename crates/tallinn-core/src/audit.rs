//! The append-only, hash-chained audit log (docs/product.md: confidentiality).
//!
//! Entry `n` stores `hash_n = SHA-256(hash_{n-1} ‖ seq ‖ at ‖ actor ‖ action ‖
//! entity ‖ entity_id ‖ details)`, each part length-prefixed so that no two
//! different entries serialise alike. Changing, removing or reordering any
//! entry breaks every hash after it; `verify` names the first bad one.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON text, hashed exactly as stored.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields an operation supplies; the store adds seq, time and the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub details: serde_json::Value,
}

impl AuditRecord {
    pub fn new(action: &'static str, entity: &'static str, entity_id: impl Into<String>, details: serde_json::Value) -> Self {
        AuditRecord { action, entity, entity_id: entity_id.into(), details }
    }
}

/// What an entry says, borrowed for hashing.
#[derive(Debug, Clone, Copy)]
pub struct EntryBody<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub details: &'a str,
}

/// The hash of an entry given its predecessor's.
pub fn entry_hash(prev_hash: &str, seq: i64, at: Timestamp, body: EntryBody) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    let at = at.as_microsecond().to_string();
    for part in [prev_hash, &seq, &at, body.actor, body.action, body.entity, body.entity_id, body.details] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

impl AuditEntry {
    pub fn expected_hash(&self) -> String {
        let body = EntryBody { actor: &self.actor, action: &self.action, entity: &self.entity, entity_id: &self.entity_id, details: &self.details };
        entry_hash(&self.prev_hash, self.seq, self.at, body)
    }
}

/// Why the chain is broken, at which entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq} is bad: {reason}")]
pub struct BrokenChain {
    pub seq: i64,
    pub reason: String,
}

/// Walks entries in `seq` order and keeps the running state, so that a long
/// log can be verified in pages without holding it in memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier { expected_seq: 1, prev_hash: GENESIS.to_string(), checked: 0 }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), BrokenChain> {
        let bad = |reason: String| BrokenChain { seq: entry.seq, reason };
        if entry.seq != self.expected_seq {
            return Err(BrokenChain { seq: self.expected_seq, reason: format!("missing (next entry found is {})", entry.seq) });
        }
        if entry.prev_hash != self.prev_hash {
            return Err(bad("its prev_hash does not match the previous entry's hash".into()));
        }
        if entry.expected_hash() != entry.hash {
            return Err(bad("its contents do not match its hash (the entry was altered)".into()));
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&entry.hash);
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let at = Timestamp::from_second(1_700_000_000 + seq).unwrap();
                let details = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(&prev, seq, at, EntryBody { actor: "system", action: "need.add", entity: "need", entity_id: "N-1", details: &details });
                let e = AuditEntry {
                    seq,
                    at,
                    actor: "system".into(),
                    action: "need.add".into(),
                    entity: "need".into(),
                    entity_id: "N-1".into(),
                    details,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, BrokenChain> {
        let mut v = ChainVerifier::default();
        entries.iter().try_for_each(|e| v.check(e))?;
        Ok(v.checked)
    }

    #[test]
    fn detects_tampering_at_the_first_bad_entry() {
        let good = chain(5);
        assert_eq!(verify(&good), Ok(5));

        let mut altered = good.clone();
        altered[2].details = "{\"n\":99}".into();
        assert_eq!(verify(&altered).unwrap_err().seq, 3);

        let mut removed = good.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).unwrap_err().seq, 2);

        let mut rehashed = good.clone();
        rehashed[1].actor = "mallory".into();
        rehashed[1].hash = rehashed[1].expected_hash();
        assert_eq!(verify(&rehashed).unwrap_err().seq, 3, "re-hashing one entry breaks the link of the next");
    }
}
