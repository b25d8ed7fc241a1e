//! `tallinn`: parse the command line, run the command, and turn errors into
//! a message on stderr and an exit status (1: refused input, 2: usage,
//! 3: the store or system failed).
//!
//! # Modules
//!
//! The binary: `cli` (clap definitions, `TALLINN_*` env), `store` (URL scheme → backend), `output`
//! (table/JSON/CSV), `commands/*` (one module per area; `commands/match_batch` runs `stix
//! match-batch` on every core: the caller's thread reads whole buffers of lines as batches (into
//! buffers the workers hand back), workers answer them (each line read into the worker's arena,
//! reset after the line), a writer restores input order and flushes whenever everything read so far
//! is answered), `main` (exit statuses; the commands that touch no store — the offline engine,
//! duplicates in a file, the STIX tools — run before any async runtime is started).
//! `benches/import.rs` measures bulk imports on both databases; `benches/reports.rs` every report
//! over a million flows; `benches/taxii.rs` TAXII over real HTTP (ingest, first page, requests/s;
//! pointed at another server, it posts the same objects first — `scripts/bench-taxii-medallion.sh`
//! runs OASIS medallion that way; benches use the binary's allocator).
//! `tests/taxii/taxii2_client_test.py` is the OASIS client's walk through the TAXII server, run by
//! `tests/it/taxii.rs`.

mod cli;
mod commands;
mod output;
#[cfg(test)]
mod reference;
mod store;

use std::process::ExitCode;

/// mimalloc: the server and the STIX tools allocate many small, short-lived
/// values (JSON trees above all); it halves their allocation cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use tallinn_ledger::StoreError;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("TALLINN_LOG").unwrap_or_else(|_| "warn".into());
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter);
    match cli.log_format {
        cli::LogFormat::Text => logs.init(),
        cli::LogFormat::Json => logs.json().init(),
    }
    let result = match commands::run_offline(&cli) {
        Some(result) => result,
        None => match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(commands::run(cli)),
            Err(e) => {
                eprintln!("error: cannot start the runtime: {e}");
                return ExitCode::from(3);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let system = e.chain().any(|c| matches!(c.downcast_ref::<StoreError>(), Some(s) if !s.is_client_error()));
            ExitCode::from(if system { 3 } else { 1 })
        }
    }
}
