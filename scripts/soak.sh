#!/usr/bin/env bash
# A soak (docs/operations.md), on demand, not in CI: `tallinn serve --demo`
# on SQLite under mixed load — needs lists and single needs read as a donor,
# TAXII object pages, pledges written (one request in ten) — first at full
# speed for 15 s to measure capacity, then for MINUTES (default 10) at 70 % of
# it. Prints the requests, every answer of 500 or more (there must be none),
# answers 400-499 (reads of needs the donor may not see: 404, as designed)
# and the server's resident memory at the start and each minute.
# Needs wrk and curl (apt-get install wrk curl).
# Usage: scripts/soak.sh [MINUTES]
set -euo pipefail
minutes=${1:-10}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl >/dev/null; }
cargo build --release --locked -q
dir=$(mktemp -d)
bin="$PWD/target/release/tallinn"
port=8097
(cd "$dir" && exec "$bin" serve --demo --listen 127.0.0.1:$port 2>"$dir/serve.log") &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$("$bin" --database "sqlite://$dir/tallinn.db" token create demo.donor 2>/dev/null)
analyst=$("$bin" --database "sqlite://$dir/tallinn.db" token create demo.analyst 2>/dev/null)
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

cat >"$dir/mixed.lua" <<LUA
-- One request in ten writes a pledge; the rest read needs (lists and
-- single) as a donor, and TAXII pages as an analyst. Answers of 500 or
-- more are counted.
local n, errors, pace = 0, 0, tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local taxii = "/taxii2/tallinn/collections/community/objects/?limit=50"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
function request()
  n = n + 1
  local k = n % 10
  if k == 0 then
    return wrk.format("POST", "/api/v1/pledges", nil, '{"donor": "EE", "title": "Soak ' .. n .. '", "amount": "10.00", "pledged_on": "2026-10-01", "tlp": "green"}')
  elseif k <= 5 then
    return wrk.format("GET", "/api/v1/needs?limit=100")
  elseif k <= 7 then
    return wrk.format("GET", "/api/v1/needs/N-" .. (1 + n % 200))
  else
    return wrk.format("GET", taxii, {["Accept"] = "application/taxii+json;version=2.1", ["Authorization"] = "Bearer $analyst"})
  end
end
function response(status)
  if status >= 500 then errors = errors + 1
  elseif status >= 400 then refused = refused + 1; last_refused = status end
end
function delay() return pace end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary)
  local total, refused, last = 0, 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("errors"); refused = refused + t:get("refused"); last = math.max(last, t:get("last_refused"))
  end
  io.write(string.format("answers of 500 or more: %d\n", total))
  io.write(string.format("answers 400-499: %d (the last: %d)\n", refused, last))
end
LUA
# Each thread's counter is read back in done(): make it global to the thread.
sed -i 's/^local n, errors, pace/n, errors, pace/' "$dir/mixed.lua"
sed -i 's/^function request()/refused, last_refused = 0, 0\nfunction request()/' "$dir/mixed.lua"

echo "== capacity: 15 s, 32 connections, no pause =="
capacity=$(wrk -t2 -c32 -d15s -s "$dir/mixed.lua" "http://127.0.0.1:$port" | tee "$dir/capacity.txt" | awk '/Requests\/sec/ {print $2}')
cat "$dir/capacity.txt" | grep -E "Requests/sec|Latency|answers|Non-2xx"
# 32 connections each pausing so that together they send about 70 % of
# capacity: a first guess, tried for 10 s, then corrected by what a request
# took at that load (each connection's cycle is its pause plus that time).
target=$(python3 -c "print(round(float('$capacity') * 0.7))")
pace=$(python3 -c "print(max(1, int(32 * 1000 / float('$target'))))")
tried=$(SOAK_DELAY_MS=$pace wrk -t2 -c32 -d10s -s "$dir/mixed.lua" "http://127.0.0.1:$port" | awk '/Requests\/sec/ {print $2}')
pace=$(python3 -c "t=float('$target'); took=32000/float('$tried') - $pace; print(max(1, round(32000/t - took)))")
echo "== soak: $minutes min at about $target requests/s (pause $pace ms per connection) =="
echo "resident memory at the start: $(rss) KiB"
( for m in $(seq 1 "$minutes"); do sleep 60; echo "after $m min: $(rss) KiB"; done ) &
sampler=$!
SOAK_DELAY_MS=$pace wrk -t2 -c32 -d"${minutes}m" --timeout 10s -s "$dir/mixed.lua" "http://127.0.0.1:$port" | grep -E "requests in|Requests/sec|Latency|answers|Non-2xx|Socket errors"
wait "$sampler" 2>/dev/null || true
echo "resident memory at the end: $(rss) KiB"
grep -c " ERROR " "$dir/serve.log" | sed 's/^/server errors logged: /' || true
