//! `tallinn`: parse the command line, run the command, and turn errors into
//! a message on stderr and an exit status (1: refused input, 2: usage,
//! 3: the store or system failed).

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
use tallinn_store::StoreError;

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
