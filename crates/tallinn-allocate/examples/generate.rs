//! Writes a generated instance (`tallinn_allocate::generate`) in the
//! offline JSON format that `tallinn allocate --input` reads, for the
//! side-by-side with HiGHS (`scripts/bench-allocate-highs.py`) or by hand:
//!
//!     cargo run --release -p tallinn-allocate --example generate -- threats 2000 200 7 > instance.json
//!
//! Arguments: SHAPE (friendly, threats, preferences, lumpy), NEEDS, PLEDGES, SEED.

use serde_json::json;
use tallinn_allocate::generate::{Shape, instance};
use tallinn_allocate::model::eur;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate SHAPE NEEDS PLEDGES SEED (shapes: friendly, threats, preferences, lumpy)";
    let [shape, needs, pledges, seed] = args.as_slice() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let parsed = (shape.parse::<Shape>(), needs.parse::<usize>(), pledges.parse::<usize>(), seed.parse::<u64>());
    let (Ok(shape), Ok(needs), Ok(pledges), Ok(seed)) = parsed else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let inst = instance(shape, needs, pledges, seed);
    let needs: Vec<_> = inst
        .needs
        .iter()
        .map(|n| {
            json!({"id": n.id, "beneficiary": n.beneficiary, "capability": n.capability, "sector": n.sector, "urgency": n.urgency,
                   "remainder_eur": eur(n.remainder), "divisible": n.divisible, "threat_factor": n.threat, "donors": n.donors})
        })
        .collect();
    let pledges: Vec<_> = inst
        .pledges
        .iter()
        .map(|p| {
            json!({"id": p.id, "donor": p.donor, "balance_eur": eur(p.balance), "capabilities": p.capabilities, "sectors": p.sectors,
                   "beneficiaries": p.beneficiaries, "preferences": p.preferences})
        })
        .collect();
    println!("{}", json!({"needs": needs, "pledges": pledges, "weights": inst.weights}));
}
