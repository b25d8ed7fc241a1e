//! `tallinn allocate --input FILE [--output FILE]`: the offline engine.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::read_file;

pub fn run(input: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let text = read_file(input)?;
    let instance = tallinn_allocate::parse_instance(&text).with_context(|| format!("{} is not a valid allocation instance", input.display()))?;
    let solution = tallinn_allocate::allocate(&instance)?;
    let json = serde_json::to_string_pretty(&solution)?;
    match output {
        Some(path) => std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))?,
        None => writeln!(std::io::stdout().lock(), "{json}")?,
    }
    eprintln!(
        "tallinn: {} allocations, objective {} (upper bound {}, gap {:.6}), {} needs left with a gap, {:.3} s",
        solution.allocations.len(),
        solution.objective,
        solution.upper_bound,
        solution.gap,
        solution.unfunded.len(),
        solution.stats.seconds
    );
    Ok(())
}
