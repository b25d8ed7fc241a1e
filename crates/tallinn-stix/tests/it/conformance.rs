//! The reference matcher's own test suite, replayed as data.
//!
//! `scripts/stix-matcher-cases.py` runs the `stix2-matcher` 3.0.0 test suite
//! (from its PyPI sdist, downloaded by `.ci/run`, never committed) and writes
//! every `match()` call its passing tests make, with the reference's answer,
//! to the file `TALLINN_STIX_MATCHER_CASES` names. Each case must get the same
//! answer here — match or no match, the same observed-data, or the same kind
//! of error — except the divergences listed below, each of which must differ.

use serde::Deserialize;
use serde_json::Value;
use tallinn_stix::matcher::{CompileError, match_json};
use tallinn_stix::pattern::StixVersion;

/// Cases where this matcher follows the STIX 2.1 specification, or cannot
/// reproduce a defect, instead of the reference (see the `matcher` module's
/// documentation for each rule).
const DIVERGENCES: &[(&str, &str)] = &[];

#[derive(Deserialize)]
struct Case {
    name: String,
    pattern: String,
    stix_version: String,
    observations: Vec<Value>,
    expected: Value,
}

/// What an answer looks like, for comparing the two matchers.
fn outcome(pattern: &str, version: StixVersion, observations: &[Value]) -> Value {
    match match_json(pattern, version, observations) {
        Ok(Some(ids)) => serde_json::json!({"matched": true, "sdo_ids": ids}),
        Ok(None) => serde_json::json!({"matched": false, "sdo_ids": []}),
        Err(CompileError::Parse(_)) => serde_json::json!({"error": "parse"}),
        Err(CompileError::Match(_)) => serde_json::json!({"error": "match"}),
    }
}

fn expected_outcome(expected: &Value) -> Value {
    match expected.get("error") {
        Some(kind) => serde_json::json!({ "error": kind }),
        None => serde_json::json!({"matched": expected["matched"], "sdo_ids": expected["sdo_ids"]}),
    }
}

/// How to record the reference suite's cases locally (as `.ci/run` does).
pub const MATCHER_CASES_HOW: &str = "pip download --no-deps --no-binary :all: stix2-matcher==3.0.0, unpack it, pip install stix2-matcher==3.0.0 \
     stix2-patterns==2.0.0 pytest, run scripts/stix-matcher-cases.py SDIST_DIR cases.json and set TALLINN_STIX_MATCHER_CASES=cases.json";

#[test]
fn reference_test_suite() {
    let Ok(path) = std::env::var("TALLINN_STIX_MATCHER_CASES") else {
        return tallinn_core::testing::unavailable("stix2-matcher reference suite", MATCHER_CASES_HOW);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases: Vec<Case> = serde_json::from_str(&text).expect("the cases file");
    assert!(cases.len() > 800, "the reference suite has about 840 match calls; {} found", cases.len());
    let mut failures = Vec::new();
    let mut diverged = Vec::new();
    for case in &cases {
        let version: StixVersion = case.stix_version.parse().expect("2.0 or 2.1");
        let ours = outcome(&case.pattern, version, &case.observations);
        let theirs = expected_outcome(&case.expected);
        let listed = DIVERGENCES.iter().any(|(name, _)| *name == case.name);
        match (ours == theirs, listed) {
            (true, false) => {}
            (false, true) => diverged.push(case.name.as_str()),
            (true, true) => failures.push(format!("{}: listed as a divergence but agrees with the reference", case.name)),
            (false, false) => failures.push(format!("{}\n    pattern {}\n    reference {theirs}\n    ours      {ours}", case.name, case.pattern)),
        }
    }
    for (name, _) in DIVERGENCES {
        assert!(cases.iter().any(|c| c.name == *name), "divergence {name} is not a case of the reference suite");
    }
    eprintln!("{} reference cases: {} agree, {} documented divergences", cases.len(), cases.len() - diverged.len() - failures.len(), diverged.len());
    assert!(failures.is_empty(), "{} of {} cases differ from the reference:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
