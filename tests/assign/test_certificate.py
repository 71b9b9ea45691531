"""The optimality certificate of count-limited plans (assign.solvers.certificate).

References: every plan of small random instances enumerated by brute force (the plan
is certified exactly when no plan scores better), scipy's linear_sum_assignment on
square instances, and LP duality (the certificate's prices and profits are dual
feasible and their objective equals the plan's).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from assign.solvers.certificate import CERTIFIED, SPARE_PRICED, plan_dual
from assign.solvers.coverage import linear_weights
from assign.solvers.flow import solve_flow


def _instance(rng, m, n, ties):
    adm = rng.random((m, n)) < rng.uniform(0.3, 0.9)
    cadre, firm = np.nonzero(adm)
    cost = rng.integers(0, 3 if ties else 50, len(cadre)).astype(np.int64)
    capacity = rng.integers(0, 4, m).astype(np.int64)
    ranks = rng.integers(0, 3, n).astype(np.int64)
    span = int(cost.max(initial=0))
    reward = linear_weights(ranks, (2 * min(m, n) + 2) * span)
    return cadre, firm, cost, capacity, ranks, reward


def _plans(cadre, firm, capacity, n):
    """Every feasible plan, as the indices of its pairs."""
    options = [[-1, *np.flatnonzero(firm == f)] for f in range(n)]
    for pick in itertools.product(*options):
        chosen = np.array([p for p in pick if p >= 0], np.int64)
        if (np.bincount(cadre[chosen], minlength=len(capacity)) <= capacity).all():
            yield chosen


def _score(chosen, firm, cost, reward):
    covered = np.zeros(len(reward), bool)
    covered[firm[chosen]] = True
    return int(cost[chosen].sum() + reward[~covered].sum())


def _check_dual(dual, cadre, firm, cost, capacity, reward, chosen):
    """LP duality: feasible, complementary, and the same objective as the plan."""
    P, pi = dual.prices, dual.profit
    assert (P >= 0).all() and (pi >= 0).all()
    assert (pi[firm] + P[cadre] >= reward[firm] - cost).all()
    load = np.bincount(cadre[chosen], minlength=len(capacity))
    assert (P[load < capacity] == 0).all()
    value = int((reward[firm[chosen]] - cost[chosen]).sum())
    assert int((capacity * P).sum() + pi.sum()) == value


@pytest.mark.parametrize("seed", range(12))
def test_certified_exactly_when_no_plan_is_better(seed):
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
    cadre, firm, cost, capacity, ranks, reward = _instance(rng, m, n, ties=seed % 2 == 0)
    plans = list(_plans(cadre, firm, capacity, n))
    scores = [_score(c, firm, cost, reward) for c in plans]
    best = min(scores)
    for chosen, score in zip(plans, scores, strict=True):
        dual = plan_dual(cadre, firm, cost, capacity, reward, chosen)
        assert dual.certified == (score == best), (chosen, score, best, dual.reason)
        if dual.certified:
            _check_dual(dual, cadre, firm, cost, capacity, reward, chosen)


@pytest.mark.parametrize("seed", range(6))
def test_the_flow_optimum_is_certified(seed):
    """Larger instances: the min-cost flow's plan certifies with a valid dual; taking one
    covered firm out of it is then refused."""
    rng = np.random.default_rng(100 + seed)
    m, n = int(rng.integers(5, 30)), int(rng.integers(20, 200))
    cadre, firm, cost, capacity, ranks, reward = _instance(rng, m, n, ties=seed % 2 == 0)
    chosen, status = solve_flow(cadre, firm, cost, capacity, ranks)
    assert status == "optimal"
    dual = plan_dual(cadre, firm, cost, capacity, reward, chosen)
    assert dual.certified, dual.reason
    _check_dual(dual, cadre, firm, cost, capacity, reward, chosen)
    if len(chosen):
        worse = plan_dual(cadre, firm, cost, capacity, reward, chosen[1:])
        assert not worse.certified


@pytest.mark.parametrize("seed", range(4))
def test_square_assignment_against_scipy(seed):
    """One place per cadre, every pair admissible: scipy's optimal assignment certifies,
    and a swap of two firms that costs more does not."""
    rng = np.random.default_rng(200 + seed)
    size = 30
    matrix = rng.integers(0, 1000, (size, size))
    rows, cols = linear_sum_assignment(matrix)
    cadre, firm = np.nonzero(np.ones((size, size), bool))
    cost = matrix[cadre, firm].astype(np.int64)
    reward = np.full(size, (2 * size + 2) * 1000, np.int64)
    capacity = np.ones(size, np.int64)
    chosen = rows * size + cols
    dual = plan_dual(cadre, firm, cost, capacity, reward, chosen)
    assert dual.certified
    _check_dual(dual, cadre, firm, cost, capacity, reward, chosen)
    # swap the cadres of two firms: certified only if it costs the same
    a, b = cols[0], cols[1]
    swapped = np.r_[rows[0] * size + b, rows[1] * size + a, chosen[2:]]
    same = matrix[rows[0], b] + matrix[rows[1], a] == matrix[rows[0], a] + matrix[rows[1], b]
    assert plan_dual(cadre, firm, cost, capacity, reward, swapped).certified == same


def test_spare_place_left_while_a_firm_goes_uncovered_is_refused():
    cadre = np.array([0, 1])
    firm = np.array([0, 1])
    cost = np.array([5, 5], np.int64)
    reward = np.array([100, 100], np.int64)
    capacity = np.array([1, 1], np.int64)
    dual = plan_dual(cadre, firm, cost, capacity, reward, np.array([0]))
    assert dual.code == SPARE_PRICED
    assert dual.chain.tolist() == [1]  # the uncovered firm that wants the spare place
    assert plan_dual(cadre, firm, cost, capacity, reward, np.array([0, 1])).code == CERTIFIED
