//! Exact sighting counts on generated logs with planted hits, in every
//! format and for every kind of pattern; TLP markings carried over.

use serde_json::json;
use tallinn_detect::{Detector, Format, Poster, Tally, formats, indicators, sighting, sighting_markings};
use tallinn_stix::matcher::Bump;

fn indicator(n: u32, pattern: &str, marking: Option<&str>) -> serde_json::Value {
    let mut i = json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"});
    if let Some(m) = marking {
        i["object_marking_refs"] = json!([m]);
    }
    i
}

const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

/// One line per event in the given format: `i` gives the values, and every
/// `every`-th event carries the planted ones.
fn line(format: Format, i: u64, planted: bool) -> String {
    let dst = if planted { "203.0.113.66".to_string() } else { format!("198.18.{}.{}", (i >> 8) & 255, i & 255) };
    let host = if planted { format!("c2-{i}.bad.example") } else { format!("www{i}.good.example") };
    let path = if planted { "/gate.php?id=7" } else { "/index.html" };
    let sha = if planted { "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string() } else { format!("{:064x}", i) };
    let second = 1_700_000_000 + i;
    match format {
        Format::Suricata => json!({"timestamp": jiff::Timestamp::from_second(second as i64).unwrap().to_string(), "event_type": "fileinfo",
            "src_ip": "10.0.0.5", "src_port": 50000, "dest_ip": dst, "dest_port": 80, "proto": "TCP", "app_proto": "http",
            "http": {"hostname": host, "url": path, "http_method": "GET"}, "fileinfo": {"filename": "x.bin", "size": 10, "sha256": sha}}),
        Format::Zeek => json!({"ts": second as f64, "uid": "C1", "id.orig_h": "10.0.0.5", "id.orig_p": 50000, "id.resp_h": dst, "id.resp_p": 80,
            "proto": "tcp", "method": "GET", "host": host, "uri": path, "fuid": "F1", "filename": "x.bin", "sha256": sha}),
        Format::Ecs => json!({"@timestamp": jiff::Timestamp::from_second(second as i64).unwrap().to_string(), "source": {"ip": "10.0.0.5", "port": 50000},
            "destination": {"ip": dst, "port": 80, "domain": host}, "url": {"full": format!("http://{host}{path}")}, "file": {"name": "x.bin", "hash": {"sha256": sha}}}),
        Format::Stix | Format::Auto => json!({"type": "observed-data", "first_observed": jiff::Timestamp::from_second(second as i64).unwrap().to_string(),
            "last_observed": jiff::Timestamp::from_second(second as i64).unwrap().to_string(), "number_observed": 1, "objects": {
                "0": {"type": "ipv4-addr", "value": dst}, "1": {"type": "domain-name", "value": host}, "2": {"type": "url", "value": format!("http://{host}{path}")},
                "3": {"type": "file", "name": "x.bin", "hashes": {"SHA-256": sha}}, "4": {"type": "network-traffic", "dst_ref": "0", "dst_port": 80}}}),
    }
    .to_string()
}

#[test]
fn planted_hits_are_counted_exactly_in_every_format() {
    let patterns = [
        ("[ipv4-addr:value = '203.0.113.66']", None),
        ("[ipv4-addr:value ISSUBSET '203.0.113.0/24']", Some(RED)),
        ("[domain-name:value LIKE '%.bad.example']", None),
        ("[url:value MATCHES '/gate\\\\.php\\\\?id=[0-9]+$']", None),
        ("[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']", None),
        ("[network-traffic:dst_ref.value = '203.0.113.66' AND network-traffic:dst_port = 80]", None),
        ("[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'c2-0.bad.example']", None),
        ("[ipv4-addr:value = '192.0.2.99']", None),
    ];
    let objects: Vec<_> = patterns.iter().enumerate().map(|(n, (p, m))| indicator(n as u32, p, *m)).collect();
    let loaded = indicators::load(objects, 0);
    let (detector, refused) = Detector::new(loaded.indicators);
    assert!(refused.is_empty(), "{refused:?}");
    let (events, every) = (1_000u64, 7u64);
    let planted = (0..events).filter(|i| i % every == 0).count() as u64;
    for format in [Format::Suricata, Format::Zeek, Format::Ecs, Format::Stix] {
        let mut tally = Tally::new(detector.len());
        for i in 0..events {
            let text = line(format, i, i % every == 0);
            let arena = Bump::new();
            let event = formats::read(&text, Format::Auto, &arena).unwrap_or_else(|e| panic!("{format:?} {text}: {e:?}"));
            tally.add(&detector, event, &arena);
        }
        let counts: Vec<u64> = tally.hits.iter().map(|h| h.count).collect();
        assert_eq!(counts, [planted, planted, planted, planted, planted, planted, 1, 0], "{format:?}");
        assert_eq!(tally.events, events);
        let first = tally.hits[0];
        assert_eq!((first.first, first.last), (1_700_000_000_000_000, (1_700_000_000 + (events - 1) / every * every) as i64 * 1_000_000), "{format:?}");
    }
}

#[test]
fn sightings_carry_the_indicators_marking_and_a_stable_id() {
    let loaded = indicators::load(vec![indicator(1, "[ipv4-addr:value = '203.0.113.66']", Some(RED))], 0);
    let (detector, _) = Detector::new(loaded.indicators);
    let mut tally = Tally::new(1);
    for i in [0u64, 7] {
        let arena = Bump::new();
        let text = line(Format::Suricata, i, true);
        tally.add(&detector, formats::read(&text, Format::Auto, &arena).unwrap(), &arena);
    }
    let by = tallinn_detect::identity_id("EE");
    let (ind, hits) = tally.sighted(&detector).next().unwrap();
    let s = sighting(ind, hits, &by, None, None);
    assert_eq!(s["count"], 2);
    assert_eq!(s["object_marking_refs"], json!([RED]), "never less confidential than the indicator");
    assert_eq!(s["where_sighted_refs"], json!([by]));
    assert_eq!(s["first_seen"], "2023-11-14T22:13:20.000000Z");
    assert_eq!(s["last_seen"], "2023-11-14T22:13:27.000000Z");
    let again = sighting(ind, hits, &by, None, None);
    assert_eq!(s, again, "the same events, counted again, give the same sighting");
    assert_ne!(s["id"], sighting(ind, hits, &tallinn_detect::identity_id("FI"), None, None)["id"]);
    assert_ne!(s["id"], sighting(ind, hits, &by, None, Some("worker-2"))["id"], "workers sharing a stream make separate objects");
    // It is a valid STIX object.
    let (n, problems) = tallinn_stix::object::validate_document(&s);
    assert_eq!((n, problems), (1, vec![]), "{s}");
}

#[test]
fn expired_unparseable_and_foreign_indicators_are_refused_and_counted() {
    let mut expired = indicator(1, "[ipv4-addr:value = '1.2.3.4']", None);
    expired["valid_until"] = json!("2020-01-01T00:00:00Z");
    let mut snort = indicator(2, "alert tcp any any -> any any", None);
    snort["pattern_type"] = json!("snort");
    let objects = vec![
        expired,
        snort,
        indicator(3, "[ipv4-addr:value = ", None),
        json!({"type": "malware", "id": "malware--1"}),
        indicator(4, "[ipv4-addr:value = '1.2.3.4']", None),
    ];
    let loaded = indicators::load(objects, 1_700_000_000_000_000);
    assert_eq!((loaded.other_objects, loaded.refused.len(), loaded.indicators.len()), (1, 2, 2));
    let (detector, refused) = Detector::new(loaded.indicators);
    assert_eq!((detector.len(), refused.len()), (1, 1));
    // Bundles, lists and JSON lines are all read.
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [indicator(5, "[ipv4-addr:value = '1.2.3.4']", None)]}).to_string();
    let read = |text: &str| {
        let mut loader = indicators::Loader::new(0);
        loader.read(text).map(|()| (loader.detector.len(), loader.other_objects))
    };
    assert_eq!(read(&bundle), Ok((1, 0)));
    let lines = format!("{}\n{}\n{{\"type\": \"identity\"}}\n", indicator(6, "[ipv4-addr:value = '1.2.3.4']", None), bundle);
    assert_eq!(read(&lines), Ok((2, 1)));
    let pretty = serde_json::to_string_pretty(&json!([indicator(7, "[ipv4-addr:value = '1.2.3.4']", None)])).unwrap();
    assert_eq!(read(&pretty), Ok((1, 0)), "a document over many lines is not JSON lines");
    assert!(read("{\"a\": 1, \"a\": 2}").is_err(), "repeated keys are refused");
    assert!(read(&format!("{}\n{{broken\n", indicator(8, "[ipv4-addr:value = '1.2.3.4']", None))).unwrap_err().starts_with("line 2:"));
}

/// A stored sighting is read by no one who may not read its indicator: it
/// keeps the indicator's marking only when the whole sighting organisation
/// reads the indicator, and is RED for the posting user otherwise.
#[test]
fn posted_sightings_are_never_wider_than_their_indicator() {
    const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    const STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
    let poster = Some(Poster { org: "EE", user: "ee.analyst" });
    let with = |marking: Option<&str>, share_orgs: &[&str], created_by: Option<String>| {
        let mut o = indicator(1, "[ipv4-addr:value = '1.2.3.4']", marking);
        o["x_tallinn_share_orgs"] = json!(share_orgs);
        if let Some(c) = created_by {
            o["created_by_ref"] = json!(c);
        }
        indicators::load(vec![o], 0).indicators.remove(0).0
    };
    let kept = |i| sighting_markings(&i, poster);
    assert_eq!(kept(with(None, &[], None)), (vec![], vec![]), "unmarked: GREEN, as the exchange reads it");
    assert_eq!(kept(with(Some(GREEN), &[], None)), (vec![GREEN.to_string()], vec![]));
    assert_eq!(kept(with(Some(AMBER), &["EE"], None)), (vec![AMBER.to_string()], vec![]), "AMBER addressed to EE");
    assert_eq!(kept(with(Some(AMBER), &[], Some(tallinn_detect::identity_id("EE")))), (vec![AMBER.to_string()], vec![]), "EE's own AMBER");
    for narrow in [
        with(Some(AMBER), &["FI"], None),
        with(Some(STRICT), &["EE"], None),
        with(Some(RED), &[], None),
        with(Some("marking-definition--00000000-0000-4000-8000-000000000000"), &[], None),
    ] {
        assert_eq!(kept(narrow), (vec![RED.to_string()], vec!["ee.analyst".to_string()]));
    }
    // Written to a file for the analyst, the indicator's own markings.
    assert_eq!(sighting_markings(&with(Some(STRICT), &[], None), None), (vec![STRICT.to_string()], vec![]));
}

/// A Suricata line at `second`: a DNS query for `name`, a flow to `ip`, or
/// a file of `sha`.
fn eve(second: i64, kind: &str, value: &str) -> String {
    let ts = jiff::Timestamp::from_second(1_700_000_000 + second).unwrap().to_string();
    let base = json!({"timestamp": ts, "event_type": kind, "src_ip": "10.0.0.5", "src_port": 50000, "dest_ip": "10.0.0.53", "dest_port": 53, "proto": "UDP"});
    let mut e = base;
    match kind {
        "dns" => e["dns"] = json!({"type": "query", "id": 1, "rrname": value, "rrtype": "A"}),
        "flow" => e["dest_ip"] = json!(value),
        _ => e["fileinfo"] = json!({"filename": "x.bin", "size": 10, "sha256": value}),
    }
    e.to_string()
}

#[test]
fn compound_patterns_match_across_events_in_bounded_windows() {
    const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let patterns = [
        "([domain-name:value = 'c2.bad.example'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.66']) WITHIN 60 SECONDS".to_string(),
        format!("[domain-name:value = 'c2.bad.example'] AND [file:hashes.'SHA-256' = '{SHA}']"),
        "[ipv4-addr:value = '203.0.113.66'] REPEATS 3 TIMES".to_string(),
        "([ipv4-addr:value = '203.0.113.66'] FOLLOWEDBY [domain-name:value = 'c2.bad.example']) WITHIN 60 SECONDS".to_string(),
        "[ipv4-addr:value = '203.0.113.66']".to_string(),
    ];
    let objects: Vec<_> = patterns.iter().enumerate().map(|(n, p)| indicator(n as u32, p, None)).collect();
    let (detector, refused) = Detector::new(indicators::load(objects, 0).indicators);
    assert!(refused.is_empty() && detector.has_compounds(), "{refused:?}");
    let lines = [
        eve(0, "dns", "c2.bad.example"),
        eve(10, "flow", "203.0.113.66"),
        eve(20, "flow", "203.0.113.66"),
        eve(30, "flow", "198.51.100.1"),
        eve(200, "dns", "c2.bad.example"),
        eve(400, "flow", "203.0.113.66"),
        eve(500, "fileinfo", SHA),
    ];
    let mut tally = Tally::new(detector.len());
    let mut correlator = tallinn_detect::Correlator::new(&detector, 86_400);
    for text in &lines {
        let arena = Bump::new();
        tally.add(&detector, formats::read(text, Format::Auto, &arena).unwrap(), &arena);
        let parts = std::mem::take(&mut tally.parts);
        correlator.feed(&detector, parts, &mut tally);
    }
    let at = |s: i64| (1_700_000_000 + s) * 1_000_000;
    let seen: Vec<(u64, i64, i64)> = tally.hits.iter().map(|h| (h.count, h.first, h.last)).collect();
    // The DNS query at 0 then the flow at 10; the query at 200 is more than
    // 60 s before the next flow (400).
    assert_eq!(seen[0], (2, at(0), at(10)));
    // The first query and the file, 500 s apart (no WITHIN: the default window).
    assert_eq!(seen[1], (2, at(0), at(500)));
    // Three flows to the address: counted when the third arrives.
    assert_eq!(seen[2], (3, at(10), at(400)));
    // The address is never followed by the name within 60 s.
    assert_eq!(seen[3].0, 0);
    // A single observation expression still counts each event.
    assert_eq!(seen[4], (3, at(10), at(400)));
    assert_eq!(tally.matches, 2 + 2 + 3 + 3);
    assert_eq!(correlator.held(), 3, "what no match took waits in its windows (the query at 200, twice; the flow at 20)");
}

#[test]
fn a_window_keeps_what_its_within_allows_and_no_more_than_its_cap() {
    let (detector, _) = Detector::new(
        indicators::load(vec![indicator(0, "[domain-name:value = 'c2.bad.example'] AND [ipv4-addr:value = '203.0.113.66']", None)], 0).indicators,
    );
    let mut tally = Tally::new(detector.len());
    // One hour window: the name at 0 is gone when the address comes at 7200.
    let mut correlator = tallinn_detect::Correlator::new(&detector, 3_600);
    for text in [eve(0, "dns", "c2.bad.example"), eve(7_200, "flow", "203.0.113.66")] {
        let arena = Bump::new();
        tally.add(&detector, formats::read(&text, Format::Auto, &arena).unwrap(), &arena);
        let parts = std::mem::take(&mut tally.parts);
        correlator.feed(&detector, parts, &mut tally);
    }
    assert_eq!(tally.hits[0].count, 0);
    // Ten thousand queries never answered: the window stays at its cap.
    for s in 0..10_000 {
        let arena = Bump::new();
        tally.add(&detector, formats::read(&eve(8_000 + s / 100, "dns", "c2.bad.example"), Format::Auto, &arena).unwrap(), &arena);
        let parts = std::mem::take(&mut tally.parts);
        correlator.feed(&detector, parts, &mut tally);
    }
    assert_eq!(correlator.held(), tallinn_detect::correlate::MIN_HELD);
}

/// Read in two stages (parsing on one thread, compiling on the other), a
/// source gives exactly what it gives read in one: the same indicators,
/// refusals and other objects, in order, and on an error the same objects
/// kept before it.
#[test]
fn indicators_read_in_two_stages_are_those_read_in_one() {
    let mut objects: Vec<serde_json::Value> = Vec::new();
    for n in 0..3_000u32 {
        objects.push(match n % 7 {
            0 => json!({"type": "malware", "id": format!("malware--{n}")}),
            1 => indicator(n, "[ipv4-addr:value = ", None),
            _ => indicator(n, &format!("[ipv4-addr:value = '10.{}.{}.{}']", n / 65536, (n / 256) % 256, n % 256), None),
        });
    }
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": objects}).to_string();
    let lines: String = objects.iter().map(|o| format!("{o}\n")).collect();
    let broken = format!("{}\n{{broken\n{}\n", lines.trim_end(), indicator(9_999, "[ipv4-addr:value = '1.2.3.4']", None));
    let read = |text: &str, two_stages_from: usize| {
        let mut loader = indicators::Loader::new(0);
        let result = loader.read_staged(text, two_stages_from);
        (result, loader.detector.len(), loader.other_objects, loader.refused)
    };
    for text in [&bundle, &lines, &broken] {
        let one = read(text, usize::MAX);
        assert!(one.1 > 2_000, "{}", one.1);
        assert_eq!(read(text, 0), one);
    }
    assert!(read(&broken, 0).0.unwrap_err().starts_with("line 3001:"));
}
