//! docs/product.md: performance targets for the pattern engine: compile time per pattern, and events per
//! second when 1, 1,000 and 100,000 patterns watch a stream of observed-data.
//!
//!     cargo bench -p tallinn-stix --bench matcher
//!
//! Patterns are indicator-like (docs/product.md: threat exchange): exact addresses, domains and file
//! hashes (indexed by value), some LIKE / ISSUBSET / MATCHES tests (indexed
//! by literal or block) and some two-observation patterns. Each event is a
//! STIX 2.1 bundle of one observed-data with an address, a domain and a
//! file; one event in ten carries a value some pattern names. (In the
//! detection mix, `indicator`, every event's background address also falls
//! in one of the 256 `192.168.x.0/24` blocks that 5 % of the indicators
//! name: with 100,000 of them, each event makes about 20 matches.)

use std::sync::LazyLock;

use divan::counter::ItemsCount;
use serde_json::{Value, json};
use tallinn_stix::matcher::{Bump, Json, Matcher, Observations, PatternSet};
use tallinn_stix::pattern::StixVersion;

/// The allocator the `tallinn` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    report_memory_per_indicator();
    divan::main();
}

/// docs/product.md: performance targets: memory ≤ 1 KiB per indicator, for the detection mix: how much
/// the process's resident memory grows while 100,000 are compiled and
/// indexed (an upper bound: it includes the allocator's overhead and
/// whatever compiling left free but not returned).
fn report_memory_per_indicator() {
    const INDICATORS: usize = 100_000;
    let before = resident_bytes();
    let set = set_of(INDICATORS, indicator);
    let (Some(before), Some(after)) = (before, resident_bytes()) else {
        eprintln!("memory: /proc/self/statm cannot be read here");
        return;
    };
    let grown = after.saturating_sub(before);
    eprintln!("memory: {} indicators (equality and CIDR) grew the resident set by {grown} bytes, {} bytes per indicator", set.len(), grown / INDICATORS);
}

/// The resident set size (Linux); the page size is taken as 4 KiB.
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

const EVENTS: usize = 10_000;

/// A deterministic pseudo-random sequence (no dependency needed for this).
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

fn ip(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

fn pattern(i: u64) -> String {
    let r = mix(i);
    match r % 100 {
        0..40 => format!("[ipv4-addr:value = '{}']", ip(r >> 8)),
        40..60 => format!("[domain-name:value = 'h{}.example.org']", (r >> 8) % 1_000_000),
        60..80 => format!("[file:hashes.'SHA-256' = '{:064x}']", r >> 8),
        80..90 => format!("[ipv4-addr:value = '{}'] FOLLOWEDBY [domain-name:value = 'h{}.example.org'] WITHIN 300 SECONDS", ip(r >> 8), (r >> 20) % 1_000_000),
        90..97 => format!("[file:name = 'dropper{}.exe' AND file:size > {}]", (r >> 8) % 100_000, r % 5000),
        97 => format!("[domain-name:value LIKE '%.c2-{}.example']", (r >> 8) % 1000),
        98 => format!("[ipv4-addr:value ISSUBSET '172.{}.0.0/16']", (r >> 8) % 256),
        _ => format!("[file:name MATCHES '^invoice_[0-9]{{{}}}\\\\.pdf\\\\.exe$']", 4 + r % 4),
    }
}

fn event(i: u64) -> Value {
    let r = mix(i + 1_000_000_007);
    // One event in ten reuses a value of pattern `r % 1000`'s kind.
    let hit = r.is_multiple_of(10);
    let p = mix(r % 1000);
    let addr = if hit { ip(p >> 8) } else { format!("192.168.{}.{}", (r >> 8) & 255, (r >> 16) & 255) };
    let domain = if hit { format!("h{}.example.org", (p >> 8) % 1_000_000) } else { format!("www{}.example.net", r % 100_000) };
    let at = jiff::Timestamp::from_second(1_790_000_000 + i as i64).unwrap().to_string();
    let id = |t: &str| format!("{t}--{:08x}-0000-4000-8000-{:012x}", i, r & 0xffff_ffff_ffff);
    json!({"type": "bundle", "id": id("bundle"), "objects": [
        {"type": "observed-data", "spec_version": "2.1", "id": id("observed-data"), "created": at, "modified": at,
         "first_observed": at, "last_observed": at, "number_observed": 1,
         "object_refs": [id("ipv4-addr"), id("domain-name"), id("file")]},
        {"type": "ipv4-addr", "spec_version": "2.1", "id": id("ipv4-addr"), "value": addr},
        {"type": "domain-name", "spec_version": "2.1", "id": id("domain-name"), "value": domain},
        {"type": "file", "spec_version": "2.1", "id": id("file"), "name": format!("invoice_{}.pdf.exe", r % 100_000), "size": r % 10_000,
         "hashes": {"SHA-256": format!("{:064x}", if hit { p >> 8 } else { r })}},
    ]})
}

/// Each event as the text a sensor sends, read once into the matcher's JSON.
static STREAM_TEXT: LazyLock<Vec<String>> = LazyLock::new(|| (0..EVENTS as u64).map(|i| serde_json::to_string(&vec![event(i)]).expect("JSON")).collect());
static STREAM: LazyLock<Vec<&'static [Json<'static>]>> = LazyLock::new(|| {
    let arena: &'static Bump = Box::leak(Box::default());
    STREAM_TEXT.iter().map(|text| Json::parse(text, arena).ok().and_then(|v| v.as_array()).expect("the benchmark's own JSON")).collect()
});

/// The detection mix of docs/product.md: performance targets: equality and CIDR comparisons only.
fn indicator(i: u64) -> String {
    let r = mix(i);
    match r % 100 {
        0..45 => format!("[ipv4-addr:value = '{}']", ip(r >> 8)),
        45..65 => format!("[domain-name:value = 'h{}.example.org']", (r >> 8) % 1_000_000),
        65..90 => format!("[file:hashes.'SHA-256' = '{:064x}']", r >> 8),
        90..95 => format!("[ipv4-addr:value ISSUBSET '10.{}.{}.0/24']", (r >> 8) & 255, (r >> 16) & 255),
        _ => format!("[ipv4-addr:value ISSUBSET '192.168.{}.0/24']", (r >> 8) & 255),
    }
}

fn set_of(n: usize, source: fn(u64) -> String) -> PatternSet {
    let mut set = PatternSet::new();
    for i in 0..n as u64 {
        set.add(Matcher::compile(&source(i), StixVersion::V21).expect("benchmark patterns compile"));
    }
    set
}

fn run_stream(set: &PatternSet) -> usize {
    let mut matches = 0usize;
    for input in LazyLock::force(&STREAM) {
        let obs = Observations::from_json(input, StixVersion::V21).unwrap();
        matches += set.matching(&obs).len();
    }
    matches
}

/// Compiling (parse + plan + literals and regular expressions), per pattern
/// of each kind. A regular expression is compiled once per thread and then
/// shared, so each MATCHES pattern here (99) has an expression not seen
/// before; `compile_repeated_regex` is the other case.
#[divan::bench(args = [0u64, 40, 60, 80, 90, 97, 98, 99])]
fn compile_pattern(bencher: divan::Bencher, kind: u64) {
    if kind == 99 {
        let mut n = 0u64;
        bencher
            .with_inputs(|| {
                n += 1;
                format!("[file:name MATCHES '^invoice{n}_[0-9]{{4}}\\\\.pdf\\\\.exe$']")
            })
            .bench_local_refs(|src| Matcher::compile(src, StixVersion::V21).unwrap());
        return;
    }
    let src = (0..10_000).map(pattern).find(|p| pattern_kind(p) == kind).expect("every kind occurs");
    bencher.bench(|| Matcher::compile(divan::black_box(&src), StixVersion::V21).unwrap());
}

/// A MATCHES pattern whose expression the thread has compiled before.
#[divan::bench]
fn compile_repeated_regex(bencher: divan::Bencher) {
    let src = (0..10_000).map(pattern).find(|p| pattern_kind(p) == 99).expect("a MATCHES pattern");
    bencher.bench(|| Matcher::compile(divan::black_box(&src), StixVersion::V21).unwrap());
}

fn pattern_kind(p: &str) -> u64 {
    match p {
        p if p.contains("FOLLOWEDBY") => 80,
        p if p.contains("LIKE") => 97,
        p if p.contains("ISSUBSET") => 98,
        p if p.contains("MATCHES") => 99,
        p if p.contains("file:name =") => 90,
        p if p.starts_with("[ipv4") => 0,
        p if p.starts_with("[domain") => 40,
        _ => 60,
    }
}

/// Events per second through a set of 1, 1,000 or 100,000 patterns of the
/// mixed kinds above (the set is built once, outside the measurement).
#[divan::bench(args = [1, 1_000, 100_000], sample_count = 5, sample_size = 1)]
fn stream_mixed_patterns(bencher: divan::Bencher, patterns: usize) {
    let set = set_of(patterns, pattern);
    LazyLock::force(&STREAM);
    bencher.counter(ItemsCount::new(EVENTS)).bench(|| run_stream(&set));
}

/// Reading each event's JSON line into the matcher's JSON, alone: what a
/// detection pipeline pays before matching.
#[divan::bench(sample_count = 20, sample_size = 1)]
fn stream_read(bencher: divan::Bencher) {
    let texts = LazyLock::force(&STREAM_TEXT);
    let mut arena = Bump::new();
    bencher.counter(ItemsCount::new(EVENTS)).bench_local(|| {
        let mut read = 0;
        for text in texts {
            read += Json::parse(text, &arena).ok().and_then(|v| v.as_array()).expect("JSON").len();
            arena.reset();
        }
        read
    });
}

/// The pipeline: each event read from its JSON line, then matched.
#[divan::bench(args = [1, 1_000, 100_000], sample_count = 5, sample_size = 1)]
fn stream_read_and_match_indicators(bencher: divan::Bencher, patterns: usize) {
    let set = set_of(patterns, indicator);
    let texts = LazyLock::force(&STREAM_TEXT);
    let mut arena = Bump::new();
    bencher.counter(ItemsCount::new(EVENTS)).bench_local(|| {
        let mut matches = 0;
        for text in texts {
            let input = Json::parse(text, &arena).ok().and_then(|v| v.as_array()).expect("JSON");
            let obs = Observations::from_json(input, StixVersion::V21).unwrap();
            matches += set.matching(&obs).len();
            arena.reset();
        }
        matches
    });
}

/// The same stream through equality and CIDR indicators only.
#[divan::bench(args = [1, 1_000, 100_000], sample_count = 5, sample_size = 1)]
fn stream_indicators(bencher: divan::Bencher, patterns: usize) {
    let set = set_of(patterns, indicator);
    LazyLock::force(&STREAM);
    bencher.counter(ItemsCount::new(EVENTS)).bench(|| run_stream(&set));
}
