//! Elastic Common Schema documents, one per line (NDJSON), with fields
//! nested (`{"source": {"ip": …}}`) or dotted (`{"source.ip": …}`), as
//! Filebeat, Elastic Agent and Logstash write them.
//!
//! | ECS field | STIX observable |
//! |---|---|
//! | `source.ip`, `destination.ip` (or `client.ip`, `server.ip`) | `ipv4-addr` / `ipv6-addr`, `src_ref` / `dst_ref` of a `network-traffic` |
//! | `source.port`, `destination.port`, `network.transport`, `network.protocol` | `network-traffic` `src_port`, `dst_port`, `protocols` |
//! | `dns.question.name`, `destination.domain`, `url.domain`, `tls.client.server_name` | `domain-name` |
//! | `dns.resolved_ip[]` | `ipv4-addr` / `ipv6-addr` |
//! | `url.full` (else `url.original`) | `url` |
//! | `http.request.method`, `url.path`, `user_agent.original` | `network-traffic` `http-request-ext` |
//! | `file.name`, `file.size`, `file.hash.md5` / `sha1` / `sha256` | `file` |
//! | `process.hash.md5` / `sha1` / `sha256`, `process.name` | `file` (the executable) |
//! | `tls.server.x509.subject.distinguished_name`, `tls.server.x509.issuer.distinguished_name`, `tls.server.hash.sha1` / `sha256` | `x509-certificate` |
//!
//! The event's time is `@timestamp`.

use tallinn_stix::matcher::Json;
use tallinn_stix::matcher::json::Map;

use super::{Skip, timestamp};
use crate::event::{Builder, Traffic};

/// A field by its dotted name: written flat, or nested, or any mix.
fn field<'a>(line: &Map<'a>, name: &str) -> Option<&'a Json<'a>> {
    if let Some(v) = line.get(name) {
        return Some(v);
    }
    let (head, rest) = name.split_once('.')?;
    match line.get(head)? {
        Json::Object(inner) => field(inner, rest),
        _ => None,
    }
}

fn text<'a>(line: &Map<'a>, name: &str) -> Option<&'a str> {
    field(line, name).and_then(Json::as_str).filter(|s| !s.is_empty())
}

fn number(line: &Map<'_>, name: &str) -> Option<u64> {
    match field(line, name)? {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The first-read fields of the connection's addresses, flat: one that
/// holds an address makes the line an event by itself. (Each is read
/// before its alternative, `client.ip` / `server.ip`.)
pub(crate) const ADDRESSES: [&str; 2] = ["source.ip", "destination.ip"];

/// The document's time.
pub(crate) fn time(line: &Map<'_>) -> Result<i64, Skip> {
    text(line, "@timestamp").and_then(timestamp).ok_or_else(|| Skip::Malformed("an ECS document without a readable @timestamp".into()))
}

pub fn read<'a>(line: &'a Map<'a>, b: &mut Builder<'a>) -> Result<i64, Skip> {
    let at = time(line)?;
    let [source, destination] = ADDRESSES;
    let src = text(line, source).or_else(|| text(line, "client.ip")).and_then(|a| b.address(a));
    let dst = text(line, destination).or_else(|| text(line, "server.ip")).and_then(|a| b.address(a));
    let mut protocols = Vec::with_capacity(2);
    protocols.extend(text(line, "network.transport"));
    protocols.extend(text(line, "network.protocol"));
    let protocols = b.arena().alloc_slice_copy(&protocols);
    b.traffic(Traffic {
        src,
        dst,
        src_port: number(line, "source.port").or_else(|| number(line, "client.port")),
        dst_port: number(line, "destination.port").or_else(|| number(line, "server.port")),
        protocols,
        http_method: text(line, "http.request.method"),
        http_path: text(line, "url.path").filter(|_| text(line, "http.request.method").is_some()),
        user_agent: text(line, "user_agent.original").filter(|_| text(line, "http.request.method").is_some()),
    });
    for name in ["dns.question.name", "destination.domain", "url.domain", "tls.client.server_name"] {
        if let Some(d) = text(line, name) {
            b.domain(d);
        }
    }
    for ip in field(line, "dns.resolved_ip").and_then(Json::as_array).unwrap_or_default().iter().filter_map(Json::as_str) {
        b.address(ip);
    }
    if let Some(url) = text(line, "url.full").or_else(|| text(line, "url.original")) {
        b.url(url);
    }
    for prefix in ["file", "process"] {
        let hash = |alg: &str| text(line, &format!("{prefix}.hash.{alg}")).unwrap_or("");
        let hashes = [("MD5", hash("md5")), ("SHA-1", hash("sha1")), ("SHA-256", hash("sha256"))];
        let size = number(line, &format!("{prefix}.size")).and_then(|s| i64::try_from(s).ok());
        b.file(text(line, &format!("{prefix}.name")), size, &hashes);
    }
    let cert_hash = |alg: &str| text(line, &format!("tls.server.hash.{alg}")).unwrap_or("");
    b.certificate(
        text(line, "tls.server.x509.subject.distinguished_name"),
        text(line, "tls.server.x509.issuer.distinguished_name"),
        text(line, "tls.server.x509.serial_number"),
        &[("SHA-1", cert_hash("sha1")), ("SHA-256", cert_hash("sha256"))],
    );
    Ok(at)
}
