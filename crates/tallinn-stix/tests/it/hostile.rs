//! Hostile and extreme patterns: nesting beyond the limit is a clear error,
//! long flat expressions work, and no shape of pattern makes parsing,
//! printing, validating or matching panic or overflow the stack.

use proptest::prelude::*;
use serde_json::{Value, json};
use tallinn_stix::matcher::{Matcher, PatternSet, match_json};
use tallinn_stix::object::validate_object;
use tallinn_stix::pattern::{MAX_NESTING, StixVersion, parse};

/// A 2.1 bundle observing one IPv4 address.
fn observing(ip: &str) -> Vec<Value> {
    vec![json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
         "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
         "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1,
         "object_refs": ["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]},
        {"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": ip}
    ]})]
}

fn indicator(pattern: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"})
}

fn nested(depth: usize) -> String {
    format!("{}[ipv4-addr:value = '1.2.3.4']{}", "(".repeat(depth), ")".repeat(depth))
}

#[test]
fn nesting_beyond_the_limit_is_an_error_not_a_crash() {
    for depth in [MAX_NESTING, MAX_NESTING + 1, 1_500, 6_000, 100_000] {
        let src = nested(depth);
        let err = parse(&src).unwrap_err();
        assert!(err.message.contains("nest deeper than"), "{depth}: {err}");
        let problems = validate_object(indicator(&src).as_object().unwrap(), "o");
        assert!(problems.iter().any(|p| p.property == "pattern" && p.message.contains("nest deeper")), "{problems:?}");
        assert!(Matcher::compile(&src, StixVersion::V21).is_err());
    }
    // Brackets count too: parentheses inside one comparison expression.
    let inner = format!("[{}ipv4-addr:value = '1.2.3.4'{}]", "(".repeat(2_000), ")".repeat(2_000));
    assert!(parse(&inner).unwrap_err().message.contains("nest deeper than"));
    // And qualifiers, which nest in the matcher's plan.
    let qualified = format!("[a:b = 1]{}", " WITHIN 5 SECONDS".repeat(5_000));
    assert!(parse(&qualified).unwrap_err().message.contains("nest deeper than"));
}

#[test]
fn patterns_at_the_limit_work() {
    // One bracket plus MAX_NESTING - 1 parentheses.
    let src = nested(MAX_NESTING - 1);
    let p = parse(&src).unwrap();
    assert_eq!(parse(&p.to_string()).unwrap(), p);
    assert_eq!(match_json(&src, StixVersion::V21, &observing("1.2.3.4")).unwrap().map(|o| o.len()), Some(1));
    assert!(validate_object(indicator(&src).as_object().unwrap(), "o").is_empty());
    let qualified = format!("[a:b = 1]{}", " WITHIN 5 SECONDS".repeat(MAX_NESTING - 2));
    assert!(Matcher::compile(&qualified, StixVersion::V21).is_ok());
}

#[test]
fn long_flat_expressions_work() {
    let ips: Vec<String> = (0..10_000).map(|i| format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256)).collect();
    // An IOC-list indicator: one comparison expression of 10,000 terms.
    let terms: Vec<String> = ips.iter().map(|ip| format!("ipv4-addr:value = '{ip}'")).collect();
    let list = format!("[{}]", terms.join(" OR "));
    let p = parse(&list).unwrap();
    assert_eq!(parse(&p.to_string()).unwrap(), p);
    assert!(validate_object(indicator(&list).as_object().unwrap(), "o").is_empty());
    assert!(match_json(&list, StixVersion::V21, &observing("10.0.39.15")).unwrap().is_some());
    assert!(match_json(&list, StixVersion::V21, &observing("10.1.0.0")).unwrap().is_none());
    let mut set = PatternSet::new();
    set.add(Matcher::compile(&list, StixVersion::V21).unwrap());
    let arena = tallinn_stix::matcher::Bump::new();
    let input = observing("10.0.1.2");
    let obs = tallinn_stix::matcher::Observations::from_json(tallinn_stix::matcher::Json::from_values(&input, &arena), StixVersion::V21).unwrap();
    assert_eq!(set.matching(&obs).len(), 1);

    // 10,000 observation expressions ORed.
    let observations: Vec<String> = ips.iter().map(|ip| format!("[ipv4-addr:value = '{ip}']")).collect();
    let any = observations.join(" OR ");
    assert!(match_json(&any, StixVersion::V21, &observing("10.0.39.15")).unwrap().is_some());
    assert!(match_json(&any, StixVersion::V21, &observing("11.0.0.1")).unwrap().is_none());
    // ANDed or FOLLOWEDBY, they bind more observations than a binding may.
    for word in [" AND ", " FOLLOWEDBY "] {
        let all = observations.join(word);
        assert!(parse(&all).is_ok());
        let err = Matcher::compile(&all, StixVersion::V21).unwrap_err();
        assert!(err.to_string().contains("the limit is"), "{err}");
    }
    // Many comparisons ANDed in one bracket, and a set of 10,000 members.
    let and = format!("[{}]", (0..10_000).map(|i| format!("ipv4-addr:value != '10.9.{}.{}'", i / 256, i % 256)).collect::<Vec<_>>().join(" AND "));
    assert!(match_json(&and, StixVersion::V21, &observing("10.0.0.1")).unwrap().is_some());
    let set_pattern = format!("[ipv4-addr:value IN ({})]", ips.iter().map(|ip| format!("'{ip}'")).collect::<Vec<_>>().join(", "));
    assert!(match_json(&set_pattern, StixVersion::V21, &observing("10.0.0.7")).unwrap().is_some());
}

/// A random pattern shape: each level is a run of one operator (or a
/// qualified group) whose width and depth go up to the limits.
fn arb_shape() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("ipv4-addr:value = '10.0.0.1'".to_string()),
        Just("ipv4-addr:value ISSUBSET '10.0.0.0/8'".to_string()),
        Just("domain-name:value LIKE '%.example'".to_string()),
        Just("file:name MATCHES '^a+$'".to_string()),
    ];
    let comparison = (leaf.clone(), prop::collection::vec(leaf, 0..40), prop::sample::select(vec![" AND ", " OR "]), 0usize..MAX_NESTING).prop_map(
        |(first, rest, word, parens)| {
            let run = std::iter::once(first).chain(rest).collect::<Vec<_>>().join(word);
            format!("[{}{run}{}]", "(".repeat(parens.min(MAX_NESTING - 2)), ")".repeat(parens.min(MAX_NESTING - 2)))
        },
    );
    comparison.prop_recursive(6, 400, 60, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 2..60), prop::sample::select(vec![" AND ", " OR ", " FOLLOWEDBY "]))
                .prop_map(|(run, word)| format!("({})", run.join(word))),
            (inner.clone(), 0usize..120).prop_map(|(p, parens)| format!("{}{p}{}", "(".repeat(parens), ")".repeat(parens))),
            (
                inner,
                prop::sample::select(vec![" WITHIN 5 SECONDS", " REPEATS 2 TIMES", " START t'2015-01-01T00:00:00Z' STOP t'9999-12-31T23:59:59Z'"]),
                1usize..60
            )
                .prop_map(|(p, q, n)| format!("{p}{}", q.repeat(n))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any shape, within the limits or beyond: parse, print, validate and
    /// match answer (a result or an error), and never panic or overflow.
    #[test]
    fn no_shape_panics(src in arb_shape()) {
        if let Ok(p) = parse(&src) {
            let printed = p.to_string();
            let again = parse(&printed);
            prop_assert_eq!(again.as_ref(), Ok(&p), "{}", printed);
        }
        let _ = validate_object(indicator(&src).as_object().unwrap(), "o");
        if let Ok(m) = Matcher::compile(&src, StixVersion::V21) {
            let arena = tallinn_stix::matcher::Bump::new();
            let input = observing("10.0.0.1");
            let obs = tallinn_stix::matcher::Observations::from_json(tallinn_stix::matcher::Json::from_values(&input, &arena), StixVersion::V21).unwrap();
            let _ = m.matches(&obs);
            let mut set = PatternSet::new();
            set.add(m);
            let _ = set.matching(&obs);
        }
    }
}

/// Objects that list each other: a path of `*_refs[*]` steps would select
/// n^k values after k steps; it is an error past 65,536 instead.
#[test]
fn reference_chains_cannot_multiply_without_bound() {
    let ids: Vec<String> = (0..16).map(|i| format!("x-node--8e2e2d2b-17d4-4cbf-938f-{i:012x}")).collect();
    let mut objects: Vec<Value> = ids.iter().map(|id| json!({"type": "x-node", "id": id, "next_refs": ids})).collect();
    objects.push(json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z", "first_observed": "2015-12-21T19:00:00Z",
        "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1, "object_refs": ids}));
    let input = vec![json!({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": objects})];
    let pattern = format!("[x-node:{}.id = 'nothing']", ["next_refs[*]"; 12].join("."));
    let err = match_json(&pattern, StixVersion::V21, &input).unwrap_err();
    assert!(err.to_string().contains("selects more than 65536 values"), "{err}");
    assert!(match_json("[x-node:next_refs[*].next_refs[*].id = 'x-node--8e2e2d2b-17d4-4cbf-938f-000000000003']", StixVersion::V21, &input).unwrap().is_some());
}
