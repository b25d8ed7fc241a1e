//! Report rows as table cells: one column list and one row of text per
//! record, shared by the command line (table, CSV) and the API (CSV).

use serde::Serialize;
use tallinn_core::money::format_minor;

use crate::agreements::AgreementRow;
use crate::coverage::{CoverageRow, GapNeed};
use crate::funding::FundingRow;
use crate::overview::Overview;
use crate::reconcile::Reconciliation;
use crate::timing::TimingRow;

/// A record that prints as one row of a table or CSV file.
pub trait Tabular: Serialize {
    const COLUMNS: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// Rows as CSV text with a header line.
pub fn to_csv<T: Tabular>(rows: &[T]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(T::COLUMNS);
    for row in rows {
        let _ = w.write_record(row.cells());
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn eur(minor: i64) -> String {
    format_minor(minor, 2)
}

impl Tabular for FundingRow {
    const COLUMNS: &'static [&'static str] = &["key", "label", "committed_eur", "disbursed_eur", "spent_eur", "announced_eur", "flows"];
    fn cells(&self) -> Vec<String> {
        let a = &self.amounts;
        vec![self.key.clone(), self.label.clone(), eur(a.committed), eur(a.disbursed), eur(a.spent), eur(a.announced), a.flows.to_string()]
    }
}

impl Tabular for CoverageRow {
    const COLUMNS: &'static [&'static str] = &["key", "needs", "approved_cost_eur", "funded_eur", "unfunded_eur", "coverage_percent"];
    fn cells(&self) -> Vec<String> {
        vec![self.key.clone(), self.needs.to_string(), eur(self.approved_cost), eur(self.funded), eur(self.unfunded), self.coverage_percent.clone()]
    }
}

impl Tabular for GapNeed {
    const COLUMNS: &'static [&'static str] = &["id", "title", "beneficiary", "capability", "sector", "urgency", "unfunded_eur"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.title.clone(),
            self.beneficiary.clone(),
            self.capability.clone(),
            self.sector.clone(),
            self.urgency.clone(),
            eur(self.unfunded),
        ]
    }
}

impl Tabular for TimingRow {
    const COLUMNS: &'static [&'static str] = &["key", "label", "funded_needs", "median_days_to_fund", "delivered_needs", "median_days_to_deliver"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.key.clone(),
            self.label.clone(),
            self.funded_needs.to_string(),
            self.median_days_to_fund.clone().unwrap_or_default(),
            self.delivered_needs.to_string(),
            self.median_days_to_deliver.clone().unwrap_or_default(),
        ]
    }
}

impl Tabular for AgreementRow {
    const COLUMNS: &'static [&'static str] = &["domain", "year", "agreements"];
    fn cells(&self) -> Vec<String> {
        vec![self.domain.clone(), self.year.map(|y| y.to_string()).unwrap_or_default(), self.agreements.to_string()]
    }
}

impl Tabular for Reconciliation {
    const COLUMNS: &'static [&'static str] = &[
        "announcement",
        "date",
        "year",
        "announced_new_eur",
        "ledger_new_eur",
        "difference_new_eur",
        "announced_cumulative_eur",
        "ledger_cumulative_eur",
        "difference_cumulative_eur",
        "explanation",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.announcement.clone(),
            self.date.to_string(),
            self.year.to_string(),
            eur(self.announced_new),
            eur(self.ledger_new),
            eur(self.difference_new),
            eur(self.announced_cumulative),
            eur(self.ledger_cumulative),
            eur(self.difference_cumulative),
            self.explanation.join(" "),
        ]
    }
}

/// A timing row with the grouping it belongs to.
#[derive(Serialize)]
pub struct TimingLine<'a> {
    pub by: &'static str,
    #[serde(flatten)]
    pub row: &'a TimingRow,
}

impl Tabular for TimingLine<'_> {
    const COLUMNS: &'static [&'static str] = &["by", "key", "label", "funded_needs", "median_days_to_fund", "delivered_needs", "median_days_to_deliver"];
    fn cells(&self) -> Vec<String> {
        let mut cells = vec![self.by.to_string()];
        cells.extend(self.row.cells());
        cells
    }
}

/// A coverage row with the grouping it belongs to.
#[derive(Serialize)]
pub struct CoverageLine<'a> {
    pub by: &'static str,
    #[serde(flatten)]
    pub row: &'a CoverageRow,
}

impl Tabular for CoverageLine<'_> {
    const COLUMNS: &'static [&'static str] = &["by", "key", "needs", "approved_cost_eur", "funded_eur", "unfunded_eur", "coverage_percent"];
    fn cells(&self) -> Vec<String> {
        let mut cells = vec![self.by.to_string()];
        cells.extend(self.row.cells());
        cells
    }
}

/// Coverage in one table: the total, then by capability, then by sector.
pub fn coverage_lines(o: &Overview) -> Vec<CoverageLine<'_>> {
    let c = &o.coverage;
    std::iter::once(CoverageLine { by: "total", row: &c.total })
        .chain(c.by_capability.iter().map(|row| CoverageLine { by: "capability", row }))
        .chain(c.by_sector.iter().map(|row| CoverageLine { by: "sector", row }))
        .collect()
}

/// Timing in one table: by donor, then by capability.
pub fn timing_lines(o: &Overview) -> Vec<TimingLine<'_>> {
    o.timing
        .by_donor
        .iter()
        .map(|row| TimingLine { by: "donor", row })
        .chain(o.timing.by_capability.iter().map(|row| TimingLine { by: "capability", row }))
        .collect()
}
