"""The count-limited flow without big-M costs against the earlier reward encoding.

Generates a twentieth of Liaoning (1,300 cadres x 127,500 firms, same density of cadres,
two priority levels as generated), builds its pair table once, then solves the same flow
with ``flow.ENCODING = "reward"`` (each firm's uncovered arc at a coverage reward of about
2 min(m, n) times the cost range) and ``"levels"`` (no reward: a maximum flow of least cost
for one level; level counts by maximum flow, then a min-cost flow with each level's supply
fixed, for several), alternating, in one process so that the ratio is fair on a shared
machine. Each is timed on the whole table as one flow and on the default component
groups, with the scenario's two priority levels and with every firm at one level, then
the province method (``solve_priced``, forced at this scale) once with each. Every pair of
solves must agree on the firms covered per level and the total metres.

Times are CPU seconds of this process (``time.process_time``; OR-Tools' flows run on one
thread): on a machine shared with other work the wall time mostly measures the load.

Usage: python benchmarks/flow_encoding.py [--repeat N] [--scale twentieth|tenth]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_assign import SCALES, scenario

from assign.candidates import build_candidates
from assign.io.scenario import load_scenario
from assign.solvers import flow
from assign.solvers.coverage import priority_ranks, scaled
from assign.solvers.priced import solve_priced

SCALES.setdefault("twentieth", {"cadres": 1_300, "firms": 127_500, "spread_km": 10.0 / 2**0.5})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--scale", default="twentieth")
    ap.add_argument("--parts", default="flow,priced", help="flow, priced or both")
    args = ap.parse_args()
    sc = load_scenario(scenario(args.scale))
    cand = build_candidates(sc, with_load=False)
    cost = scaled(cand.cost, 1000)
    n = len(sc.firms)
    cap = flow.count_capacity(sc.cadres["max_firms"].to_numpy(float), n)
    two = priority_ranks(sc.firms["priority"].to_numpy())
    print(f"{args.scale}: {len(cap):,} cadres, {n:,} firms, {len(cost):,} pairs; "
          f"firms per level {np.bincount(two).tolist()}", flush=True)
    ratios: dict[str, list[float]] = {}
    cases = (("two levels", two), ("one level", np.zeros(n, np.int64)))
    for levels, ranks in cases if "flow" in args.parts else ():
        for grouping, size in (("one flow", 10**12), ("groups", flow.GROUP_PAIRS)):
            default = flow.GROUP_PAIRS
            flow.GROUP_PAIRS = size
            groups = len(flow.pair_groups(cand.cadre, cand.firm, len(cap), n))
            for _ in range(args.repeat):
                seconds, results = {}, {}
                for enc in ("reward", "levels"):
                    flow.ENCODING = enc
                    t, w = time.process_time(), time.perf_counter()
                    chosen, status = flow.solve_flow(cand.cadre, cand.firm, cost, cap, ranks)
                    seconds[enc] = time.process_time() - t
                    wall = time.perf_counter() - w
                    per = np.bincount(ranks[cand.firm[chosen]], minlength=int(ranks.max()) + 1)
                    results[enc] = (status, per.tolist(), int(cost[chosen].sum()))
                    print(f"  {levels}, {grouping} ({groups} groups), {enc}: {status}, covered "
                          f"per level {per.tolist()}, {results[enc][2]:,} m, "
                          f"{seconds[enc]:.2f} s CPU ({wall:.2f} s wall)", flush=True)
                assert results["reward"] == results["levels"], results
                key = f"{levels}, {grouping}"
                ratios.setdefault(key, []).append(seconds["levels"] / seconds["reward"])
            flow.GROUP_PAIRS = default
    priced: dict[str, float] = {}
    found = {}
    for enc in ("reward", "levels") if "priced" in args.parts else ():
        flow.ENCODING = enc
        t, w = time.process_time(), time.perf_counter()
        res = solve_priced(sc)
        priced[enc] = time.process_time() - t
        chosen = res.chosen
        km = float(res.candidates.distance_km[chosen].sum())
        found[enc] = (res.status, len(chosen), int(scaled(res.candidates.cost[chosen], 1000).sum()))
        print(f"  province method, {enc}: {res.status}, {len(chosen):,} covered, "
              f"{found[enc][2]:,} m ({km:,.3f} km), "
              f"{res.rounds} rounds, {priced[enc]:.2f} s CPU ({time.perf_counter() - w:.2f} s "
              "wall)", flush=True)
    if found:
        (sa, ca, ka), (sb, cb, kb) = found.values()
        assert sa == sb == "optimal" and ca == cb and ka == kb, found  # the same metres
        ratios["province method (solve_priced)"] = [priced["levels"] / priced["reward"]]
    flow.ENCODING = "levels"
    print("CPU time without big-M / CPU time with the reward (lower is better):")
    for key, r in ratios.items():
        print(f"  {key}: " + ", ".join(f"{x:.2f}" for x in r))


if __name__ == "__main__":
    main()
