#!/usr/bin/env python3
"""The allocation engine side by side with the HiGHS LP solver (highspy, from
PyPI; a script, not a dependency of Tallinn), on generated instances small
enough for a general LP solver: the same objective to 1e-9 relative, and
both times.

    cargo build --release -p tallinn --example generate -p tallinn-allocate
    pip install highspy
    python3 scripts/bench-allocate-highs.py [--needs 3000] [--pledges 300] [--seeds 1]

For each shape (tallinn_allocate::generate) the instance is written by the
`generate` example, solved by `tallinn allocate --input` (its own reported
solve time, and the wall time of the process), and the same LP is built for
HiGHS: a variable per admissible (pledge, need) pair, maximise
sum(score x) subject to each pledge's balance and each need's remainder.
All-or-nothing needs are relaxed on both sides (the engine's `upper_bound`
is its LP optimum)."""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GENERATE = ROOT / "target/release/examples/generate"
TALLINN = ROOT / "target/release/tallinn"
WEIGHT = {"critical": 8.0, "high": 4.0, "medium": 2.0, "low": 1.0}


def cents(text):
    units, _, frac = text.partition(".")
    return int(units) * 100 + int((frac + "00")[:2])


def admits(p, n):
    return ((n.get("donors") is None or p["donor"] in n["donors"])
            and (not p["capabilities"] or n["capability"] in p["capabilities"])
            and (not p["sectors"] or n["sector"] in p["sectors"])
            and (not p["beneficiaries"] or n["beneficiary"] in p["beneficiaries"]))


def score(inst, p, n):
    weights = inst.get("weights") or WEIGHT
    pref = p["preferences"].get(n["id"], p["preferences"].get(n["beneficiary"], 1.0))
    return weights[n["urgency"]] * (n.get("threat_factor") or 1.0) * pref


def highs(inst):
    needs, pledges = inst["needs"], inst["pledges"]
    started = time.perf_counter()
    cols, costs, rows_p, rows_n = [], [], [], []
    for j, p in enumerate(pledges):
        for i, n in enumerate(needs):
            if admits(p, n):
                costs.append(score(inst, p, n))
                rows_p.append(j)
                rows_n.append(len(pledges) + i)
    k = len(costs)
    lp = highspy.HighsLp()
    lp.num_col_ = k
    lp.num_row_ = len(pledges) + len(needs)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.array(costs, dtype=np.float64)
    lp.col_lower_ = np.zeros(k)
    lp.col_upper_ = np.full(k, highspy.kHighsInf)
    lp.row_lower_ = np.full(lp.num_row_, -highspy.kHighsInf)
    lp.row_upper_ = np.array([cents(p["balance_eur"]) / 100 for p in pledges] + [cents(n["remainder_eur"]) / 100 for n in needs], dtype=np.float64)
    # Column-wise: each pair is in its pledge's row and its need's row.
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * k + 1, 2, dtype=np.int32)
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2] = rows_p
    index[1::2] = rows_n
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = np.ones(2 * k)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    built = time.perf_counter()
    h.run()
    solved = time.perf_counter()
    return h.getInfo().objective_function_value, built - started, solved - built, k


def tallinn(path):
    started = time.perf_counter()
    out = subprocess.run([str(TALLINN), "allocate", "--input", str(path)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    solution = json.loads(out.stdout)
    return float(solution["upper_bound"]), solution["stats"]["seconds"], wall, solution["stats"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--needs", type=int, default=3000)
    ap.add_argument("--pledges", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--shapes", default="friendly,threats,preferences,lumpy")
    args = ap.parse_args()
    for exe in (GENERATE, TALLINN):
        if not exe.exists():
            sys.exit(f"{exe} is missing: cargo build --release -p tallinn && cargo build --release -p tallinn-allocate --example generate")
    worst = 0.0
    print("| shape | seed | pairs (LP columns) | Tallinn objective | HiGHS objective | relative difference | Tallinn solve (process) | HiGHS build + solve |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for shape in args.shapes.split(","):
            for seed in range(args.seeds):
                path = Path(d) / f"{shape}-{seed}.json"
                path.write_text(subprocess.run([str(GENERATE), shape, str(args.needs), str(args.pledges), str(seed)], capture_output=True, text=True, check=True).stdout)
                inst = json.loads(path.read_text())
                ours, solve_s, wall_s, _ = tallinn(path)
                theirs, build_s, highs_s, k = highs(inst)
                rel = abs(ours - theirs) / max(abs(theirs), 1.0)
                worst = max(worst, rel)
                print(f"| {shape} | {seed} | {k:,} | {ours:,.2f} | {theirs:,.2f} | {rel:.1e} | {solve_s:.3f} s ({wall_s:.3f} s) | {build_s:.3f} + {highs_s:.3f} s |")
    print(f"\nlargest relative difference: {worst:.1e}")
    if worst > 1e-9:
        sys.exit("the objectives differ by more than 1e-9 relative")


if __name__ == "__main__":
    main()
