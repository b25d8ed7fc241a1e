//! The connection loop: what `axum::serve` does, plus the limits a public
//! server needs against slow and greedy clients (slowloris).
//!
//! * A request's headers must arrive within `header_timeout` of the moment
//!   the connection waits for them — on a new connection and between
//!   keep-alive requests alike — or the connection is closed. So an idle or
//!   trickling connection holds its slot for at most that long.
//! * At most `max_connections` connections are open at once, and at most
//!   `max_per_address` from one client address (trusted proxies excepted:
//!   every client behind them shares their address). A connection over
//!   either limit is closed at once, so the kernel's queue never fills with
//!   them and clients from other addresses keep being served.
//! * The request timeout (`crate::REQUEST_TIMEOUT`) bounds reading a body
//!   and answering.
//!
//! `scripts/slowloris.py` measures it; `docs/operations.md` says how to set
//! the limits behind a proxy.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The connection limits of one server process.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    pub max_per_address: usize,
    /// Proxies whose connections carry many clients (no per-address limit;
    /// their `X-Forwarded-For` names the client, see `Options`).
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header_timeout: Duration::from_secs(10), max_connections: 1024, max_per_address: 64, trusted_proxies: Vec::new() }
    }
}

/// Open connections, in all and per client address.
#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One counted connection; uncounted when dropped.
struct Slot {
    open: Arc<Mutex<Open>>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total -= 1;
        if let Some(n) = open.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// Counts a new connection, or refuses it over a limit.
fn admit(open: &Arc<Mutex<Open>>, limits: &Limits, address: IpAddr) -> Option<Slot> {
    let mut o = open.lock().unwrap_or_else(|p| p.into_inner());
    let from_address = o.by_address.get(&address).copied().unwrap_or(0);
    if o.total >= limits.max_connections || (from_address >= limits.max_per_address && !limits.trusted_proxies.contains(&address)) {
        return None;
    }
    o.total += 1;
    *o.by_address.entry(address).or_default() += 1;
    Some(Slot { open: open.clone(), address })
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (up to the request timeout).
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
    let open = Arc::new(Mutex::new(Open::default()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut refused_logged = false;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of descriptors and the like: wait a moment, go on.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while tasks.try_join_next().is_some() {}
        let Some(slot) = admit(&open, &limits, peer.ip()) else {
            if !refused_logged {
                tracing::warn!(client = %peer.ip(), "connection refused: over the connection limits (logged once per burst)");
                refused_logged = true;
            }
            drop(stream);
            continue;
        };
        refused_logged = false;
        let _ = stream.set_nodelay(true);
        tasks.spawn(connection(stream, peer, app.clone(), limits.header_timeout, slot, stop_rx.clone()));
    }
    let _ = stop_tx.send(true);
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(crate::REQUEST_TIMEOUT + Duration::from_secs(5), drain).await.is_err() {
        tracing::warn!("some connections were still open at shutdown");
    }
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    slot: Slot,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request.map(axum::body::Body::new))
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended");
            }
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
    drop(slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_in_all() {
        let limits = Limits { max_connections: 3, max_per_address: 2, trusted_proxies: vec!["10.0.0.9".parse().unwrap()], ..Limits::default() };
        let open = Arc::new(Mutex::new(Open::default()));
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let first = admit(&open, &limits, a).unwrap();
        let _second = admit(&open, &limits, a).unwrap();
        assert!(admit(&open, &limits, a).is_none(), "a third from one address");
        drop(first);
        let _third = admit(&open, &limits, a).unwrap();
        let proxy: IpAddr = "10.0.0.9".parse().unwrap();
        let _p = admit(&open, &limits, proxy).unwrap();
        assert!(admit(&open, &limits, proxy).is_none(), "the total holds for proxies too");
        assert_eq!(open.lock().unwrap().total, 3);
    }
}
