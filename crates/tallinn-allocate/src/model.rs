//! The offline instance and result formats (stable: other tools rely on
//! them), and their validation.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use tallinn_core::money::{format_minor, parse_minor};
use tallinn_core::need::{Capability, Sector, Urgency};

/// Bounds that keep scores exact in integer arithmetic (see `solve`).
pub const MAX_WEIGHT: f64 = 1_000.0;
pub const MAX_FACTOR: f64 = 100.0;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceInput {
    pub needs: Vec<NeedInput>,
    pub pledges: Vec<PledgeInput>,
    #[serde(default)]
    pub weights: Option<Weights>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    pub id: String,
    pub beneficiary: String,
    pub capability: Capability,
    pub sector: Sector,
    pub urgency: Urgency,
    pub remainder_eur: String,
    #[serde(default = "yes")]
    pub divisible: bool,
    #[serde(default)]
    pub threat_factor: Option<f64>,
    /// Only pledges of these donors may fund the need (a reservation, or a
    /// confidentiality level not every donor may see). Absent: any donor.
    #[serde(default)]
    pub donors: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PledgeInput {
    pub id: String,
    pub donor: String,
    pub balance_eur: String,
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub beneficiaries: Vec<String>,
    /// Need ids or beneficiary codes → factor (a need id wins).
    #[serde(default)]
    pub preferences: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub critical: f64,
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { critical: 8.0, high: 4.0, medium: 2.0, low: 1.0 }
    }
}

impl Weights {
    pub fn of(&self, u: Urgency) -> f64 {
        match u {
            Urgency::Critical => self.critical,
            Urgency::High => self.high,
            Urgency::Medium => self.medium,
            Urgency::Low => self.low,
        }
    }
}

/// A validated need: amounts in cents.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub id: String,
    pub beneficiary: String,
    pub capability: Capability,
    pub sector: Sector,
    pub urgency: Urgency,
    pub remainder: i64,
    pub divisible: bool,
    pub threat: f64,
    /// Sorted; `None` admits every donor.
    pub donors: Option<Vec<String>>,
}

/// A validated pledge: amounts in cents.
#[derive(Debug, Clone, PartialEq)]
pub struct Pledge {
    pub id: String,
    pub donor: String,
    pub balance: i64,
    pub capabilities: Vec<Capability>,
    pub sectors: Vec<Sector>,
    pub beneficiaries: Vec<String>,
    pub preferences: BTreeMap<String, f64>,
}

impl Pledge {
    /// Do the earmarks admit the need? (An empty list admits anything.)
    pub fn admits(&self, need: &Need) -> bool {
        need.donors.as_ref().is_none_or(|d| d.contains(&self.donor))
            && (self.capabilities.is_empty() || self.capabilities.contains(&need.capability))
            && (self.sectors.is_empty() || self.sectors.contains(&need.sector))
            && (self.beneficiaries.is_empty() || self.beneficiaries.contains(&need.beneficiary))
    }

    /// The donor's preference factor for the need (need id first).
    pub fn preference(&self, need: &Need) -> f64 {
        self.preferences.get(&need.id).or_else(|| self.preferences.get(&need.beneficiary)).copied().unwrap_or(1.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub needs: Vec<Need>,
    pub pledges: Vec<Pledge>,
    pub weights: Weights,
}

impl Instance {
    /// `score(pledge, need)` of docs/product.md: allocation, per euro.
    pub fn score(&self, pledge: &Pledge, need: &Need) -> f64 {
        self.weights.of(need.urgency) * need.threat * pledge.preference(need)
    }
}

/// A problem in the input, with the JSON path to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct InputError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError { path: path.into(), message: message.into() }
}

fn factor(path: String, v: f64, max: f64) -> Result<f64, InputError> {
    if v.is_finite() && v > 0.0 && v <= max { Ok(v) } else { Err(err(path, format!("{v} is not a factor in (0, {max}]"))) }
}

/// Parses and validates an instance from JSON text.
pub fn parse_instance(json: &str) -> Result<Instance, InputError> {
    let input: InstanceInput = serde_json::from_str(json).map_err(|e| err(format!("line {} column {}", e.line(), e.column()), e.to_string()))?;
    validate(input)
}

pub fn validate(input: InstanceInput) -> Result<Instance, InputError> {
    let weights = input.weights.unwrap_or_default();
    for (name, w) in [("critical", weights.critical), ("high", weights.high), ("medium", weights.medium), ("low", weights.low)] {
        factor(format!("weights.{name}"), w, MAX_WEIGHT)?;
    }
    let mut ids = HashSet::new();
    let mut beneficiaries = HashSet::new();
    let mut needs = Vec::with_capacity(input.needs.len());
    for (i, n) in input.needs.into_iter().enumerate() {
        let path = |f: &str| format!("needs[{i}].{f}");
        if n.id.trim().is_empty() {
            return Err(err(path("id"), "an id is required"));
        }
        if !ids.insert(n.id.clone()) {
            return Err(err(path("id"), format!("duplicate need id '{}'", n.id)));
        }
        let remainder = parse_minor("remainder_eur", &n.remainder_eur, 2).map_err(|e| err(path("remainder_eur"), e.message))?;
        let threat = factor(path("threat_factor"), n.threat_factor.unwrap_or(1.0), MAX_FACTOR)?;
        beneficiaries.insert(n.beneficiary.clone());
        let donors = n.donors.map(|mut d| {
            d.sort();
            d.dedup();
            d
        });
        needs.push(Need {
            donors,
            id: n.id,
            beneficiary: n.beneficiary,
            capability: n.capability,
            sector: n.sector,
            urgency: n.urgency,
            remainder,
            divisible: n.divisible,
            threat,
        });
    }
    let mut pledge_ids = HashSet::new();
    let mut pledges = Vec::with_capacity(input.pledges.len());
    for (j, p) in input.pledges.into_iter().enumerate() {
        let path = |f: &str| format!("pledges[{j}].{f}");
        if p.id.trim().is_empty() {
            return Err(err(path("id"), "an id is required"));
        }
        if !pledge_ids.insert(p.id.clone()) {
            return Err(err(path("id"), format!("duplicate pledge id '{}'", p.id)));
        }
        let balance = parse_minor("balance_eur", &p.balance_eur, 2).map_err(|e| err(path("balance_eur"), e.message))?;
        for b in &p.beneficiaries {
            if !beneficiaries.contains(b) {
                return Err(err(path("beneficiaries"), format!("unknown beneficiary '{b}' (no need names it)")));
            }
        }
        for (key, v) in &p.preferences {
            if !ids.contains(key) && !beneficiaries.contains(key) {
                return Err(err(path("preferences"), format!("'{key}' is neither a need id nor a beneficiary of any need")));
            }
            factor(format!("pledges[{j}].preferences.{key}"), *v, MAX_FACTOR)?;
        }
        let mut capabilities = p.capabilities;
        capabilities.sort();
        capabilities.dedup();
        let mut sectors = p.sectors;
        sectors.sort();
        sectors.dedup();
        let mut beneficiaries = p.beneficiaries;
        beneficiaries.sort();
        beneficiaries.dedup();
        pledges.push(Pledge { id: p.id, donor: p.donor, balance, capabilities, sectors, beneficiaries, preferences: p.preferences });
    }
    Ok(Instance { needs, pledges, weights })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationOut {
    pub pledge: String,
    pub need: String,
    pub amount_eur: String,
    pub score_per_eur: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unfunded {
    pub need: String,
    pub remainder_eur: String,
    pub urgency: Urgency,
    /// Urgency weight × threat factor: the rank of the gap.
    pub priority: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub needs: usize,
    pub pledges: usize,
    pub pairs: usize,
    pub need_classes: usize,
    pub pledge_classes: usize,
    pub arcs: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    pub allocations: Vec<AllocationOut>,
    pub objective: String,
    pub upper_bound: String,
    pub gap: f64,
    pub unfunded: Vec<Unfunded>,
    pub stats: Stats,
}

/// Cents as a two-decimal string.
pub fn eur(cents: i64) -> String {
    format_minor(cents, 2)
}
