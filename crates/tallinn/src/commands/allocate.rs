//! `tallinn allocate`: the engine offline (`--input FILE`) or over the
//! ledger (a saved proposal; `--apply ID` applies one).

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::read_file;

pub fn offline(input: &Path, output: Option<&Path>) -> anyhow::Result<()> {
    let text = read_file(input)?;
    let instance = tallinn_allocate::parse_instance(&text).with_context(|| format!("{} is not a valid allocation instance", input.display()))?;
    let solution = tallinn_allocate::allocate(&instance)?;
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
            let made = ctx.ledger.apply_proposal(ctx.actor.clone(), id).await?;
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
    use tallinn_allocate::gaps::GapBy;
    let by = match by {
        "need" => GapBy::Need,
        "capability" => GapBy::Capability,
        "sector" => GapBy::Sector,
        "beneficiary" => GapBy::Beneficiary,
        "urgency" => GapBy::Urgency,
        other => anyhow::bail!("--by: '{other}' is not one of need, capability, sector, beneficiary, urgency"),
    };
    let needs = ctx.ledger.needs(&ctx.actor, &Default::default()).await?;
    // Threat factors are 1 until the threat exchange supplies them.
    let rows = tallinn_allocate::gaps::gaps(&needs, by, &Default::default(), |_| 1.0);
    crate::output::print(&rows, format)
}

fn check_threshold(threshold: f64) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&threshold) {
        anyhow::bail!("--threshold: {threshold} is not between 0 and 1");
    }
    Ok(())
}

/// `{"needs": [pairs], "pledges": [pairs]}` on stdout.
fn print_pairs(needs: &[tallinn_allocate::dedup::DuplicatePair], pledges: &[tallinn_allocate::dedup::DuplicatePair], scanned: usize) -> anyhow::Result<()> {
    write(&serde_json::json!({ "needs": needs, "pledges": pledges }), None)?;
    eprintln!("tallinn: {} likely duplicate need pair(s) among {scanned} needs, {} overlapping pledge pair(s)", needs.len(), pledges.len());
    Ok(())
}

pub fn dedup_file(input: &Path, threshold: f64) -> anyhow::Result<()> {
    check_threshold(threshold)?;
    let needs = tallinn_allocate::dedup::parse_dedup_input(&read_file(input)?).with_context(|| format!("{} is not a valid dedup input", input.display()))?;
    print_pairs(&tallinn_allocate::dedup::find_duplicates(&needs, threshold), &[], needs.len())
}

pub async fn dedup_ledger(ctx: &super::Ctx, threshold: f64) -> anyhow::Result<()> {
    use tallinn_core::need::NeedStatus;
    check_threshold(threshold)?;
    let needs: Vec<_> = ctx
        .ledger
        .needs(&ctx.actor, &Default::default())
        .await?
        .into_iter()
        .filter(|n| !matches!(n.status, NeedStatus::Rejected | NeedStatus::Withdrawn))
        .map(|n| tallinn_allocate::dedup::DedupNeed {
            id: n.id,
            beneficiary: n.beneficiary,
            title: n.title,
            description: n.description,
            capability: n.capability,
            sector: n.sector,
            cost_eur_minor: n.cost_eur_minor,
        })
        .collect();
    // Pairs a coordinator has already judged are not proposed again.
    let decided: std::collections::HashSet<(String, String)> = ctx.ledger.related_pairs().await?.into_iter().collect();
    let key = |id: &str| id.trim_start_matches("N-").parse::<i64>().unwrap_or(0);
    let pairs: Vec<_> = tallinn_allocate::dedup::find_duplicates(&needs, threshold)
        .into_iter()
        .filter(|p| {
            let (lo, hi) = if key(&p.a) < key(&p.b) { (&p.a, &p.b) } else { (&p.b, &p.a) };
            !decided.contains(&(lo.clone(), hi.clone()))
        })
        .collect();
    let pledges: Vec<_> = ctx
        .ledger
        .pledges(&ctx.actor, None, None)
        .await?
        .into_iter()
        .filter(|p| p.status != tallinn_core::pledge::PledgeStatus::Cancelled)
        .map(|p| tallinn_allocate::dedup::OverlapPledge {
            earmarks: p
                .earmarks
                .capabilities
                .iter()
                .map(ToString::to_string)
                .chain(p.earmarks.sectors.iter().map(ToString::to_string))
                .chain(p.earmarks.beneficiaries.iter().cloned())
                .collect(),
            id: p.id,
            donor: p.donor,
            amount_eur_minor: p.eur_minor,
            pledged_on: p.pledged_on,
        })
        .collect();
    let overlaps = tallinn_allocate::dedup::overlapping_pledges(&pledges, threshold);
    print_pairs(&pairs, &overlaps, needs.len())
}
