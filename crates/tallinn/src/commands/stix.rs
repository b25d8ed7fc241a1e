//! `tallinn stix ...`: STIX tools that need no store.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;
use tallinn_stix::matcher::{Bump, CompileError, Json, Matcher, Observations};
use tallinn_stix::pattern::StixVersion;

use super::read_file;
use crate::cli::StixCmd;

pub fn run(cmd: &StixCmd) -> anyhow::Result<()> {
    match cmd {
        StixCmd::Validate { files } => validate(files),
        StixCmd::Match { pattern, stix_version, file } => match_file(pattern, stix_version.parse().map_err(anyhow::Error::msg)?, file),
        StixCmd::MatchBatch => super::match_batch::run(std::io::stdin().lock(), std::io::stdout()),
    }
}

fn validate(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let mut problems = 0;
    for file in files {
        let name = file.display();
        let text = read_file(file)?;
        let doc: Value = match tallinn_stix::strict_json::from_str(&text) {
            Ok(doc) => doc,
            Err(e) => {
                println!("{name}: not JSON: {e}");
                problems += 1;
                continue;
            }
        };
        let (count, found) = tallinn_stix::object::validate_document(&doc);
        if found.is_empty() {
            println!("{name}: {count} object(s), valid");
        }
        for p in &found {
            println!("{name}: {p}");
        }
        problems += found.len();
    }
    if problems > 0 {
        bail!("{problems} problem(s) found");
    }
    Ok(())
}

/// A single bundle or observed-data is matched as a list of one.
fn as_list(doc: Value) -> Vec<Value> {
    match doc {
        Value::Array(list) => list,
        one => vec![one],
    }
}

fn match_file(pattern: &str, version: StixVersion, file: &Path) -> anyhow::Result<()> {
    let text = read_file(file)?;
    let doc: Value = tallinn_stix::strict_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let input = as_list(doc);
    let matcher = Matcher::compile(pattern, version).map_err(|e| match e {
        CompileError::Parse(e) => anyhow::anyhow!("the pattern does not parse {e}"),
        CompileError::Match(e) => anyhow::anyhow!("the pattern cannot be matched: {e}"),
    })?;
    let arena = Bump::new();
    let input = Json::from_values(&input, &arena);
    let observations = Observations::from_json(input, version).with_context(|| format!("{} cannot be matched", file.display()))?;
    match matcher.matches(&observations).with_context(|| format!("{} cannot be matched", file.display()))? {
        Some(m) => {
            println!("match");
            for &i in m.observations() {
                println!("{}", observations.sdo_id(i).unwrap_or("(observed-data without an id)"));
            }
        }
        None => println!("no match"),
    }
    Ok(())
}
