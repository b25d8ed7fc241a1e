//! Gap analysis: the unfunded remainder of approved needs, ranked by urgency
//! × threat, per need or grouped.

use serde::Serialize;
use tallinn_core::NeedId;
use tallinn_core::money::format_minor;
use tallinn_core::need::{Need, NeedStatus};

use crate::model::Weights;

/// How to group the gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapBy {
    Need,
    Capability,
    Sector,
    Beneficiary,
    Urgency,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapRow {
    /// The need id, or the group's value.
    pub group: String,
    pub needs: usize,
    pub unfunded_eur: String,
    /// Σ unfunded × urgency weight × threat factor: the ranking key.
    pub weighted_eur: String,
    /// The most urgent need in the group.
    pub top_need: String,
}

/// Ranks the gap of `needs` (only approved and partially funded needs with a
/// remainder count). `threat` gives each need's threat factor.
pub fn gaps(needs: &[Need], by: GapBy, weights: &Weights, threat: impl Fn(&Need) -> f64) -> Vec<GapRow> {
    struct Acc {
        needs: usize,
        unfunded: i64,
        weighted: f64,
        /// The most urgent need's priority and id (the lowest id among equals).
        top: (f64, Option<NeedId>),
    }
    let mut groups: std::collections::BTreeMap<String, Acc> = Default::default();
    for n in needs.iter().filter(|n| matches!(n.status, NeedStatus::Approved | NeedStatus::PartiallyFunded) && n.remainder_eur_minor() > 0) {
        let key = match by {
            GapBy::Need => n.id.to_string(),
            GapBy::Capability => n.capability.to_string(),
            GapBy::Sector => n.sector.to_string(),
            GapBy::Beneficiary => n.beneficiary.clone(),
            GapBy::Urgency => n.urgency.to_string(),
        };
        let priority = weights.of(n.urgency) * threat(n);
        let acc = groups.entry(key).or_insert(Acc { needs: 0, unfunded: 0, weighted: 0.0, top: (f64::MIN, None) });
        acc.needs += 1;
        acc.unfunded += n.remainder_eur_minor();
        acc.weighted += priority * n.remainder_eur_minor() as f64;
        if priority > acc.top.0 || (priority == acc.top.0 && acc.top.1.is_none_or(|top| n.id < top)) {
            acc.top = (priority, Some(n.id));
        }
    }
    let mut rows: Vec<(f64, GapRow)> = groups
        .into_iter()
        .map(|(group, a)| {
            (
                a.weighted,
                GapRow {
                    group,
                    needs: a.needs,
                    unfunded_eur: format_minor(a.unfunded, 2),
                    weighted_eur: format!("{:.2}", a.weighted / 100.0),
                    top_need: a.top.1.map(|id| id.to_string()).unwrap_or_default(),
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.group.cmp(&b.1.group)));
    rows.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tallinn_core::need::{Capability, Sector, Urgency};
    use tallinn_core::policy::Tlp;

    fn need(id: &str, urgency: Urgency, cost: i64, funded: i64, status: NeedStatus, sector: Sector) -> Need {
        Need {
            id: id.parse().expect("a need id"),
            beneficiary: "UA-A".into(),
            title: "t".into(),
            description: String::new(),
            capability: Capability::Detect,
            sector,
            urgency,
            cost_eur_minor: cost,
            funded_eur_minor: funded,
            divisible: true,
            deadline: None,
            status,
            tlp: Tlp::Clear,
            share_orgs: vec![],
            share_users: vec![],
            tags: vec![],
            reservation: None,
            synthetic: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            created_by: "system".into(),
        }
    }

    #[test]
    fn ranks_by_urgency_times_threat() {
        let needs = [
            need("N-1", Urgency::Low, 100_000, 0, NeedStatus::Approved, Sector::Energy),
            need("N-2", Urgency::Critical, 50_000, 10_000, NeedStatus::PartiallyFunded, Sector::Health),
            need("N-3", Urgency::Critical, 99_900, 0, NeedStatus::Draft, Sector::Health),
            need("N-4", Urgency::High, 10_000, 10_000, NeedStatus::Funded, Sector::Energy),
        ];
        let rows = gaps(&needs, GapBy::Need, &Weights::default(), |_| 1.0);
        let got: Vec<(&str, &str)> = rows.iter().map(|r| (r.group.as_str(), r.unfunded_eur.as_str())).collect();
        assert_eq!(got, vec![("N-2", "400.00"), ("N-1", "1000.00")], "drafts and funded needs are no gap; 8 x 400 > 1 x 1000");
        let by_sector = gaps(&needs, GapBy::Sector, &Weights::default(), |n| if n.sector == Sector::Energy { 5.0 } else { 1.0 });
        assert_eq!(by_sector[0].group, "energy", "threat 5 x 1000 beats 8 x 400");
        assert_eq!(by_sector[0].weighted_eur, "5000.00");
    }
}
