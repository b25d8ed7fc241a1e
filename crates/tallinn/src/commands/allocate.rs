//! `tallinn allocate`: the engine offline (`--input FILE`) or over the
//! ledger (a saved proposal; `--apply ID` applies one).

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::read_file;

pub fn offline(input: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let text = read_file(input)?;
    let instance = tallinn_allocate::parse_instance(&text).with_context(|| format!("{} is not a valid allocation instance", input.display()))?;
    // Hard instances take seconds: a spinner on stderr while the engine works.
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} allocate: {msg} [{elapsed}]").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(format!("{} needs x {} pledges", instance.needs.len(), instance.pledges.len()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let solved = tallinn_allocate::allocate(&instance);
    bar.finish_and_clear();
    let solution = solved?;
    write(&solution, output)?;
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

fn write<T: serde::Serialize>(value: &T, output: Option<&Path>) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    match output {
        Some(path) => std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))?,
        None => writeln!(std::io::stdout().lock(), "{json}")?,
    }
    Ok(())
}

pub async fn ledger(ctx: &super::Ctx, apply: Option<&str>, output: Option<&Path>) -> anyhow::Result<()> {
    match apply {
        Some(id) => {
            let made = ctx.ledger.apply_proposal(ctx.actor.clone(), id.parse()?).await?;
            eprintln!("tallinn: applied {id}: {} allocations", made.len());
            write(&made, output)
        }
        None => {
            let proposal = ctx.ledger.propose_allocations(ctx.actor.clone()).await?;
            eprintln!(
                "tallinn: saved proposal {} (objective {}, gap {}); review it, then `tallinn allocate --apply {}`",
                proposal.id, proposal.objective, proposal.gap, proposal.id
            );
            write(&proposal, output)
        }
    }
}

pub async fn gaps(ctx: &super::Ctx, by: &str, format: crate::cli::Format) -> anyhow::Result<()> {
    let rows = ctx.view().gaps(tallinn_ledger::gap_by(by)?).await?;
    crate::output::print(&rows, format)
}

fn check_threshold(threshold: f64) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&threshold) {
        anyhow::bail!("--threshold: {threshold} is not between 0 and 1");
    }
    Ok(())
}

fn print_duplicates(found: &tallinn_ledger::Duplicates) -> anyhow::Result<()> {
    write(&serde_json::json!({ "needs": found.needs, "pledges": found.pledges }), None)?;
    eprintln!("tallinn: {} likely duplicate need pair(s) among {} needs, {} overlapping pledge pair(s)", found.needs.len(), found.scanned, found.pledges.len());
    Ok(())
}

pub fn dedup_file(input: &Path, threshold: f64) -> anyhow::Result<()> {
    check_threshold(threshold)?;
    let needs = tallinn_allocate::dedup::parse_dedup_input(&read_file(input)?).with_context(|| format!("{} is not a valid dedup input", input.display()))?;
    let pairs = tallinn_allocate::dedup::find_duplicates(&needs, threshold);
    print_duplicates(&tallinn_ledger::Duplicates { needs: pairs, pledges: vec![], scanned: needs.len() })
}

pub async fn dedup_ledger(ctx: &super::Ctx, threshold: f64) -> anyhow::Result<()> {
    check_threshold(threshold)?;
    print_duplicates(&ctx.view().duplicates(threshold).await?)
}
