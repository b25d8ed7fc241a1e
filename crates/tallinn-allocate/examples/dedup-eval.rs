//! Deconfliction on the hand-written evaluation set: precision and recall
//! per language pair at the default threshold, the curve, the calibration
//! of scores, and every error.
//!
//!     cargo run --release -p tallinn-allocate --example dedup-eval [-- --holdout] [-- --errors]

#[allow(dead_code)]
#[path = "../tests/it/dedup_eval.rs"]
mod dedup_eval;

use tallinn_allocate::dedup::DEFAULT_THRESHOLD;

fn main() {
    let holdout = std::env::args().any(|a| a == "--holdout");
    let set = dedup_eval::load(if holdout { "holdout-" } else { "" });
    let scored = set.scored();
    let report = set.report(&scored, DEFAULT_THRESHOLD);
    println!(
        "{} needs, {} true pairs, {} hard negatives; threshold {DEFAULT_THRESHOLD}\n",
        set.needs.len(),
        set.truth.duplicates.len(),
        set.truth.hard_negatives.len()
    );
    println!("| language pair | true pairs | reported | correct | precision | recall |\n|---|---|---|---|---|---|");
    for (group, c) in &report.groups {
        println!("| {group} | {} | {} | {} | {:.3} | {:.3} |", c.true_pairs, c.reported, c.correct, c.precision(), c.recall());
    }
    println!("\nhard negatives reported: {}\n", report.hard_negatives_reported);
    println!("| threshold | reported | precision | recall | hard negatives reported |\n|---|---|---|---|---|");
    for t in [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9] {
        let r = set.report(&scored, t);
        let all = r.groups["all"];
        println!("| {t:.2} | {} | {:.3} | {:.3} | {} |", all.reported, all.precision(), all.recall(), r.hard_negatives_reported);
    }
    // Calibration: of the pairs scored in each band, how many are duplicates.
    println!("\n| score band | pairs | duplicates | share |\n|---|---|---|---|");
    let truth: std::collections::HashSet<(String, String)> =
        set.truth.duplicates.iter().map(|(a, b)| if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) }).collect();
    for band in 0..10 {
        let (lo, hi) = (band as f64 / 10.0, (band + 1) as f64 / 10.0);
        let inside: Vec<_> = scored.iter().filter(|p| p.score >= lo && (p.score < hi || band == 9)).collect();
        let dup = inside.iter().filter(|p| truth.contains(&(p.a.clone(), p.b.clone()))).count();
        if !inside.is_empty() {
            println!("| {lo:.1}–{hi:.1} | {} | {dup} | {:.2} |", inside.len(), dup as f64 / inside.len() as f64);
        }
    }
    if std::env::args().any(|a| a == "--errors") {
        println!("\nwrongly reported:");
        for p in &report.wrong {
            println!("  {} {} {:.3} {}", p.a, p.b, p.score, p.reason);
        }
        println!("missed:");
        for (a, b) in &report.missed {
            match scored.iter().find(|p| (&p.a == a && &p.b == b) || (&p.a == b && &p.b == a)) {
                Some(p) => println!("  {a} {b} {:.3} {}", p.score, p.reason),
                None => println!("  {a} {b} never compared (no uncommon shared term)"),
            }
        }
    }
}
