//! How fast aid arrives: the median time from approval to full funding, and
//! from full funding to delivery, per donor and per capability.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use crate::facts::{Facts, NeedFact};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimingRow {
    pub key: String,
    pub label: String,
    /// Needs that reached `funded` after `approved`.
    pub funded_needs: u64,
    /// Median days from approval to full funding, one decimal.
    pub median_days_to_fund: Option<String>,
    /// Needs that reached `delivered` after `funded`.
    pub delivered_needs: u64,
    /// Median days from full funding to delivery, one decimal.
    pub median_days_to_deliver: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Timing {
    pub by_donor: Vec<TimingRow>,
    pub by_capability: Vec<TimingRow>,
}

fn seconds_between(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<i64> {
    let (from, to) = (from?, to?);
    (to >= from).then(|| to.as_second() - from.as_second())
}

/// The median of whole seconds in days with one decimal; the mean of the two
/// middle values for an even count (rounded down to the second).
pub fn median_days(mut seconds: Vec<i64>) -> Option<String> {
    if seconds.is_empty() {
        return None;
    }
    seconds.sort_unstable();
    let n = seconds.len();
    let median = if n % 2 == 1 { seconds[n / 2] } else { (seconds[n / 2 - 1] + seconds[n / 2]) / 2 };
    let tenths = (median * 10 + 43_200) / 86_400;
    Some(format!("{}.{}", tenths / 10, tenths % 10))
}

#[derive(Default)]
struct Samples {
    fund: Vec<i64>,
    deliver: Vec<i64>,
}

fn add(samples: &mut Samples, n: &NeedFact) {
    if let Some(s) = seconds_between(n.approved_at, n.funded_at) {
        samples.fund.push(s);
    }
    if let Some(s) = seconds_between(n.funded_at, n.delivered_at) {
        samples.deliver.push(s);
    }
}

fn rows(groups: BTreeMap<String, Samples>, label: impl Fn(&str) -> String) -> Vec<TimingRow> {
    groups
        .into_iter()
        .filter(|(_, s)| !s.fund.is_empty() || !s.deliver.is_empty())
        .map(|(key, s)| TimingRow {
            label: label(&key),
            funded_needs: s.fund.len() as u64,
            median_days_to_fund: median_days(s.fund),
            delivered_needs: s.deliver.len() as u64,
            median_days_to_deliver: median_days(s.deliver),
            key,
        })
        .collect()
}

/// A need counts for every donor whose pledge funds it (through allocations
/// the reader may see).
pub fn timing(facts: &Facts) -> Timing {
    let donors_of_pledge: HashMap<i64, &str> = facts.pledges.iter().map(|p| (p.key, p.donor.as_str())).collect();
    let mut donors_of_need: HashMap<i64, BTreeSet<&str>> = HashMap::new();
    for a in &facts.allocations {
        if let Some(d) = donors_of_pledge.get(&a.pledge) {
            donors_of_need.entry(a.need).or_default().insert(d);
        }
    }
    let mut by_donor: BTreeMap<String, Samples> = BTreeMap::new();
    let mut by_capability: BTreeMap<String, Samples> = BTreeMap::new();
    for n in &facts.needs {
        add(by_capability.entry(n.capability.to_string()).or_default(), n);
        for d in donors_of_need.get(&n.key).into_iter().flatten() {
            add(by_donor.entry((*d).to_string()).or_default(), n);
        }
    }
    Timing { by_donor: rows(by_donor, |k| facts.org_name(k).to_string()), by_capability: rows(by_capability, str::to_string) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn medians_in_days() {
        assert_eq!(super::median_days(vec![]), None);
        assert_eq!(super::median_days(vec![86_400 * 3]), Some("3.0".into()));
        assert_eq!(super::median_days(vec![86_400, 86_400 * 2, 86_400 * 10]), Some("2.0".into()));
        assert_eq!(super::median_days(vec![86_400, 86_400 * 2]), Some("1.5".into()));
    }
}
