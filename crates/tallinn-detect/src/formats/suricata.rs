//! Suricata EVE JSON (every event type): the flow's addresses, ports and
//! protocols, and what the application layer names.
//!
//! | EVE field | STIX observable |
//! |---|---|
//! | `src_ip`, `dest_ip` | `ipv4-addr` / `ipv6-addr`, the `src_ref` / `dst_ref` of a `network-traffic` |
//! | `src_port`, `dest_port`, `proto`, `app_proto` | `network-traffic` `src_port`, `dst_port`, `protocols` |
//! | `dns.rrname`, `dns.queries[].rrname`, `dns.answers[].rrname` (v2 and v3) | `domain-name` |
//! | `dns.rdata` and `dns.answers[].rdata` of A / AAAA records, `dns.grouped.A` / `AAAA` | `ipv4-addr` / `ipv6-addr` |
//! | `dns.answers[].rdata` of CNAME records, `dns.grouped.CNAME` | `domain-name` |
//! | `http.hostname` | `domain-name` |
//! | `http.hostname` + `http.url` | `url` (`http://host/path`) |
//! | `http.http_method`, `http.url`, `http.http_user_agent` | `network-traffic` `http-request-ext` |
//! | `tls.sni` | `domain-name` |
//! | `tls.subject`, `tls.issuerdn`, `tls.serial`, `tls.fingerprint` | `x509-certificate` (`hashes.SHA-1` without colons) |
//! | `fileinfo.filename`, `fileinfo.size`, `fileinfo.md5` / `sha1` / `sha256` | `file` (`name`, `size`, `hashes.MD5` / `SHA-1` / `SHA-256`) |
//!
//! `alert`, `flow`, `anomaly` and the other event types give the flow's
//! observables. The event's time is its `timestamp`.

use tallinn_stix::matcher::Json;
use tallinn_stix::matcher::json::Map;

use super::{Skip, number, object, text, texts, timestamp};
use crate::event::{Builder, Traffic, fingerprint_hex, http_url};

/// The fields of the flow's addresses: one that holds an address makes
/// the line an event by itself.
pub(crate) const ADDRESSES: [&str; 2] = ["src_ip", "dest_ip"];

/// The event's time.
pub(crate) fn time(line: &Map<'_>) -> Result<i64, Skip> {
    text(line, "timestamp").and_then(timestamp).ok_or_else(|| Skip::Malformed("a Suricata event without a readable timestamp".into()))
}

pub fn read<'a>(line: &'a Map<'a>, b: &mut Builder<'a>) -> Result<i64, Skip> {
    let at = time(line)?;
    let [src, dst] = ADDRESSES.map(|field| text(line, field).and_then(|a| b.address(a)));
    let http = object(line, "http");
    let mut protocols = Vec::with_capacity(2);
    protocols.extend(text(line, "proto"));
    protocols.extend(text(line, "app_proto").filter(|p| *p != "failed"));
    let protocols = b.arena().alloc_slice_copy(&protocols);
    b.traffic(Traffic {
        src,
        dst,
        src_port: number(line, "src_port"),
        dst_port: number(line, "dest_port"),
        protocols,
        http_method: http.and_then(|h| text(h, "http_method")),
        http_path: http.and_then(|h| text(h, "url")),
        user_agent: http.and_then(|h| text(h, "http_user_agent")),
    });
    if let Some(dns) = object(line, "dns") {
        read_dns(dns, b);
    }
    if let Some(h) = http
        && let Some(host) = text(h, "hostname")
    {
        b.domain(host);
        if let Some(path) = text(h, "url") {
            let url = b.text(&http_url(host, path));
            b.url(url);
        }
    }
    if let Some(tls) = object(line, "tls") {
        if let Some(sni) = text(tls, "sni") {
            b.domain(sni);
        }
        let fingerprint = text(tls, "fingerprint").map(|f| b.text(&fingerprint_hex(f)));
        b.certificate(text(tls, "subject"), text(tls, "issuerdn"), text(tls, "serial"), &[("SHA-1", fingerprint.unwrap_or(""))]);
    }
    if let Some(file) = object(line, "fileinfo") {
        let size = number(file, "size").and_then(|s| i64::try_from(s).ok());
        let hashes = [("MD5", text(file, "md5").unwrap_or("")), ("SHA-1", text(file, "sha1").unwrap_or("")), ("SHA-256", text(file, "sha256").unwrap_or(""))];
        b.file(text(file, "filename"), size, &hashes);
    }
    Ok(at)
}

/// DNS in both of Suricata's forms: version 2 (`rrname` on the event, and
/// `answers` or `grouped`) and version 3 (`queries[]` and `answers[]`).
fn read_dns<'a>(dns: &'a Map<'a>, b: &mut Builder<'a>) {
    if let Some(name) = text(dns, "rrname") {
        b.domain(name);
    }
    if let Some(data) = text(dns, "rdata") {
        answer(text(dns, "rrtype").unwrap_or(""), data, b);
    }
    for query in dns.get("queries").and_then(Json::as_array).unwrap_or_default() {
        if let Some(name) = query.as_object().and_then(|q| text(q, "rrname")) {
            b.domain(name);
        }
    }
    for a in dns.get("answers").and_then(Json::as_array).unwrap_or_default() {
        let Some(a) = a.as_object() else { continue };
        if let Some(name) = text(a, "rrname") {
            b.domain(name);
        }
        if let Some(data) = text(a, "rdata") {
            answer(text(a, "rrtype").unwrap_or(""), data, b);
        }
    }
    if let Some(grouped) = object(dns, "grouped") {
        for ty in ["A", "AAAA", "CNAME"] {
            for data in texts(grouped, ty) {
                answer(ty, data, b);
            }
        }
    }
}

fn answer<'a>(rrtype: &str, data: &'a str, b: &mut Builder<'a>) {
    match rrtype {
        "A" | "AAAA" => {
            b.address(data);
        }
        "CNAME" | "NS" | "PTR" | "MX" => {
            b.domain(data);
        }
        _ => {}
    }
}
