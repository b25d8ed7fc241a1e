//! `tallinn serve`: the HTTP server, with graceful shutdown.

use anyhow::Context;
use tallinn_store::Ledger;

pub async fn run(ledger: Ledger, listen: &str, demo: bool) -> anyhow::Result<()> {
    if demo {
        match ledger.load_demo().await? {
            Some(r) => eprintln!("tallinn: loaded the synthetic demo dataset ({} needs, {} pledges)", r.needs, r.pledges),
            None => eprintln!("tallinn: demo dataset already present"),
        }
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    eprintln!("tallinn: serving on http://{addr}/ ({} store); Ctrl-C to stop", ledger.backend().name());
    let app = tallinn_http::router(ledger.clone());
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
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
