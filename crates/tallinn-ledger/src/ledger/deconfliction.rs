//! Deconfliction and gap analysis over the ledger, as the reader may see it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tallinn_allocate::dedup::{DedupNeed, DuplicatePair, OverlapPledge, find_duplicates, overlapping_pledges};
use tallinn_allocate::gaps::{GapBy, GapRow, gaps};
use tallinn_core::DomainError;
use tallinn_core::NeedId;
use tallinn_core::need::NeedStatus;
use tallinn_core::pledge::PledgeStatus;
use tallinn_core::policy::{Principal, Tlp};

use super::Ledger;
use crate::error::Result;

/// The TLP of records by id (`N-12`, `P-3`).
pub(crate) type Levels = HashMap<String, Tlp>;

/// Likely duplicate needs and overlapping pledges.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duplicates {
    pub needs: Vec<DuplicatePair>,
    pub pledges: Vec<DuplicatePair>,
    /// How many needs were compared.
    pub scanned: usize,
}

impl Ledger {
    /// Duplicate candidates among the open needs and pledges the reader may
    /// see, leaving out pairs a coordinator has already judged; with the TLP
    /// of every need and pledge compared, by id (shown through
    /// `View::duplicates`, which logs the records the pairs name).
    pub(crate) async fn duplicates(&self, reader: &Principal, threshold: f64) -> Result<(Duplicates, Levels)> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(DomainError::invalid("threshold", format!("{threshold} is not between 0 and 1")).into());
        }
        let mut levels = Levels::new();
        let needs: Vec<DedupNeed> = self
            .needs(reader, &Default::default())
            .await?
            .into_iter()
            .filter(|n| !matches!(n.status, NeedStatus::Rejected | NeedStatus::Withdrawn))
            .inspect(|n| {
                levels.insert(n.id.to_string(), n.tlp);
            })
            .map(|n| DedupNeed {
                id: n.id.to_string(),
                beneficiary: n.beneficiary,
                title: n.title,
                description: n.description,
                capability: n.capability,
                sector: n.sector,
                cost_eur_minor: n.cost_eur_minor,
                deadline: n.deadline,
            })
            .collect();
        let decided: HashSet<(NeedId, NeedId)> = self.related_pairs().await?.into_iter().collect();
        // The engine names needs as it was given them (`N-12`).
        let pair = |p: &DuplicatePair| -> Option<(NeedId, NeedId)> {
            let (a, b): (NeedId, NeedId) = (p.a.parse().ok()?, p.b.parse().ok()?);
            Some((a.min(b), a.max(b)))
        };
        let need_pairs = find_duplicates(&needs, threshold).into_iter().filter(|p| pair(p).is_none_or(|k| !decided.contains(&k))).collect();
        let pledges: Vec<OverlapPledge> = self
            .pledges(reader, None, None)
            .await?
            .into_iter()
            .filter(|p| p.status != PledgeStatus::Cancelled)
            .inspect(|p| {
                levels.insert(p.id.to_string(), p.tlp);
            })
            .map(|p| OverlapPledge {
                earmarks: p
                    .earmarks
                    .capabilities
                    .iter()
                    .map(ToString::to_string)
                    .chain(p.earmarks.sectors.iter().map(ToString::to_string))
                    .chain(p.earmarks.beneficiaries.iter().cloned())
                    .collect(),
                id: p.id.to_string(),
                donor: p.donor,
                amount_eur_minor: p.eur_minor,
                pledged_on: p.pledged_on,
            })
            .collect();
        Ok((Duplicates { needs: need_pairs, pledges: overlapping_pledges(&pledges, threshold), scanned: needs.len() }, levels))
    }

    /// The unfunded gap of the approved needs the reader may see, ranked by
    /// urgency × threat (the factor of each need's sector, from the
    /// sightings in the threat exchange: `Ledger::threat_factors`).
    /// With the TLP of every need ranked, by id (shown through
    /// `View::gaps`, which logs the needs the rows name).
    pub(crate) async fn gaps(&self, reader: &Principal, by: GapBy) -> Result<(Vec<GapRow>, Levels)> {
        let needs = self.needs(reader, &Default::default()).await?;
        let threat = self.threat_factors().await?;
        let rows = gaps(&needs, by, &Default::default(), |n| threat.get(&n.sector).map_or(1.0, |t| t.factor));
        Ok((rows, needs.iter().map(|n| (n.id.to_string(), n.tlp)).collect()))
    }
}

/// The words [`gap_by`] takes.
pub const GAP_BY_WORDS: &[&str] = &["need", "capability", "sector", "beneficiary", "urgency"];

/// Parses a `--by` / `?by=` word.
pub fn gap_by(word: &str) -> Result<GapBy> {
    Ok(match word {
        "need" => GapBy::Need,
        "capability" => GapBy::Capability,
        "sector" => GapBy::Sector,
        "beneficiary" => GapBy::Beneficiary,
        "urgency" => GapBy::Urgency,
        other => return Err(DomainError::invalid("by", format!("'{other}' is not one of need, capability, sector, beneficiary, urgency")).into()),
    })
}
