//! Allocations of pledges to needs, with every invariant checked on locked
//! rows inside one transaction.

use serde_json::json;
use tallinn_core::DomainError;
use tallinn_core::allocation::{Allocation, check, check_all_or_nothing};
use tallinn_core::need::NeedStatus;
use tallinn_core::policy::{Principal, may_see};
use tallinn_core::time::{from_micros, to_micros};
use tallinn_core::{AllocationId, NeedId, PledgeId};

use super::{Ledger, audit, needs, participants, pledges, prefixed};
use crate::args;
use crate::error::Result;
use crate::tx::Tx;

/// One proposed line: `amount` EUR cents from a pledge to a need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationLine {
    pub pledge: PledgeId,
    pub need: NeedId,
    pub amount_eur_minor: i64,
}

/// Applies lines in one transaction. Rows are locked needs first, then
/// pledges, each in key order, so that concurrent batches cannot deadlock.
pub(crate) async fn apply(tx: &mut Tx, lines: &[AllocationLine]) -> Result<Vec<Allocation>> {
    if lines.is_empty() {
        return Err(DomainError::invalid("allocations", "nothing to allocate").into());
    }
    let mut need_keys: Vec<NeedId> = lines.iter().map(|l| l.need).collect();
    let mut pledge_keys: Vec<PledgeId> = lines.iter().map(|l| l.pledge).collect();
    need_keys.sort_unstable();
    need_keys.dedup();
    pledge_keys.sort_unstable();
    pledge_keys.dedup();
    let mut needs = std::collections::BTreeMap::new();
    for key in &need_keys {
        needs.insert(*key, needs::lock(tx, *key).await?);
    }
    let mut pledges = std::collections::BTreeMap::new();
    for key in &pledge_keys {
        let pledge = pledges::lock(tx, *key).await?;
        let donor = pledge.donor.clone();
        tallinn_core::policy::pledge::allocate(&tx.actor, &donor)?;
        let principal = participants::as_principal(tx, &donor).await?;
        pledges.insert(*key, (pledge, principal));
    }
    let (at, actor) = (to_micros(tx.at), tx.actor.actor());
    let mut made = Vec::with_capacity(lines.len());
    for line in lines {
        let (nk, pk) = (line.need, line.pledge);
        let need = needs.get_mut(&nk).expect("locked above");
        let (pledge, donor) = pledges.get_mut(&pk).expect("locked above");
        check(need, pledge, donor, line.amount_eur_minor, tx.at)?;
        let id = tx
            .fetch_one(
                "INSERT INTO allocations (pledge_id, need_id, amount_eur_minor, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                args![pk, nk, line.amount_eur_minor, at, &actor],
            )
            .await?
            .id(0)?;
        need.funded_eur_minor += line.amount_eur_minor;
        pledge.allocated_eur_minor += line.amount_eur_minor;
        made.push(Allocation {
            id,
            pledge: pledge.id,
            need: need.id,
            donor: pledge.donor.clone(),
            amount_eur_minor: line.amount_eur_minor,
            created_at: tx.at,
            created_by: actor.clone(),
        });
    }
    // Write the new totals (the CHECK constraints are a second guard), then
    // move each need to its funding status.
    for (key, need) in needs.iter_mut() {
        check_all_or_nothing(need)?;
        tx.execute("UPDATE needs SET funded_eur_minor = $1 WHERE id = $2", args![need.funded_eur_minor, *key]).await?;
        let status = NeedStatus::for_funding(need.funded_eur_minor, need.cost_eur_minor);
        if status != need.status {
            needs::move_to(tx, need, status, "allocation").await?;
        }
    }
    for (key, (pledge, _)) in &pledges {
        tx.execute("UPDATE pledges SET allocated_eur_minor = $1 WHERE id = $2", args![pledge.allocated_eur_minor, *key]).await?;
    }
    for a in &made {
        audit(
            tx,
            "allocation.add",
            "allocation",
            &a.id,
            &json!({ "pledge": a.pledge, "need": a.need, "amount_eur": tallinn_core::money::format_minor(a.amount_eur_minor, 2) }),
        )
        .await?;
    }
    Ok(made)
}

impl Ledger {
    /// Allocates, all lines or none.
    pub async fn allocate(&self, actor: Principal, lines: &[AllocationLine]) -> Result<Vec<Allocation>> {
        let mut tx = self.write(actor).await?;
        let result = apply(&mut tx, lines).await;
        tx.finish(result).await
    }

    /// One allocation, if the reader may see both its need and its pledge.
    pub async fn allocation(&self, reader: &Principal, id: AllocationId) -> Result<Allocation> {
        self.read_allocations(reader, Some(id)).await?.pop().ok_or_else(|| DomainError::not_found("allocation", id).into())
    }

    /// Allocations whose need and pledge the reader may both see.
    pub async fn allocations(&self, reader: &Principal) -> Result<Vec<Allocation>> {
        self.read_allocations(reader, None).await
    }

    /// All the allocations the reader may see, or only the one with key `only`.
    async fn read_allocations(&self, reader: &Principal, only: Option<AllocationId>) -> Result<Vec<Allocation>> {
        let mut conn = self.read().await?;
        let (which, args) = match only {
            Some(id) => (" WHERE a.id = $1", args![id]),
            None => ("", vec![]),
        };
        let sql = format!(
            "SELECT a.id AS allocation_id, a.amount_eur_minor AS allocated, a.created_at AS allocated_at, a.created_by AS allocated_by, {}, {} FROM allocations a JOIN needs n ON n.id = a.need_id JOIN pledges p ON p.id = a.pledge_id{which} ORDER BY a.id",
            prefixed("n", needs::COLUMNS),
            prefixed("p", pledges::COLUMNS)
        );
        let rows = conn.fetch(&sql, args).await?;
        let need_width = needs::COLUMNS.split(',').count();
        let now = self.now();
        let mut out = Vec::new();
        for r in rows {
            // The need's and the pledge's columns share names: each is read from its own part.
            let need = needs::from_row(&r.slice(4..4 + need_width), now)?;
            let pledge = pledges::from_row(&r.slice(4 + need_width..r.values().len()))?;
            if need.visible_to(reader) && may_see(reader, &pledge.confidentiality()) {
                out.push(Allocation {
                    id: r.id("allocation_id")?,
                    pledge: pledge.id,
                    need: need.id,
                    donor: pledge.donor,
                    amount_eur_minor: r.int("allocated")?,
                    created_at: from_micros(r.int("allocated_at")?),
                    created_by: r.text("allocated_by")?,
                });
            }
        }
        Ok(out)
    }
}
