//! TAXII 2.1 on SQLite, over real HTTP (docs/product.md: performance targets): ingest objects/s, and the
//! latency and requests/s of `GET objects?limit=100` (the first page) with
//! 10,000, 100,000 and 1,000,000 objects in the collection, with a Bearer
//! token (over 4 connections and at saturation, 32), with HTTP Basic, and
//! with a Bearer token against a server whose access log is buffered for
//! 2 ms. The server and this load generator share the machine's two cores,
//! so the figures are conservative.
//!
//!     cargo bench -p tallinn --bench taxii
//!     TALLINN_BENCH_SIZES=10000,20000 cargo bench -p tallinn --bench taxii
//!
//! On PostgreSQL (a database `tallinn_bench_taxii` is made afresh on that
//! server, and kept for inspection):
//!
//!     TALLINN_BENCH_STORE=postgres://postgres@127.0.0.1/postgres cargo bench -p tallinn --bench taxii
//!
//! The same measurement against another TAXII server, after posting it the
//! same objects (the medallion comparison, `scripts/bench-taxii-medallion.sh`):
//!
//!     TALLINN_BENCH_URL=http://127.0.0.1:5000/api1/collections/ID/objects/ \
//!     TALLINN_BENCH_BASIC=user:password TALLINN_BENCH_INGEST=10000 \
//!     cargo bench -p tallinn --bench taxii

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tallinn_core::participant::{NewUser, Role};
use tallinn_core::policy::Principal;
use tallinn_ledger::Ledger;

/// The allocator the `tallinn` binary ships with (`src/main.rs`), so that
/// the benchmark measures what runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TAXII: &str = "application/taxii+json;version=2.1";
const ENVELOPE: usize = 1000;
const LATENCY_SAMPLES: usize = 300;
const LATENCY_FOR: Duration = Duration::from_secs(20);
const THROUGHPUT_FOR: Duration = Duration::from_secs(3);
/// Connections of the light load; a TAXII server polled by many partner
/// tools is measured at saturation too, as the API benchmark is.
const CONNECTIONS: usize = 4;
const SATURATION: usize = 32;

/// One keep-alive HTTP/1.1 connection.
struct Client {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Client {
    async fn connect(base: &url_lite::Base) -> Client {
        Client { sender: Client::open(&base.authority).await, host: base.authority.clone() }
    }

    async fn open(authority: &str) -> SendRequest<Full<Bytes>> {
        let stream = tokio::net::TcpStream::connect(authority).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        sender
    }

    async fn send(&mut self, method: &str, path: &str, auth: &str, body: Option<String>) -> (u16, Bytes) {
        let mut req = hyper::Request::builder().method(method).uri(path).header("host", &self.host).header("accept", TAXII).header("authorization", auth);
        if body.is_some() {
            req = req.header("content-type", TAXII);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default()))).expect("request");
        // A server that closes after each response (HTTP/1.0, as Flask's
        // development server that medallion ships with) costs a reconnect.
        if self.sender.ready().await.is_err() {
            self.sender = Client::open(&self.host).await;
            self.sender.ready().await.expect("ready");
        }
        let response = self.sender.send_request(req).await.expect("send");
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, bytes)
    }
}

/// `http://host:port/path` split into what the client needs.
mod url_lite {
    pub struct Base {
        pub authority: String,
        pub path: String,
    }

    pub fn parse(url: &str) -> Base {
        let rest = url.strip_prefix("http://").expect("an http:// URL");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        Base { authority: authority.to_string(), path: format!("/{path}") }
    }
}

/// A realistic indicator: mostly GREEN and CLEAR, some AMBER shared with EE.
fn indicator(n: usize) -> String {
    let marking = match n % 10 {
        0..=5 => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        6..=8 => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        _ => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    };
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{n:08x}-3333-4333-8333-333333333333","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Benchmark indicator {n}","description":"Command and control address seen in a phishing campaign against a regional authority.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '10.{}.{}.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["benchmark"],"object_marking_refs":["{marking}"],"x_tallinn_share_orgs":["EE"]}}"#,
        (n >> 16) & 255,
        (n >> 8) & 255,
        n & 255
    )
}

fn envelope(from: usize, to: usize) -> String {
    let objects: Vec<String> = (from..to).map(indicator).collect();
    format!("{{\"objects\":[{}]}}", objects.join(","))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Sequential first-page latency: (median, p99).
async fn latency(base: &url_lite::Base, auth: &str) -> (Duration, Duration) {
    let mut client = Client::connect(base).await;
    let path = format!("{}?limit=100", base.path);
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    // A slow server (medallion re-filters the whole collection per read)
    // gets fewer samples: those taken within LATENCY_FOR (at least 3).
    let deadline = Instant::now() + LATENCY_FOR;
    while samples.len() < LATENCY_SAMPLES && (samples.len() < 3 || Instant::now() < deadline) {
        let start = Instant::now();
        let (status, body) = client.send("GET", &path, auth, None).await;
        samples.push(start.elapsed());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

/// Requests/s of the first page over `connections` connections (over the
/// time the requests took: a slow server's last answers come late).
async fn throughput(base: &url_lite::Base, auth: &str, connections: usize) -> f64 {
    let start = Instant::now();
    let deadline = start + THROUGHPUT_FOR;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let mut client = Client::connect(base).await;
        let path = format!("{}?limit=100", base.path);
        let auth = auth.to_string();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                let (status, _) = client.send("GET", &path, &auth, None).await;
                assert_eq!(status, 200);
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// Posts the benchmark's objects `from..to` in envelopes; answers objects/s.
async fn ingest(client: &mut Client, base: &url_lite::Base, auth: &str, from: usize, to: usize) -> f64 {
    let start = Instant::now();
    let mut held = from;
    while held < to {
        let next = (held + ENVELOPE).min(to);
        let (status, body) = client.send("POST", &base.path, auth, Some(envelope(held, next))).await;
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
        held = next;
    }
    (to - from) as f64 / start.elapsed().as_secs_f64()
}

/// Another TAXII server (medallion, for the comparison): with
/// `TALLINN_BENCH_INGEST=N` it first receives the same N objects the own
/// benchmark posts, then the same first-page requests are timed.
async fn external(url: &str) {
    let base = url_lite::parse(url);
    let credentials = std::env::var("TALLINN_BENCH_BASIC").expect("TALLINN_BENCH_BASIC=user:password");
    let (user, password) = credentials.split_once(':').expect("user:password");
    let auth = basic(user, password);
    let size: usize = std::env::var("TALLINN_BENCH_INGEST").map_or(0, |n| n.parse().expect("TALLINN_BENCH_INGEST is a number"));
    let rate = if size > 0 { format!("{:.0}", ingest(&mut Client::connect(&base).await, &base, &auth, 0, size).await) } else { "—".into() };
    let (median, p99) = latency(&base, &auth).await;
    let rps = throughput(&base, &auth, CONNECTIONS).await;
    println!("| {size} | {rate} | {} | {} | {rps:.2} (Basic) | {url} |", ms(median), ms(p99));
}

/// Serves `app` on a free port; answers the collection's objects URL.
async fn serve(app: axum::Router) -> url_lite::Base {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await });
    url_lite::parse(&format!("http://{addr}/taxii2/tallinn/collections/community/objects/"))
}

async fn own(sizes: &[usize]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = match std::env::var("TALLINN_BENCH_STORE") {
        Ok(url) if url.starts_with("postgres") => {
            use tallinn_store_postgres::PostgresBackend;
            PostgresBackend::drop_database(&url, "tallinn_bench_taxii").await.expect("drop the last run's database");
            let fresh = PostgresBackend::create_database(&url, "tallinn_bench_taxii").await.expect("a fresh database");
            Ledger::new(Arc::new(PostgresBackend::connect(&fresh).await.expect("postgres")))
        }
        _ => {
            let url = format!("sqlite://{}", dir.path().join("taxii.db").display());
            Ledger::new(Arc::new(tallinn_store_sqlite::SqliteBackend::connect(&url).await.expect("sqlite")))
        }
    };
    ledger.init().await.expect("init");
    let password = "benchmark password";
    let hash = {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2::Argon2::default().hash_password(password.as_bytes(), &salt).expect("hash").to_string()
    };
    ledger
        .add_user(Principal::System, NewUser { name: "bench.analyst".into(), org: "UA".into(), role: Role::Analyst, panel: None, password_hash: Some(hash) })
        .await
        .expect("user");
    let token = ledger.create_token(Principal::System, "bench.analyst", None).await.expect("token").1;
    let base = serve(tallinn_http::router(ledger.clone())).await;
    // The same store behind a server whose access log is buffered for 2 ms
    // (`tallinn serve --access-log-window 2`).
    let buffered = serve(tallinn_http::router(ledger.with_access_log(tallinn_ledger::AccessLogger::buffered(Duration::from_millis(2))))).await;
    let bearer = format!("Bearer {token}");
    let basic = basic("bench.analyst", password);

    println!(
        "| objects in the collection | ingest (objects/s) | first page, median | first page, p99 | requests/s, Bearer | requests/s, Bearer, {SATURATION} connections | requests/s, Basic | requests/s, Bearer, log buffered 2 ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut client = Client::connect(&base).await;
    let mut held = 0;
    for &size in sizes {
        let ingest = ingest(&mut client, &base, &bearer, held, size).await;
        held = size;
        let (median, p99) = latency(&base, &bearer).await;
        let bearer_rps = throughput(&base, &bearer, CONNECTIONS).await;
        let saturated_rps = throughput(&base, &bearer, SATURATION).await;
        let basic_rps = throughput(&base, &basic, CONNECTIONS).await;
        let buffered_rps = throughput(&buffered, &bearer, CONNECTIONS).await;
        println!("| {size} | {ingest:.0} | {} | {} | {bearer_rps:.0} | {saturated_rps:.0} | {basic_rps:.0} | {buffered_rps:.0} |", ms(median), ms(p99));
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        if let Ok(url) = std::env::var("TALLINN_BENCH_URL") {
            return external(&url).await;
        }
        let sizes: Vec<usize> = std::env::var("TALLINN_BENCH_SIZES")
            .unwrap_or_else(|_| "10000,20000,100000,1000000".into())
            .split(',')
            .map(|s| s.trim().parse().expect("sizes are numbers"))
            .collect();
        own(&sizes).await;
    });
}
