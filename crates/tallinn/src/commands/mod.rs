//! Subcommand handlers: parse the arguments into domain values, call the
//! ledger, print the result. No business rules live here.

pub mod admin;
mod allocate;
mod delivery;
mod detect;
mod finance;
mod follow;
mod lines;
mod match_batch;
mod nats;
mod needs;
mod reports;
mod serve;
mod stix;

use std::str::FromStr;

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::civil::Date;
use tallinn_core::policy::Principal;
use tallinn_ledger::Ledger;

use crate::cli::{Cli, Command};

/// What every handler needs: the ledger and who is acting.
pub struct Ctx {
    pub ledger: Ledger,
    pub actor: Principal,
}

impl Ctx {
    /// What the operator is shown: reads that write their AMBER and RED
    /// records to the access log (`via = cli`).
    pub fn view(&self) -> tallinn_ledger::View<'_> {
        self.ledger.view(&self.actor, tallinn_ledger::Via::Cli)
    }
}

/// The commands that touch no store and need no async runtime (the offline
/// engine, duplicate detection on a file, the STIX tools), run at once;
/// `None` for the others. (`stix match-batch` is often started once per
/// small batch by other tools: starting a runtime for it cost a third of
/// its start-up.)
pub fn run_offline(cli: &Cli) -> Option<anyhow::Result<()>> {
    match &cli.command {
        Command::Allocate { input: Some(input), output, .. } => Some(allocate::offline(input, output.as_deref())),
        Command::Stix(cmd) => Some(stix::run(cmd)),
        Command::Detect(args) if args.collection.is_none() => Some(detect::run(args)),
        Command::Dedup { input: Some(input), threshold } => Some(allocate::dedup_file(input, *threshold)),
        _ => None,
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Serve(args) = &cli.command {
        let url = if args.read_only { crate::store::read_only_url(&cli.database)? } else { cli.database.clone() };
        let ledger = crate::store::open(&url).await?;
        return serve::run(ledger, args).await;
    }
    if let Command::Import { input } = &cli.command {
        // Into a store nothing has been recorded in, not even the reference data.
        let ctx = Ctx { ledger: crate::store::open_migrated(&cli.database).await?, actor: Principal::System };
        if cli.as_user.is_some() {
            return Err(anyhow!("an import holds every record of every organisation: it is the operator's, run it without --as"));
        }
        let result = admin::import_archive(&ctx, input).await;
        ctx.ledger.backend().close().await;
        return result;
    }
    let ledger = crate::store::open(&cli.database).await?;
    let actor = match &cli.as_user {
        Some(name) => ledger.principal(name).await?,
        None => Principal::System,
    };
    let ctx = Ctx { ledger, actor };
    let result = match cli.command {
        Command::Init { demo } => admin::init(&ctx, demo).await,
        Command::Backup { output } => admin::backup(&ctx, &output).await,
        Command::Serve(_) | Command::Stix(_) => unreachable!("handled above and by run_offline"),
        Command::Detect(args) => detect::run_with_store(&ctx, &args).await,
        Command::Allocate { apply, output, .. } => allocate::ledger(&ctx, apply.as_deref(), output.as_deref()).await,
        Command::Participant(cmd) => admin::participant(&ctx, cmd).await,
        Command::User(cmd) => admin::user(&ctx, cmd).await,
        Command::Token(cmd) => admin::token(&ctx, cmd).await,
        Command::Taxii(cmd) => admin::taxii(&ctx, cmd).await,
        Command::AccessLog { limit, format } => crate::output::print(&ctx.ledger.access_log(&ctx.actor, limit).await?, format.format),
        Command::Audit(cmd) => admin::audit(&ctx, cmd).await,
        Command::Need(cmd) => needs::run(&ctx, cmd).await,
        Command::Report { by, year, view, chart, output, format } => {
            reports::report(&ctx, reports::ReportArgs { by, year, view, chart, output, format: format.format }).await
        }
        Command::Export(args) => match (args.public, args.output) {
            (Some(cmd), _) => reports::export(&ctx, cmd).await,
            (None, Some(output)) => admin::export_archive(&ctx, &output).await,
            (None, None) => Err(anyhow!("export: name the archive to write (--output FILE) or a public export (iati)")),
        },
        Command::Import { .. } => unreachable!("handled above"),
        Command::Pledge(cmd) => finance::pledge(&ctx, cmd).await,
        Command::Allocation(cmd) => finance::allocation(&ctx, cmd).await,
        Command::Transaction(cmd) => finance::transaction(&ctx, cmd).await,
        Command::Fx(cmd) => finance::fx(&ctx, cmd).await,
        Command::Gaps { by, format } => allocate::gaps(&ctx, &by, format.format).await,
        Command::Dedup { threshold, .. } => allocate::dedup_ledger(&ctx, threshold).await,
        Command::Project(cmd) => delivery::project(&ctx, cmd).await,
        Command::Agreement(cmd) => delivery::agreement(&ctx, cmd).await,
        Command::Announcement(cmd) => delivery::announcement(&ctx, cmd).await,
    };
    // On a store opened read-only (a backup, a snapshot) reads cannot be
    // logged: the command went on, and says so — the file is in the
    // operator's hands anyway, readable without Tallinn (ADR 0020).
    let unlogged = ctx.ledger.unlogged_reads();
    if unlogged > 0 {
        eprintln!("tallinn: warning: {unlogged} read(s) of AMBER or RED records not written to the access log: the store is read-only");
    }
    ctx.ledger.backend().close().await;
    result
}

/// Parses a vocabulary word or other `FromStr` value for an option,
/// naming the option in the error.
pub fn parse<T>(option: &str, text: &str) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    T::from_str(text).map_err(|e| anyhow!("--{option}: {e}"))
}

pub fn parse_all<T>(option: &str, texts: &[String]) -> anyhow::Result<Vec<T>>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    texts.iter().map(|t| parse(option, t)).collect()
}

pub fn date(option: &str, text: &str) -> anyhow::Result<Date> {
    Date::from_str(text).map_err(|_| anyhow!("--{option}: '{text}' is not a date (YYYY-MM-DD)"))
}

pub fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}
