"""Heuristics for workload-limited assignment: a regret greedy start and a large-
neighbourhood search that re-optimises a few cadres' firms at a time with CP-SAT.

Both keep every limit and never uncover a covered firm, so they only ever lower the cost
of a coverage-optimal plan.
"""

from __future__ import annotations

import warnings

import numpy as np
from ortools.sat.python import cp_model

from .budget import Budget, as_budget, make_solver

DENSE_REGRET_LIMIT = 4_000_000
"""Largest cadre x firm matrix the regret greedy works on (else it is skipped)."""


MOVE_COST = 0.002
"""Deterministic seconds charged for each move of the neighbourhood search besides its
CP-SAT call (the choice of cadres and the bookkeeping)."""

def regret_greedy(
    cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, load: np.ndarray,
    count: np.ndarray, work: np.ndarray, n_firms: int, by: str = "cost",
) -> np.ndarray | None:
    """Martello-Toth regret heuristic: repeatedly place the firm that loses most if it does
    not get its best cadre that still has room. Returns chosen pair indices (firms it
    cannot place stay out), or None when the instance is too large for a dense matrix.

    Args:
        cadre, firm, cost, load: The admissible pairs.
        count, work: Per-cadre limits (-1 = none).
        n_firms: Number of firms.
        by: "cost" (best = cheapest) or "load" (best = smallest share of the cadre's
            capacity; finds complete plans on tight instances).
    """
    m = len(count)
    if m * n_firms > DENSE_REGRET_LIMIT or m < 1:
        return None
    big = np.iinfo(np.int64).max // 4
    c = np.full((m, n_firms), np.inf)
    if by == "load":
        cap = np.where(work[cadre] > 0, work[cadre], 1).astype(float)
        c[cadre, firm] = load / cap + 1e-9 * cost
    else:
        c[cadre, firm] = cost
    a = np.zeros((m, n_firms), dtype=np.int64)
    a[cadre, firm] = load
    pair_of = np.full((m, n_firms), -1, dtype=np.int64)
    pair_of[cadre, firm] = np.arange(len(cadre))
    room = np.where(work < 0, big, work).astype(np.int64)
    slots = np.where(count < 0, big, count).astype(np.int64)
    open_ = np.zeros(n_firms, dtype=bool)
    open_[firm] = True
    chosen = []
    while open_.any():
        fits = (a <= room[:, None]) & (slots[:, None] > 0) & np.isfinite(c) & open_[None, :]
        cm = np.where(fits, c, np.inf)
        placeable = np.isfinite(cm).any(axis=0)
        if not placeable.any():
            break
        if m >= 2:
            two = np.partition(cm, 1, axis=0)[:2]
            with np.errstate(invalid="ignore"):
                regret = np.where(np.isfinite(two[1]), two[1] - two[0], np.inf)
        else:
            regret = np.where(placeable, np.inf, -np.inf)
        regret = np.where(placeable, regret, -np.inf)
        # among the most urgent, prefer the cheapest placement
        best_firm = int(np.lexsort((cm.min(axis=0), -regret))[0])
        best_cadre = int(np.argmin(cm[:, best_firm]))
        chosen.append(pair_of[best_cadre, best_firm])
        room[best_cadre] -= a[best_cadre, best_firm]
        slots[best_cadre] -= 1
        open_[best_firm] = False
        # firms that no longer fit anywhere are dropped from this pass
        open_ &= placeable | ~open_
    return np.array(chosen, dtype=np.int64)


def improve(
    cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, load: np.ndarray,
    count: np.ndarray, work: np.ndarray, chosen: np.ndarray, seconds: float | Budget,
    seed: int = 0,
) -> np.ndarray:
    """Large-neighbourhood search: free the firms of a few cadres, re-pair them optimally
    among those cadres (CP-SAT, one worker), keep the change when it costs less.

    Args:
        cadre, firm, cost, load: The admissible pairs (integer cost and load).
        count, work: Per-cadre limits (-1 = none).
        chosen: A feasible plan (pair indices).
        seconds: Deterministic seconds (or a :class:`~assign.solvers.budget.Budget` to
            charge); each move charges its CP-SAT call's deterministic time, at least
            :data:`MOVE_COST`, so the result depends on the seed only.
        seed: Seed of the neighbourhood choice.

    Returns:
        The improved plan (pair indices), covering the same firms.
    """
    budget = as_budget(seconds)
    rng = np.random.default_rng(seed)
    m = len(count)
    current = np.full(int(firm.max(initial=-1)) + 1, -1, dtype=np.int64)
    current[firm[chosen]] = chosen
    order = np.argsort(cadre, kind="stable")
    bounds = np.searchsorted(cadre[order], np.arange(m + 1))
    by_cadre = [order[bounds[i]:bounds[i + 1]] for i in range(m)]
    # cost of giving each firm to each cadre (dense when small enough), to pick cadres
    # that could usefully swap firms with the first one drawn
    dense = m * len(current) <= DENSE_REGRET_LIMIT
    if dense:
        cm = np.full((m, len(current)), np.nan)
        cm[cadre, firm] = cost
    k = min(3, m)
    stale = 0
    self_iters = 0
    while budget.left() > 0.01 and m >= 2:
        budget.spend(MOVE_COST)
        self_iters += 1
        owner = np.where(current >= 0, cadre[np.maximum(current, 0)], -1)
        first = int(rng.integers(m))
        mine = np.flatnonzero(owner == first)
        if dense and len(mine) and rng.random() < 0.8:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                # cadres with no pair to any of these firms (a core table) score NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                score = np.nanmean(cm[:, mine], axis=1)
            score = np.where(np.isnan(score), np.inf, score)
            score[first] = np.inf
            near = np.argsort(score)[: 2 * k]
            near = near[np.isfinite(score[near])]
            others = rng.choice(near, size=min(k - 1, len(near)), replace=False)
            group = np.unique(np.concatenate([[first], others]))
        else:
            group = rng.choice(m, size=k, replace=False)
        in_group = np.zeros(m, dtype=bool)
        in_group[group] = True
        freed = np.flatnonzero((owner >= 0) & in_group[np.maximum(owner, 0)])
        if len(freed) == 0:
            stale += 1
            continue
        pairs = np.concatenate([by_cadre[c] for c in group])
        is_freed = np.zeros(len(current), dtype=bool)
        is_freed[freed] = True
        pairs = pairs[is_freed[firm[pairs]]]
        before = int(cost[current[freed]].sum())
        after, plan = _reoptimise(pairs, cadre, firm, cost, load, count, work, group,
                                  current[freed], budget)
        if plan is not None and after < before:
            current[firm[plan]] = plan
            stale = 0
        else:
            stale += 1
        if stale > 2 * m + 10:
            k, stale = min(k + 1, m, 8), 0
    return np.sort(current[current >= 0])


def _reoptimise(pairs, cadre, firm, cost, load, count, work, group, incumbent, budget):
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(pairs))]
    by_firm: dict[int, list] = {}
    by_c: dict[int, list[int]] = {}
    for idx, p in enumerate(pairs.tolist()):
        by_firm.setdefault(int(firm[p]), []).append(x[idx])
        by_c.setdefault(int(cadre[p]), []).append(idx)
    for vs in by_firm.values():
        model.add_exactly_one(vs)
    for c, idxs in by_c.items():
        if count[c] >= 0 and count[c] < len(idxs):
            model.add(sum(x[i] for i in idxs) <= int(count[c]))
        if work[c] >= 0:
            model.add(sum(int(load[pairs[i]]) * x[i] for i in idxs) <= int(work[c]))
    model.minimize(sum(int(cost[p]) * v for v, p in zip(x, pairs.tolist(), strict=True)))
    inc = set(incumbent.tolist())
    for v, p in zip(x, pairs.tolist(), strict=True):
        model.add_hint(v, p in inc)
    solver = make_solver(max(0.01, min(0.1, budget.left())), 1, 0)
    st = budget.solve(solver, model)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None
    plan = pairs[[solver.boolean_value(v) for v in x]]
    return int(round(solver.objective_value)), plan
