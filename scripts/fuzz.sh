#!/usr/bin/env bash
# Runs every cargo-fuzz target of the threat exchange for SECONDS each
# (default 60) and prints each one's executions. CI runs it briefly; run it
# longer on demand (docs/fuzzing.md). The committed seeds are read from
# fuzz/seeds/TARGET; what libFuzzer finds goes to fuzz/corpus/TARGET (not
# committed); a crash leaves its input in fuzz/artifacts/TARGET and fails.
#
# The machine has one stable toolchain: cargo-fuzz's nightly flags are
# allowed on it with RUSTC_BOOTSTRAP=1.
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/../crates/tallinn-stix"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
cargo fuzz build --release 2>&1 | tail -n 1
status=0
for target in $(cargo fuzz list); do
    mkdir -p "fuzz/corpus/$target"
    log=$(mktemp)
    if cargo fuzz run --release "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
        echo "fuzz $target: ${runs:-?} executions in ${seconds} s, no failure"
    else
        echo "fuzz $target: FAILED"
        grep -E 'panicked|ERROR|SUMMARY|artifact' "$log" | head -n 20
        status=1
    fi
    rm -f "$log"
done
exit "$status"
