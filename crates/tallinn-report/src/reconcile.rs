//! The ledger beside the public announcements (Paris 2025: EUR 60.9 million
//! of new support in 2025, EUR 241.7 million in total), with the difference
//! and what explains it. Nothing is apportioned to donors: no per-donor split
//! of the announced totals is public.

use jiff::civil::Date;
use serde::Serialize;
use tallinn_core::money::format_minor;
use tallinn_core::pledge::PledgeStatus;
use tallinn_core::transaction::TransactionKind;

use crate::facts::Facts;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reconciliation {
    pub announcement: String,
    pub date: Date,
    pub year: i16,
    #[serde(with = "tallinn_core::money::eur_string", rename = "announced_new_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub announced_new: i64,
    /// Commitments with a value date in the announcement's year, up to its last day.
    #[serde(with = "tallinn_core::money::eur_string", rename = "ledger_new_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub ledger_new: i64,
    /// Announced minus ledger.
    #[serde(with = "tallinn_core::money::eur_string", rename = "difference_new_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub difference_new: i64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "announced_cumulative_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub announced_cumulative: i64,
    /// Commitments with a value date up to the announcement's last day.
    #[serde(with = "tallinn_core::money::eur_string", rename = "ledger_cumulative_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub ledger_cumulative: i64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "difference_cumulative_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub difference_cumulative: i64,
    /// What explains the difference, one sentence each.
    pub explanation: Vec<String>,
}

fn eur(minor: i64) -> String {
    format!("EUR {}", format_minor(minor, 2))
}

pub fn reconcile(facts: &Facts) -> Vec<Reconciliation> {
    facts.announcements.iter().map(|a| one(facts, a)).collect()
}

fn one(facts: &Facts, a: &tallinn_core::agreement::Announcement) -> Reconciliation {
    let last_day = a.end_date.unwrap_or(a.date);
    let (mut new, mut cumulative, mut synthetic, mut later) = (0i64, 0i64, 0i64, 0i64);
    for f in facts.flows.iter().filter(|f| f.kind == TransactionKind::Commitment && !f.pass_through) {
        if f.value_date > last_day {
            later += f.eur_minor;
            continue;
        }
        cumulative += f.eur_minor;
        if f.value_date.year() == a.new_funding_year {
            new += f.eur_minor;
        }
        if f.synthetic {
            synthetic += f.eur_minor;
        }
    }
    let announced_only: i64 = facts.pledges.iter().filter(|p| p.status == PledgeStatus::Announced && p.pledged_on <= last_day).map(|p| p.eur_minor).sum();
    let difference = a.cumulative_eur_minor - cumulative;

    let mut explanation = Vec::new();
    if facts.scope.as_ref().is_some_and(|s| !s.whole_ledger) {
        explanation.push("Only the records you may see are counted; the whole ledger may hold more.".to_string());
    }
    if synthetic > 0 {
        explanation.push(format!("{} of the ledger figure comes from synthetic demo records, which stand for no real support.", eur(synthetic)));
    }
    if announced_only > 0 {
        explanation.push(format!("{} pledged by then is still announced, not committed, and is not counted.", eur(announced_only)));
    }
    if later > 0 {
        explanation.push(format!("{} committed after {last_day} is left out of this comparison.", eur(later)));
    }
    match difference.signum() {
        1 => explanation.push(format!(
            "{} of the announced total is not recorded in this ledger as commitments; the announcement gives no per-donor split, so it cannot be attributed.",
            eur(difference)
        )),
        -1 => explanation.push(format!("The ledger records {} more than was announced.", eur(-difference))),
        _ => explanation.push("The ledger matches the announced total.".to_string()),
    }
    Reconciliation {
        announcement: a.place.clone(),
        date: a.date,
        year: a.new_funding_year,
        announced_new: a.new_funding_eur_minor,
        ledger_new: new,
        difference_new: a.new_funding_eur_minor - new,
        announced_cumulative: a.cumulative_eur_minor,
        ledger_cumulative: cumulative,
        difference_cumulative: difference,
        explanation,
    }
}
