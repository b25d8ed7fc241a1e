#!/usr/bin/env bash
# TAXII 2.1 side by side (docs/product.md: performance targets: ≥ 20× the OASIS reference server): OASIS
# medallion 3.0.0 with its memory backend, installed from PyPI into a
# throw-away virtualenv, receives the same indicators as Tallinn's own
# benchmark (same envelopes of 1,000, same TLP mix) and answers the same
# `GET objects?limit=100` requests from the same load generator
# (crates/tallinn/benches/taxii.rs). Then Tallinn's own run at the same sizes.
#
#     scripts/bench-taxii-medallion.sh                # 1,000 and 10,000 objects
#     SIZES=1000,10000,20000 scripts/bench-taxii-medallion.sh
#
# medallion's memory backend copies the whole collection on every read and
# scans it for every object posted, so sizes beyond tens of thousands take
# hours there; medallion runs as it ships (Flask's threaded server).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-1000,10000}
port=${MEDALLION_PORT:-5055}
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q medallion==3.0.0
cargo build -q --release -p tallinn --benches

collection="9ee8a2c4-3b6e-4c1a-9d0e-6b1f3c2d4e5f"
cat > "$work/config.json" <<JSON
{
  "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": "$work/data.json"},
  "users": {"bench": "benchmark password"},
  "taxii": {"max_page_size": 100}
}
JSON

echo "| objects | ingest (objects/s) | first page, median | first page, p99 | requests/s | server |"
echo "|---:|---:|---:|---:|---:|---|"
for size in ${sizes//,/ }; do
    # A fresh, empty collection for each size.
    cat > "$work/data.json" <<JSON
{
  "/discovery": {"title": "medallion", "default": "http://127.0.0.1:$port/api1/", "api_roots": ["http://127.0.0.1:$port/api1/"]},
  "api1": {
    "information": {"title": "bench", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 104857600},
    "status": [],
    "collections": [{"id": "$collection", "title": "bench", "can_read": true, "can_write": true,
                     "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}]
  }
}
JSON
    "$work/venv/bin/medallion" --host 127.0.0.1 --port "$port" --log-level ERROR "$work/config.json" >"$work/medallion.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    TALLINN_BENCH_URL="http://127.0.0.1:$port/api1/collections/$collection/objects/" \
    TALLINN_BENCH_BASIC="bench:benchmark password" TALLINN_BENCH_INGEST="$size" \
        cargo bench -q -p tallinn --bench taxii | sed -n '/^|/p' | sed 's/(Basic) | http[^|]*|/| medallion 3.0.0 (memory) |/'
    kill "$server"
    wait "$server" 2>/dev/null || true
done

echo
echo "Tallinn on SQLite, same objects and requests:"
TALLINN_BENCH_SIZES="$sizes" cargo bench -q -p tallinn --bench taxii | sed -n '/^|/p'
