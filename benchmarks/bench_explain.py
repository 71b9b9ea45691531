"""Speed of ``explain`` on the flow path: Yifeng (192 firms, K = 3) and a 10,000-firm plan.

Targets (issue 9): Yifeng well under a second; 10,000 firms under 30 s. The peer is the
naive method, one min-cost-flow re-solve per alternative (pair pinned); it is timed on a
sample of alternatives and scaled to all of them, so the ratio says what the certificate
saves.

Usage: python benchmarks/bench_explain.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from assign import generate_scenario, load_scenario, solve  # noqa: E402
from assign.candidates import build_candidates  # noqa: E402
from assign.insight.explain import explain  # noqa: E402
from assign.solve import cost_units  # noqa: E402
from assign.solvers.coverage import priority_ranks  # noqa: E402
from assign.solvers.flow import count_capacity, solve_flow  # noqa: E402


def naive_seconds_per_alternative(scenario, pairing, sample: int, seed: int = 0) -> float:
    """Seconds of one pinned flow re-solve, averaged over ``sample`` random alternatives."""
    cand = build_candidates(scenario, with_load=False)
    cost = cost_units(cand.cost)[0]
    cap = count_capacity(scenario.cadres["max_firms"].to_numpy(float), len(scenario.firms))
    ranks = priority_ranks(scenario.firms["priority"].to_numpy())
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(cand), size=min(sample, len(cand)), replace=False)
    t0 = time.perf_counter()
    for p in picks.tolist():
        keep = (cand.firm != cand.firm[p]) | (np.arange(len(cand)) == p)
        solve_flow(cand.cadre[keep], cand.firm[keep], cost[keep], cap, ranks)
    return (time.perf_counter() - t0) / len(picks)


def measure(scenario, label: str, sample: int) -> dict:
    pairing = solve(scenario)
    t0 = time.perf_counter()
    ex = explain(scenario, pairing, top=3)
    seconds = time.perf_counter() - t0
    n_alts = int(ex.alternatives["admissible"].sum())
    per = naive_seconds_per_alternative(scenario, pairing, sample)
    return {"scenario": label, "firms": len(scenario.firms), "cadres": len(scenario.cadres),
            "covered": pairing.assigned, "alternatives": n_alts, "explain_seconds": seconds,
            "naive_seconds_per_alternative": per, "naive_seconds_all": per * n_alts,
            "naive_over_explain": per * n_alts / seconds, "optimal": ex.optimal}


def main(quick: bool = False) -> dict:
    out = {"yifeng": measure(load_scenario(ROOT / "scenarios" / "yifeng-2020"), "yifeng-2020", 20)}
    firms = 1_000 if quick else 10_000
    folder = HERE / "work" / f"explain-{firms}"
    if not (folder / "scenario.yaml").is_file():
        generate_scenario(folder, firms // 20, firms, 7, "liaoning", 15.0, mode="one_to_many",
                          max_firms_per_cadre=25, max_distance_km=20.0)
    out["large"] = measure(load_scenario(folder), folder.name, 5)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    res = main(ap.parse_args().quick)
    print(json.dumps(res, indent=2))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "explain.json").write_text(json.dumps(res, indent=2))
