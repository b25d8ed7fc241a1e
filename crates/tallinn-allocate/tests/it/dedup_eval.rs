//! Deconfliction measured on the hand-written evaluation set
//! (`testdata/dedup`): precision and recall per language pair at a
//! threshold, and the curve. Shared by the test below and by
//! `examples/dedup-eval.rs`, which prints the tables in `docs/benchmarks.md`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde::Deserialize;
use tallinn_allocate::dedup::{DedupNeed, DuplicatePair, find_duplicates, parse_dedup_input};

#[derive(Deserialize)]
pub struct Truth {
    pub languages: HashMap<String, String>,
    pub duplicates: Vec<(String, String)>,
    pub hard_negatives: Vec<(String, String)>,
}

pub struct EvalSet {
    pub needs: Vec<DedupNeed>,
    pub truth: Truth,
}

/// The evaluation set (`""`) or the held-out one (`"holdout-"`).
pub fn load(prefix: &str) -> EvalSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/dedup");
    let read = |name: &str| {
        let path = dir.join(format!("{prefix}{name}"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let needs = parse_dedup_input(&read("needs.json")).expect("the evaluation set is valid dedup input");
    let truth: Truth = serde_json::from_str(&read("truth.json")).expect("truth.json");
    EvalSet { needs, truth }
}

/// Counts for one group of pairs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub true_pairs: usize,
    pub reported: usize,
    pub correct: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.reported == 0 { 1.0 } else { self.correct as f64 / self.reported as f64 }
    }
    pub fn recall(&self) -> f64 {
        if self.true_pairs == 0 { 1.0 } else { self.correct as f64 / self.true_pairs as f64 }
    }
}

pub struct Report {
    /// By language pair ("en-uk", "fr-fr", …) and "all".
    pub groups: BTreeMap<String, Counts>,
    /// Hard negatives reported.
    pub hard_negatives_reported: usize,
    pub wrong: Vec<DuplicatePair>,
    pub missed: Vec<(String, String)>,
}

impl EvalSet {
    fn language_pair(&self, a: &str, b: &str) -> String {
        let mut l = [self.truth.languages[a].as_str(), self.truth.languages[b].as_str()];
        l.sort();
        format!("{}-{}", l[0], l[1])
    }

    fn key(a: &str, b: &str) -> (String, String) {
        if a < b { (a.to_string(), b.to_string()) } else { (b.to_string(), a.to_string()) }
    }

    /// Every scored pair (threshold 0).
    pub fn scored(&self) -> Vec<DuplicatePair> {
        find_duplicates(&self.needs, 0.0)
    }

    pub fn report(&self, scored: &[DuplicatePair], threshold: f64) -> Report {
        let truth: HashSet<(String, String)> = self.truth.duplicates.iter().map(|(a, b)| Self::key(a, b)).collect();
        let hard: HashSet<(String, String)> = self.truth.hard_negatives.iter().map(|(a, b)| Self::key(a, b)).collect();
        let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
        for (a, b) in &truth {
            groups.entry(self.language_pair(a, b)).or_default().true_pairs += 1;
            groups.entry("all".into()).or_default().true_pairs += 1;
        }
        let mut found = HashSet::new();
        let mut wrong = Vec::new();
        let mut hard_negatives_reported = 0;
        for p in scored.iter().filter(|p| p.score >= threshold) {
            let key = Self::key(&p.a, &p.b);
            let correct = truth.contains(&key);
            for group in [self.language_pair(&p.a, &p.b), "all".into()] {
                let c = groups.entry(group).or_default();
                c.reported += 1;
                c.correct += usize::from(correct);
            }
            if correct {
                found.insert(key);
            } else {
                hard_negatives_reported += usize::from(hard.contains(&key));
                wrong.push(p.clone());
            }
        }
        let mut missed: Vec<(String, String)> = truth.difference(&found).cloned().collect();
        missed.sort();
        Report { groups, hard_negatives_reported, wrong, missed }
    }
}

#[test]
fn the_hand_written_set_meets_the_targets_at_the_default_threshold() {
    let set = load("");
    assert!(set.needs.len() >= 100 && set.truth.duplicates.len() >= 40 && set.truth.hard_negatives.len() >= 40);
    let scored = set.scored();
    let report = set.report(&scored, tallinn_allocate::dedup::DEFAULT_THRESHOLD);
    let all = report.groups["all"];
    let explain = || {
        let score = |a: &str, b: &str| scored.iter().find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a)).map(|p| format!("{} {}", p.score, p.reason));
        format!("{:#?}\nwrong: {:#?}\nmissed: {:#?}", report.groups, report.wrong, report.missed.iter().map(|(a, b)| (a, b, score(a, b))).collect::<Vec<_>>())
    };
    assert!(all.precision() >= 0.9 && all.recall() >= 0.9, "overall {all:?}\n{}", explain());
    assert!(report.hard_negatives_reported * 10 <= set.truth.hard_negatives.len(), "{} hard negatives reported\n{}", report.hard_negatives_reported, explain());
    for (group, counts) in &report.groups {
        // Language pairs with a single true pair (Russian) are too small to
        // hold to a rate; they count in the overall figures.
        if counts.true_pairs >= 2 {
            assert!(counts.precision() >= 0.8 && counts.recall() >= 0.8, "{group}: {counts:?}\n{}", explain());
        }
    }
}

/// The held-out set was measured once before any change it prompted (see
/// `docs/benchmarks.md`); it now guards against regressions.
#[test]
fn the_held_out_set_stays_above_the_targets() {
    let set = load("holdout-");
    let report = set.report(&set.scored(), tallinn_allocate::dedup::DEFAULT_THRESHOLD);
    let all = report.groups["all"];
    assert!(all.precision() >= 0.9 && all.recall() >= 0.9, "{:#?}\nwrong: {:#?}\nmissed: {:?}", report.groups, report.wrong, report.missed);
    assert_eq!(report.hard_negatives_reported, 0, "{:#?}", report.wrong);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Any text, in any script, with any punctuation: no panic, scores
    /// between 0 and 1, each pair once.
    #[test]
    fn any_text_is_analysed_and_scored(texts in proptest::collection::vec(("\\PC{0,80}", "\\PC{0,200}"), 2..12)) {
        let needs: Vec<DedupNeed> = texts
            .into_iter()
            .enumerate()
            .map(|(i, (title, description))| DedupNeed {
                id: format!("N-{i}"),
                beneficiary: "UA-A".into(),
                title,
                description,
                capability: tallinn_core::need::Capability::Detect,
                sector: tallinn_core::need::Sector::Energy,
                cost_eur_minor: 100,
                deadline: None,
            })
            .collect();
        let pairs = find_duplicates(&needs, 0.0);
        let mut seen = HashSet::new();
        for p in &pairs {
            proptest::prop_assert!((0.0..=1.0).contains(&p.score), "{p:?}");
            proptest::prop_assert!(seen.insert((p.a.clone(), p.b.clone())), "{p:?} twice");
        }
    }
}
