//! docs/product.md: performance targets: 100,000 needs x 10,000 pledges in <= 5 s.
//!
//!     cargo bench -p tallinn-allocate --bench allocate
//!
//! One benchmark per instance shape (`tallinn_allocate::generate`): the
//! friendly instance the engine was first tuned on, which compresses well,
//! and three built to defeat compression (threat factors per need,
//! preferences on every pledge, all-or-nothing needs). Each prints its
//! classes, arcs, objective and gap; peak memory (VmHWM) is printed after
//! the run. `TALLINN_BENCH_SHAPE=threats` runs one shape alone (so that its
//! peak memory is its own), `TALLINN_BENCH_SIZE=20000x2000` another size.

use std::sync::LazyLock;

use tallinn_allocate::generate::{Shape, instance};
use tallinn_allocate::{Instance, allocate};

fn main() {
    divan::main();
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        eprintln!("peak memory of the benchmark process: {}", line.trim_start_matches("VmHWM:").trim());
    }
}

/// (needs, pledges): 100,000 × 10,000, or `TALLINN_BENCH_SIZE`.
fn size() -> (usize, usize) {
    let given = std::env::var("TALLINN_BENCH_SIZE").ok();
    let parsed = given.as_deref().and_then(|s| s.split_once('x')).and_then(|(n, p)| Some((n.parse().ok()?, p.parse().ok()?)));
    parsed.unwrap_or((100_000, 10_000))
}

fn selected(shape: Shape) -> bool {
    std::env::var("TALLINN_BENCH_SHAPE").map_or(true, |s| s == shape.name())
}

fn run(bencher: divan::Bencher, shape: Shape, instance: &LazyLock<Instance>) {
    if !selected(shape) {
        return;
    }
    let inst = LazyLock::force(instance);
    bencher.bench(|| {
        let sol = allocate(inst).expect("solves");
        eprintln!(
            "{}: objective {} | bound {} | gap {:.2e} | pairs {} | classes {} needs x {} pledges | arcs {} | {:.2} s",
            shape.name(),
            sol.objective,
            sol.upper_bound,
            sol.gap,
            sol.stats.pairs,
            sol.stats.need_classes,
            sol.stats.pledge_classes,
            sol.stats.arcs,
            sol.stats.seconds
        );
        sol
    });
}

static FRIENDLY: LazyLock<Instance> = LazyLock::new(|| instance(Shape::Friendly, size().0, size().1, 2025));
static THREATS: LazyLock<Instance> = LazyLock::new(|| instance(Shape::Threats, size().0, size().1, 2026));
static PREFERENCES: LazyLock<Instance> = LazyLock::new(|| instance(Shape::Preferences, size().0, size().1, 2027));
static LUMPY: LazyLock<Instance> = LazyLock::new(|| instance(Shape::Lumpy, size().0, size().1, 2028));

#[divan::bench(sample_count = 3, sample_size = 1)]
fn friendly_100k_needs_10k_pledges(bencher: divan::Bencher) {
    run(bencher, Shape::Friendly, &FRIENDLY);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn threats_100k_needs_10k_pledges(bencher: divan::Bencher) {
    run(bencher, Shape::Threats, &THREATS);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn preferences_100k_needs_10k_pledges(bencher: divan::Bencher) {
    run(bencher, Shape::Preferences, &PREFERENCES);
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn lumpy_100k_needs_10k_pledges(bencher: divan::Bencher) {
    run(bencher, Shape::Lumpy, &LUMPY);
}
