//! The matcher beyond the reference's suite: the documented divergences,
//! `number_observed`, patterns on which the reference's enumeration explodes,
//! guarded regular expressions, and the pattern index agreeing with the
//! matcher.

use proptest::prelude::*;
use serde_json::{Value, json};
use tallinn_stix::matcher::{Bump, CompileError, Json, MAX_BINDING_SIZE, Matcher, Observations, PatternSet, match_json};
use tallinn_stix::pattern::StixVersion;

/// One STIX 2.1 bundle: an observed-data per (time in seconds, count, objects).
fn bundle(observations: &[(i64, u64, Vec<Value>)]) -> Vec<Value> {
    let mut objects = Vec::new();
    for (n, (t, count, scos)) in observations.iter().enumerate() {
        let at = jiff::Timestamp::from_second(1_700_000_000 + t).unwrap().to_string();
        let mut refs = Vec::new();
        for (k, sco) in scos.iter().enumerate() {
            let mut sco = sco.clone();
            let id = format!("{}--00000000-0000-4000-8000-{:06}{:06}", sco["type"].as_str().unwrap(), n, k);
            sco["id"] = json!(id);
            refs.push(json!(id));
            objects.push(sco);
        }
        objects.push(json!({
            "type": "observed-data", "spec_version": "2.1",
            "id": format!("observed-data--00000000-0000-4000-8000-{n:012}"),
            "created": at, "modified": at, "first_observed": at, "last_observed": at,
            "number_observed": count, "object_refs": refs,
        }));
    }
    vec![json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects})]
}

fn matched(pattern: &str, input: &[Value]) -> bool {
    match match_json(pattern, StixVersion::V21, input) {
        Ok(m) => m.is_some(),
        Err(e) => panic!("{pattern}: {e}"),
    }
}

fn ipv4(v: &str) -> Value {
    json!({"type": "ipv4-addr", "value": v})
}

#[test]
fn exists_and_not_exists_follow_the_specification() {
    let input = bundle(&[(0, 1, vec![json!({"type": "file", "name": "a.exe", "size": 3})])]);
    assert!(matched("[file:name = 'a.exe' AND EXISTS file:size]", &input));
    assert!(matched("[EXISTS file:size]", &input));
    assert!(!matched("[EXISTS file:hashes]", &input));
    assert!(matched("[NOT EXISTS file:hashes]", &input));
    assert!(!matched("[NOT EXISTS file:size]", &input));
    assert!(!matched("[NOT EXISTS process:pid]", &input), "NOT EXISTS still needs an object of the type");
}

#[test]
fn addresses_of_both_families_and_their_host_blocks() {
    let input = bundle(&[(0, 1, vec![ipv4("198.51.100.1"), json!({"type": "ipv6-addr", "value": "2001:db8::1"})])]);
    assert!(matched("[ipv4-addr:value = '198.51.100.1/32']", &input));
    assert!(!matched("[ipv4-addr:value != '198.51.100.1/32']", &input));
    assert!(matched("[ipv6-addr:value = '2001:db8:0:0::1/128']", &input));
    assert!(matched("[ipv6-addr:value ISSUBSET '2001:db8::/32']", &input));
    assert!(!matched("[ipv6-addr:value ISSUBSET '2001:db9::/32']", &input));
    assert!(!matched("[ipv4-addr:value ISSUBSET '2001:db8::/32']", &input), "families never mix");
    assert!(matched("[ipv4-addr:value ISSUBSET '0.0.0.0/0']", &input));
    let block = bundle(&[(0, 1, vec![json!({"type": "ipv6-addr", "value": "2001:db8::/48"})])]);
    assert!(matched("[ipv6-addr:value ISSUPERSET '2001:db8::7']", &block));
    assert!(!matched("[ipv6-addr:value ISSUPERSET '2001:db9::7']", &block));
}

#[test]
fn number_observed_gives_interchangeable_instances() {
    let twice = bundle(&[(0, 2, vec![ipv4("10.0.0.1")])]);
    let once = bundle(&[(0, 1, vec![ipv4("10.0.0.1")])]);
    assert!(matched("[ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.1']", &twice));
    assert!(!matched("[ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.1']", &once));
    assert!(matched("[ipv4-addr:value = '10.0.0.1'] REPEATS 2 TIMES", &twice));
    assert!(!matched("[ipv4-addr:value = '10.0.0.1'] REPEATS 3 TIMES", &twice));
    let ids = match_json("[ipv4-addr:value = '10.0.0.1'] REPEATS 2 TIMES", StixVersion::V21, &twice).unwrap().unwrap();
    assert_eq!(ids, vec![Some("observed-data--00000000-0000-4000-8000-000000000000".to_string())]);
}

#[test]
fn time_qualifiers() {
    let input = bundle(&[(0, 1, vec![ipv4("10.0.0.1")]), (30, 1, vec![ipv4("10.0.0.2")])]);
    assert!(matched("[ipv4-addr:value = '10.0.0.1'] FOLLOWEDBY [ipv4-addr:value = '10.0.0.2']", &input));
    assert!(!matched("[ipv4-addr:value = '10.0.0.2'] FOLLOWEDBY [ipv4-addr:value = '10.0.0.1']", &input));
    assert!(matched("([ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.2']) WITHIN 30 SECONDS", &input));
    assert!(!matched("([ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.2']) WITHIN 29.5 SECONDS", &input));
    let t0 = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let window = |a: i64, b: i64| {
        format!("[ipv4-addr:value = '10.0.0.2'] START t'{}' STOP t'{}'", t0 + jiff::SignedDuration::from_secs(a), t0 + jiff::SignedDuration::from_secs(b))
    };
    assert!(matched(&window(30, 31), &input), "START is inclusive");
    assert!(!matched(&window(0, 30), &input), "STOP is exclusive");
}

/// Twenty observations a second apart; the reference's own explosion test,
/// scaled up to sizes its enumeration could never finish.
#[test]
fn no_combinatorial_blow_up() {
    let many: Vec<(i64, u64, Vec<Value>)> = (0..200).map(|i| (i, 1, vec![json!({"type": "person", "age": i % 20})])).collect();
    let input = bundle(&many);
    let started = std::time::Instant::now();
    assert!(!matched("[person:age < 20] REPEATS 60 TIMES WITHIN 58 SECONDS", &input));
    assert!(matched("[person:age < 20] REPEATS 60 TIMES WITHIN 59 SECONDS", &input));

    let same = ["[person:age < 20]"; 12].join(" AND ");
    let few = bundle(&many[..11]);
    assert!(!matched(&same, &few), "twelve equal operands cannot bind eleven observations");
    let distinct = (0..12).map(|k| format!("[person:age < {}]", 20 + k)).collect::<Vec<_>>().join(" AND ");
    assert!(!matched(&distinct, &few), "nor can twelve different ones");
    assert!(matched(&distinct, &bundle(&many[..12])));
    assert!(!matched("([person:age < 20] FOLLOWEDBY [person:age > 18]) REPEATS 11 TIMES", &few));
    // Not a timing assertion: a guard that the search did not enumerate.
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn a_binding_is_bounded() {
    let err = Matcher::compile(&format!("[a:b = 1] REPEATS {} TIMES", MAX_BINDING_SIZE + 1), StixVersion::V21).unwrap_err();
    assert!(matches!(err, CompileError::Match(_)), "{err}");
    assert!(Matcher::compile(&format!("[a:b = 1] REPEATS {MAX_BINDING_SIZE} TIMES"), StixVersion::V21).is_ok());
}

#[test]
fn regular_expressions_are_guarded_and_normalised() {
    let long = format!("{}!", "a".repeat(5000));
    let input = bundle(&[(0, 1, vec![json!({"type": "x-text", "value": long, "name": "Cafe\u{301}"})])]);
    assert!(!matched("[x-text:value MATCHES '^(a+)+$']", &input), "a catastrophic pattern for a backtracking engine");
    assert!(matched("[x-text:value MATCHES 'a{3}!']", &input));
    let err = match_json("[x-text:value MATCHES '(?=a)']", StixVersion::V21, &input).unwrap_err();
    assert!(matches!(err, CompileError::Match(_)), "look-around is refused with a clear error: {err}");
    assert!(matched("[x-text:name LIKE 'Caf\u{e9}']", &input), "LIKE compares NFC forms");
    assert!(matched("[x-text:name MATCHES '^Caf\u{e9}$']", &input), "MATCHES too");
    assert!(!matched("[x-text:name = 'Caf\u{e9}']", &input), "= compares code points, as the reference does");
}

#[test]
fn observations_are_checked() {
    let no_refs = vec![
        json!({"type": "bundle", "objects": [{"type": "observed-data", "first_observed": "2020-01-01T00:00:00Z", "last_observed": "2020-01-01T00:00:00Z", "number_observed": 1}]}),
    ];
    assert!(matches!(match_json("[a:b = 1]", StixVersion::V21, &no_refs), Err(CompileError::Match(_))));
    let zero = bundle(&[(0, 0, vec![ipv4("10.0.0.1")])]);
    assert!(matches!(match_json("[a:b = 1]", StixVersion::V21, &zero), Err(CompileError::Match(_))));
    let input = bundle(&[(0, 1, vec![ipv4("10.0.0.1")])]);
    let arena = Bump::new();
    let input = Json::from_values(&input, &arena);
    let v20 = Observations::from_json(input, StixVersion::V20);
    assert!(v20.is_err(), "a bundle is not a 2.0 observed-data");
}

#[test]
fn the_pattern_set_finds_binary_values_and_blocks() {
    let input = bundle(&[(0, 1, vec![json!({"type": "x-blob", "data_hex": "4142"}), ipv4("172.16.5.9")])]);
    let arena = Bump::new();
    let input = Json::from_values(&input, &arena);
    let obs = Observations::from_json(input, StixVersion::V21).unwrap();
    let mut set = PatternSet::new();
    for src in ["[x-blob:data_hex = 'AB']", "[ipv4-addr:value ISSUBSET '172.16.0.0/12']", "[ipv4-addr:value ISSUBSET '172.17.0.0/16']"] {
        set.add(Matcher::compile(src, StixVersion::V21).unwrap());
    }
    let found: Vec<usize> = set.matching(&obs).into_iter().map(|(i, r)| r.map(|_| i).unwrap()).collect();
    assert_eq!(found, vec![0, 1]);
}

/// Patterns of both STIX versions in one set: each is tried only on
/// observations of its own version.
#[test]
fn the_pattern_set_tries_patterns_of_the_observations_version_only() {
    let arena = Bump::new();
    let v21 = bundle(&[(0, 1, vec![ipv4("10.0.0.1")])]);
    let v21 = Observations::from_json(Json::from_values(&v21, &arena), StixVersion::V21).unwrap();
    let v20 = [json!({"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000000", "first_observed": "2026-11-01T10:00:00Z",
        "last_observed": "2026-11-01T10:00:00Z", "number_observed": 1, "objects": {"0": {"type": "ipv4-addr", "value": "10.0.0.1"}}})];
    let v20 = Observations::from_json(Json::from_values(&v20, &arena), StixVersion::V20).unwrap();
    let pattern = "[ipv4-addr:value = '10.0.0.1']";
    let found = |set: &PatternSet, obs: &Observations| set.matching(obs).into_iter().map(|(i, r)| r.map(|_| i).unwrap()).collect::<Vec<_>>();
    let mut only21 = PatternSet::new();
    only21.add(Matcher::compile(pattern, StixVersion::V21).unwrap());
    assert_eq!((found(&only21, &v21), found(&only21, &v20)), (vec![0], vec![]));
    let mut both = PatternSet::new();
    for version in [StixVersion::V20, StixVersion::V21, StixVersion::V20] {
        both.add(Matcher::compile(pattern, version).unwrap());
    }
    assert_eq!((found(&both, &v21), found(&both, &v20)), (vec![1], vec![0, 2]));
}

fn event(i: u64) -> Vec<Value> {
    bundle(&[(
        i as i64,
        1,
        vec![
            ipv4(&format!("10.0.{}.{}", i % 7, i % 11)),
            json!({"type": "domain-name", "value": format!("host{}.example", i % 13)}),
            json!({"type": "file", "name": format!("f{}.exe", i % 5), "size": i % 17}),
        ],
    )])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The index only narrows: the set answers exactly what each matcher answers.
    #[test]
    fn the_pattern_set_agrees_with_each_matcher(seeds in proptest::collection::vec(0u64..40, 1..30), ev in 0u64..200) {
        let sources: Vec<String> = seeds.iter().map(|s| match s % 8 {
            0 => format!("[ipv4-addr:value = '10.0.{}.{}']", s % 7, s % 11),
            1 => format!("[ipv4-addr:value = '10.0.{}.{}/32']", s % 7, s % 11),
            2 => format!("[domain-name:value IN ('host{}.example', 'nowhere')]", s % 13),
            3 => format!("[file:size > {}]", s % 17),
            4 => format!("[file:name = 'f{}.exe' AND file:size < {}]", s % 5, s),
            5 => format!("[file:name LIKE 'f{}%'] OR [domain-name:value = 'host{}.example']", s % 5, s % 13),
            6 => format!("[ipv4-addr:value ISSUBSET '10.0.{}.0/24'] AND [domain-name:value = 'host{}.example']", s % 7, s % 13),
            _ => format!("[NOT EXISTS file:hashes] AND [ipv4-addr:value != '10.0.0.{}']", s % 11),
        }).collect();
        let mut set = PatternSet::new();
        let matchers: Vec<Matcher> = sources.iter().map(|s| Matcher::compile(s, StixVersion::V21).unwrap()).collect();
        for s in &sources {
            set.add(Matcher::compile(s, StixVersion::V21).unwrap());
        }
        let input = event(ev);
        let arena = Bump::new();
        let input = Json::from_values(&input, &arena);
        let obs = Observations::from_json(input, StixVersion::V21).unwrap();
        let from_set: Vec<usize> = set.matching(&obs).into_iter().map(|(i, r)| { r.unwrap(); i }).collect();
        let each: Vec<usize> = matchers.iter().enumerate().filter(|(_, m)| m.matches(&obs).unwrap().is_some()).map(|(i, _)| i).collect();
        prop_assert_eq!(from_set, each);
    }
}

/// Two objects with one id: the later wins, as in the reference, whether the
/// bundle is small (searched) or large (a map).
#[test]
fn the_last_object_with_an_id_is_the_one_referenced() {
    for fillers in [0, 30] {
        let mut objects: Vec<Value> = (0..fillers).map(|k| json!({"type": "domain-name", "id": format!("domain-name--{k}"), "value": "x.example"})).collect();
        objects.push(json!({"type": "ipv4-addr", "id": "ipv4-addr--a", "value": "10.0.0.1"}));
        objects.push(json!({"type": "ipv4-addr", "id": "ipv4-addr--a", "value": "10.0.0.2"}));
        let at = "2026-11-23T00:00:00Z";
        objects.push(json!({"type": "observed-data", "id": "observed-data--1", "first_observed": at, "last_observed": at, "number_observed": 1, "object_refs": ["ipv4-addr--a"]}));
        let input = vec![json!({"type": "bundle", "id": "bundle--1", "objects": objects})];
        assert!(matched("[ipv4-addr:value = '10.0.0.2']", &input), "{fillers} fillers");
        assert!(!matched("[ipv4-addr:value = '10.0.0.1']", &input), "{fillers} fillers");
    }
}

/// An observed value for the pattern-set property below: addresses of both
/// families and their blocks, strings that are no address, and a number.
fn observed_object(seed: u64) -> Value {
    let address = ["10.0.0.1", "10.0.0.1/32", "10.0.1.0/24", "10.0.1.7", "not an address", "2001:db8::1", "2001:db8::/64", "192.168.0.1"];
    // Names for LIKE and MATCHES: composed and decomposed accents (the tests
    // read NFC), cases, a literal inside another.
    let names = ["évil.example", "e\u{301}vil.example", "EVIL.example", "my.evil.example.org", "xevilx", "host1.example", "my.good.one", "ünïcode"];
    match seed % 6 {
        5 => json!({"type": "domain-name", "value": names[(seed / 6 % 8) as usize]}),
        0 | 1 => {
            json!({"type": if address[(seed / 5 % 8) as usize].contains(':') { "ipv6-addr" } else { "ipv4-addr" }, "value": address[(seed / 5 % 8) as usize]})
        }
        2 => json!({"type": "ipv4-addr", "value": seed % 3}),
        3 => json!({"type": "domain-name", "value": format!("host{}.example", seed / 5 % 4)}),
        _ => json!({"type": "file", "name": format!("f{}.exe", seed / 5 % 3), "hashes": {"SHA-256": format!("{:064x}", seed / 5 % 4)}}),
    }
}

fn indicator_like_pattern(seed: u64) -> String {
    let address = ["10.0.0.1", "10.0.0.1/32", "10.0.1.0/24", "not an address", "2001:db8::1", "2001:db8::/64", "10.0.0.0/8", "2001:db8::/32"];
    let a = address[(seed / 11 % 8) as usize];
    // LIKE and MATCHES, indexed by literal or (without a usable one) by type.
    let texts = [
        "[domain-name:value LIKE '%évil%']",
        "[domain-name:value LIKE 'e\u{301}vil%']",
        "[domain-name:value MATCHES '(?i)evil\\\\.ex']",
        "[domain-name:value MATCHES '^my\\\\.(evil|good)']",
        "[domain-name:value MATCHES 'vil']",
        "[domain-name:value LIKE 'host_.example']",
        "[domain-name:value MATCHES '[a-z]+']",
        "[domain-name:value LIKE 'évil.example' AND domain-name:value MATCHES 'évil']",
        "[file:name MATCHES 'f[0-2]\\\\.exe$'] OR [domain-name:value LIKE '%.example.org']",
        "[domain-name:value NOT MATCHES 'evil']",
        "[domain-name:value LIKE '%ünï%']",
    ];
    if seed % 13 >= 11 {
        return texts[(seed / 13 % 11) as usize].to_string();
    }
    match seed % 11 {
        0 => format!("[ipv4-addr:value = '{a}']"),
        1 => format!("[ipv6-addr:value = '{a}']"),
        2 => format!("[ipv4-addr:value IN ('{a}', '10.0.1.7')]"),
        3 => format!("[ipv4-addr:value ISSUBSET '{a}']"),
        4 => format!("[ipv6-addr:value ISSUBSET '{a}']"),
        5 => format!("[domain-name:value = 'host{}.example']", seed / 11 % 4),
        6 => format!("[file:hashes.'SHA-256' = '{:064x}']", seed / 11 % 4),
        7 => format!("[file:hashes.'SHA-256' IN ('{:064x}', 'x')]", seed / 11 % 4),
        8 => format!("[ipv4-addr:value = '{a}'] FOLLOWEDBY [domain-name:value = 'host{}.example']", seed / 11 % 4),
        9 => format!("[ipv4-addr:value != '{a}']"),
        _ => format!("[ipv4-addr:value = '{a}' OR file:name = 'f{}.exe']", seed / 11 % 3),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whether the set runs the matcher or answers from the index alone, its
    /// answer for a pattern is the matcher's: the same observations on a
    /// match, the same error. (A pattern no observation anchors is not
    /// tried, so an error in data it would have read goes unreported.)
    #[test]
    fn the_pattern_set_answers_what_the_matcher_answers(
        patterns in proptest::collection::vec(0u64..1_000, 1..24),
        observations in proptest::collection::vec(proptest::collection::vec(0u64..1_000, 1..4), 1..5),
    ) {
        let sources: Vec<String> = patterns.iter().map(|&s| indicator_like_pattern(s)).collect();
        let matchers: Vec<Matcher> = sources.iter().map(|s| Matcher::compile(s, StixVersion::V21).unwrap()).collect();
        let mut set = PatternSet::new();
        for s in &sources {
            set.add(Matcher::compile(s, StixVersion::V21).unwrap());
        }
        let input = bundle(&observations.iter().enumerate().map(|(t, objects)| (t as i64, 1, objects.iter().map(|&o| observed_object(o)).collect())).collect::<Vec<_>>());
        let arena = Bump::new();
        let input = Json::from_values(&input, &arena);
        let obs = Observations::from_json(input, StixVersion::V21).unwrap();
        let from_set = set.matching(&obs);
        let each: Vec<_> = matchers.iter().enumerate().filter_map(|(i, m)| m.matches(&obs).transpose().map(|answer| (i, answer))).collect();
        for answer in &from_set {
            prop_assert!(each.contains(answer), "{}: the set answered {:?}, the matcher {:?}", sources[answer.0], answer.1, each.iter().find(|(i, _)| *i == answer.0));
        }
        for (i, answer) in &each {
            if answer.is_ok() {
                prop_assert!(from_set.iter().any(|(j, _)| j == i), "{}: the matcher matched, the set did not", sources[*i]);
            }
        }
    }
}

/// For one observation expression the reference reports the observations of
/// `a OR b` as those of `a` first, then those only `b` adds; AND keeps its
/// left operand's order.
#[test]
fn the_observation_reported_follows_the_reference_order() {
    let id = |n: u32| Some(format!("observed-data--00000000-0000-4000-8000-{n:012}"));
    let input = bundle(&[(0, 1, vec![ipv4("10.0.0.1")]), (1, 1, vec![ipv4("10.0.0.2")]), (2, 1, vec![ipv4("10.0.0.3")])]);
    let first = |pattern: &str| match_json(pattern, StixVersion::V21, &input).unwrap().unwrap();
    assert_eq!(first("[ipv4-addr:value = '10.0.0.1' OR ipv4-addr:value = '10.0.0.3']"), vec![id(0)]);
    assert_eq!(first("[ipv4-addr:value = '10.0.0.3' OR ipv4-addr:value = '10.0.0.1']"), vec![id(2)]);
    assert_eq!(first("[ipv4-addr:value = '10.0.0.9' OR (ipv4-addr:value = '10.0.0.3' OR ipv4-addr:value = '10.0.0.2')]"), vec![id(2)]);
    assert_eq!(first("[(ipv4-addr:value = '10.0.0.2' OR ipv4-addr:value = '10.0.0.1') AND ipv4-addr:value LIKE '10.%']"), vec![id(1)]);
    assert_eq!(first("[ipv4-addr:value LIKE '10.%' AND (ipv4-addr:value = '10.0.0.2' OR ipv4-addr:value = '10.0.0.1')]"), vec![id(0)]);
}
