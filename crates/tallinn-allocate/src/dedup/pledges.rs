//! Pledges one donor may have recorded twice.

use std::collections::{HashMap, HashSet};

use tallinn_core::money::format_minor;

use super::DuplicatePair;

/// A pledge as the overlap check sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlapPledge {
    pub id: String,
    pub donor: String,
    pub amount_eur_minor: i64,
    /// Earmark words (capabilities, sectors, beneficiaries); empty = any.
    pub earmarks: Vec<String>,
    pub pledged_on: jiff::civil::Date,
}

/// Pledges of one donor this close in time are compared.
pub const OVERLAP_DAYS: i64 = 90;

/// Likely overlapping pledges: the same donor, amounts within 10 %, the same
/// or largely shared earmarks, pledged within 90 days of each other. Score:
/// 0.4 × amount ratio + 0.3 × earmark overlap + 0.3 × closeness in time.
pub fn overlapping_pledges(pledges: &[OverlapPledge], threshold: f64) -> Vec<DuplicatePair> {
    let mut by_donor: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in pledges.iter().enumerate() {
        by_donor.entry(p.donor.as_str()).or_default().push(i);
    }
    let mut out = Vec::new();
    for members in by_donor.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let (p, q) = (&pledges[i], &pledges[j]);
                let amount = p.amount_eur_minor.min(q.amount_eur_minor) as f64 / p.amount_eur_minor.max(q.amount_eur_minor).max(1) as f64;
                let days = (p.pledged_on - q.pledged_on).get_days().unsigned_abs() as i64;
                if amount < 0.9 || days > OVERLAP_DAYS {
                    continue;
                }
                let earmarks = if p.earmarks.is_empty() && q.earmarks.is_empty() {
                    1.0
                } else {
                    let (a, b): (HashSet<&String>, HashSet<&String>) = (p.earmarks.iter().collect(), q.earmarks.iter().collect());
                    a.intersection(&b).count() as f64 / a.union(&b).count() as f64
                };
                let score = 0.4 * amount + 0.3 * earmarks + 0.3 * (1.0 - days as f64 / OVERLAP_DAYS as f64);
                if score >= threshold && earmarks >= 0.5 {
                    let (a, b) = if i < j { (p, q) } else { (q, p) };
                    out.push(DuplicatePair {
                        a: a.id.clone(),
                        b: b.id.clone(),
                        score: (score * 1000.0).round() / 1000.0,
                        reason: format!(
                            "same donor {}; amounts EUR {} and {}; {} earmarks; pledged {days} days apart",
                            p.donor,
                            format_minor(a.amount_eur_minor, 2),
                            format_minor(b.amount_eur_minor, 2),
                            if earmarks == 1.0 { "the same".to_string() } else { format!("{:.0} % shared", earmarks * 100.0) }
                        ),
                    });
                }
            }
        }
    }
    out.sort_by(|x, y| y.score.total_cmp(&x.score).then_with(|| x.a.cmp(&y.a)).then_with(|| x.b.cmp(&y.b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::DEFAULT_THRESHOLD;

    #[test]
    fn overlapping_pledges_same_donor_close_amounts_and_dates() {
        let p = |id: &str, donor: &str, eur: i64, day: &str, earmarks: &[&str]| OverlapPledge {
            id: id.into(),
            donor: donor.into(),
            amount_eur_minor: eur * 100,
            earmarks: earmarks.iter().map(|s| s.to_string()).collect(),
            pledged_on: day.parse().unwrap(),
        };
        let pledges = [
            p("P-1", "EE", 1_000_000, "2025-03-01", &["detect"]),
            p("P-2", "EE", 1_020_000, "2025-03-20", &["detect"]),
            p("P-3", "DE", 1_000_000, "2025-03-01", &["detect"]),
            p("P-4", "EE", 500_000, "2025-03-01", &["detect"]),
            p("P-5", "EE", 1_000_000, "2025-12-01", &["detect"]),
            p("P-6", "EE", 1_000_000, "2025-03-02", &["connectivity"]),
        ];
        let pairs = overlapping_pledges(&pledges, DEFAULT_THRESHOLD);
        let got: Vec<(&str, &str)> = pairs.iter().map(|x| (x.a.as_str(), x.b.as_str())).collect();
        assert_eq!(got, vec![("P-1", "P-2")], "{pairs:#?}");
        assert!(pairs[0].reason.contains("same donor EE") && pairs[0].reason.contains("19 days apart"));
    }
}
