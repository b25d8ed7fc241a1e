#!/usr/bin/env bash
# Servers on one PostgreSQL, with and without nginx in front (docs/benchmarks.md,
# docs/operations.md), on demand, not in CI. For each of three set-ups — one
# `tallinn serve` reached directly, one behind nginx, three behind nginx — a fresh
# database with the demo data, then:
#   - TAXII: 20,000 objects posted in envelopes of 1,000 with HTTP Basic (objects/s),
#     the first page's latency, and requests/s over 4 connections with Basic (the
#     taxii benchmark's external mode, `cargo bench -p tallinn --bench taxii`);
#   - TAXII first page with a Bearer token over 4, 16 and 32 connections (wrk);
#   - the API's needs page as a donor over 4 and 32 connections (wrk).
# Needs wrk, nginx and curl (apt-get install wrk nginx curl).
# Usage: scripts/bench-cluster.sh [POSTGRES_URL]   (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
admin=${1:-postgres://postgres@127.0.0.1:5432/postgres}
cd "$(dirname "$0")/.."
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx curl >/dev/null
  }
done
nginx=$(PATH="$PATH:/usr/sbin" command -v nginx)
cargo build --release --locked -q
cargo bench -p tallinn --bench taxii --no-run -q 2>/dev/null
bin="$PWD/target/release/tallinn"
dir=$(mktemp -d)
# nginx's workers (www-data) keep large request bodies in its temporary folders here.
chmod 755 "$dir"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$dir"' EXIT
db_url="${admin%/*}/tallinn_bench_cluster"
password="a benchmark password"
objects=20000

ready() { for _ in $(seq 1 150); do curl -sf "$1/readyz" >/dev/null && return 0; sleep 0.2; done; echo "$1 did not become ready" >&2; exit 1; }

# nginx in front of the given ports, on port 8120 (the set-up of docs/operations.md).
start_nginx() {
  local servers=""
  for p in "$@"; do servers+="    server 127.0.0.1:$p max_fails=1 fail_timeout=30s;"$'\n'; done
  mkdir -p "$dir/nginx"
  cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_max_body_size 64m;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  upstream tallinn {
$servers    keepalive 64;
  }
  server {
    listen 127.0.0.1:8120;
    location / {
      proxy_pass http://tallinn;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 1s;
    }
  }
}
CONF
  "$nginx" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g "daemon off;" 2>>"$dir/nginx/stderr" &
  pids+=($!)
}

rps() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }

measure() {
  local label=$1 nodes=$2 proxied=$3
  psql -q "$admin" -c "DROP DATABASE IF EXISTS tallinn_bench_cluster" -c "CREATE DATABASE tallinn_bench_cluster" >/dev/null
  "$bin" --database "$db_url" init --demo >/dev/null 2>&1
  printf '%s\n' "$password" | "$bin" --database "$db_url" user add bench.analyst --org UA --role analyst --password-stdin >/dev/null
  local donor analyst
  donor=$("$bin" --database "$db_url" token create demo.donor 2>/dev/null)
  analyst=$("$bin" --database "$db_url" token create bench.analyst 2>/dev/null)
  local ports=()
  for n in $(seq 1 "$nodes"); do
    local port=$((8110 + n))
    "$bin" --database "$db_url" serve --listen "127.0.0.1:$port" --trusted-proxy 127.0.0.1 2>>"$dir/serve-$port.log" &
    pids+=($!)
    ports+=("$port")
    ready "http://127.0.0.1:$port"
  done
  local base="http://127.0.0.1:${ports[0]}"
  if [ "$proxied" = yes ]; then
    start_nginx "${ports[@]}"
    base="http://127.0.0.1:8120"
    ready "$base"
  fi
  local objects_url="$base/taxii2/tallinn/collections/community/objects/"
  # | objects | ingest | median | p99 | Basic req/s | url |
  local taxii
  taxii=$(TALLINN_BENCH_URL="$objects_url" TALLINN_BENCH_BASIC="bench.analyst:$password" TALLINN_BENCH_INGEST=$objects \
    cargo bench -q -p tallinn --bench taxii 2>"$dir/bench.log" | grep "^| $objects ") || { cat "$dir/bench.log" >&2; exit 1; }
  local ingest median p99 basic
  ingest=$(echo "$taxii" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
  median=$(echo "$taxii" | awk -F'|' '{gsub(/^ +| +$/,"",$4); print $4}')
  p99=$(echo "$taxii" | awk -F'|' '{gsub(/^ +| +$/,"",$5); print $5}')
  basic=$(echo "$taxii" | awk -F'|' '{split($6,a," "); printf "%.0f", a[1]}')
  local accept="Accept: application/taxii+json;version=2.1"
  local b4 b16 b32 a4 a32
  b4=$(wrk -t2 -c4 -d10s -H "$accept" -H "Authorization: Bearer $analyst" "$objects_url?limit=100" | rps)
  b16=$(wrk -t2 -c16 -d10s -H "$accept" -H "Authorization: Bearer $analyst" "$objects_url?limit=100" | rps)
  b32=$(wrk -t2 -c32 -d10s -H "$accept" -H "Authorization: Bearer $analyst" "$objects_url?limit=100" | rps)
  a4=$(wrk -t2 -c4 -d10s -H "Authorization: Bearer $donor" "$base/api/v1/needs?limit=100" | rps)
  a32=$(wrk -t2 -c32 -d10s -H "Authorization: Bearer $donor" "$base/api/v1/needs?limit=100" | rps)
  echo "| $label | $ingest | $median ($p99) | $b4 / $b16 / $b32 | $basic | $a4 / $a32 |"
  stop_all
}

echo "| set-up | TAXII ingest, objects/s (Basic) | TAXII first page, median (p99) | TAXII req/s, Bearer, 4 / 16 / 32 connections | TAXII req/s, Basic, 4 connections | API needs page req/s, 4 / 32 connections |"
echo "|---|---:|---:|---:|---:|---:|"
measure "one server, direct" 1 no
measure "one server behind nginx" 1 yes
measure "three servers behind nginx" 3 yes
