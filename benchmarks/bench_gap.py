"""Published GAP instances: proven optima of gap1-12; quality on types C, D, E against
plain CP-SAT (2 workers, same time), both measured here."""

from __future__ import annotations

import json
import time

import pandas as pd
from common import BENCH, ROOT, save
from ortools.sat.python import cp_model

from assign import gap_scenario, read_gap, solve

DATA = BENCH / "data" / "gap"
ORLIB = ROOT / "tests" / "data" / "gap"


def best_known() -> dict[str, int]:
    t = pd.read_csv(DATA / "best_known.csv")
    t = t[t["sense"] == "min"]
    return dict(zip(t["instance"], t["best_known"], strict=True))


def plain_cpsat(inst, seconds: float, workers: int = 2) -> tuple[float, float]:
    """The peer: the textbook CP-SAT model, no hint, default parameters."""
    m, n = inst.shape
    model = cp_model.CpModel()
    x = [[model.new_bool_var("") for _ in range(n)] for _ in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        model.add(sum(int(inst.load[i, j]) * x[i][j] for j in range(n)) <= int(inst.capacity[i]))
    model.minimize(sum(int(inst.cost[i, j]) * x[i][j] for i in range(m) for j in range(n)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    st = solver.solve(model)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return float("nan"), float("nan")
    return solver.objective_value, solver.best_objective_bound


def orlib(limit: float = 10.0) -> dict:
    best = best_known()
    rows = []
    for k in range(1, 13):
        for inst in read_gap(ORLIB / f"gap{k}.txt"):
            t = time.perf_counter()
            p = solve(gap_scenario(inst, time_limit_s=limit))
            rows.append({"instance": inst.name, "status": p.status, "objective": p.objective,
                         "optimum": best[inst.name], "seconds": time.perf_counter() - t})
    df = pd.DataFrame(rows)
    return {"instances": len(df), "proven_optimal": int((df["status"] == "optimal").sum()),
            "at_optimum": int((df["objective"] == df["optimum"]).sum()),
            "max_seconds": float(df["seconds"].max()), "rows": rows}


DEFAULT_CDE = ["c05100", "c10100", "c20200", "c10400", "c40400", "c801600",
               "d05100", "d10100", "d20200", "d10400", "d40400", "d801600",
               "e05100", "e10100", "e20200", "e10400", "e40400", "e801600"]


def quality(names: list[str], seconds: float = 60.0) -> dict:
    best = best_known()
    rows = []
    for name in names:
        inst = read_gap(DATA / name)[0]
        inst = type(inst)(name, inst.cost, inst.load, inst.capacity)
        ours = solve(gap_scenario(inst, time_limit_s=seconds))
        peer, peer_bound = plain_cpsat(inst, seconds)
        bk = best[name]
        rows.append({
            "instance": name, "best_known": bk,
            "zhuqi": ours.objective, "zhuqi_gap_pct": 100 * (ours.objective - bk) / bk,
            "cpsat": peer, "cpsat_gap_pct": 100 * (peer - bk) / bk,
            "zhuqi_bound": ours.bound, "cpsat_bound": peer_bound,
        })
        print(json.dumps(rows[-1]), flush=True)
    df = pd.DataFrame(rows)
    return {
        "seconds_per_instance": seconds,
        "mean_gap_pct": float(df["zhuqi_gap_pct"].mean()),
        "max_gap_pct": float(df["zhuqi_gap_pct"].max()),
        "cpsat_mean_gap_pct": float(df["cpsat_gap_pct"].mean()),
        "never_worse_than_cpsat": bool((df["zhuqi"] <= df["cpsat"]).all()),
        "rows": rows,
    }


def main(names: list[str] | None = None, seconds: float = 60.0) -> dict:
    results = {"orlib": orlib(), "cde": quality(names or DEFAULT_CDE, seconds)}
    save("gap", results)
    return results


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--instances", nargs="*")
    a = ap.parse_args()
    out = main(a.instances, a.seconds)
    print(json.dumps({k: v for k, v in out["cde"].items() if k != "rows"}, indent=1))
