//! Deterministic instances for the benchmarks, the property tests and the
//! side-by-side with HiGHS (`scripts/bench-allocate-highs.py`): the same
//! seed gives the same instance on every machine and with every dependency
//! version (a 64-bit LCG of our own).
//!
//! [`Shape::Friendly`] is the benchmark the engine was first tuned on; it
//! compresses well (few distinct threat factors, earmarks from 300
//! patterns). The others are built to defeat compression, as real
//! instances will once threat factors move with the sightings and donors
//! state preferences.

use std::collections::BTreeMap;

use tallinn_core::need::{Capability, Sector, Urgency};

use crate::model::{Instance, Need, Pledge, Weights};

/// What an instance looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 50 beneficiaries, threat factors per sector, earmarks from 300
    /// patterns, a beneficiary preference on one pledge in ten.
    Friendly,
    /// A quarter of the needs with their own threat factor in [1, 2]; 30 %
    /// of pledges prefer one beneficiary, 10 % one need; earmarks random
    /// subsets of capabilities, sectors and beneficiaries.
    Threats,
    /// Threat factors of every need continuous; every pledge states
    /// preferences: 1–3 beneficiaries and, on half, 1–5 needs, with factors
    /// between 0.5 and 2 (a preference below 1 is a reluctance).
    Preferences,
    /// As `Threats`, with one need in five all-or-nothing.
    Lumpy,
}

impl Shape {
    pub const ALL: [Shape; 4] = [Shape::Friendly, Shape::Threats, Shape::Preferences, Shape::Lumpy];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Friendly => "friendly",
            Shape::Threats => "threats",
            Shape::Preferences => "preferences",
            Shape::Lumpy => "lumpy",
        }
    }
}

impl std::str::FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Shape::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| format!("'{s}' is not a shape (friendly, threats, preferences, lumpy)"))
    }
}

/// A 64-bit linear congruential generator.
pub struct Lcg(pub u64);

impl Lcg {
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }

    /// Uniform in [lo, hi), to three decimals (factors as people write them).
    pub fn factor(&mut self, lo: f64, hi: f64) -> f64 {
        let steps = ((hi - lo) * 1000.0) as usize;
        lo + self.below(steps.max(1)) as f64 / 1000.0
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// A random subset of `all`, empty (admits everything) with probability `empty` %.
    fn subset<T: Clone + Ord>(&mut self, all: &[T], empty: usize, most: usize) -> Vec<T> {
        if self.chance(empty) {
            return Vec::new();
        }
        let mut out: Vec<T> = (0..1 + self.below(most)).map(|_| all[self.below(all.len())].clone()).collect();
        out.sort();
        out.dedup();
        out
    }
}

const DONORS: [&str; 17] = ["CA", "DK", "EE", "FI", "FR", "DE", "IT", "NL", "NO", "PL", "SE", "GB", "US", "EU", "WB", "CZ", "NATO"];

/// An instance of `needs` needs and `pledges` pledges of the given shape.
pub fn instance(shape: Shape, needs: usize, pledges: usize, seed: u64) -> Instance {
    let mut rng = Lcg(seed);
    let bens: Vec<String> = (0..50).map(|b| format!("UA-{b:02}")).collect();
    let sector_threat = [1.0, 1.5, 1.0, 1.2, 1.0, 1.0, 1.0, 1.8, 1.0, 1.0, 1.3, 1.0];
    let need_list: Vec<Need> = (0..needs)
        .map(|i| {
            let sector = rng.below(Sector::ALL.len());
            let threat = match shape {
                Shape::Friendly => sector_threat[sector % sector_threat.len()],
                Shape::Threats | Shape::Lumpy if rng.chance(25) => rng.factor(1.0, 2.0),
                Shape::Threats | Shape::Lumpy => sector_threat[sector % sector_threat.len()],
                Shape::Preferences => rng.factor(1.0, 2.0),
            };
            Need {
                id: format!("N-{i}"),
                beneficiary: bens[rng.below(bens.len())].clone(),
                capability: Capability::ALL[rng.below(Capability::ALL.len())],
                sector: Sector::ALL[sector],
                urgency: Urgency::ALL[rng.below(Urgency::ALL.len())],
                remainder: (10_000 + rng.below(2_000_000) as i64) * 100,
                divisible: !(shape == Shape::Lumpy && rng.chance(20)),
                threat,
                donors: None,
            }
        })
        .collect();
    // The friendly benchmark's 300 earmark patterns, drawn as they always were.
    let patterns: Vec<(Vec<Capability>, Vec<Sector>, Vec<String>)> = (0..300)
        .map(|_| {
            let mut caps: Vec<Capability> = (0..rng.below(3)).map(|_| Capability::ALL[rng.below(6)]).collect();
            caps.sort();
            caps.dedup();
            let mut sectors: Vec<Sector> = (0..rng.below(3)).map(|_| Sector::ALL[rng.below(12)]).collect();
            sectors.sort();
            sectors.dedup();
            let mut b: Vec<String> = if rng.below(5) == 0 { (0..1 + rng.below(3)).map(|_| bens[rng.below(50)].clone()).collect() } else { vec![] };
            b.sort();
            b.dedup();
            (caps, sectors, b)
        })
        .collect();
    let pledge_list = (0..pledges)
        .map(|j| {
            let (capabilities, sectors, beneficiaries) = match shape {
                Shape::Friendly => patterns[rng.below(patterns.len())].clone(),
                _ => (rng.subset(Capability::ALL, 30, 3), rng.subset(Sector::ALL, 30, 4), rng.subset(&bens, 50, 5)),
            };
            let mut preferences = BTreeMap::new();
            match shape {
                Shape::Friendly => {
                    if rng.below(10) == 0 {
                        preferences.insert(bens[rng.below(bens.len())].clone(), 1.5);
                    }
                }
                Shape::Threats | Shape::Lumpy => {
                    if rng.chance(30) {
                        preferences.insert(bens[rng.below(bens.len())].clone(), rng.factor(1.1, 2.0));
                    }
                    if rng.chance(10) && needs > 0 {
                        preferences.insert(format!("N-{}", rng.below(needs)), rng.factor(1.1, 3.0));
                    }
                }
                Shape::Preferences => {
                    for _ in 0..1 + rng.below(3) {
                        preferences.insert(bens[rng.below(bens.len())].clone(), rng.factor(0.5, 2.0));
                    }
                    if rng.chance(50) && needs > 0 {
                        for _ in 0..1 + rng.below(5) {
                            preferences.insert(format!("N-{}", rng.below(needs)), rng.factor(0.5, 2.0));
                        }
                    }
                }
            }
            Pledge {
                id: format!("P-{j}"),
                donor: DONORS[rng.below(DONORS.len())].into(),
                balance: (50_000 + rng.below(5_000_000) as i64) * 100,
                capabilities,
                sectors,
                beneficiaries,
                preferences,
            }
        })
        .collect();
    Instance { needs: need_list, pledges: pledge_list, weights: Weights::default() }
}
