//! The facts reports are computed from, restricted to what one reader may
//! see by the same policy as every other read (docs/product.md: confidentiality).
//!
//! Flows are the large table (a million rows is a normal benchmark), so they
//! are kept in memory per process, like the needs, keyed by the ledger
//! version. They are read from `flow_chunks` (see that module): a new
//! process reads a few thousand rows of text instead of a million rows, and
//! a refresh re-reads only the chunks whose count moved (flows are never
//! updated or deleted, so chunks only grow; on PostgreSQL a lower id may
//! commit late, which grows an earlier chunk, and that chunk is re-read).
//!
//! The first read checks the chunks against the row count of
//! `transactions`. Should they disagree (a database changed behind the
//! ledger's back), the process warns and reads the table itself from then
//! on: slow, but the figures stay right.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use tallinn_core::participant::ParticipantKind;
use tallinn_core::policy::{Principal, may_see};
use tallinn_core::time::from_micros;
use tallinn_report::facts::{AgreementFact, AllocationFact, Facts, Flow, NeedFact, Org, PledgeFact, ProjectFact, Scope, flow_visible};
use tokio::sync::Mutex;

use super::flow_chunks::{self, PER_CHUNK};
use super::{Ledger, pledges};
use crate::error::Result;
use crate::sql::{Connection, fetch_one};

/// Flows as of one ledger version, with the organisation codes they index.
#[derive(Clone, Default)]
struct LoadedFlows {
    version: i64,
    /// How many flows each chunk of `flow_chunks` held when it was read.
    chunks: BTreeMap<i64, i64>,
    /// `flow_chunks` disagreed with `transactions`: read the table instead.
    from_table: bool,
    /// When reading the table: the highest id read.
    max_id: i64,
    orgs: Vec<String>,
    org_index: HashMap<String, u32>,
    /// In id order.
    flows: Arc<Vec<Flow>>,
}

fn org_index(orgs: &mut Vec<String>, index: &mut HashMap<String, u32>, code: &str) -> u32 {
    if let Some(&i) = index.get(code) {
        return i;
    }
    let i = orgs.len() as u32;
    index.insert(code.to_string(), i);
    orgs.push(code.to_string());
    i
}

impl LoadedFlows {
    /// Re-reads the chunks that are new or have grown since the last read.
    async fn refresh_from_chunks(&mut self, conn: &mut dyn Connection) -> Result<()> {
        let mut first_changed = None;
        for r in conn.fetch("SELECT chunk, flows FROM flow_chunks ORDER BY chunk", vec![]).await? {
            let (chunk, count) = (r.int("chunk")?, r.int("flows")?);
            if self.chunks.get(&chunk) != Some(&count) {
                first_changed = Some(chunk);
                break;
            }
        }
        let Some(from) = first_changed else { return Ok(()) };
        let rows = conn.fetch("SELECT chunk, flows, data FROM flow_chunks WHERE chunk >= $1 ORDER BY chunk", crate::args![from]).await?;
        let (orgs, index) = (&mut self.orgs, &mut self.org_index);
        let flows = Arc::make_mut(&mut self.flows);
        flows.truncate(flows.partition_point(|f| f.key < from * PER_CHUNK));
        let kept = flows.len();
        for r in &rows {
            flow_chunks::decode(&r.text("data")?, &mut |code| org_index(orgs, index, code), flows)?;
            self.chunks.insert(r.int("chunk")?, r.int("flows")?);
        }
        // Chunks are in id order, lines within a chunk in commit order.
        flows[kept..].sort_unstable_by_key(|f| f.key);
        Ok(())
    }

    /// Reads the rows of `transactions` above the highest id read.
    async fn load_table_after(&mut self, conn: &mut dyn Connection) -> Result<()> {
        let rows = conn
            .fetch(
                "SELECT id, kind, provider, receiver, value_date, eur_minor, pledge_id, need_id, pass_through_of, synthetic FROM transactions WHERE id > $1 ORDER BY id",
                crate::args![self.max_id],
            )
            .await?;
        let (orgs, index) = (&mut self.orgs, &mut self.org_index);
        let mut added = Vec::with_capacity(rows.len());
        for r in &rows {
            let flow = Flow {
                key: r.int("id")?,
                kind: r.parse("kind")?,
                provider: org_index(orgs, index, &r.text("provider")?),
                receiver: org_index(orgs, index, &r.text("receiver")?),
                value_date: r.parse("value_date")?,
                eur_minor: r.int("eur_minor")?,
                pledge: r.opt_int("pledge_id")?,
                need: r.opt_int("need_id")?,
                pass_through: r.opt_int("pass_through_of")?.is_some(),
                upstream: r.opt_int("pass_through_of")?,
                synthetic: r.bool("synthetic")?,
            };
            self.max_id = self.max_id.max(flow.key);
            added.push(flow);
        }
        if !added.is_empty() {
            Arc::make_mut(&mut self.flows).extend(added);
        }
        Ok(())
    }

    async fn refresh_from_table(&mut self, conn: &mut dyn Connection, count: usize) -> Result<()> {
        if count != self.flows.len() {
            self.load_table_after(conn).await?;
            if count != self.flows.len() {
                // A lower id committed after we read past it: start again.
                *self = LoadedFlows { from_table: true, ..LoadedFlows::default() };
                self.load_table_after(conn).await?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct FlowsSnapshot {
    current: Mutex<LoadedFlows>,
}

async fn transaction_count(conn: &mut dyn Connection) -> Result<usize> {
    Ok(fetch_one(conn, "SELECT COUNT(*) FROM transactions", vec![]).await?.int(0)? as usize)
}

impl FlowsSnapshot {
    async fn get(&self, conn: &mut dyn Connection) -> Result<LoadedFlows> {
        let version = fetch_one(conn, "SELECT seq FROM audit_head WHERE id = 1", vec![]).await?.int(0)?;
        let mut current = self.current.lock().await;
        if current.version == version && version != 0 {
            return Ok(current.clone());
        }
        if !current.from_table {
            let first_read = current.chunks.is_empty();
            current.refresh_from_chunks(conn).await?;
            if first_read {
                let count = transaction_count(conn).await?;
                if count != current.flows.len() {
                    tracing::warn!(
                        chunks = current.flows.len(),
                        transactions = count,
                        "flow_chunks disagrees with transactions; reports read the transactions table instead (slower)"
                    );
                    *current = LoadedFlows { from_table: true, ..LoadedFlows::default() };
                }
            }
        }
        if current.from_table {
            let count = transaction_count(conn).await?;
            current.refresh_from_table(conn, count).await?;
        }
        current.version = version;
        Ok(current.clone())
    }
}

/// How a reader is named on a report.
fn scope(reader: &Principal) -> Scope {
    let reader_text = match reader {
        Principal::Public => "the public (TLP:CLEAR records only)".to_string(),
        Principal::System => "the operator (the whole ledger)".to_string(),
        Principal::User { name, org, role } => format!("user {name} ({org}, {role})"),
        Principal::Organisation { code, .. } => format!("organisation {code}"),
    };
    Scope { whole_ledger: reader.reads_everything(), reader: reader_text }
}

impl Ledger {
    /// Everything reports are made of, as `reader` may see it, read in one
    /// snapshot of the database.
    pub async fn report_facts(&self, reader: &Principal) -> Result<Facts> {
        let mut conn = self.read().await?;
        let result = self.collect_facts(conn.as_mut(), reader).await;
        let _ = conn.rollback().await;
        result
    }

    async fn collect_facts(&self, conn: &mut dyn Connection, reader: &Principal) -> Result<Facts> {
        let all_needs = self.needs_snapshot.get(conn).await?;
        let loaded = self.flows_snapshot.get(conn).await?;

        let mut stamps: HashMap<(i64, String), i64> = HashMap::new();
        for r in conn
            .fetch(
                "SELECT need_id, to_status, MIN(at) AS first_at FROM need_transitions WHERE to_status IN ('approved', 'funded', 'delivered') GROUP BY need_id, to_status",
                vec![],
            )
            .await?
        {
            stamps.insert((r.int("need_id")?, r.text("to_status")?), r.int("first_at")?);
        }
        let stamp = |key: i64, status: &str| stamps.get(&(key, status.to_string())).map(|&us| from_micros(us));
        let mut needs = Vec::new();
        for n in all_needs.iter().filter(|n| n.visible_to(reader)) {
            let key = n.id.key();
            needs.push(NeedFact {
                key,
                id: n.id.to_string(),
                title: n.title.clone(),
                description: n.description.clone(),
                beneficiary: n.beneficiary.clone(),
                capability: n.capability,
                sector: n.sector,
                urgency: n.urgency,
                status: n.status,
                cost_eur_minor: n.cost_eur_minor,
                funded_eur_minor: n.funded_eur_minor,
                deadline: n.deadline,
                tlp: n.tlp,
                approved_at: stamp(key, "approved"),
                funded_at: stamp(key, "funded"),
                delivered_at: stamp(key, "delivered"),
                synthetic: n.synthetic,
            });
        }
        needs.sort_by_key(|n| n.key);
        let visible_needs: HashSet<i64> = needs.iter().map(|n| n.key).collect();

        let mut pledge_facts = Vec::new();
        for r in conn.fetch(&format!("SELECT {} FROM pledges ORDER BY id", pledges::COLUMNS), vec![]).await? {
            let p = pledges::from_row(&r)?;
            if may_see(reader, &p.confidentiality()) {
                pledge_facts.push(PledgeFact {
                    key: p.id.key(),
                    donor: p.donor,
                    status: p.status,
                    eur_minor: p.eur_minor,
                    pledged_on: p.pledged_on,
                    synthetic: p.synthetic,
                });
            }
        }
        let visible_pledges: HashSet<i64> = pledge_facts.iter().map(|p| p.key).collect();

        let mut allocations = Vec::new();
        for r in conn.fetch("SELECT pledge_id, need_id, amount_eur_minor, created_at FROM allocations ORDER BY id", vec![]).await? {
            let (pledge, need) = (r.int("pledge_id")?, r.int("need_id")?);
            if visible_pledges.contains(&pledge) && visible_needs.contains(&need) {
                allocations.push(AllocationFact { pledge, need, eur_minor: r.int("amount_eur_minor")?, at: from_micros(r.int("created_at")?) });
            }
        }

        let mut projects = Vec::new();
        for r in conn.fetch("SELECT need_id, implementer, created_at, delivered_at, accepted_at FROM projects ORDER BY id", vec![]).await? {
            if visible_needs.contains(&r.int("need_id")?) {
                projects.push(ProjectFact {
                    need: r.int("need_id")?,
                    implementer: r.text("implementer")?,
                    started: from_micros(r.int("created_at")?),
                    delivered_at: r.opt_int("delivered_at")?.map(from_micros),
                    accepted_at: r.opt_int("accepted_at")?.map(from_micros),
                });
            }
        }

        // The agreements register and the announcements are public facts.
        let mut agreements = Vec::new();
        for r in conn.fetch("SELECT domain, signed_on, synthetic FROM agreements ORDER BY id", vec![]).await? {
            agreements.push(AgreementFact { domain: r.parse("domain")?, signed_on: r.opt_parse("signed_on")?, synthetic: r.bool("synthetic")? });
        }
        let announcements = super::agreements::announcements_on(conn).await?;

        // Participants in the order the flows index them, then the others.
        let mut known: HashMap<String, Org> = HashMap::new();
        for r in conn.fetch("SELECT code, name, kind FROM participants", vec![]).await? {
            let kind: ParticipantKind = r.parse("kind")?;
            let code = r.text("code")?;
            known.insert(code.clone(), Org { code, name: r.text("name")?, donor: matches!(kind, ParticipantKind::Member | ParticipantKind::Observer) });
        }
        let mut orgs: Vec<Org> =
            loaded.orgs.iter().map(|c| known.remove(c).unwrap_or_else(|| Org { code: c.clone(), name: c.clone(), donor: false })).collect();
        let mut others: Vec<Org> = known.into_values().collect();
        others.sort_by(|a, b| a.code.cmp(&b.code));
        orgs.extend(others);
        let flows: Vec<Flow> = if reader.reads_everything() {
            loaded.flows.as_ref().clone()
        } else {
            let mut flows: Vec<Flow> = loaded
                .flows
                .iter()
                .filter(|f| flow_visible(f.pledge, f.need, |p| visible_pledges.contains(&p), |n| visible_needs.contains(&n)))
                .copied()
                .collect();
            // A flow passing on one the reader may not see is, for this
            // reader, where the money starts: counted, not left out of the
            // totals through a flow the reader cannot see (ADR 0005).
            let keys: HashSet<i64> = flows.iter().map(|f| f.key).collect();
            for f in &mut flows {
                if f.pass_through && f.upstream.is_some_and(|up| !keys.contains(&up)) {
                    f.pass_through = false;
                }
            }
            flows
        };
        Ok(Facts { scope: Some(scope(reader)), orgs, needs, pledges: pledge_facts, allocations, flows, projects, agreements, announcements })
    }
}
