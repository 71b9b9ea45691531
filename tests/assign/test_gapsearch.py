"""The compiled GAP search and the Lagrangian core, checked against brute force on tiny
instances (every assignment enumerated) and by recomputing costs and loads from plans."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from assign.solvers.gapsearch import (
    INF_COST,
    core_pairs,
    lagrangian,
    search_dense,
    search_pairs,
)


def tiny(seed: int, m: int = 3, n: int = 7, tight: float = 0.8):
    """A random instance with costs falling as loads rise (type-D-like), caps at ``tight``
    of a fair share."""
    rng = np.random.default_rng(seed)
    load = rng.integers(1, 30, size=(m, n))
    cost = 40 - load + rng.integers(0, 10, size=(m, n))
    cap = np.full(m, int(tight * load.sum() / m / m) + 1) + rng.integers(0, 10, size=m)
    return cost.astype(np.int64), load.astype(np.int64), cap.astype(np.int64)


def brute(cost, load, cap, allowed=None):
    """Optimum (cost, plan) over every assignment, or (None, None) if none keeps the caps."""
    m, n = cost.shape
    best, plan = None, None
    for x in itertools.product(range(m), repeat=n):
        x = np.array(x)
        if allowed is not None and not allowed[x, np.arange(n)].all():
            continue
        used = np.bincount(x, weights=load[x, np.arange(n)], minlength=m)
        if (used > cap).any():
            continue
        c = int(cost[x, np.arange(n)].sum())
        if best is None or c < best:
            best, plan = c, x
    return best, plan


def feasible_start(cost, load, cap):
    """The costliest plan that keeps the caps (a poor start), by brute force."""
    m, n = cost.shape
    worst, plan = None, None
    for x in itertools.product(range(m), repeat=n):
        x = np.array(x)
        if (np.bincount(x, weights=load[x, np.arange(n)], minlength=m) > cap).any():
            continue
        c = int(cost[x, np.arange(n)].sum())
        if worst is None or c > worst:
            worst, plan = c, x
    return plan


def check(cost, load, cap, x):
    """Every firm placed once on an admissible pair, every cap kept; the plan's cost."""
    m, n = cost.shape
    assert ((x >= 0) & (x < m)).all()
    assert (cost[x, np.arange(n)] < INF_COST).all()
    used = np.bincount(x, weights=load[x, np.arange(n)], minlength=m)
    assert (used <= cap).all()
    return int(cost[x, np.arange(n)].sum())


@pytest.mark.parametrize("seed", range(12))
def test_search_reaches_brute_force_optimum(seed):
    cost, load, cap = tiny(seed)
    opt, _ = brute(cost, load, cap)
    if opt is None:
        pytest.skip("no plan keeps the caps")
    start = feasible_start(cost, load, cap)
    x = search_dense(cost, load, cap, -np.ones(3, np.int64), start, seconds=60, seed=seed,
                     max_iterations=3000)
    got = check(cost, load, cap, x)
    assert got <= check(cost, load, cap, start)
    assert got == opt


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bound_below_optimum(seed):
    cost, load, cap = tiny(seed, m=3, n=8, tight=0.9)
    opt, _ = brute(cost, load, cap)
    if opt is None:
        pytest.skip("no plan keeps the caps")
    u, lb = lagrangian(cost, load, cap, float(opt))
    assert (u >= 0).all()
    assert lb <= opt + 1e-6
    # the bound is the relaxation's value at u, recomputed here
    red = cost + u[:, None] * load
    assert lb == pytest.approx(red.min(axis=0).sum() - u @ cap)


def test_search_keeps_count_limits_and_missing_pairs():
    """Pairs absent from the table are never used, count limits never exceeded, and firms
    left out of the start stay out."""
    cost, load, cap = tiny(3, m=4, n=8, tight=1.2)
    rng = np.random.default_rng(0)
    allowed = rng.random(cost.shape) < 0.7
    allowed[0] = True  # a plan exists with cadre 0 alone taking any firm
    c = np.where(allowed, cost, INF_COST)
    count = np.array([8, 2, 2, 2])
    big = np.full(4, 10_000)
    start = np.zeros(8, dtype=np.int64)
    start[7] = -1  # left out
    x = search_dense(c, load, big, count, start, seconds=60, seed=1, max_iterations=2000)
    assert x[7] == -1
    placed = x[:7]
    assert allowed[placed, np.arange(7)].all()
    assert (np.bincount(placed, minlength=4) <= count).all()
    # with no workload caps the optimum of the 7 placed firms is a small flow; brute force
    opt = None
    for y in itertools.product(range(4), repeat=7):
        y = np.array(y)
        if not allowed[y, np.arange(7)].all() or (np.bincount(y, minlength=4) > count).any():
            continue
        v = int(cost[y, np.arange(7)].sum())
        opt = v if opt is None or v < opt else opt
    assert int(cost[placed, np.arange(7)].sum()) == opt


def test_search_pairs_and_core_on_a_pair_table():
    cost, load, cap = tiny(5, m=3, n=7)
    opt, _ = brute(cost, load, cap)
    start = feasible_start(cost, load, cap)
    ii, jj = np.meshgrid(np.arange(3), np.arange(7), indexing="ij")
    cadre, firm = ii.ravel(), jj.ravel()
    chosen = np.flatnonzero(start[firm] == cadre)
    keep, lb = core_pairs(cadre, firm, cost.ravel(), load.ravel(), cap, chosen, k=2)
    assert keep[chosen].all()
    assert (np.bincount(firm[keep], minlength=7) >= 1).all()
    assert (np.bincount(firm[keep], minlength=7) <= 3).all()
    assert lb <= opt + 1e-6
    plan = search_pairs(cadre, firm, cost.ravel(), load.ravel(), -np.ones(3, np.int64), cap,
                        chosen, seconds=60, seed=0, max_iterations=2000)
    assert sorted(firm[plan].tolist()) == list(range(7))
    x = np.empty(7, dtype=np.int64)
    x[firm[plan]] = cadre[plan]
    assert check(cost, load, cap, x) == int(cost.ravel()[plan].sum())
    assert int(cost.ravel()[plan].sum()) <= int(cost.ravel()[chosen].sum())
