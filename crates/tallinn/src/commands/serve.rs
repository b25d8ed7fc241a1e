//! `tallinn serve`: the HTTP server, with graceful shutdown.

use anyhow::Context;
use tallinn_ledger::Ledger;

use crate::cli::ServeArgs;

pub async fn run(mut ledger: Ledger, args: &ServeArgs) -> anyhow::Result<()> {
    let (listen, demo, access_log_window_ms) = (args.listen.as_str(), args.demo, args.access_log_window_ms);
    if args.header_timeout_secs == 0 || args.max_connections == 0 || args.max_connections_per_address == 0 {
        anyhow::bail!("--header-timeout, --max-connections and --max-connections-per-address must be at least 1");
    }
    let mut options = match args.public_url.as_deref() {
        None => tallinn_http::Options::default(),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            tallinn_http::Options { secure_cookies: url.starts_with("https://"), public_url: Some(url.trim_end_matches('/').to_string()), ..Default::default() }
        }
        Some(url) => anyhow::bail!("--public-url: '{url}' is not an http:// or https:// address"),
    };
    options.trusted_proxies = args.trusted_proxies.clone();
    if args.read_only {
        eprintln!("tallinn: serving a read-only store: changes, and reads of AMBER or RED records (which must be logged), are answered 503");
    }
    if let Some(token) = &args.metrics_token
        && token.len() < 16
    {
        anyhow::bail!("--metrics-token: use at least 16 characters");
    }
    options.metrics_token = args.metrics_token.clone();
    let limits = tallinn_http::server::Limits {
        header_timeout: std::time::Duration::from_secs(args.header_timeout_secs),
        max_connections: args.max_connections,
        max_per_address: args.max_connections_per_address,
        trusted_proxies: args.trusted_proxies.clone(),
    };
    if access_log_window_ms > 1000 {
        anyhow::bail!("--access-log-window: {access_log_window_ms} ms is more than the 1000 ms allowed");
    }
    if access_log_window_ms > 0 {
        ledger = ledger.with_access_log(tallinn_ledger::AccessLogger::buffered(std::time::Duration::from_millis(access_log_window_ms)));
        eprintln!("tallinn: the access log is buffered: TAXII reads are committed within {access_log_window_ms} ms, after they are answered");
    }
    if demo {
        match tallinn_demo::load(&ledger).await? {
            Some(r) => eprintln!("tallinn: loaded the synthetic demo dataset ({} needs, {} pledges)", r.needs, r.pledges),
            None => eprintln!("tallinn: demo dataset already present"),
        }
        demo_accounts(&ledger).await?;
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    eprintln!("tallinn: serving on http://{addr}/ ({} store); Ctrl-C to stop", ledger.backend().name());
    let app = tallinn_http::router_with(ledger.clone(), options);
    // Load the flows reports read while the server starts taking requests,
    // so that the first report does not pay for reading every flow.
    let warm = ledger.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.report_facts(&tallinn_core::policy::Principal::System).await {
            tracing::warn!(error = %e, "could not preload the report figures");
        }
    });
    // Header timeouts and connection limits against slow clients; client
    // addresses feed the sign-in limits.
    tallinn_http::server::serve(listener, app, limits, shutdown()).await?;
    // Every read answered is in the access log before the store closes.
    ledger.access_logger().flush().await.context("writing the last access-log entries")?;
    ledger.backend().close().await;
    eprintln!("tallinn: stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Gives every demo account (one per role) a fresh random password, printed
/// on stderr: they are for trying the platform, and change at every start.
async fn demo_accounts(ledger: &Ledger) -> anyhow::Result<()> {
    use rand::Rng;
    eprintln!("tallinn: demo accounts (synthetic; passwords change at every start):");
    for (name, org, role, _) in tallinn_demo::USERS {
        let password: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(16).map(char::from).collect();
        let hash = crate::commands::admin::hash_password(&password)?;
        ledger.set_password(tallinn_core::policy::Principal::System, name, &hash).await?;
        eprintln!("  {name:<26} {password}  ({role} at {org})");
    }
    Ok(())
}
