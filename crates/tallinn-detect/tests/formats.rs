//! The field → observable tables of each format, on real lines from the
//! formats' own documentation (`testdata/detect/`, sources in its README):
//! every observable each line yields, exactly.

use tallinn_detect::formats::{self, Format, Skip};
use tallinn_stix::matcher::{Bump, Json};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/detect");

/// Each observable of a line as one short text: `type value`, or for
/// objects without a value, their properties.
fn describe(o: &Json<'_>) -> String {
    let map = o.as_object().unwrap();
    let ty = map.get("type").and_then(Json::as_str).unwrap();
    if let Some(v) = map.get("value").and_then(Json::as_str) {
        return format!("{ty} {v}");
    }
    let rest: Vec<String> = map.iter().filter(|(k, _)| *k != "type").map(|(k, v)| format!("{k}={v}")).collect();
    format!("{ty} {}", rest.join(" "))
}

fn read(file: &str, format: Format) -> Vec<Result<(i64, Vec<String>), Skip>> {
    let text = std::fs::read_to_string(format!("{DIR}/{file}")).unwrap();
    text.lines()
        .map(|line| {
            let arena = Bump::new();
            formats::read(line, format, &arena).map(|e| (e.at, e.objects.iter().map(|(_, o)| describe(o)).collect()))
        })
        .collect()
}

fn values(line: &Result<(i64, Vec<String>), Skip>) -> Vec<&str> {
    line.as_ref().unwrap().1.iter().map(String::as_str).collect()
}

#[test]
fn suricata_eve() {
    let lines = read("suricata.json", Format::Suricata);
    assert_eq!(lines, read("suricata.json", Format::Auto), "auto recognises every line");
    // alert, with the offset written +0100
    let alert = values(&lines[0]);
    assert_eq!(&alert[..2], ["ipv4-addr 192.168.2.14", "ipv4-addr 209.53.113.5"]);
    assert!(
        alert[2].starts_with("network-traffic ") && alert[2].contains("src_port=50096") && alert[2].contains(r#"protocols=["tcp","http"]"#),
        "{}",
        alert[2]
    );
    assert_eq!(lines[0].as_ref().unwrap().0, formats::timestamp("2017-04-07T21:24:37.251547Z").unwrap());
    // a redacted address is not an address
    assert_eq!(values(&lines[2]).len(), 2, "{:?}", values(&lines[2]));
    // http: host, url, request extension
    let http = values(&lines[3]);
    assert!(http.contains(&"domain-name direkte.vg.no") && http.contains(&"url http://direkte.vg.no/jansson/releases/jansson-2.6.tar.gz"), "{http:?}");
    assert!(http.iter().any(|o| o.contains("http-request-ext") && o.contains(r#""request_method":"get""#)), "{http:?}");
    // dns v2: query, detailed answers, grouped answers; v3 queries[]
    assert!(values(&lines[4]).contains(&"domain-name twitter.com"));
    let detailed = values(&lines[5]);
    for v in ["domain-name www.suricata-ids.org", "domain-name suricata-ids.org", "ipv4-addr 192.0.78.24", "ipv4-addr 192.0.78.25"] {
        assert!(detailed.contains(&v), "{v}: {detailed:?}");
    }
    let grouped = values(&lines[6]);
    assert!(grouped.contains(&"ipv4-addr 192.0.78.25") && grouped.contains(&"domain-name suricata-ids.org"), "{grouped:?}");
    assert!(values(&lines[7]).contains(&"domain-name www.suricata.io"));
    // tls: SNI, certificate with its SHA-1 without colons
    let tls = values(&lines[8]);
    assert!(tls.contains(&"domain-name calendar.google.com"), "{tls:?}");
    assert!(
        tls.iter().any(|o| o.starts_with("x509-certificate") && o.contains("8f511206a0cc4ecde8a38b38f88759e5af95cacd") && o.contains("CN=*.google.com")),
        "{tls:?}"
    );
    // fileinfo: name, size, three hashes
    let file = values(&lines[9]);
    assert!(
        file.iter().any(|o| o.starts_with("file ")
            && o.contains(r#"name="/malware.exe""#)
            && o.contains("size=68")
            && o.contains("44d88612fea8a8f36de82e1278abb02f")
            && o.contains("3395856ce81f2b7382dee72602f798b642f14140")
            && o.contains("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f")),
        "{file:?}"
    );
    // stats: nothing to observe
    assert_eq!(lines[10], Err(Skip::Empty));
    // IPv6
    assert!(values(&lines[11]).contains(&"ipv6-addr 2001:db8::53"));
}

#[test]
fn zeek_json() {
    let lines = read("zeek.json", Format::Zeek);
    assert_eq!(lines, read("zeek.json", Format::Auto));
    assert_eq!(lines[0].as_ref().unwrap().0, 1_591_367_999_305_988);
    let conn = values(&lines[1]);
    assert_eq!(&conn[..2], ["ipv4-addr 192.168.4.76", "ipv4-addr 31.3.245.133"]);
    assert!(conn[2].contains("dst_port=80") && conn[2].contains(r#"protocols=["tcp","http"]"#), "{}", conn[2]);
    assert!(values(&lines[2]).contains(&"domain-name testmyids.com"));
    let answered = values(&lines[3]);
    assert!(answered.contains(&"domain-name testmyids.com") && answered.contains(&"ipv4-addr 31.3.245.133"), "{answered:?}");
    // files.log without a name or hash: only the connection
    assert!(!values(&lines[4]).iter().any(|o| o.starts_with("file ")));
    let http = values(&lines[5]);
    assert!(http.contains(&"url http://testmyids.com/") && http.iter().any(|o| o.contains("curl/7.47.0")), "{http:?}");
    // packet_filter.log: nothing to observe
    assert_eq!(lines[6], Err(Skip::Empty));
}

#[test]
fn elastic_common_schema() {
    let lines = read("ecs.json", Format::Ecs);
    assert_eq!(lines, read("ecs.json", Format::Auto));
    let dns = values(&lines[0]);
    for v in ["ipv4-addr 10.42.42.42", "ipv4-addr 8.8.8.8", "domain-name www.example.com", "domain-name example.com", "ipv4-addr 93.184.216.34"] {
        assert!(dns.contains(&v), "{v}: {dns:?}");
    }
    let flat = values(&lines[1]);
    assert!(
        flat.contains(&"url https://www.example.com/download/setup.exe") && flat.iter().any(|o| o.starts_with("x509-certificate")),
        "dotted keys: {flat:?}"
    );
    let files = values(&lines[2]);
    assert_eq!(files.iter().filter(|o| o.starts_with("file ")).count(), 2, "the file and the process's executable: {files:?}");
}

#[test]
fn stix_observed_data() {
    let lines = read("stix.json", Format::Stix);
    assert_eq!(lines, read("stix.json", Format::Auto));
    assert_eq!(values(&lines[0]), ["ipv4-addr 198.51.100.3", "domain-name example.com"]);
    assert!(values(&lines[1]).contains(&"ipv4-addr 203.0.113.9"));
}

#[test]
fn malformed_lines_are_named() {
    let arena = Bump::new();
    for (line, why) in [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (r#"{"hello": "world"}"#, "not a Suricata, Zeek, ECS or STIX line"),
        (r#"{"timestamp": "last tuesday", "event_type": "dns"}"#, "readable timestamp"),
    ] {
        match formats::read(line, Format::Auto, &arena) {
            Err(Skip::Malformed(m)) => assert!(m.contains(why), "{line}: {m}"),
            other => panic!("{line}: {other:?}"),
        }
    }
    // A format given by hand is kept: a Zeek line read as Suricata is malformed.
    let zeek = std::fs::read_to_string(format!("{DIR}/zeek.json")).unwrap();
    assert!(matches!(formats::read(zeek.lines().next().unwrap(), Format::Suricata, &arena), Err(Skip::Malformed(_))));
}
