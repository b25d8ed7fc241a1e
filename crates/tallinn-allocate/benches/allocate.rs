//! docs/product.md: performance targets: 100,000 divisible needs x 10,000 pledges in <= 5 s.
//!
//!     cargo bench -p tallinn-allocate --bench allocate
//!
//! The instance is synthetic and deterministic: 50 beneficiaries, every
//! capability, sector and urgency, threat factors per sector; pledges from 17
//! donors with earmarks drawn from 300 patterns and beneficiary preferences
//! on one pledge in ten. Peak memory (VmHWM) is printed after the run.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use tallinn_allocate::model::{Need, Pledge, Weights};
use tallinn_allocate::{Instance, allocate};
use tallinn_core::need::{Capability, Sector, Urgency};

fn main() {
    divan::main();
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        eprintln!("peak memory of the benchmark process: {}", line.trim_start_matches("VmHWM:").trim());
    }
}

/// A small deterministic generator (64-bit LCG), so the instance never
/// changes with a dependency's version.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

static INSTANCE: LazyLock<Instance> = LazyLock::new(|| {
    let mut rng = Lcg(2025);
    let bens: Vec<String> = (0..50).map(|b| format!("UA-{b:02}")).collect();
    let threat = [1.0, 1.5, 1.0, 1.2, 1.0, 1.0, 1.0, 1.8, 1.0, 1.0, 1.3, 1.0];
    let needs = (0..100_000)
        .map(|i| {
            let sector = rng.next(12);
            Need {
                id: format!("N-{i}"),
                beneficiary: bens[rng.next(50)].clone(),
                capability: Capability::ALL[rng.next(6)],
                sector: Sector::ALL[sector],
                urgency: Urgency::ALL[rng.next(4)],
                remainder: (10_000 + rng.next(2_000_000) as i64) * 100,
                divisible: true,
                threat: threat[sector],
                donors: None,
            }
        })
        .collect();
    let patterns: Vec<(Vec<Capability>, Vec<Sector>, Vec<String>)> = (0..300)
        .map(|_| {
            let mut caps: Vec<Capability> = (0..rng.next(3)).map(|_| Capability::ALL[rng.next(6)]).collect();
            caps.sort();
            caps.dedup();
            let mut sectors: Vec<Sector> = (0..rng.next(3)).map(|_| Sector::ALL[rng.next(12)]).collect();
            sectors.sort();
            sectors.dedup();
            let mut b: Vec<String> = if rng.next(5) == 0 { (0..1 + rng.next(3)).map(|_| bens[rng.next(50)].clone()).collect() } else { vec![] };
            b.sort();
            b.dedup();
            (caps, sectors, b)
        })
        .collect();
    let donors = ["CA", "DK", "EE", "FI", "FR", "DE", "IT", "NL", "NO", "PL", "SE", "GB", "US", "EU", "WB", "CZ", "NATO"];
    let pledges = (0..10_000)
        .map(|j| {
            let (capabilities, sectors, beneficiaries) = patterns[rng.next(300)].clone();
            let preferences = if rng.next(10) == 0 { BTreeMap::from([(bens[rng.next(50)].clone(), 1.5)]) } else { BTreeMap::new() };
            Pledge {
                id: format!("P-{j}"),
                donor: donors[rng.next(17)].into(),
                balance: (50_000 + rng.next(5_000_000) as i64) * 100,
                capabilities,
                sectors,
                beneficiaries,
                preferences,
            }
        })
        .collect();
    Instance { needs, pledges, weights: Weights::default() }
});

#[divan::bench(sample_count = 3, sample_size = 1)]
fn divisible_100k_needs_10k_pledges(bencher: divan::Bencher) {
    let inst = LazyLock::force(&INSTANCE);
    bencher.bench(|| {
        let sol = allocate(inst).expect("solves");
        assert_eq!(sol.gap, 0.0);
        eprintln!(
            "objective {} | pairs {} | classes {} needs x {} pledges | arcs {}",
            sol.objective, sol.stats.pairs, sol.stats.need_classes, sol.stats.pledge_classes, sol.stats.arcs
        );
        sol
    });
}
