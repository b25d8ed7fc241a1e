//! The agreements register in figures: how many, by domain and signing year.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::Facts;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AgreementRow {
    pub domain: String,
    /// The signing year; `null` for agreements not yet signed.
    pub year: Option<i16>,
    pub agreements: u64,
}

pub fn agreements(facts: &Facts) -> Vec<AgreementRow> {
    let mut acc: BTreeMap<(String, Option<i16>), u64> = BTreeMap::new();
    for a in &facts.agreements {
        *acc.entry((a.domain.to_string(), a.signed_on.map(|d| d.year()))).or_default() += 1;
    }
    acc.into_iter().map(|((domain, year), agreements)| AgreementRow { domain, year, agreements }).collect()
}
