//! `tallinn stix ...`: STIX tools that need no store.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tallinn_stix::matcher::{CompileError, Matcher, Observations};
use tallinn_stix::pattern::StixVersion;

use super::read_file;
use crate::cli::StixCmd;

pub fn run(cmd: &StixCmd) -> anyhow::Result<()> {
    match cmd {
        StixCmd::Validate { files } => validate(files),
        StixCmd::Match { pattern, stix_version, file } => match_file(pattern, stix_version.parse().map_err(anyhow::Error::msg)?, file),
        StixCmd::MatchBatch => match_batch(std::io::stdin().lock(), std::io::stdout().lock()),
    }
}

fn validate(files: &[std::path::PathBuf]) -> anyhow::Result<()> {
    let mut problems = 0;
    for file in files {
        let name = file.display();
        let text = read_file(file)?;
        let doc: Value = match serde_json::from_str(&text) {
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
    let doc: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let input = as_list(doc);
    let matcher = Matcher::compile(pattern, version).map_err(|e| match e {
        CompileError::Parse(e) => anyhow::anyhow!("the pattern does not parse {e}"),
        CompileError::Match(e) => anyhow::anyhow!("the pattern cannot be matched: {e}"),
    })?;
    let observations = Observations::from_json(&input, version).with_context(|| format!("{} cannot be matched", file.display()))?;
    match matcher.matches(&observations).with_context(|| format!("{} cannot be matched", file.display()))? {
        Some(m) => {
            println!("match");
            for i in m.observations {
                println!("{}", observations.sdo_id(i).unwrap_or("(observed-data without an id)"));
            }
        }
        None => println!("no match"),
    }
    Ok(())
}

/// One line of a batch.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    pattern: String,
    #[serde(default = "default_version")]
    stix_version: String,
    observations: Vec<Value>,
}

fn default_version() -> String {
    "2.1".into()
}

/// Compiled patterns are kept for reuse across lines, up to this many.
const PATTERN_CACHE: usize = 10_000;

/// The stable JSON-lines interface: every input line gets exactly one
/// output line, in order, and a bad line answers an error and the batch goes
/// on. Output is flushed whenever the input has nothing more buffered, so an
/// interactive caller gets each answer as soon as it asks.
fn match_batch(mut input: impl BufRead, output: impl Write) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(output);
    let mut cache: HashMap<(String, StixVersion), Rc<Result<Matcher, CompileError>>> = HashMap::new();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line).context("reading stdin")? == 0 {
            break;
        }
        let answer = answer(line.trim_end_matches(['\n', '\r']), &mut cache);
        serde_json::to_writer(&mut out, &answer)?;
        out.write_all(b"\n")?;
        if input.fill_buf().map(|b| b.is_empty()).unwrap_or(true) {
            out.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}

fn answer(line: &str, cache: &mut HashMap<(String, StixVersion), Rc<Result<Matcher, CompileError>>>) -> Value {
    let error = |kind: &str, message: String| json!({"error": kind, "message": message});
    let request: BatchLine = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => return error("parse", format!("the line is not a request {{\"pattern\", \"stix_version\", \"observations\"}}: {e}")),
    };
    let version: StixVersion = match request.stix_version.parse() {
        Ok(v) => v,
        Err(e) => return error("parse", e),
    };
    if cache.len() >= PATTERN_CACHE {
        cache.clear();
    }
    let compiled = cache.entry((request.pattern.clone(), version)).or_insert_with(|| Rc::new(Matcher::compile(&request.pattern, version))).clone();
    let matcher = match compiled.as_ref() {
        Ok(m) => m,
        Err(CompileError::Parse(e)) => return error("parse", e.to_string()),
        Err(CompileError::Match(e)) => return error("match", e.to_string()),
    };
    let observations = match Observations::from_json(&request.observations, version) {
        Ok(o) => o,
        Err(e) => return error("match", e.to_string()),
    };
    match matcher.matches(&observations) {
        Ok(Some(m)) => json!({"matched": true, "sdo_ids": m.observations.iter().map(|&i| observations.sdo_id(i)).collect::<Vec<_>>()}),
        Ok(None) => json!({"matched": false, "sdo_ids": []}),
        Err(e) => error("match", e.to_string()),
    }
}
