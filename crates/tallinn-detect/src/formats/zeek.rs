//! Zeek logs written as JSON (`LogAscii::use_json = T`): one line per log
//! record, the connection's `id.*` fields flat.
//!
//! | Zeek field (log) | STIX observable |
//! |---|---|
//! | `id.orig_h`, `id.resp_h` (every log with a connection) | `ipv4-addr` / `ipv6-addr`, `src_ref` / `dst_ref` of a `network-traffic` |
//! | `id.orig_p`, `id.resp_p`, `proto`, `service` | `network-traffic` `src_port`, `dst_port`, `protocols` |
//! | `query` (dns) | `domain-name` |
//! | `answers[]` (dns) | `ipv4-addr` / `ipv6-addr`, or `domain-name` |
//! | `host` (http) | `domain-name` |
//! | `host` + `uri` (http) | `url`; `method`, `uri`, `user_agent` in `http-request-ext` |
//! | `tx_hosts[]`, `rx_hosts[]` (files) | `ipv4-addr` / `ipv6-addr` |
//! | `filename`, `total_bytes` / `seen_bytes`, `md5`, `sha1`, `sha256` (files) | `file` |
//! | `server_name` (ssl) | `domain-name` |
//! | `subject`, `issuer` (ssl); `certificate.subject`, `certificate.issuer`, `certificate.serial`, `fingerprint` (x509) | `x509-certificate` (`fingerprint`: `hashes.SHA-1` when 40 hex digits, else `SHA-256`) |
//! | `san.dns[]` (x509) | `domain-name` |
//!
//! The event's time is `ts` (seconds since the epoch, or ISO 8601).

use tallinn_stix::matcher::json::Map;

use super::{Skip, epoch_seconds, number, text, texts};
use crate::event::{Builder, Traffic, http_url};

/// The fields of the connection's addresses: one that holds an address
/// makes the line an event by itself.
pub(crate) const ADDRESSES: [&str; 2] = ["id.orig_h", "id.resp_h"];

/// The record's time.
pub(crate) fn time(line: &Map<'_>) -> Result<i64, Skip> {
    line.get("ts").and_then(epoch_seconds).ok_or_else(|| Skip::Malformed("a Zeek record without a readable ts".into()))
}

pub fn read<'a>(line: &'a Map<'a>, b: &mut Builder<'a>) -> Result<i64, Skip> {
    let at = time(line)?;
    let [src, dst] = ADDRESSES.map(|field| text(line, field).and_then(|a| b.address(a)));
    let mut protocols = Vec::with_capacity(2);
    protocols.extend(text(line, "proto"));
    protocols.extend(text(line, "service").filter(|s| !s.contains(',')));
    let protocols = b.arena().alloc_slice_copy(&protocols);
    let http = text(line, "method").is_some() && text(line, "uri").is_some();
    b.traffic(Traffic {
        src,
        dst,
        src_port: number(line, "id.orig_p"),
        dst_port: number(line, "id.resp_p"),
        protocols,
        http_method: text(line, "method").filter(|_| http),
        http_path: text(line, "uri").filter(|_| http),
        user_agent: text(line, "user_agent").filter(|_| http),
    });
    if let Some(q) = text(line, "query") {
        b.domain(q);
    }
    for a in texts(line, "answers") {
        if a.parse::<std::net::IpAddr>().is_ok() {
            b.address(a);
        } else {
            b.domain(a);
        }
    }
    if let Some(host) = text(line, "host") {
        b.domain(host);
        if let Some(uri) = text(line, "uri") {
            let url = b.text(&http_url(host, uri));
            b.url(url);
        }
    }
    for h in texts(line, "tx_hosts").chain(texts(line, "rx_hosts")) {
        b.address(h);
    }
    // A file needs a name or a hash (`Builder::file` says so): files.log
    // records without either add nothing.
    let size = number(line, "total_bytes").or_else(|| number(line, "seen_bytes")).and_then(|s| i64::try_from(s).ok());
    let hashes = [("MD5", text(line, "md5").unwrap_or("")), ("SHA-1", text(line, "sha1").unwrap_or("")), ("SHA-256", text(line, "sha256").unwrap_or(""))];
    b.file(text(line, "filename"), size.filter(|_| text(line, "fuid").is_some()), &hashes);
    if let Some(name) = text(line, "server_name") {
        b.domain(name);
    }
    let fingerprint = text(line, "fingerprint").unwrap_or("");
    let algorithm = if fingerprint.len() == 40 { "SHA-1" } else { "SHA-256" };
    b.certificate(
        text(line, "certificate.subject").or_else(|| text(line, "subject")),
        text(line, "certificate.issuer").or_else(|| text(line, "issuer")),
        text(line, "certificate.serial"),
        &[(algorithm, fingerprint)],
    );
    for name in texts(line, "san.dns") {
        b.domain(name);
    }
    Ok(at)
}
