"""The plain generalized assignment table (every firm must be covered, one priority level,
only workload caps): the textbook CP-SAT model at once, checked against brute force; the
wall-clock budget used by the GAP benchmark; and the deterministic default."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from assign import gap_scenario, read_gap, solve
from assign.solvers import cpsat
from assign.solvers.budget import Budget, make_solver
from assign.solvers.cpsat import Limits, cheapest_pairs, solve_cpsat
from assign.solvers.gap import GapInstance

GAP_DIR = Path(__file__).resolve().parents[1] / "data" / "gap"


def _brute_force(cost: np.ndarray, load: np.ndarray, cap: np.ndarray):
    """Most jobs placed, then least cost, by enumerating every agent (or none) per job."""
    m, n = cost.shape
    best = None
    for choice in itertools.product(range(-1, m), repeat=n):
        used = np.zeros(m, dtype=np.int64)
        total, placed = 0, 0
        for j, i in enumerate(choice):
            if i >= 0:
                used[i] += load[i, j]
                total += cost[i, j]
                placed += 1
        if (used <= cap).all():
            key = (-placed, total)
            best = key if best is None or key < best else best
    return -best[0], best[1]


def _table(inst: GapInstance):
    m, n = inst.shape
    ii, jj = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    return ii.ravel(), jj.ravel(), inst.cost.ravel(), inst.load.ravel()


def _random(seed: int, m: int = 3, n: int = 6, tight: float = 0.6) -> GapInstance:
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 30, (m, n))
    load = rng.integers(1, 10, (m, n))
    cap = np.maximum((tight * load.sum(axis=1) / m).astype(np.int64), load.min(axis=1))
    return GapInstance(f"r{seed}", cost, load, cap)


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("wall", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_plain_table_matches_brute_force(seed, wall, large, monkeypatch):
    """Random 3 x 6 tables, some too tight to place every job (the coverage path then
    takes over): coverage and cost equal exhaustive enumeration, either clock, and with
    the tables treated as large (no regret greedy before CP-SAT; the coverage path only
    after CP-SAT finds no plan placing every job)."""
    if large:
        monkeypatch.setattr(cpsat, "SEARCH_MAX_PAIRS", 0)
    inst = _random(seed, tight=0.45 + 0.1 * (seed % 4))
    m, n = inst.shape
    cadre, firm, cost, load = _table(inst)
    placed, best = _brute_force(inst.cost, inst.load, inst.capacity)
    res = solve_cpsat(cadre, firm, cost, load, Limits(np.full(m, -1), inst.capacity),
                      np.zeros(n, dtype=np.int64), 10.0, wall=wall)
    assert len(res.chosen) == placed
    assert len(np.unique(firm[res.chosen])) == placed
    used = np.bincount(cadre[res.chosen], weights=load[res.chosen], minlength=m)
    assert (used <= inst.capacity).all()
    assert res.objective == best == int(cost[res.chosen].sum())
    assert res.status == "optimal"


@pytest.mark.parametrize("seed,tight", [(0, 0.7), (1, 0.9), (6, 0.7), (7, 1.0)])
def test_plain_table_skips_the_flow_and_the_cost_regret(monkeypatch, seed, tight):
    """A plain table whose simple greedy places every job goes to CP-SAT without the
    count-limited flow and without either regret greedy (before, both regret greedies
    and the flow ran first: seconds of Python on the largest benchmark tables, inside the
    wall-clock seconds the plain CP-SAT model spends searching). Result against brute
    force; each case's cheapest cadre per job breaks a cap, so CP-SAT has work to do."""
    inst = _random(seed, tight=tight)
    m, n = inst.shape
    cadre, firm, cost, load = _table(inst)
    limits = Limits(np.full(m, -1), inst.capacity)
    assert len(cpsat.greedy(cadre, firm, cost, load, limits, np.zeros(n, np.int64))) == n
    assert not cpsat._within_work(cheapest_pairs(firm, cost), cadre, load, limits)

    def boom(*a, **k):
        raise AssertionError("not expected on a plain table")

    monkeypatch.setattr(cpsat, "solve_flow", boom)
    monkeypatch.setattr(cpsat, "regret_greedy", boom)
    res = solve_cpsat(cadre, firm, cost, load, limits, np.zeros(n, dtype=np.int64), 10.0)
    assert (res.status, res.objective) == ("optimal", _brute_force(inst.cost, inst.load,
                                                                    inst.capacity)[1])


def test_count_limits_or_priorities_keep_the_coverage_path(monkeypatch):
    """A binding count limit, a second priority level or a firm without a cadre is not a
    plain table: the count-limited flow relaxation still runs."""
    inst = _random(3)
    m, n = inst.shape
    cadre, firm, cost, load = _table(inst)
    calls = []
    real = cpsat.solve_flow
    monkeypatch.setattr(cpsat, "solve_flow", lambda *a: calls.append(1) or real(*a))
    free = Limits(np.full(m, -1), inst.capacity)
    assert cpsat._plain_table(cadre, firm, free, np.zeros(n, np.int64), n)
    assert not cpsat._plain_table(cadre, firm, Limits(np.full(m, 2), inst.capacity),
                                  np.zeros(n, np.int64), n)
    assert cpsat._plain_table(cadre, firm, Limits(np.full(m, n), inst.capacity),
                              np.zeros(n, np.int64), n)
    assert not cpsat._plain_table(cadre, firm, free, np.r_[1, np.zeros(n - 1, np.int64)], n)
    keep = firm != 0
    assert not cpsat._plain_table(cadre[keep], firm[keep], free, np.zeros(n, np.int64), n)
    solve_cpsat(cadre, firm, cost, load, Limits(np.full(m, 2), inst.capacity),
                np.zeros(n, dtype=np.int64), 5.0)
    assert calls


def test_cheapest_pairs_against_a_loop():
    rng = np.random.default_rng(7)
    firm = rng.integers(0, 40, 300)
    cost = rng.integers(0, 5, 300)  # many ties: the first listed wins
    got = cheapest_pairs(firm, cost)
    want = []
    for f in np.unique(firm):
        ps = [p for p in range(300) if firm[p] == f]
        want.append(min(ps, key=lambda p: (cost[p], p)))
    assert got.tolist() == want


def _hard_model(n: int = 60):
    """A GAP model CP-SAT does not close in a fraction of a second."""
    inst = _random(11, m=8, n=n, tight=0.9)
    model = cp_model.CpModel()
    x = [[model.new_bool_var("") for _ in range(n)] for _ in range(8)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(8))
    for i in range(8):
        model.add(sum(int(inst.load[i, j]) * x[i][j] for j in range(n)) <= int(inst.capacity[i]))
    model.minimize(sum(int(inst.cost[i, j]) * x[i][j] for i in range(8) for j in range(n)))
    return model


def test_wall_budget_counts_the_clock_and_limits_cp_sat_in_seconds():
    """A wall-clock budget: time passing outside CP-SAT counts, a CP-SAT call gets a
    wall-clock limit of at most what is left, its workers are not interleaved, and a
    child inherits the clock; the deterministic budget is untouched by the clock."""
    b = Budget(5.0, wall=True)
    d = Budget(5.0)
    time.sleep(0.2)
    assert b.left() <= 4.8 + 1e-9
    assert d.left() == 5.0
    assert b.child(1.0).wall and not d.child(1.0).wall
    solver = make_solver(100.0, 2, 0)  # asks for more than the budget holds
    t = time.perf_counter()
    b2 = Budget(0.5, wall=True)
    b2.solve(solver, _hard_model(200))
    assert time.perf_counter() - t < 5.0
    assert solver.parameters.max_time_in_seconds <= 0.5
    assert not solver.parameters.interleave_search
    assert solver.parameters.max_deterministic_time == float("inf")


def test_solve_rejects_an_unknown_clock():
    inst = read_gap(GAP_DIR / "gap1.txt")[0]
    with pytest.raises(ValueError, match="clock"):
        solve(gap_scenario(inst, time_limit_s=1), clock="cpu")


SOLVE_GAP = """
import json, sys
from assign import gap_scenario, read_gap, solve
inst = read_gap(sys.argv[1])[int(sys.argv[2])]
p = solve(gap_scenario(inst, time_limit_s=float(sys.argv[3])))
print(json.dumps({"pairs": sorted(map(list, zip(p.pairs.firm_id, p.pairs.cadre_id))),
                  "status": p.status, "objective": p.objective}))
"""


def test_plain_table_same_seed_same_plan():
    """The default (deterministic) clock on a plain table (gap12-5, 60 jobs) at a 0.3 s
    limit: two processes with different hash seeds give the same plan."""
    runs = []
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", SOLVE_GAP, str(GAP_DIR / "gap12.txt"), "4", "0.3"],
            check=True, capture_output=True, text=True, timeout=600,
            env={**os.environ, "PYTHONHASHSEED": hash_seed})
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert runs[0] == runs[1]
    assert len(runs[0]["pairs"]) == 60
