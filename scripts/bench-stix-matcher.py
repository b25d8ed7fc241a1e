#!/usr/bin/env python3
"""Time the OASIS reference matcher and `tallinn stix match-batch` on the same vectors.

Usage: bench-stix-matcher.py [--vectors N] [--observations K] [--tallinn PATH] [--cases FILE]

Needs `pip install stix2-matcher==3.0.0` and a release build
(`cargo build --release`). Writes N deterministic vectors (pattern x STIX 2.1
observations: indicator-like patterns over a bundle of K observed-data, each
with an address, a domain and a file; K = 5 by default), plus
the reference test suite's cases when --cases names the file
scripts/stix-matcher-cases.py wrote; times the reference's `match()` on each
in-process, each read from its JSON line as match-batch reads it
(interpreter start-up excluded), then a `match-batch` process
over all of them (start-up included; median of three runs); checks that the answers agree and
prints both times and the ratio (docs/product.md, performance targets asks for at least 100x).
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time

from stix2matcher.matcher import MatcherException, match
from stix2patterns.pattern import ParseException


def bundle(rng, n_observations):
    objects = []
    for k in range(n_observations):
        at = f"2026-11-01T10:{k // 60:02d}:{k % 60:02d}Z"
        ip_id = f"ipv4-addr--{rng.getrandbits(32):08x}-0000-4000-8000-{k:012d}"
        dom_id = f"domain-name--{rng.getrandbits(32):08x}-0000-4000-8000-{k:012d}"
        file_id = f"file--{rng.getrandbits(32):08x}-0000-4000-8000-{k:012d}"
        objects += [
            {"type": "observed-data", "spec_version": "2.1", "id": f"observed-data--{rng.getrandbits(32):08x}-0000-4000-8000-{k:012d}",
             "created": at, "modified": at, "first_observed": at, "last_observed": at, "number_observed": 1,
             "object_refs": [ip_id, dom_id, file_id]},
            {"type": "ipv4-addr", "spec_version": "2.1", "id": ip_id, "value": f"10.0.{rng.randrange(4)}.{rng.randrange(256)}"},
            {"type": "domain-name", "spec_version": "2.1", "id": dom_id, "value": f"h{rng.randrange(50)}.example.org"},
            {"type": "file", "spec_version": "2.1", "id": file_id, "name": f"invoice_{rng.randrange(1000)}.pdf.exe",
             "size": rng.randrange(10000), "hashes": {"SHA-256": f"{rng.randrange(64):064x}"}},
        ]
    return {"type": "bundle", "id": f"bundle--{rng.getrandbits(32):08x}-0000-4000-8000-000000000000", "objects": objects}


def pattern(rng):
    ip = f"10.0.{rng.randrange(4)}.{rng.randrange(256)}"
    dom = f"h{rng.randrange(50)}.example.org"
    return rng.choice([
        f"[ipv4-addr:value = '{ip}']",
        f"[ipv4-addr:value ISSUBSET '10.0.{rng.randrange(8)}.0/24']",
        f"[domain-name:value = '{dom}' OR domain-name:value LIKE 'h{rng.randrange(9)}%']",
        f"[file:hashes.'SHA-256' = '{rng.randrange(64):064x}']",
        f"[file:name MATCHES '^invoice_{rng.randrange(10)}[0-9]*\\\\.pdf\\\\.exe$' AND file:size > {rng.randrange(10000)}]",
        f"[ipv4-addr:value = '{ip}'] FOLLOWEDBY [domain-name:value = '{dom}'] WITHIN 600 SECONDS",
        f"[domain-name:value = '{dom}'] REPEATS 2 TIMES",
        f"[ipv4-addr:value ISSUBSET '10.0.{rng.randrange(4)}.0/24'] AND [file:size < {rng.randrange(10000)}]",
    ])


def reference(vector):
    try:
        sdos = match(vector["pattern"], vector["observations"], stix_version=vector["stix_version"])
    except ParseException:
        return {"error": "parse"}
    except MatcherException:
        return {"error": "match"}
    if vector["stix_version"] == "2.1":
        return {"matched": bool(sdos), "sdo_ids": [s["objects"][0].get("id") for s in sdos]}
    return {"matched": bool(sdos), "sdo_ids": [s.get("id") for s in sdos]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=2000)
    parser.add_argument("--observations", type=int, default=5)
    parser.add_argument("--tallinn", default="target/release/tallinn")
    parser.add_argument("--cases", help="the reference suite's cases (scripts/stix-matcher-cases.py)")
    args = parser.parse_args()

    rng = random.Random(20261122)
    vectors = [{"pattern": pattern(rng), "stix_version": "2.1", "observations": [bundle(rng, args.observations)]} for _ in range(args.vectors)]
    if args.cases:
        with open(args.cases, encoding="utf-8") as f:
            # Only 2.1 cases and single-bundle inputs: the reference mutates
            # its input when it merges several bundles.
            vectors += [{k: c[k] for k in ("pattern", "stix_version", "observations")} for c in json.load(f)
                        if c["stix_version"] == "2.0" or len(c["observations"]) == 1]

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for v in vectors:
            f.write(json.dumps(v) + "\n")
        path = f.name

    # Both sides start from the same text: the reference reads each line
    # with the json module (its input is what `match()` takes), match-batch
    # reads the file. (Each line is read afresh because the reference may
    # change the objects it is given.)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    started = time.perf_counter()
    expected = [reference(json.loads(line)) for line in lines]
    python_s = time.perf_counter() - started

    # The reference runs for seconds; match-batch for a fraction of one, so
    # its time is the median of three runs (each from process start to exit).
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        with open(path, encoding="utf-8") as stdin:
            out = subprocess.run([args.tallinn, "stix", "match-batch"], stdin=stdin, capture_output=True, check=True, text=True)
        runs.append((time.perf_counter() - started, out.stdout))
    runs.sort(key=lambda run: run[0])
    rust_s = runs[1][0]
    assert all(stdout == runs[0][1] for _, stdout in runs), "match-batch answered differently from one run to the next"
    answers = [json.loads(line) for line in runs[1][1].splitlines()]

    assert len(answers) == len(vectors), f"{len(answers)} answers for {len(vectors)} vectors"
    disagree = 0
    for v, ours, theirs in zip(vectors, answers, expected):
        if "error" in theirs:
            same = ours.get("error") == theirs["error"]
        else:
            same = (ours.get("matched"), ours.get("sdo_ids")) == (theirs["matched"], theirs["sdo_ids"])
        if not same:
            disagree += 1
            if disagree <= 5:
                print(f"differs: {v['pattern']}\n  reference {theirs}\n  tallinn   {ours}", file=sys.stderr)
    matched = sum(1 for e in expected if e.get("matched"))
    print(f"{len(vectors)} vectors ({matched} match): reference {python_s:.3f} s ({len(vectors) / python_s:,.0f}/s), "
          f"match-batch {rust_s:.3f} s ({len(vectors) / rust_s:,.0f}/s; runs {' '.join(f'{t:.3f}' for t, _ in runs)}), "
          f"{python_s / rust_s:.0f}x; {disagree} disagree")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
