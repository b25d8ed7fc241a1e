//! The allocation engine over the ledger: an instance built from approved
//! needs and committed balances, proposals saved for a coordinator's review,
//! and their application through the same checked operation as any
//! allocation.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use tallinn_allocate::model::{Instance, Need as EngineNeed, Pledge as EnginePledge, Weights};
use tallinn_allocate::{Solution, allocate};
use tallinn_core::DomainError;
use tallinn_core::allocation::Allocation;
use tallinn_core::policy::Principal;
use tallinn_core::time::{from_micros, to_micros};
use tallinn_core::{NeedId, PledgeId, ProposalId};

use super::allocations::{AllocationLine, apply};
use super::{Ledger, audit, needs, pledges};
use crate::args;
use crate::error::Result;
use crate::sql::{Connection, fetch_optional};

/// A saved proposal.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub id: ProposalId,
    pub status: String,
    pub objective: String,
    pub upper_bound: String,
    pub gap: f64,
    pub created_at: Timestamp,
    pub created_by: String,
    /// The engine's full result: allocations with reasons, the ranked gap, stats.
    pub result: serde_json::Value,
}

/// Builds the engine's instance from a consistent read of the ledger.
async fn instance(
    conn: &mut dyn Connection,
    now: Timestamp,
    threat: &BTreeMap<tallinn_core::need::Sector, tallinn_core::threat::SectorThreat>,
) -> Result<Instance> {
    let open_pledges: Vec<_> = conn
        .fetch(
            &format!("SELECT {} FROM pledges WHERE status IN ('committed', 'disbursed') AND allocated_eur_minor < eur_minor ORDER BY id", pledges::COLUMNS),
            vec![],
        )
        .await?
        .iter()
        .map(pledges::from_row)
        .collect::<Result<_>>()?;
    let donors: BTreeSet<String> = open_pledges.iter().map(|p| p.donor.clone()).collect();
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in conn.fetch("SELECT org, name FROM users ORDER BY name", vec![]).await? {
        users.entry(row.text("org")?).or_default().push(row.text("name")?);
    }
    let donor_principals: Vec<(String, Principal)> =
        donors.iter().map(|d| (d.clone(), Principal::Organisation { code: d.clone(), users: users.get(d).cloned().unwrap_or_default() })).collect();
    let open_needs: Vec<_> = conn
        .fetch(
            &format!("SELECT {} FROM needs WHERE status IN ('approved', 'partially_funded') AND funded_eur_minor < cost_eur_minor ORDER BY id", needs::COLUMNS),
            vec![],
        )
        .await?
        .iter()
        .map(|r| needs::from_row(r, now))
        .collect::<Result<_>>()?;
    let needs = open_needs
        .into_iter()
        .map(|n| {
            // Donors who may see the need and, while it is reserved, only the reserving one.
            let allowed: Vec<String> = donor_principals
                .iter()
                .filter(|(code, principal)| n.visible_to(principal) && n.reservation.as_ref().is_none_or(|r| r.donor.as_ref() == Some(code)))
                .map(|(code, _)| code.clone())
                .collect();
            let donors = (allowed.len() != donors.len()).then_some(allowed);
            EngineNeed {
                remainder: n.remainder_eur_minor(),
                id: n.id.to_string(),
                beneficiary: n.beneficiary,
                capability: n.capability,
                sector: n.sector,
                urgency: n.urgency,
                divisible: n.divisible,
                // Sightings in the need's sector (tallinn_core::threat).
                threat: threat.get(&n.sector).map_or(1.0, |t| t.factor),
                donors,
            }
        })
        .collect();
    let pledges = open_pledges
        .into_iter()
        .map(|p| EnginePledge {
            balance: p.balance_eur_minor(),
            id: p.id.to_string(),
            donor: p.donor,
            capabilities: p.earmarks.capabilities,
            sectors: p.earmarks.sectors,
            beneficiaries: p.earmarks.beneficiaries,
            preferences: BTreeMap::new(),
        })
        .collect();
    Ok(Instance { needs, pledges, weights: Weights::default() })
}

fn proposal_from(row: &crate::sql::Row) -> Result<Proposal> {
    Ok(Proposal {
        id: row.id("id")?,
        status: row.text("status")?,
        objective: row.text("objective")?,
        upper_bound: row.text("upper_bound")?,
        gap: row.parse("gap")?,
        created_at: from_micros(row.int("created_at")?),
        created_by: row.text("created_by")?,
        result: row.json("result")?,
    })
}

const COLUMNS: &str = "id, status, objective, upper_bound, gap, created_at, created_by, result";

impl Ledger {
    /// Runs the engine over the ledger and saves the result as a proposal.
    pub async fn propose_allocations(&self, actor: Principal) -> Result<Proposal> {
        tallinn_core::policy::admin::run_engine(&actor)?;
        let threat = self.threat_factors().await?;
        let mut conn = self.read().await?;
        let inst = instance(conn.as_mut(), self.now(), &threat).await?;
        let _ = conn.rollback().await;
        let mut solution: Solution = allocate(&inst).map_err(|e| crate::StoreError::Corrupt(format!("allocation engine: {e}")))?;
        // Each line whose need's sector was sighted says so, with the count.
        let sector_of: BTreeMap<&str, tallinn_core::need::Sector> = inst.needs.iter().map(|n| (n.id.as_str(), n.sector)).collect();
        for line in &mut solution.allocations {
            if let Some(t) = sector_of.get(line.need.as_str()).and_then(|s| threat.get(s)).filter(|t| t.sightings > 0) {
                line.reason = format!("{}; {}", line.reason, t.reason());
            }
        }
        let mut tx = self.write(actor).await?;
        let result = async {
            let (at, by) = (to_micros(tx.at), tx.actor.actor());
            let key = tx
                .fetch_one(
                    "INSERT INTO allocation_proposals (status, objective, upper_bound, gap, result, created_at, created_by) VALUES ('proposed', $1, $2, $3, $4, $5, $6) RETURNING id",
                    args![&solution.objective, &solution.upper_bound, solution.gap.to_string(), serde_json::to_string(&solution).unwrap_or_default(), at, &by],
                )
                .await?
                .id::<ProposalId>(0)?;
            for (position, a) in solution.allocations.iter().enumerate() {
                let cents = tallinn_core::money::parse_minor("amount", &a.amount_eur, 2)?;
                tx.execute(
                    "INSERT INTO allocation_proposal_lines (proposal_id, position, pledge_id, need_id, amount_eur_minor) VALUES ($1, $2, $3, $4, $5)",
                    args![key, position as i64, a.pledge.parse::<PledgeId>()?, a.need.parse::<NeedId>()?, cents],
                )
                .await?;
            }
            audit(&mut tx, "allocation.propose", "allocation_proposal", key, &json!({ "lines": solution.allocations.len(), "objective": solution.objective, "gap": solution.gap })).await?;
            let row = tx.fetch_one(&format!("SELECT {COLUMNS} FROM allocation_proposals WHERE id = $1"), args![key]).await?;
            proposal_from(&row)
        }
        .await;
        tx.finish(result).await
    }

    /// Applies a proposal: every line is checked again, on rows locked in
    /// this transaction; if any fails (the ledger moved on), nothing is
    /// applied and the proposal stays open.
    pub async fn apply_proposal(&self, actor: Principal, key: ProposalId) -> Result<Vec<Allocation>> {
        tallinn_core::policy::admin::apply_proposals(&actor)?;
        let mut tx = self.write(actor).await?;
        let result = async {
            let lock = tx.dialect.lock_rows;
            let status = tx.fetch_optional(&format!("SELECT status FROM allocation_proposals WHERE id = $1{lock}"), args![key]).await?;
            let status = status.ok_or_else(|| DomainError::not_found("allocation proposal", key))?.text(0)?;
            if status != "proposed" {
                return Err(DomainError::Conflict(format!("proposal {} is {status}", key)).into());
            }
            let lines: Vec<AllocationLine> = tx
                .fetch("SELECT pledge_id, need_id, amount_eur_minor FROM allocation_proposal_lines WHERE proposal_id = $1 ORDER BY position", args![key])
                .await?
                .iter()
                .map(|r| Ok(AllocationLine { pledge: r.id("pledge_id")?, need: r.id("need_id")?, amount_eur_minor: r.int("amount_eur_minor")? }))
                .collect::<Result<_>>()?;
            let made = apply(&mut tx, &lines).await?;
            let (at, by) = (to_micros(tx.at), tx.actor.actor());
            tx.execute("UPDATE allocation_proposals SET status = 'applied', decided_at = $1, decided_by = $2 WHERE id = $3", args![at, &by, key]).await?;
            audit(&mut tx, "allocation.proposal.apply", "allocation_proposal", key, &json!({ "allocations": made.len() })).await?;
            Ok(made)
        }
        .await;
        tx.finish(result).await
    }

    /// Proposals, newest first (coordinators and auditors).
    pub async fn proposals(&self, reader: &Principal) -> Result<Vec<Proposal>> {
        tallinn_core::policy::admin::read_proposals(reader)?;
        let mut conn = self.read().await?;
        let rows = conn.fetch(&format!("SELECT {COLUMNS} FROM allocation_proposals ORDER BY id DESC"), vec![]).await?;
        rows.iter().map(proposal_from).collect()
    }

    /// One proposal.
    pub async fn proposal(&self, reader: &Principal, key: ProposalId) -> Result<Proposal> {
        tallinn_core::policy::admin::read_proposals(reader)?;
        let mut conn = self.read().await?;
        let row = fetch_optional(conn.as_mut(), &format!("SELECT {COLUMNS} FROM allocation_proposals WHERE id = $1"), args![key]).await?;
        row.as_ref().map(proposal_from).transpose()?.ok_or_else(|| DomainError::not_found("allocation proposal", key).into())
    }
}
