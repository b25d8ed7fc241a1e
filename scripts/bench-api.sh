#!/usr/bin/env bash
# docs/product.md: performance targets API target: GET /api/v1/needs?limit=100 as a donor on SQLite with the
# demo data. Needs wrk (apt-get install wrk). Run from the repository root:
#   scripts/bench-api.sh
set -euo pipefail
cargo build --release -q
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
bin="$PWD/target/release/tallinn"
(cd "$dir" && exec "$bin" serve --demo --listen 127.0.0.1:8089 2>"$dir/serve.log") &
server=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:8089/readyz >/dev/null && break; sleep 0.2; done
token=$("$bin" --database "sqlite://$dir/tallinn.db" token create demo.donor 2>/dev/null)
url="http://127.0.0.1:8089/api/v1/needs?limit=100"
echo "== saturation (32 connections) =="
wrk -t2 -c32 -d15s --latency -H "Authorization: Bearer $token" "$url" | grep -E "Requests/sec|50%|99%"
echo "== light load (4 connections) =="
wrk -t2 -c4 -d15s --latency -H "Authorization: Bearer $token" "$url" | grep -E "Requests/sec|50%|99%"
# The same page as a coordinator, who reads every need: its AMBER and RED
# ones (18 of the demo's first 100) are written to the access log before
# each answer (ADR 0025: concurrent readers share one commit).
coordinator=$("$bin" --database "sqlite://$dir/tallinn.db" token create demo.coordinator 2>/dev/null)
echo "== saturation as a coordinator, with logged reads (32 connections) =="
wrk -t2 -c32 -d15s --latency -H "Authorization: Bearer $coordinator" "$url" | grep -E "Requests/sec|50%|99%"
