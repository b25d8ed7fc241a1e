//! Coverage (funded ÷ approved need cost) and the unfunded gap, over the
//! needs in the Catalogue (approved by both panels, not withdrawn).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::{Facts, NeedFact};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CoverageRow {
    pub key: String,
    pub needs: u64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "approved_cost_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub approved_cost: i64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "funded_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub funded: i64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "unfunded_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub unfunded: i64,
    /// Funded ÷ approved cost, in percent with one decimal ("63.4").
    pub coverage_percent: String,
}

/// `part / whole` in percent with one decimal, rounded half up, by integer
/// arithmetic (the figures must not depend on floating point).
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0.0".into();
    }
    let tenths = (i128::from(part) * 1000 + i128::from(whole) / 2) / i128::from(whole);
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn rows_by(needs: &[NeedFact], key: impl Fn(&NeedFact) -> String) -> Vec<CoverageRow> {
    let mut acc: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    for n in needs.iter().filter(|n| n.in_catalogue()) {
        let e = acc.entry(key(n)).or_default();
        e.0 += 1;
        e.1 += n.cost_eur_minor;
        e.2 += n.funded_eur_minor;
    }
    acc.into_iter()
        .map(|(key, (needs, cost, funded))| CoverageRow {
            key,
            needs,
            approved_cost: cost,
            funded,
            unfunded: cost - funded,
            coverage_percent: percent(funded, cost),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Coverage {
    pub total: CoverageRow,
    pub by_capability: Vec<CoverageRow>,
    pub by_sector: Vec<CoverageRow>,
}

pub fn coverage(facts: &Facts) -> Coverage {
    let total = rows_by(&facts.needs, |_| "all".into()).pop().unwrap_or(CoverageRow {
        key: "all".into(),
        needs: 0,
        approved_cost: 0,
        funded: 0,
        unfunded: 0,
        coverage_percent: percent(0, 0),
    });
    Coverage { total, by_capability: rows_by(&facts.needs, |n| n.capability.to_string()), by_sector: rows_by(&facts.needs, |n| n.sector.to_string()) }
}

/// One open need and what it still lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GapNeed {
    pub id: String,
    pub title: String,
    pub beneficiary: String,
    pub capability: String,
    pub sector: String,
    pub urgency: String,
    #[serde(with = "tallinn_core::money::eur_string", rename = "unfunded_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub unfunded: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Gaps {
    /// What approved needs still lack, in total.
    #[serde(with = "tallinn_core::money::eur_string", rename = "unfunded_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub unfunded: i64,
    pub open_needs: u64,
    /// The largest remainders first (ties: the older need first).
    pub top: Vec<GapNeed>,
}

pub fn gaps(facts: &Facts, top: usize) -> Gaps {
    let mut open: Vec<&NeedFact> = facts.needs.iter().filter(|n| n.in_catalogue() && n.remainder_eur_minor() > 0).collect();
    let unfunded = open.iter().map(|n| n.remainder_eur_minor()).sum();
    let open_needs = open.len() as u64;
    open.sort_by(|a, b| b.remainder_eur_minor().cmp(&a.remainder_eur_minor()).then(a.key.cmp(&b.key)));
    let top = open
        .into_iter()
        .take(top)
        .map(|n| GapNeed {
            id: n.id.clone(),
            title: n.title.clone(),
            beneficiary: n.beneficiary.clone(),
            capability: n.capability.to_string(),
            sector: n.sector.to_string(),
            urgency: n.urgency.to_string(),
            unfunded: n.remainder_eur_minor(),
        })
        .collect();
    Gaps { unfunded, open_needs, top }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_rounds_half_up_without_floats() {
        assert_eq!(super::percent(1, 3), "33.3");
        assert_eq!(super::percent(2, 3), "66.7");
        assert_eq!(super::percent(1, 2000), "0.1");
        assert_eq!(super::percent(5, 5), "100.0");
        assert_eq!(super::percent(0, 0), "0.0");
    }
}
