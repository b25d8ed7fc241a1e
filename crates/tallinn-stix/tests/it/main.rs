//! The pattern parser and printer: the spec's examples, error messages,
//! and parse ∘ print ∘ parse = parse on random trees.

mod conformance;
mod hostile;
mod matcher;

use proptest::prelude::*;
use tallinn_stix::pattern::{CompOp, Comparison, Literal, ObjectPath, Observation, PathStep, Pattern, Qualifier, Test, parse};

/// Parses, prints, parses again: the two trees must be equal.
fn round_trip(src: &str) -> Pattern {
    let first = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let printed = first.to_string();
    let second = parse(&printed).unwrap_or_else(|e| panic!("{src} printed as {printed}: {e}"));
    assert_eq!(first, second, "{src} printed as {printed}");
    first
}

#[test]
fn valid_patterns() {
    for src in [
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
        "[domain-name:value = 'example.com'] AND [x-custom:prop.list[*].name LIKE 'a%'] FOLLOWEDBY [file:size > 10] WITHIN 300 SECONDS",
        "([file:name = 'a'] OR [file:name = 'b']) REPEATS 5 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123Z'",
        "[network-traffic:dst_port IN (443, 8443) AND network-traffic:protocols[0] NOT = 'udp']",
        "[file:size >= -1.5e3 AND file:content_ref.payload_bin = b'SGVsbG8=' AND file:magic = h'4d5a']",
        "[windows-registry-key:values[*].name MATCHES '^.+\\\\foo\\'s$' AND EXISTS windows-registry-key:key AND NOT EXISTS windows-registry-key:extensions]",
        "[process:name ISSUBSET '10.0.0.0/8' OR process:x ISSUPERSET '10.0.0.0/24'] WITHIN 1.5 SECONDS",
        "[a:b = true AND (a:c = false OR a:d != 'x')]",
        "[a:b <> 1]",
    ] {
        round_trip(src);
    }
}

#[test]
fn precedence_and_associativity() {
    let p = parse("[a:b = 1] OR [a:b = 2] AND [a:b = 3] FOLLOWEDBY [a:b = 4]").unwrap();
    let Pattern::FollowedBy(run) = &p else { panic!("FOLLOWEDBY is loosest: {p:?}") };
    assert!(matches!(&run[0], Pattern::Or(or) if matches!(or[1], Pattern::And(..))), "AND binds tighter than OR");
    let p = parse("[a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS").unwrap();
    assert!(matches!(&p, Pattern::And(run) if matches!(run[1], Pattern::Qualified(..))), "a qualifier binds to the observation before it");
    // A run of one operator is one node, its operands in order.
    let p = parse("[a:b = 1] OR [a:b = 2] OR [a:b = 3]").unwrap();
    assert!(matches!(&p, Pattern::Or(run) if run.len() == 3), "{p:?}");
    let p = parse("[a:b = 1] REPEATS 2 TIMES WITHIN 5 SECONDS").unwrap();
    assert!(matches!(&p, Pattern::Qualified(_, qs) if qs.len() == 2), "{p:?}");
    // A qualified group keeps its parentheses when qualified again.
    let p = round_trip("([a:b = 1] WITHIN 5 SECONDS) REPEATS 2 TIMES");
    assert!(p.to_string().starts_with("(["), "{p}");
    // Right-nested groups keep their parentheses when printed.
    let p = round_trip("[a:b = 1] AND ([a:b = 2] AND [a:b = 3])");
    assert!(p.to_string().contains("AND ("), "{p}");
}

#[test]
fn errors_say_where_and_what_was_expected() {
    for (src, offset, fragment) in [
        ("", 0, "expected '[' or '('"),
        ("[file:name = 'a'", 16, "expected AND, OR or ']'"),
        ("[file:name 'a']", 11, "a comparison operator"),
        ("[file:name = 'a'] AND", 21, "expected '[' or '('"),
        ("[file:hashes.SHA-256 = 'a']", 13, "quote names with '-'"),
        ("[file:name = 'unterminated]", 13, "unterminated string"),
        ("[file:size > true]", 13, "orderable literal"),
        ("[file:name LIKE 5]", 16, "takes a string"),
        ("[a:b = 1] WITHIN -1 SECONDS", 17, "positive number"),
        ("[a:b = 1] REPEATS 2.5 TIMES", 18, "positive whole number"),
        ("[a:b = t'2016-13-01T00:00:00Z']", 7, "not an RFC 3339 UTC timestamp"),
        ("[a:b = h'abc']", 7, "not hex"),
        ("[a:b = b'***']", 7, "not base64"),
        ("[a:b = 1] [a:b = 2]", 10, "expected AND, OR, FOLLOWEDBY"),
        ("[a:b[x] = 1]", 5, "a list index"),
        ("[a:b = 01]", 7, "not a number"),
        ("[a:b = 1] § ", 10, "unexpected character"),
    ] {
        let e = parse(src).expect_err(src);
        assert!(e.message.contains(fragment), "{src}: {e}");
        assert_eq!(e.offset, offset, "{src}: {e}");
    }
}

/// The OASIS spec examples shipped in the `stix2-patterns` 2.0.0 sdist; `.ci/run`
/// downloads it and sets TALLINN_STIX_PATTERNS_SDIST (nothing is committed).
#[test]
fn spec_examples_round_trip() {
    let Some(dir) = std::env::var_os("TALLINN_STIX_PATTERNS_SDIST") else {
        return tallinn_core::testing::unavailable(
            "stix2-patterns spec examples",
            "pip download --no-deps --no-binary :all: stix2-patterns==2.0.0, unpack it and set TALLINN_STIX_PATTERNS_SDIST to its directory",
        );
    };
    let mut count = 0;
    for version in ["v20", "v21"] {
        let path = std::path::Path::new(&dir).join(format!("stix2patterns/test/{version}/spec_examples.txt"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            round_trip(line);
            count += 1;
        }
    }
    assert!(count > 40, "{count} examples");
}

fn arb_path() -> impl Strategy<Value = ObjectPath> {
    let key = prop_oneof!["[a-z_][a-z0-9_]{0,6}", "[A-Za-z0-9 '\\\\-]{0,6}"];
    let step = prop_oneof![key.clone().prop_map(PathStep::Key), (-3i64..10).prop_map(PathStep::Index), Just(PathStep::AnyIndex)];
    ("[a-z][a-z0-9-]{0,8}", key, prop::collection::vec(step, 0..3)).prop_map(|(t, first, rest)| {
        let mut steps = vec![PathStep::Key(first)];
        steps.extend(rest);
        ObjectPath { object_type: t, steps }
    })
}

fn arb_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<i64>().prop_map(Literal::Int),
        (-1e9f64..1e9).prop_map(Literal::Float),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Literal::Float),
        ".{0,8}".prop_map(Literal::String),
        any::<bool>().prop_map(Literal::Bool),
        prop::collection::vec(any::<u8>(), 0..6).prop_map(Literal::Binary),
        prop::collection::vec(any::<u8>(), 0..6).prop_map(Literal::Hex),
        prop::sample::select(vec!["2016-06-01T00:00:00Z", "2020-02-29T23:59:59.5Z"]).prop_map(|t| Literal::Timestamp(t.into())),
    ]
}

fn arb_test() -> impl Strategy<Value = Test> {
    let ops = prop::sample::select(vec![
        CompOp::Eq,
        CompOp::Neq,
        CompOp::Lt,
        CompOp::Le,
        CompOp::Gt,
        CompOp::Ge,
        CompOp::Like,
        CompOp::Matches,
        CompOp::IsSubset,
        CompOp::IsSuperset,
    ]);
    prop_oneof![
        (arb_path(), any::<bool>(), ops, arb_literal()).prop_map(|(path, negated, op, value)| {
            let value = match (op, value) {
                (CompOp::Like | CompOp::Matches | CompOp::IsSubset | CompOp::IsSuperset, v) => Literal::String(v.to_string()),
                (CompOp::Lt | CompOp::Le | CompOp::Gt | CompOp::Ge, Literal::Bool(_)) => Literal::Int(1),
                (_, v) => v,
            };
            Test::Compare { path, negated, op, value }
        }),
        (arb_path(), any::<bool>(), prop::collection::vec(arb_literal(), 0..4)).prop_map(|(path, negated, values)| Test::In { path, negated, values }),
        (arb_path(), any::<bool>()).prop_map(|(path, negated)| Test::Exists { path, negated }),
    ]
}

fn arb_comparison() -> impl Strategy<Value = Comparison> {
    arb_test().prop_map(Comparison::Test).prop_recursive(3, 8, 2, |inner| {
        prop_oneof![prop::collection::vec(inner.clone(), 2..4).prop_map(Comparison::And), prop::collection::vec(inner, 2..4).prop_map(Comparison::Or)]
    })
}

fn arb_pattern() -> impl Strategy<Value = Pattern> {
    let qualifier = prop_oneof![
        (1u64..1000).prop_map(|n| Qualifier::Within(n as f64)),
        (0.001f64..1e6).prop_map(Qualifier::Within),
        (1u64..100).prop_map(Qualifier::Repeats),
        Just(Qualifier::StartStop("2016-06-01T00:00:00Z".into(), "2016-07-01T00:00:00Z".into())),
    ];
    arb_comparison().prop_map(|c| Pattern::Observation(Observation(c))).prop_recursive(3, 10, 2, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Pattern::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Pattern::Or),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Pattern::FollowedBy),
            (inner, prop::collection::vec(qualifier.clone(), 1..3)).prop_map(|(p, q)| Pattern::Qualified(Box::new(p), q)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn print_then_parse_is_identity(p in arb_pattern()) {
        let printed = p.to_string();
        let parsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(parsed, p, "{}", printed);
    }

    #[test]
    fn no_input_panics(s in "\\PC{0,40}") {
        let _ = parse(&s);
    }

    #[test]
    fn no_near_pattern_panics(s in "[\\[\\]():=<>!a-z0-9' .,*tbh-]{0,40}") {
        let _ = parse(&s);
    }
}
