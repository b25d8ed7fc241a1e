//! The threat factor of each sector, from the sightings stored in the
//! threat exchange (`tallinn_core::threat` gives the rule; ADR 0017).
//!
//! Only sightings every participant may read (TLP:CLEAR and GREEN, latest
//! versions, in every collection) are counted: the factors are shown to
//! every participant and to the public, and a count must not reveal
//! sightings its reader may not see. A sighting's sectors are those of the
//! identities where it was sighted (`where_sighted_refs`), read from the
//! identity objects stored beside it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tallinn_core::need::Sector;
use tallinn_core::threat::{SectorThreat, WINDOW_DAYS, sector_of_stix};
use tallinn_core::time::to_micros;

use super::Ledger;
use crate::args;
use crate::error::Result;

const DAY_MICROS: i64 = 86_400_000_000;

/// Sightings and identities everyone may read: the SQL of the rule above.
/// A private copy (an organisation's version of an id another organisation
/// shared first, ADR 0011) is seen by its organisation only, so it never
/// counts, whatever its marking.
const EVERYONE: &str = "is_latest AND private_org IS NULL AND tlp IN ('clear', 'green')";

impl Ledger {
    /// Every sector with its sightings of the last 30 days and its factor.
    pub async fn threat_by_sector(&self) -> Result<Vec<SectorThreat>> {
        let since = to_micros(self.now()) - WINDOW_DAYS * DAY_MICROS;
        let mut conn = self.read().await?;
        let result = async {
            let sightings =
                conn.fetch(&format!("SELECT body FROM taxii_objects WHERE type = 'sighting' AND {EVERYONE} AND modified >= $1"), args![since]).await?;
            let identities = conn.fetch(&format!("SELECT object_id, body FROM taxii_objects WHERE type = 'identity' AND {EVERYONE}"), vec![]).await?;
            Ok::<_, crate::StoreError>((sightings, identities))
        }
        .await;
        let _ = conn.rollback().await;
        let (sightings, identities) = result?;
        let mut sectors_of: BTreeMap<String, BTreeSet<Sector>> = BTreeMap::new();
        for row in &identities {
            let body: Value = serde_json::from_str(&row.text("body")?).unwrap_or(Value::Null);
            let sectors = body.get("sectors").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).filter_map(sector_of_stix);
            sectors_of.entry(row.text("object_id")?).or_default().extend(sectors);
        }
        let mut counts: BTreeMap<Sector, u64> = BTreeMap::new();
        for row in &sightings {
            let body: Value = serde_json::from_str(&row.text("body")?).unwrap_or(Value::Null);
            let count = body.get("count").and_then(Value::as_u64).unwrap_or(1);
            let mut sectors = BTreeSet::new();
            for id in body.get("where_sighted_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                sectors.extend(sectors_of.get(id).into_iter().flatten().copied());
            }
            for s in sectors {
                *counts.entry(s).or_default() += count;
            }
        }
        Ok(Sector::ALL.iter().map(|s| SectorThreat::new(*s, counts.get(s).copied().unwrap_or(0))).collect())
    }

    /// The factors by sector (1 where nothing was sighted).
    pub async fn threat_factors(&self) -> Result<BTreeMap<Sector, SectorThreat>> {
        Ok(self.threat_by_sector().await?.into_iter().map(|t| (t.sector, t)).collect())
    }
}
