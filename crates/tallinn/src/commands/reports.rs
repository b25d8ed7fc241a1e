//! `tallinn report` and `tallinn export iati`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use tallinn_core::money::format_minor;
use tallinn_core::policy::Principal;
use tallinn_report::funding::{Amounts, FundingRow};
use tallinn_report::table::{Tabular, coverage_lines, timing_lines};
use tallinn_report::{By, ChartKind, Overview, chart, funding, overview};

use super::Ctx;
use crate::cli::{ExportCmd, Format, ReportView};
use crate::output::{Listing, print};

fn eur(minor: i64) -> String {
    format_minor(minor, 2)
}

/// Report rows print through the command line's table and CSV writer.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct Row<'a, T>(&'a T);

impl<T: Tabular> Listing for Row<'_, T> {
    const COLUMNS: &'static [&'static str] = T::COLUMNS;
    fn cells(&self) -> Vec<String> {
        self.0.cells()
    }
}

fn rows<T: Tabular>(items: &[T]) -> Vec<Row<'_, T>> {
    items.iter().map(Row).collect()
}

pub struct ReportArgs {
    pub by: Option<By>,
    pub year: Option<i16>,
    pub view: Option<ReportView>,
    pub chart: Option<ChartKind>,
    pub output: Option<std::path::PathBuf>,
    pub format: Format,
}

pub async fn report(ctx: &Ctx, args: ReportArgs) -> anyhow::Result<()> {
    if let Some(kind) = args.chart {
        // A chart names needs only in top-gaps.
        let facts = ctx.view().report_facts().await?;
        return write_out(args.output.as_deref(), chart::render(kind, &facts).as_bytes());
    }
    if let Some(by) = args.by {
        // A funding table names no record: its facts are read unlogged.
        let table = funding(&ctx.ledger.report_facts(&ctx.actor).await?, by, args.year);
        return match args.format {
            Format::Json => crate::output::print_one(&table, Format::Json),
            format => {
                print(&rows(&table.rows), format)?;
                if format == Format::Table {
                    print_totals(&table.total, table.pass_through_excluded, table.scope.as_ref());
                }
                Ok(())
            }
        };
    }
    let o = overview(&ctx.view().report_facts().await?, args.year);
    match (args.view, args.format) {
        (Some(view), Format::Json) => match view {
            ReportView::Coverage => crate::output::print_one(&o.coverage, Format::Json),
            ReportView::Gaps => crate::output::print_one(&o.gaps, Format::Json),
            ReportView::Timing => crate::output::print_one(&o.timing, Format::Json),
            ReportView::Agreements => crate::output::print_one(&o.agreements, Format::Json),
            ReportView::Reconciliation => crate::output::print_one(&o.reconciliation, Format::Json),
        },
        (Some(view), format) => match view {
            ReportView::Coverage => print(&rows(&coverage_lines(&o)), format),
            ReportView::Gaps => print(&rows(&o.gaps.top), format),
            ReportView::Timing => print(&rows(&timing_lines(&o)), format),
            ReportView::Agreements => print(&rows(&o.agreements), format),
            ReportView::Reconciliation => print(&rows(&o.reconciliation), format),
        },
        (None, Format::Json) => crate::output::print_one(&o, Format::Json),
        (None, Format::Csv) => bail!("CSV holds one table: choose one with --by or --view"),
        (None, Format::Table) => print_overview(&o),
    }
}

fn print_totals(total: &Amounts, pass_through: i64, scope: Option<&tallinn_report::Scope>) {
    if let Some(scope) = scope {
        println!("Scope: {}", scope.reader);
    }
    println!(
        "Totals: committed EUR {}, disbursed EUR {}, spent EUR {}; announced pledges (not counted) EUR {}; passed on through intermediaries (counted once, at origin) EUR {}",
        eur(total.committed),
        eur(total.disbursed),
        eur(total.spent),
        eur(total.announced),
        eur(pass_through)
    );
}

fn print_overview(o: &Overview) -> anyhow::Result<()> {
    print_totals(&o.totals, o.pass_through_excluded, o.scope.as_ref());
    let sections: [(&str, &[FundingRow]); 3] =
        [("Funding by donor", &o.funding.donor), ("Funding by year", &o.funding.year), ("Funding by capability", &o.funding.capability)];
    for (title, section) in sections {
        println!("\n{title}");
        print(&rows(section), Format::Table)?;
    }
    println!("\nCoverage of approved needs (funded ÷ approved cost)");
    print(&rows(&coverage_lines(o)), Format::Table)?;
    println!("\nUnfunded gap: EUR {} over {} open need(s); the largest:", eur(o.gaps.unfunded), o.gaps.open_needs);
    print(&rows(&o.gaps.top), Format::Table)?;
    println!("\nTime to fund (approved → funded) and to deliver (funded → delivered), median days");
    print(&rows(&timing_lines(o)), Format::Table)?;
    println!("\nAgreements by domain and signing year");
    print(&rows(&o.agreements), Format::Table)?;
    for r in &o.reconciliation {
        println!("\nReconciliation with {} ({})", r.announcement, r.date);
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(vec!["", "announced EUR", "ledger EUR", "difference EUR"]);
        table.add_row(vec![format!("new support in {}", r.year), eur(r.announced_new), eur(r.ledger_new), eur(r.difference_new)]);
        table.add_row(vec!["cumulative".into(), eur(r.announced_cumulative), eur(r.ledger_cumulative), eur(r.difference_cumulative)]);
        println!("{table}");
        for line in &r.explanation {
            println!("- {line}");
        }
    }
    println!("\nFunding by sector, beneficiary and status: --by sector|beneficiary|status; every figure as JSON: --format json");
    Ok(())
}

fn write_out(output: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

pub async fn export(ctx: &Ctx, cmd: ExportCmd) -> anyhow::Result<()> {
    match cmd {
        ExportCmd::Iati { output, reporting_org } => {
            if reporting_org.trim().is_empty() || reporting_org.chars().any(char::is_whitespace) {
                bail!("--reporting-org: '{reporting_org}' is not an organisation identifier (no spaces)");
            }
            // The IATI file is public: TLP:CLEAR only, whoever runs the export.
            let facts = ctx.ledger.report_facts(&Principal::Public).await?;
            let mut options = tallinn_report::iati::IatiOptions::new(ctx.ledger.now());
            options.reporting_org_ref = reporting_org;
            let export = tallinn_report::iati::export(&facts, &options);
            write_out(output.as_deref(), export.xml.as_bytes())?;
            eprintln!(
                "tallinn: {} activit{} with {} transaction(s){}",
                export.activities,
                if export.activities == 1 { "y" } else { "ies" },
                export.transactions,
                if export.future_transactions_left_out > 0 {
                    format!("; {} future-dated flow(s) left out", export.future_transactions_left_out)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
    }
}
