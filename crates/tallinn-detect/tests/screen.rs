//! The screen lets a line go unread only where reading it would have found
//! an event that matches nothing: held to the readers on the real lines of
//! every format (`testdata/detect/`), on lines written to reach what the
//! readers make of strings (trailing dots, zones, fingerprints, upper-case
//! protocols, URLs of a host and a path), and on random and broken lines.

use proptest::prelude::*;
use serde_json::json;
use tallinn_detect::formats::{self, Format};
use tallinn_detect::{Detector, Skip, Tally, indicators};
use tallinn_stix::matcher::{Bump, Json};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");

fn detector(patterns: &[String]) -> Detector {
    let objects = patterns
        .iter()
        .enumerate()
        .map(|(n, p)| {
            json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern": p, "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"})
        })
        .collect();
    let (detector, refused) = Detector::new(indicators::load(objects, 0).indicators);
    assert!(refused.is_empty(), "{refused:?}");
    detector
}

/// What became of a line: its outcome, events and matches counted.
type Outcome = (Result<(), Skip>, u64, u64);

/// A line's outcome, screened (`Tally::line`) and read in full.
fn both_ways(detector: &Detector, line: &str) -> (Outcome, Outcome) {
    let arena = Bump::new();
    let mut screened = Tally::new(detector.len());
    let outcome = screened.line(detector, line, Format::Auto, &arena);
    let mut read = Tally::new(detector.len());
    let arena = Bump::new();
    let full = formats::read(line, Format::Auto, &arena).map(|event| read.add(detector, event, &arena));
    ((outcome, screened.events, screened.matches), (full, read.events, read.matches))
}

/// A STIX string literal of `s`.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Every string an observable holds at a plain path: (type, path, value).
fn plain_values(object: &Json<'_>) -> Vec<(String, String, String)> {
    let map = object.as_object().unwrap();
    let ty = map.get("type").and_then(Json::as_str).unwrap().to_string();
    let mut out = Vec::new();
    let mut pending = vec![(String::new(), object)];
    while let Some((path, value)) = pending.pop() {
        match value {
            Json::String(s) if !path.is_empty() && path != "type" => out.push((ty.clone(), path, s.to_string())),
            Json::Object(m) => {
                for (k, v) in m.iter() {
                    if ["_ref", "_refs", "_hex", "_bin"].iter().any(|x| k.ends_with(x)) {
                        continue;
                    }
                    let step = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') { k.to_string() } else { literal(k) };
                    pending.push((if path.is_empty() { step } else { format!("{path}.{step}") }, v));
                }
            }
            _ => {}
        }
    }
    out
}

/// Lines that reach each thing a reader makes of a string.
fn derived_lines() -> Vec<String> {
    [
        json!({"timestamp": "2026-11-01T10:00:00.000000+0000", "event_type": "dns", "src_ip": "fe80::1%eth0", "dest_ip": "10.1.2.3", "proto": "UDP",
            "dns": {"type": "answer", "rrname": "c2.example.org.", "rrtype": "CNAME", "rdata": "198.51.100.9.", "answers": [{"rrname": "x.example.", "rrtype": "A", "rdata": "203.0.113.9"}]}}),
        json!({"timestamp": "2026-11-01T10:00:00.000000+0000", "event_type": "tls", "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "proto": "TCP", "app_proto": "TLS",
            "tls": {"sni": "Mixed.Example.ORG", "subject": "CN=mixed", "fingerprint": "8f:51:12:06:a0:cc:4e:cd:e7:a4:2b:89:c0:35:8e:63:a2:9f:f4:d8"}}),
        json!({"timestamp": "2026-11-01T10:00:00.000000+0000", "event_type": "http", "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "proto": "TCP",
            "http": {"hostname": "cdn.example.net", "url": "/a/b.php?x=1", "http_method": "POST", "http_user_agent": "curl/8"}}),
        json!({"ts": 1700000000.5, "id.orig_h": "10.0.0.1", "id.resp_h": "2001:db8::7%3", "proto": "tcp", "method": "GET", "host": "zeek.example", "uri": "/z?q=1"}),
        json!({"@timestamp": "2026-11-01T10:00:00Z", "source.ip": "10.0.0.1", "destination": {"ip": "10.0.0.9", "domain": "ecs.example."}, "url.full": "https://ecs.example/p"}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect()
}

fn sample_lines() -> Vec<String> {
    let mut lines: Vec<String> = ["suricata.json", "zeek.json", "ecs.json", "stix.json"]
        .iter()
        .flat_map(|f| std::fs::read_to_string(format!("{DIR}/{f}")).unwrap().lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    lines.extend(derived_lines());
    lines
}

#[test]
fn a_line_holding_an_indicators_value_is_never_let_go() {
    let mut tried = 0;
    for line in sample_lines() {
        let arena = Bump::new();
        let Ok(event) = formats::read(&line, Format::Auto, &arena) else { continue };
        for (_, object) in &event.objects {
            for (ty, path, value) in plain_values(object) {
                let mut patterns = vec![format!("[{ty}:{path} = {}]", literal(&value))];
                if let Some(block) = value.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets()) {
                    patterns.push(format!("[{ty}:{path} ISSUBSET '{}.{}.{}.0/24']", block[0], block[1], block[2]));
                }
                if value.chars().count() >= 6 {
                    let middle: String = value.chars().skip(1).take(value.chars().count() - 2).collect();
                    patterns.push(format!("[{ty}:{path} LIKE {}]", literal(&format!("%{middle}%"))));
                }
                for pattern in patterns {
                    let detector = detector(std::slice::from_ref(&pattern));
                    assert!(detector.screen().is_some(), "{pattern} leaves a screen");
                    let (screened, read) = both_ways(&detector, &line);
                    assert!(read.2 >= 1, "{pattern} matches {line} when read");
                    assert_eq!(screened, read, "{pattern} on {line}");
                    tried += 1;
                }
            }
        }
    }
    assert!(tried > 150, "{tried} indicators tried");
}

#[test]
fn a_line_let_go_counts_as_the_event_reading_finds() {
    let detector = detector(&["[ipv4-addr:value = '192.0.2.250']".to_string(), "[domain-name:value = 'nothing.example']".to_string()]);
    let screen = detector.screen().expect("value indicators leave a screen");
    let mut let_go = 0;
    for line in sample_lines() {
        let arena = Bump::new();
        let_go += usize::from(screen.lets_go(&line, Format::Auto, &arena));
        let (screened, read) = both_ways(&detector, &line);
        assert_eq!(screened, read, "{line}");
    }
    assert!(let_go >= 12, "most real lines are let go: {let_go}");
}

#[test]
fn a_line_of_many_strings_is_read_rather_than_paired() {
    let detector = detector(&["[url:value = 'http://h.example/p']".to_string()]);
    let screen = detector.screen().expect("a URL value leaves a screen");
    let many: Vec<String> = (0..20_000).map(|i| format!("/p{i}")).collect();
    let line = json!({"timestamp": "2026-11-01T10:00:00Z", "src_ip": "10.0.0.1", "event_type": "x", "list": many}).to_string();
    let arena = Bump::new();
    // 20,000² pairs would keep this test busy for minutes: the line is read instead.
    assert!(!screen.lets_go(&line, Format::Auto, &arena), "read in full");
    let (screened, read) = both_ways(&detector, &line);
    assert_eq!(screened, read);
    let few = json!({"timestamp": "2026-11-01T10:00:00Z", "src_ip": "10.0.0.1", "event_type": "x", "http": {"hostname": "h.example", "url": "/p"}}).to_string();
    assert!(!screen.lets_go(&few, Format::Auto, &arena), "a host and a path make the URL");
    let other = few.replace("/p", "/q");
    assert!(screen.lets_go(&other, Format::Auto, &arena), "another path does not");
}

/// A log line of a random shape: any format's fields, present or not,
/// well written or not.
fn any_line() -> impl Strategy<Value = String> {
    let time = prop_oneof![
        Just(json!("2026-11-01T10:00:00.123456+0100")),
        Just(json!("2026-11-01T10:00:00Z")),
        Just(json!("yesterday")),
        Just(json!(1700000000.25)),
        Just(json!("")),
        Just(json!(null)),
        Just(json!({"t": 1}))
    ];
    let address = prop_oneof![
        Just(json!("192.0.2.250")),
        Just(json!("10.0.0.1")),
        Just(json!("fe80::1%eth0")),
        Just(json!("x.x.250.50")),
        Just(json!("")),
        Just(json!(7)),
        Just(json!(["10.0.0.1"]))
    ];
    let keys = prop_oneof![
        Just(("timestamp", "src_ip", "dest_ip")),
        Just(("ts", "id.orig_h", "id.resp_h")),
        Just(("@timestamp", "source.ip", "destination.ip")),
        Just(("@timestamp", "client.ip", "server.ip"))
    ];
    (keys, time, address.clone(), address, any::<bool>(), any::<bool>(), any::<u8>()).prop_map(|((t, s, d), time, src, dst, event_type, dns, drop)| {
        let mut line = serde_json::Map::new();
        for (i, (k, v)) in [(t, time), (s, src), (d, dst)].into_iter().enumerate() {
            if drop & (1 << i) == 0 {
                line.insert(k.to_string(), v);
            }
        }
        if event_type {
            line.insert("event_type".into(), json!("dns"));
        }
        if dns {
            line.insert("dns".into(), json!({"rrname": "nothing.example.", "answers": [{"rrtype": "A", "rdata": "192.0.2.250"}]}));
            line.insert("query".into(), json!("nothing.example"));
        }
        serde_json::Value::Object(line).to_string()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_lines_count_and_match_as_when_read(line in any_line()) {
        let detector = detector(&["[ipv4-addr:value = '192.0.2.250']".to_string(), "[domain-name:value = 'nothing.example']".to_string()]);
        let (screened, read) = both_ways(&detector, &line);
        prop_assert_eq!(screened, read, "{}", line);
    }

    #[test]
    fn broken_lines_are_refused_as_when_read(n in 0..24usize, at in any::<prop::sample::Index>(), edit in 0..3u8, c in any::<char>()) {
        let lines = sample_lines();
        let mut line = lines[n % lines.len()].clone();
        let mut at = at.index(line.len() + 1);
        while !line.is_char_boundary(at) {
            at -= 1;
        }
        match edit {
            0 => line.insert(at, c),
            1 if at < line.len() => { line.remove(at); }
            _ => line.truncate(at),
        }
        let detector = detector(&["[ipv4-addr:value = '192.0.2.250']".to_string()]);
        let (screened, read) = both_ways(&detector, &line);
        prop_assert_eq!(screened, read, "{}", line);
    }
}
