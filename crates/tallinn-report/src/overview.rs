//! Every figure at once: what `tallinn report`, `/api/v1/reports` and the
//! public dashboard show.

use serde::Serialize;

use crate::agreements::{AgreementRow, agreements};
use crate::coverage::{Coverage, Gaps, coverage, gaps};
use crate::facts::{Facts, Scope};
use crate::funding::{Amounts, By, FundingRow, funding};
use crate::reconcile::{Reconciliation, reconcile};
use crate::timing::{Timing, timing};

/// How many needs the gap list names.
pub const TOP_GAPS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FundingByDimension {
    pub donor: Vec<FundingRow>,
    pub year: Vec<FundingRow>,
    pub capability: Vec<FundingRow>,
    pub sector: Vec<FundingRow>,
    pub beneficiary: Vec<FundingRow>,
    pub status: Vec<FundingRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Overview {
    pub scope: Option<Scope>,
    pub year: Option<i16>,
    pub totals: Amounts,
    #[serde(with = "tallinn_core::money::eur_string", rename = "pass_through_excluded_eur")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub pass_through_excluded: i64,
    pub funding: FundingByDimension,
    pub coverage: Coverage,
    pub gaps: Gaps,
    pub timing: Timing,
    pub agreements: Vec<AgreementRow>,
    pub reconciliation: Vec<Reconciliation>,
}

/// All figures; `year` restricts the funding figures to flows and pledges of that year.
pub fn overview(facts: &Facts, year: Option<i16>) -> Overview {
    let by = |b: By| funding(facts, b, year);
    let donor = by(By::Donor);
    Overview {
        scope: facts.scope.clone(),
        year,
        totals: donor.total,
        pass_through_excluded: donor.pass_through_excluded,
        funding: FundingByDimension {
            donor: donor.rows,
            year: by(By::Year).rows,
            capability: by(By::Capability).rows,
            sector: by(By::Sector).rows,
            beneficiary: by(By::Beneficiary).rows,
            status: by(By::Status).rows,
        },
        coverage: coverage(facts),
        gaps: gaps(facts, TOP_GAPS),
        timing: timing(facts),
        agreements: agreements(facts),
        reconciliation: reconcile(facts),
    }
}
