"""Published GAP instances: proven optima of gap1-12; quality on types C, D, E against
plain CP-SAT (2 workers, same time), both measured here.

The two sides of the C/D/E comparison can run apart (``--side peer`` / ``--side zhuqi``,
e.g. one after the other on a shared machine): each writes its rows, one per instance as
it finishes, to ``benchmarks/results/gap_cde_<side>.json`` (rows of an earlier run of the
same side are kept unless re-run), and ``--table`` merges the two files into the summary
and the per-instance table.
"""

from __future__ import annotations

import json
import os
import time

import pandas as pd
from common import BENCH, RESULTS, ROOT, machine, save
from ortools.sat.python import cp_model

from assign import gap_scenario, read_gap, solve

DATA = BENCH / "data" / "gap"
ORLIB = ROOT / "tests" / "data" / "gap"
SIDES = ("peer", "zhuqi")


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


ALL_CDE = [f"{t}{size}" for t in "cde"
           for size in ("05100", "05200", "10100", "10200", "10400", "15900", "20100", "20200",
                        "20400", "30900", "40400", "60900", "201600", "401600", "801600")]
"""All 45 instances of types C, D and E."""

DEFAULT_CDE = ALL_CDE


def side_path(side: str):
    return RESULTS / f"gap_cde_{side}.json"


def load_side(side: str) -> dict:
    """A side's rows by instance (empty if it never ran)."""
    p = side_path(side)
    return json.loads(p.read_text()) if p.exists() else {"rows": {}}


def _instance(name: str):
    inst = read_gap(DATA / name)[0]
    return type(inst)(name, inst.cost, inst.load, inst.capacity)


def run_side(side: str, names: list[str], seconds: float, clock: str = "wall") -> dict:
    """Run one side on the instances, saving after each (rows by instance name).

    zhuqi runs with ``clock`` ("wall": the same wall-clock seconds as the peer, counted
    from the call to ``solve``, so its Python work before CP-SAT is inside them while the
    peer's model building is not; "deterministic": the CLI's default, CP-SAT's
    deterministic time, which takes more or less wall time than the peer by the load)."""
    data = load_side(side)
    for name in names:
        inst = _instance(name)
        load_before = os.getloadavg()[0]
        t = time.perf_counter()
        if side == "peer":
            value, bound = plain_cpsat(inst, seconds)
            status = "optimal" if value == bound else "feasible"
        else:
            p = solve(gap_scenario(inst, time_limit_s=seconds), clock=clock)
            value, bound, status = p.objective, p.bound, p.status
            _check_plan(inst, p)
        row = {"instance": name, "value": value, "bound": bound, "status": status,
               "seconds": time.perf_counter() - t, "seconds_limit": seconds,
               "clock": clock if side == "zhuqi" else "wall",
               "load_1min": [load_before, os.getloadavg()[0]],
               "when": time.strftime("%Y-%m-%d %H:%M:%S")}
        data["rows"][name] = row
        data["machine"] = machine()
        RESULTS.mkdir(parents=True, exist_ok=True)
        side_path(side).write_text(json.dumps(data, indent=2))
        print(json.dumps({"side": side, **row}), flush=True)
    return data


def _check_plan(inst, p) -> None:
    """Recompute the plan's cost and loads from its pairs: every job once, every capacity."""
    m, n = inst.shape
    a = p.pairs["cadre_id"].str[1:].astype(int).to_numpy()
    j = p.pairs["firm_id"].str[1:].astype(int).to_numpy()
    assert len(j) == n and len(set(j.tolist())) == n, f"{inst.name}: not every job placed once"
    used = pd.Series(inst.load[a, j]).groupby(a).sum()
    assert (used <= inst.capacity[used.index]).all(), f"{inst.name}: a capacity is exceeded"
    assert int(inst.cost[a, j].sum()) == round(p.objective), f"{inst.name}: cost differs"


def merge(names: list[str] | None = None) -> dict:
    """Both sides' rows side by side, with the summary figures of issue 12."""
    best = best_known()
    peer, ours = load_side("peer")["rows"], load_side("zhuqi")["rows"]
    names = names or [n for n in ALL_CDE if n in peer or n in ours]
    rows = []
    for name in names:
        bk = best[name]
        z, c = ours.get(name), peer.get(name)
        zv = z["value"] if z else float("nan")
        cv = c["value"] if c else float("nan")
        rows.append({
            "instance": name, "best_known": bk,
            "zhuqi": zv, "zhuqi_gap_pct": 100 * (zv - bk) / bk,
            "cpsat": cv, "cpsat_gap_pct": 100 * (cv - bk) / bk,
            "zhuqi_bound": z["bound"] if z else float("nan"),
            "cpsat_bound": c["bound"] if c else float("nan"),
            "zhuqi_status": z["status"] if z else "not run",
        })
    df = pd.DataFrame(rows)
    both = df.dropna(subset=["zhuqi", "cpsat"])
    return {
        "seconds_per_instance": next((side[n]["seconds_limit"] for n in names
                                      for side in (ours, peer) if n in side), None),
        "instances_zhuqi": int(df["zhuqi"].notna().sum()),
        "instances_peer": int(df["cpsat"].notna().sum()),
        "mean_gap_pct": float(df["zhuqi_gap_pct"].mean()),
        "max_gap_pct": float(df["zhuqi_gap_pct"].max()),
        "cpsat_mean_gap_pct": float(df["cpsat_gap_pct"].mean()),
        "cpsat_max_gap_pct": float(df["cpsat_gap_pct"].max()),
        "never_worse_than_cpsat": bool((both["zhuqi"] <= both["cpsat"]).all()),
        "better_equal_worse": [int((both["zhuqi"] < both["cpsat"]).sum()),
                               int((both["zhuqi"] == both["cpsat"]).sum()),
                               int((both["zhuqi"] > both["cpsat"]).sum())],
        "rows": rows,
    }


def quality(names: list[str], seconds: float = 60.0, side: str = "both",
            clock: str = "wall") -> dict:
    """Run the side(s) on the instances (both: alternating per instance), then merge."""
    for name in names:
        for s in (SIDES if side == "both" else (side,)):
            run_side(s, [name], seconds, clock)
    return merge(names)


def main(names: list[str] | None = None, seconds: float = 60.0, side: str = "both",
         with_orlib: bool = True, clock: str = "wall") -> dict:
    results = {"orlib": orlib() if with_orlib else None,
               "cde": quality(names or DEFAULT_CDE, seconds, side, clock)}
    save("gap", results)
    return results


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--instances", nargs="*", help="default: all 45 of types C, D, E")
    ap.add_argument("--side", choices=["peer", "zhuqi", "both"], default="both",
                    help="run plain CP-SAT, zhuqi, or both (alternating per instance)")
    ap.add_argument("--no-orlib", action="store_true", help="skip gap1-gap12")
    ap.add_argument("--clock", choices=["wall", "deterministic"], default="wall",
                    help="zhuqi's time limit: wall-clock seconds from the call to solve, as "
                         "the peer's (default), or the CLI's deterministic time")
    ap.add_argument("--table", action="store_true",
                    help="only merge the saved sides' rows and print the tables")
    a = ap.parse_args()
    if a.table:
        out = {"cde": merge(a.instances)}
        import run  # noqa: PLC0415

        print(run.gap_table(out["cde"]["rows"]))
    else:
        out = main(a.instances, a.seconds, a.side,
                   with_orlib=not a.no_orlib and a.side != "peer", clock=a.clock)
    print(json.dumps({k: v for k, v in out["cde"].items() if k != "rows"}, indent=1))
