//! Threat-informed aid: how sightings of shared indicators in a sector
//! raise the threat factor of the needs in that sector, so that the
//! allocation engine and the gap ranking follow the attacks (ADR 0017).
//!
//! Sightings of the last [`WINDOW_DAYS`] days are counted per sector (a
//! sighting with `count` n is n sightings, as STIX counts them); the factor
//! grows with the logarithm of the count and is bounded:
//!
//! | sightings in 30 days | 0 | 9 | 99 | 212 | 999 | 9,999 and more |
//! |---|---|---|---|---|---|---|
//! | factor | 1 | 1.25 | 1.5 | 1.58 | 1.75 | 2 |

use crate::need::Sector;

/// Sightings older than this many days no longer count.
pub const WINDOW_DAYS: i64 = 30;

/// The highest factor sightings can give.
pub const MAX_FACTOR: f64 = 2.0;

/// 1 + log10(1 + sightings) / 4, at most [`MAX_FACTOR`], rounded to two
/// decimals so that a reason can state it exactly.
pub fn factor(sightings: u64) -> f64 {
    let f = 1.0 + (1.0 + sightings as f64).log10() / 4.0;
    (f.min(MAX_FACTOR) * 100.0).round() / 100.0
}

/// One sector's threat: the sightings counted and the factor they give.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SectorThreat {
    pub sector: Sector,
    /// Sightings in the last [`WINDOW_DAYS`] days.
    pub sightings: u64,
    pub factor: f64,
}

impl SectorThreat {
    pub fn new(sector: Sector, sightings: u64) -> Self {
        SectorThreat { sector, sightings, factor: factor(sightings) }
    }

    /// Why: `threat 1.58: 212 sightings in energy in 30 days`.
    pub fn reason(&self) -> String {
        format!("threat {}: {} sightings in {} in {WINDOW_DAYS} days", self.factor, self.sightings, self.sector)
    }
}

/// Our sector for a STIX `industry-sector-ov` value (the sectors of the
/// identity where something was sighted), or for one of our own words.
pub fn sector_of_stix(value: &str) -> Option<Sector> {
    use Sector::*;
    Some(match value {
        "government" | "government-national" | "government-public-services" | "government-emergency-services" => Government,
        "government-local" | "government-regional" | "local_government" => LocalGovernment,
        "energy" | "utilities" | "nuclear" | "dams" => Energy,
        "telecommunications" | "communications" | "telecom" => Telecom,
        "financial-services" | "insurance" | "finance" => Finance,
        "healthcare" | "pharmaceuticals" | "health" => Health,
        "transportation" | "aerospace" | "transport" => Transport,
        "water" => Water,
        "defense" | "defence_industry" => DefenceIndustry,
        "education" => Education,
        "media" | "entertainment" => Media,
        _ => return None,
    })
}

/// The STIX `industry-sector-ov` value for our sector (an open vocabulary:
/// our own word where STIX has none).
pub fn stix_sector(sector: Sector) -> &'static str {
    use Sector::*;
    match sector {
        Government => "government-national",
        LocalGovernment => "government-local",
        Energy => "energy",
        Telecom => "telecommunications",
        Finance => "financial-services",
        Health => "healthcare",
        Transport => "transportation",
        Water => "water",
        DefenceIndustry => "defense",
        Education => "education",
        Media => "media",
        Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factor_grows_with_the_log_of_the_count_and_is_bounded() {
        assert_eq!(factor(0), 1.0);
        assert_eq!(factor(9), 1.25);
        assert_eq!(factor(99), 1.5);
        assert_eq!(factor(212), 1.58);
        assert_eq!(factor(999), 1.75);
        assert_eq!(factor(9_999), 2.0);
        assert_eq!(factor(u64::MAX), 2.0);
        let mut last = 0.0;
        for n in [0, 1, 10, 100, 1_000, 10_000, 100_000] {
            assert!(factor(n) >= last);
            last = factor(n);
        }
        assert_eq!(SectorThreat::new(Sector::Energy, 212).reason(), "threat 1.58: 212 sightings in energy in 30 days");
    }

    #[test]
    fn every_sector_survives_a_round_trip_through_stix() {
        for s in Sector::ALL.iter().copied().filter(|s| *s != Sector::Other) {
            assert_eq!(sector_of_stix(stix_sector(s)), Some(s), "{s}");
        }
        assert_eq!(sector_of_stix("retail"), None);
    }
}
