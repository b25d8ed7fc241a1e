#!/usr/bin/env bash
# Detection benchmark (docs/product.md: performance targets): INDICATORS
# indicators (45 % IPv4 equality, 20 % domain equality, 25 % SHA-256 equality,
# 10 % CIDR) × EVENTS Suricata EVE lines (flow, dns, http, tls, fileinfo; one
# event in a hundred carries an indicator's value) read from a file, everything
# counted — reading, parsing, matching, writing the sightings — and, in the
# same run, ripgrep's fixed-string search of the same values over the same
# file (`rg -F -c -f values.txt eve.json`), which is what an analyst does by
# hand. Usage: scripts/bench-detect.sh [INDICATORS] [EVENTS]
set -euo pipefail
indicators=${1:-100000}
events=${2:-1000000}
cd "$(dirname "$0")/.."
command -v rg >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep >/dev/null; }
cargo build --release --locked -q
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$indicators" "$events" <<'PY'
import json, random, sys
d, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(20261205)
def ip(x): return f"10.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}"
values, objects = [], []
for i in range(n):
    r = rng.getrandbits(48); k = i % 20
    if k < 9: v = ip(r); p = f"[ipv4-addr:value = '{v}']"
    elif k < 13: v = f"h{r % 10**9}.example.org"; p = f"[domain-name:value = '{v}']"
    elif k < 18: v = f"{r:064x}"; p = f"[file:hashes.'SHA-256' = '{v}']"
    else: v = f"172.{r & 255}.{(r >> 8) & 255}."; p = f"[ipv4-addr:value ISSUBSET '{v}0/24']"
    values.append(v)
    objects.append({"type": "indicator", "spec_version": "2.1", "id": f"indicator--{i:08x}-0000-4000-8000-000000000000", "created": "2026-01-01T00:00:00Z",
                    "modified": "2026-01-01T00:00:00Z", "pattern": p, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
with open(f"{d}/indicators.json", "w") as f:
    json.dump({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects}, f)
with open(f"{d}/values.txt", "w") as f:
    f.write("\n".join(values) + "\n")
with open(f"{d}/eve.json", "w") as f:
    for i in range(m):
        r = rng.getrandbits(40); hit = i % 100 == 0; hv = values[r % n] if hit else None
        src = f"192.168.{(r >> 8) & 255}.{r & 255}"
        dst = hv if hit and hv[0].isdigit() and hv.count(".") == 3 and not hv.endswith(".") else f"198.18.{(r >> 16) & 255}.{(r >> 24) & 255}"
        ts = f"2026-11-{1 + i % 28:02d}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000000:06d}+0000"
        e = {"timestamp": ts, "flow_id": i, "in_iface": "eth0", "event_type": "flow", "src_ip": src, "src_port": 1024 + r % 60000, "dest_ip": dst, "dest_port": 443, "proto": "TCP"}
        kind = i % 5
        if kind == 1:
            e["event_type"] = "dns"; e["dest_port"] = 53; e["proto"] = "UDP"
            name = hv if hit and hv.startswith("h") else f"www{r % 100000}.example.net"
            e["dns"] = {"version": 2, "type": "answer", "id": r & 65535, "rrname": name, "rrtype": "A", "rcode": "NOERROR", "answers": [{"rrname": name, "rrtype": "A", "ttl": 300, "rdata": f"203.0.113.{r & 255}"}]}
        elif kind == 2:
            e["event_type"] = "http"; e["dest_port"] = 80; e["app_proto"] = "http"
            e["http"] = {"hostname": f"cdn{r % 5000}.example.com", "url": f"/assets/{r % 100000}.js", "http_user_agent": "Mozilla/5.0", "http_method": "GET", "protocol": "HTTP/1.1", "status": 200, "length": r % 50000}
        elif kind == 3:
            e["event_type"] = "tls"; e["app_proto"] = "tls"
            e["tls"] = {"subject": f"CN=svc{r % 1000}.example.com", "issuerdn": "CN=Example CA", "sni": f"svc{r % 1000}.example.com", "version": "TLS 1.3"}
        elif kind == 4:
            e["event_type"] = "fileinfo"; e["app_proto"] = "http"
            sha = hv if hit and len(hv) == 64 else f"{r:064x}"
            e["fileinfo"] = {"filename": f"/d/{r % 1000}.bin", "state": "CLOSED", "sha256": sha, "stored": False, "size": r % 100000, "tx_id": 0}
        else:
            e["flow"] = {"pkts_toserver": 3, "pkts_toclient": 2, "bytes_toserver": 300, "bytes_toclient": 200, "start": ts, "end": ts, "age": 0, "state": "closed", "reason": "timeout", "alerted": False}
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
size=$(du -m "$dir/eve.json" | cut -f1)
echo "$indicators indicators, $events EVE lines ($size MB)"
rss_before=$( { /usr/bin/time -f '%M' target/release/tallinn detect --indicators "$dir/indicators.json" --input /dev/null --quiet >/dev/null; } 2>&1 | tail -n 1 || echo 0)
start=$(date +%s.%N)
/usr/bin/time -f 'detect peak RSS %M KiB' target/release/tallinn detect --indicators "$dir/indicators.json" --input "$dir/eve.json" --output "$dir/sightings.json" 2>"$dir/detect.err"
end=$(date +%s.%N)
cat "$dir/detect.err"
rg_start=$(date +%s.%N)
rg -F -c -f "$dir/values.txt" "$dir/eve.json" >/dev/null || true
rg_end=$(date +%s.%N)
python3 - "$start" "$end" "$rg_start" "$rg_end" "$events" "$(wc -l < "$dir/sightings.json")" <<'PY'
import sys
s, e, rs, re_, n, sightings = map(float, sys.argv[1:7])
d, r = e - s, re_ - rs
print(f"tallinn detect: {d:.2f} s wall, everything counted ({n / d:,.0f} events/s), {int(sightings)} sightings")
print(f"rg -F -c -f values.txt: {r:.2f} s; detect is {r / d:.1f}x ripgrep")
PY
echo "(indicators loaded alone, no events: peak RSS ${rss_before} KiB)"
