"""How the size of the flow's component groups changes its time, on a tenth of Liaoning.

Builds the tenth's pair table once (``bench_assign.scenario("tenth")``), then solves the
same flow with components packed into groups of up to 4,000,000 pairs (the old setting)
and up to 500,000 (now), twice each in alternation, in one process so the ratio is fair
on a shared machine. Prints status, firms covered, total metres and seconds per solve.

Usage: python benchmarks/flow_groups.py
"""

from __future__ import annotations

import time

from bench_assign import scenario

from assign.candidates import build_candidates
from assign.io.scenario import load_scenario
from assign.solvers import flow
from assign.solvers.coverage import priority_ranks, scaled


def main() -> None:
    sc = load_scenario(scenario("tenth"))
    cand = build_candidates(sc, with_load=False)
    cost = scaled(cand.cost, 1000)
    n = len(sc.firms)
    ranks = priority_ranks(sc.firms["priority"].to_numpy())
    cap = flow.count_capacity(sc.cadres["max_firms"].to_numpy(float), n)
    for size in (4_000_000, 500_000, 4_000_000, 500_000):
        flow.GROUP_PAIRS = size
        groups = flow.pair_groups(cand.cadre, cand.firm, len(cap), n)
        t = time.perf_counter()
        chosen, status = flow.solve_flow(cand.cadre, cand.firm, cost, cap, ranks)
        print(f"groups of <= {size:,} pairs ({len(groups)} groups): {status}, "
              f"{len(chosen):,} covered, {int(cost[chosen].sum()):,} m, "
              f"{time.perf_counter() - t:.1f} s", flush=True)


if __name__ == "__main__":
    main()
