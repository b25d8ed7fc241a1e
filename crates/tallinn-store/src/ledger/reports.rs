//! The facts reports are computed from, restricted to what one reader may
//! see by the same policy as every other read (SPEC §5).
//!
//! Flows are the large table (a million rows is a normal benchmark), so they
//! are kept in memory per process, like the needs: keyed by the ledger
//! version, and refreshed incrementally, because flows are never updated or
//! deleted. A refresh reads the rows above the highest id it holds and checks
//! the table's row count; if a row with a lower id committed late (possible
//! on PostgreSQL, where ids are taken before commit), the counts differ and it
//! reloads everything.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tallinn_core::participant::ParticipantKind;
use tallinn_core::policy::{Principal, may_see};
use tallinn_core::time::from_micros;
use tallinn_report::facts::{AgreementFact, AllocationFact, Facts, Flow, NeedFact, Org, PledgeFact, ProjectFact, Scope, flow_visible};
use tokio::sync::Mutex;

use super::{Ledger, pledges};
use crate::error::Result;
use crate::sql::{Connection, fetch_one};

/// Flows as of one ledger version, with the organisation codes they index.
#[derive(Clone, Default)]
struct LoadedFlows {
    version: i64,
    max_id: i64,
    orgs: Vec<String>,
    org_index: HashMap<String, u32>,
    flows: Arc<Vec<Flow>>,
}

impl LoadedFlows {
    fn org(&mut self, code: String) -> u32 {
        if let Some(&i) = self.org_index.get(&code) {
            return i;
        }
        let i = self.orgs.len() as u32;
        self.org_index.insert(code.clone(), i);
        self.orgs.push(code);
        i
    }

    async fn load_after(&mut self, conn: &mut dyn Connection) -> Result<()> {
        let rows = conn
            .fetch(
                "SELECT id, kind, provider, receiver, value_date, eur_minor, pledge_id, need_id, pass_through_of, synthetic FROM transactions WHERE id > $1 ORDER BY id",
                crate::args![self.max_id],
            )
            .await?;
        let mut added = Vec::with_capacity(rows.len());
        for r in &rows {
            let flow = Flow {
                key: r.int(0)?,
                kind: r.parse(1)?,
                provider: self.org(r.text(2)?),
                receiver: self.org(r.text(3)?),
                value_date: r.parse(4)?,
                eur_minor: r.int(5)?,
                pledge: r.opt_int(6)?,
                need: r.opt_int(7)?,
                pass_through: r.opt_int(8)?.is_some(),
                synthetic: r.bool(9)?,
            };
            self.max_id = self.max_id.max(flow.key);
            added.push(flow);
        }
        if !added.is_empty() {
            Arc::make_mut(&mut self.flows).extend(added);
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct FlowsSnapshot {
    current: Mutex<LoadedFlows>,
}

impl FlowsSnapshot {
    async fn get(&self, conn: &mut dyn Connection) -> Result<LoadedFlows> {
        let version = fetch_one(conn, "SELECT seq FROM audit_head WHERE id = 1", vec![]).await?.int(0)?;
        let mut current = self.current.lock().await;
        if current.version == version && version != 0 {
            return Ok(current.clone());
        }
        let count = fetch_one(conn, "SELECT COUNT(*) FROM transactions", vec![]).await?.int(0)?;
        if count as usize != current.flows.len() {
            current.load_after(conn).await?;
            if count as usize != current.flows.len() {
                // A lower id committed after we read past it: start again.
                *current = LoadedFlows::default();
                current.load_after(conn).await?;
            }
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
                "SELECT need_id, to_status, MIN(at) FROM need_transitions WHERE to_status IN ('approved', 'funded', 'delivered') GROUP BY need_id, to_status",
                vec![],
            )
            .await?
        {
            stamps.insert((r.int(0)?, r.text(1)?), r.int(2)?);
        }
        let stamp = |key: i64, status: &str| stamps.get(&(key, status.to_string())).map(|&us| from_micros(us));
        let mut needs = Vec::new();
        for n in all_needs.iter().filter(|n| may_see(reader, &n.confidentiality())) {
            let key = tallinn_core::id::Kind::Need.parse(&n.id)?;
            needs.push(NeedFact {
                key,
                id: n.id.clone(),
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
                    key: r.int(0)?,
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
            let (pledge, need) = (r.int(0)?, r.int(1)?);
            if visible_pledges.contains(&pledge) && visible_needs.contains(&need) {
                allocations.push(AllocationFact { pledge, need, eur_minor: r.int(2)?, at: from_micros(r.int(3)?) });
            }
        }

        let mut projects = Vec::new();
        for r in conn.fetch("SELECT need_id, implementer, created_at, delivered_at, accepted_at FROM projects ORDER BY id", vec![]).await? {
            if visible_needs.contains(&r.int(0)?) {
                projects.push(ProjectFact {
                    need: r.int(0)?,
                    implementer: r.text(1)?,
                    started: from_micros(r.int(2)?),
                    delivered_at: r.opt_int(3)?.map(from_micros),
                    accepted_at: r.opt_int(4)?.map(from_micros),
                });
            }
        }

        // The agreements register and the announcements are public facts.
        let mut agreements = Vec::new();
        for r in conn.fetch("SELECT domain, signed_on, synthetic FROM agreements ORDER BY id", vec![]).await? {
            agreements.push(AgreementFact { domain: r.parse(0)?, signed_on: r.opt_parse(1)?, synthetic: r.bool(2)? });
        }
        let announcements = super::agreements::announcements_on(conn).await?;

        // Participants in the order the flows index them, then the others.
        let mut known: HashMap<String, Org> = HashMap::new();
        for r in conn.fetch("SELECT code, name, kind FROM participants", vec![]).await? {
            let kind: ParticipantKind = r.parse(2)?;
            let code = r.text(0)?;
            known.insert(code.clone(), Org { code, name: r.text(1)?, donor: matches!(kind, ParticipantKind::Member | ParticipantKind::Observer) });
        }
        let mut orgs: Vec<Org> =
            loaded.orgs.iter().map(|c| known.remove(c).unwrap_or_else(|| Org { code: c.clone(), name: c.clone(), donor: false })).collect();
        let mut others: Vec<Org> = known.into_values().collect();
        others.sort_by(|a, b| a.code.cmp(&b.code));
        orgs.extend(others);
        let flows: Vec<Flow> = if reader.reads_everything() {
            loaded.flows.as_ref().clone()
        } else {
            loaded.flows.iter().filter(|f| flow_visible(f.pledge, f.need, |p| visible_pledges.contains(&p), |n| visible_needs.contains(&n))).copied().collect()
        };
        Ok(Facts { scope: Some(scope(reader)), orgs, needs, pledges: pledge_facts, allocations, flows, projects, agreements, announcements })
    }
}
