//! Funding figures by one dimension: committed, disbursed and spent EUR from
//! the flows, with announced pledges shown beside and never added in.
//!
//! Rules (docs/guide/reports-and-iati.md):
//! - `committed`, `disbursed` and `spent` are the sums of `commitment`,
//!   `disbursement` and `expenditure` flows. They measure the same money at
//!   successive stages, so they are never added to one another.
//! - A flow that passes on another (`pass_through_of`) is the same euro: it is
//!   counted once, at its origin, and the amount left out is reported.
//! - `announced` is the EUR value of pledges still in status `announced`.
//! - Year comes from the flow's value date. Donor is the flow's provider when
//!   that is a member or observer; money spent on a need by someone else (an
//!   implementer's expenditure) is attributed to the donors funding that need
//!   in proportion to their allocations, else to `unspecified`.
//! - The need dimensions (capability, sector, beneficiary, status) from the need it
//!   funds. A flow linked only to a pledge is attributed to the needs that
//!   pledge funds in proportion to the allocations, and the part of the pledge
//!   not allocated to any need to `unspecified`, exactly (largest remainder).

use std::collections::HashMap;
use std::str::FromStr;

use serde::Serialize;
use tallinn_core::pledge::PledgeStatus;
use tallinn_core::transaction::TransactionKind;

use crate::apportion::apportion;
use crate::facts::{Facts, Flow, NeedFact, Scope};

/// The word for money that no need explains.
pub const UNSPECIFIED: &str = "unspecified";

/// The dimension a funding table is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum By {
    Donor,
    Year,
    Capability,
    Sector,
    Beneficiary,
    Status,
}

impl By {
    pub const ALL: &[By] = &[By::Donor, By::Year, By::Capability, By::Sector, By::Beneficiary, By::Status];

    pub fn as_str(self) -> &'static str {
        match self {
            By::Donor => "donor",
            By::Year => "year",
            By::Capability => "capability",
            By::Sector => "sector",
            By::Beneficiary => "beneficiary",
            By::Status => "status",
        }
    }

    fn is_need_dimension(self) -> bool {
        matches!(self, By::Capability | By::Sector | By::Beneficiary | By::Status)
    }
}

impl FromStr for By {
    type Err = String;
    fn from_str(s: &str) -> Result<By, String> {
        By::ALL
            .iter()
            .copied()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| format!("unknown report dimension '{s}' (expected one of: {})", By::ALL.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", ")))
    }
}

/// EUR amounts of one row (or of the total), in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Amounts {
    #[serde(with = "tallinn_core::money::eur_string", rename = "committed_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub committed: i64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "disbursed_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub disbursed: i64,
    #[serde(with = "tallinn_core::money::eur_string", rename = "spent_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub spent: i64,
    /// Pledges still announced: shown beside, never in the totals.
    #[serde(with = "tallinn_core::money::eur_string", rename = "announced_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub announced: i64,
    /// Flows counted in this row (a flow split across needs counts in each).
    pub flows: u64,
}

impl Amounts {
    fn add_flow(&mut self, kind: TransactionKind, eur: i64) {
        match kind {
            TransactionKind::Commitment => self.committed += eur,
            TransactionKind::Disbursement => self.disbursed += eur,
            TransactionKind::Expenditure => self.spent += eur,
            _ => return,
        }
        self.flows += 1;
    }

    fn is_empty(&self) -> bool {
        *self == Amounts::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FundingRow {
    /// The code or word (`EE`, `2025`, `detect`, `unspecified`).
    pub key: String,
    /// For people: the participant's name, else the key.
    pub label: String,
    #[serde(flatten)]
    pub amounts: Amounts,
}

/// Funding grouped by one dimension, over what the reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FundingTable {
    pub scope: Option<Scope>,
    pub by: By,
    pub year: Option<i16>,
    /// Largest committed first, then by key.
    pub rows: Vec<FundingRow>,
    pub total: Amounts,
    /// EUR of flows that pass on another flow, left out to count each euro once.
    #[serde(with = "tallinn_core::money::eur_string", rename = "pass_through_excluded_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub pass_through_excluded: i64,
}

/// Interns row keys so that a million flows add into a vector, not a map of strings.
#[derive(Default)]
struct Rows {
    keys: Vec<String>,
    index: HashMap<String, u32>,
    amounts: Vec<Amounts>,
}

impl Rows {
    fn intern(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(key.to_string());
        self.index.insert(key.to_string(), i);
        self.amounts.push(Amounts::default());
        i
    }
}

fn need_key(by: By, n: &NeedFact) -> String {
    match by {
        By::Capability => n.capability.to_string(),
        By::Sector => n.sector.to_string(),
        By::Beneficiary => n.beneficiary.clone(),
        By::Status => n.status.to_string(),
        By::Donor | By::Year => unreachable!("not a need dimension"),
    }
}

/// How a pledge-level flow is spread: row per allocated need, plus the
/// unallocated part of the pledge.
struct Spread {
    rows: Vec<u32>,
    weights: Vec<i64>,
}

pub fn funding(facts: &Facts, by: By, year: Option<i16>) -> FundingTable {
    let mut rows = Rows::default();
    let in_year = |y: i16| year.is_none_or(|wanted| wanted == y);
    let unspecified = if by == By::Year { None } else { Some(rows.intern(UNSPECIFIED)) };

    // Row of each need and the spread of each pledge (need dimensions only).
    let mut need_row: HashMap<i64, u32> = HashMap::new();
    let mut spreads: HashMap<i64, Spread> = HashMap::new();
    if let (true, Some(unspecified)) = (by.is_need_dimension(), unspecified) {
        for n in &facts.needs {
            need_row.insert(n.key, rows.intern(&need_key(by, n)));
        }
        let mut allocated: HashMap<i64, i64> = HashMap::new();
        for a in &facts.allocations {
            if let Some(&row) = need_row.get(&a.need) {
                let s = spreads.entry(a.pledge).or_insert_with(|| Spread { rows: vec![], weights: vec![] });
                s.rows.push(row);
                s.weights.push(a.eur_minor);
                *allocated.entry(a.pledge).or_default() += a.eur_minor;
            }
        }
        for p in &facts.pledges {
            if let Some(s) = spreads.get_mut(&p.key) {
                s.rows.push(unspecified);
                s.weights.push((p.eur_minor - allocated.get(&p.key).copied().unwrap_or(0)).max(0));
            }
        }
    }
    // Donors of each need, for money spent on it by someone else.
    let mut donor_spreads: HashMap<i64, Spread> = HashMap::new();
    if by == By::Donor {
        let pledges = facts.pledges_by_key();
        for a in &facts.allocations {
            if let Some(p) = pledges.get(&a.pledge) {
                let row = rows.intern(&p.donor);
                let s = donor_spreads.entry(a.need).or_insert_with(|| Spread { rows: vec![], weights: vec![] });
                s.rows.push(row);
                s.weights.push(a.eur_minor);
            }
        }
    }
    let mut year_row: HashMap<i16, u32> = HashMap::new();
    let mut org_row: Vec<Option<u32>> = vec![None; facts.orgs.len()];

    let mut pass_through_excluded = 0i64;
    let mut total = Amounts::default();
    for f in &facts.flows {
        if !matches!(f.kind, TransactionKind::Commitment | TransactionKind::Disbursement | TransactionKind::Expenditure) || !in_year(f.value_date.year()) {
            continue;
        }
        if f.pass_through {
            pass_through_excluded += f.eur_minor;
            continue;
        }
        total.add_flow(f.kind, f.eur_minor);
        match (by, unspecified) {
            (By::Donor, Some(unspecified)) => {
                if facts.orgs.get(f.provider as usize).is_some_and(|o| o.donor) {
                    let row = org_row_of(&mut org_row, &mut rows, facts, f.provider);
                    rows.amounts[row as usize].add_flow(f.kind, f.eur_minor);
                } else {
                    spread(f, f.need.and_then(|n| donor_spreads.get(&n)), unspecified, &mut rows);
                }
            }
            (By::Year, _) => {
                let y = f.value_date.year();
                let row = *year_row.entry(y).or_insert_with(|| rows.intern(&y.to_string()));
                rows.amounts[row as usize].add_flow(f.kind, f.eur_minor);
            }
            (_, Some(unspecified)) => attribute(f, &need_row, &spreads, unspecified, &mut rows),
            (_, None) => unreachable!("only years have no unspecified row"),
        }
    }
    for p in facts.pledges.iter().filter(|p| p.status == PledgeStatus::Announced && in_year(p.pledged_on.year())) {
        total.announced += p.eur_minor;
        let row = match by {
            By::Donor => rows.intern(&p.donor),
            By::Year => rows.intern(&p.pledged_on.year().to_string()),
            // Announced money is not allocated to any need yet.
            _ => unspecified.expect("need dimension"),
        };
        rows.amounts[row as usize].announced += p.eur_minor;
    }

    let mut out: Vec<FundingRow> = rows
        .keys
        .iter()
        .zip(&rows.amounts)
        .filter(|(_, a)| !a.is_empty())
        .map(|(key, amounts)| FundingRow {
            key: key.clone(),
            label: if matches!(by, By::Donor | By::Beneficiary) { facts.org_name(key).to_string() } else { key.clone() },
            amounts: *amounts,
        })
        .collect();
    out.sort_by(|a, b| match by {
        By::Year => a.key.cmp(&b.key),
        _ => b.amounts.committed.cmp(&a.amounts.committed).then_with(|| a.key.cmp(&b.key)),
    });
    FundingTable { scope: facts.scope.clone(), by, year, rows: out, total, pass_through_excluded }
}

fn org_row_of(cache: &mut [Option<u32>], rows: &mut Rows, facts: &Facts, org: u32) -> u32 {
    match cache.get(org as usize).copied().flatten() {
        Some(row) => row,
        None => {
            let row = rows.intern(facts.org_code(org));
            if let Some(slot) = cache.get_mut(org as usize) {
                *slot = Some(row);
            }
            row
        }
    }
}

fn attribute(f: &Flow, need_row: &HashMap<i64, u32>, spreads: &HashMap<i64, Spread>, unspecified: u32, rows: &mut Rows) {
    if let Some(row) = f.need.and_then(|n| need_row.get(&n)) {
        rows.amounts[*row as usize].add_flow(f.kind, f.eur_minor);
        return;
    }
    spread(f, f.pledge.and_then(|p| spreads.get(&p)), unspecified, rows);
}

/// Adds a flow to the rows of `spread` in proportion, or wholly to `unspecified`.
fn spread(f: &Flow, spread: Option<&Spread>, unspecified: u32, rows: &mut Rows) {
    match spread {
        Some(spread) => {
            for (part, row) in apportion(f.eur_minor, &spread.weights).into_iter().zip(&spread.rows) {
                if part > 0 {
                    rows.amounts[*row as usize].add_flow(f.kind, part);
                }
            }
        }
        None => rows.amounts[unspecified as usize].add_flow(f.kind, f.eur_minor),
    }
}
