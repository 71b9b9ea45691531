"""The flow without big-M costs gives the coverage-first, least-cost optimum of the earlier
encoding: checked against brute force and scipy's linear_sum_assignment, with priorities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from assign.solvers import flow

ENCODINGS = ("levels", "reward")


def _instance(rng, m, n, levels, density=0.5, cmax=50):
    adm = rng.random((m, n)) < density
    cadre, firm = np.nonzero(adm)
    cost = rng.integers(0, cmax + 1, len(cadre)).astype(np.int64)
    capacity = rng.integers(0, 4, m).astype(np.int64)
    ranks = rng.integers(0, levels, n).astype(np.int64)
    return cadre.astype(np.int64), firm.astype(np.int64), cost, capacity, ranks


def _score(chosen, cadre, firm, cost, ranks, levels):
    """(firms covered per level, highest first; total cost) of the chosen pairs."""
    per = np.bincount(ranks[firm[chosen]], minlength=levels)[::-1]
    return tuple(int(x) for x in per), int(cost[chosen].sum())


def _check(chosen, cadre, firm, capacity, n):
    assert len(set(firm[chosen].tolist())) == len(chosen), "a firm covered twice"
    assert (np.bincount(cadre[chosen], minlength=len(capacity)) <= capacity).all()


def _brute(cadre, firm, cost, capacity, ranks, levels):
    """Every plan: each firm takes one of its pairs or none; the best by (coverage per
    level from the top, lexicographically; then least cost)."""
    n = len(ranks)
    options = [[-1, *np.flatnonzero(firm == f).tolist()] for f in range(n)]
    best = None
    for pick in itertools.product(*options):
        chosen = np.array([p for p in pick if p >= 0], np.int64)
        if (np.bincount(cadre[chosen], minlength=len(capacity)) > capacity).any():
            continue
        cov, c = _score(chosen, cadre, firm, cost, ranks, levels)
        key = (tuple(-x for x in cov), c)
        if best is None or key < best:
            best = key
    return tuple(-x for x in best[0]), best[1]


@pytest.mark.parametrize("seed", range(60))
def test_tiny_cases_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    levels = int(rng.integers(1, 4))
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
    cadre, firm, cost, capacity, ranks = _instance(rng, m, n, levels)
    want = _brute(cadre, firm, cost, capacity, ranks, levels)
    for enc in ENCODINGS:
        flows = flow.cover_flows(cadre, firm, cost, capacity, ranks, encoding=enc)
        chosen = np.flatnonzero(flows > 0)
        _check(chosen, cadre, firm, capacity, n)
        assert _score(chosen, cadre, firm, cost, ranks, levels) == want, enc


def _lsa(cadre, firm, cost, capacity, ranks, levels):
    """The optimum by the Hungarian method: one column per cadre place, one "uncovered"
    column per firm whose cost makes one more firm at a level worth more than every firm
    below it and any cost."""
    n = len(ranks)
    big = float(len(cost) * (int(cost.max(initial=0)) + 1) + 1)
    slots = np.repeat(np.arange(len(capacity)), capacity)
    c = np.full((n, len(slots) + n), np.inf)
    pair_cost = {(int(a), int(b)): int(x) for a, b, x in zip(cadre, firm, cost, strict=True)}
    for s, a in enumerate(slots):
        for f in range(n):
            if (int(a), f) in pair_cost:
                c[f, s] = pair_cost[(int(a), f)]
    for f in range(n):
        c[f, len(slots) + f] = big * (n + 1) ** int(ranks[f])
    rows, cols = linear_sum_assignment(c)
    chosen = []
    for f, s in zip(rows, cols, strict=True):
        if s < len(slots):
            chosen.append(next(k for k in np.flatnonzero(firm == f) if cadre[k] == slots[s]))
    return _score(np.array(chosen, np.int64), cadre, firm, cost, ranks, levels)


@pytest.mark.parametrize("seed", range(12))
def test_larger_cases_match_linear_sum_assignment(seed, monkeypatch):
    rng = np.random.default_rng(100 + seed)
    levels = int(rng.integers(1, 4))
    m, n = int(rng.integers(5, 25)), int(rng.integers(10, 60))
    cadre, firm, cost, capacity, ranks = _instance(rng, m, n, levels, density=0.12, cmax=9000)
    want = _lsa(cadre, firm, cost, capacity, ranks, levels)
    for enc in ENCODINGS:
        flows = flow.cover_flows(cadre, firm, cost, capacity, ranks, encoding=enc)
        chosen = np.flatnonzero(flows > 0)
        _check(chosen, cadre, firm, capacity, n)
        assert _score(chosen, cadre, firm, cost, ranks, levels) == want, enc
    monkeypatch.setattr(flow, "GROUP_PAIRS", 5)  # components solved apart: the same optimum
    chosen, status = flow.solve_flow(cadre, firm, cost, capacity, ranks)
    assert status == "optimal"
    assert _score(chosen, cadre, firm, cost, ranks, levels) == want


def test_level_counts_are_greedy_by_priority():
    """Hand-made: cadre 0 (one place) reaches firms 0 (rank 1) and 1 (rank 0); cadre 1 (one
    place) reaches firm 1 only. Best: cadre 0 takes firm 0, cadre 1 takes firm 1."""
    cadre, firm = np.array([0, 0, 1]), np.array([0, 1, 1])
    counts = flow.level_counts(cadre, firm, np.array([1, 1]), np.array([1, 0]), np.array([0, 1]))
    assert counts.tolist() == [1, 1]
    flows = flow.cover_flows(cadre, firm, np.array([5, 0, 9]), np.array([1, 1]), np.array([1, 0]))
    assert flows.tolist() == [1, 0, 1]
