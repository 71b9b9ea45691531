"""Coverage-first assignment with workload limits, solved with OR-Tools CP-SAT.

Two lexicographic phases: (1) cover as many firms as possible, higher priority first;
(2) with that coverage fixed as a constraint, minimise the cost. Phase 1 is skipped when
a greedy plan already covers every firm that has an admissible cadre.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .coverage import lexicographic_weights

STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "unknown",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class Limits:
    """Per-cadre limits in integer units; -1 means no limit."""

    count: np.ndarray
    work: np.ndarray


@dataclass(frozen=True)
class CpSatResult:
    """Chosen pairs, status, and the cost objective and bound in integer units."""

    chosen: np.ndarray
    status: str
    objective: int
    bound: int


def greedy(
    cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, load: np.ndarray,
    limits: Limits, ranks: np.ndarray,
) -> np.ndarray:
    """A feasible plan: pairs by priority then regret-free cost order, kept while they fit."""
    order = np.lexsort((cost, -ranks[firm]))
    count_left = np.where(limits.count < 0, np.iinfo(np.int64).max, limits.count)
    work_left = np.where(limits.work < 0, np.iinfo(np.int64).max, limits.work)
    taken = np.zeros(len(ranks), dtype=bool)
    chosen = []
    for p in order.tolist():
        f, c = firm[p], cadre[p]
        if taken[f] or count_left[c] < 1 or work_left[c] < load[p]:
            continue
        taken[f] = True
        count_left[c] -= 1
        work_left[c] -= load[p]
        chosen.append(p)
    return np.array(chosen, dtype=np.int64)


def solve_cpsat(
    cadre: np.ndarray,
    firm: np.ndarray,
    cost: np.ndarray,
    load: np.ndarray,
    limits: Limits,
    ranks: np.ndarray,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
) -> CpSatResult:
    """Solve the coverage-first generalized assignment problem.

    Args:
        cadre, firm: Cadre and firm index of each admissible pair.
        cost, load: Integer cost and load of each pair.
        limits: Per-cadre count and workload limits (integers, -1 = none).
        ranks: Priority rank of each firm (0 = lowest).
        time_limit: Seconds for both phases together.
        workers: CP-SAT search workers.
        seed: CP-SAT random seed.
    """
    start = time.perf_counter()
    n = len(ranks)
    if len(cost) == 0:
        return CpSatResult(np.zeros(0, np.int64), "optimal", 0, 0)
    weight = lexicographic_weights(ranks)
    coverable = np.zeros(n, dtype=bool)
    coverable[firm] = True
    hint = greedy(cadre, firm, cost, load, limits, ranks)
    target = int(weight[coverable].sum())
    cover_status = "optimal"
    if int(weight[firm[hint]].sum()) < target:
        model, x = _model(cadre, firm, load, limits, n, exact=False)
        y = _covered(model, x, firm, n)
        model.maximize(sum(int(weight[f]) * y[f] for f in y))
        _hint(model, x, hint)
        solver = _solver(time_limit, workers, seed)
        st = solver.solve(model)
        cover_status = STATUS[st]
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return CpSatResult(np.zeros(0, np.int64), cover_status, 0, 0)
        target = int(round(solver.objective_value))
        hint = np.flatnonzero([solver.boolean_value(v) for v in x])
    exact = target == int(weight[coverable].sum())
    model, x = _model(cadre, firm, load, limits, n, exact=exact)
    if not exact:
        y = _covered(model, x, firm, n)
        model.add(sum(int(weight[f]) * y[f] for f in y) >= target)
    model.minimize(sum(int(c) * v for c, v in zip(cost.tolist(), x, strict=True)))
    _hint(model, x, hint)
    remaining = max(time_limit - (time.perf_counter() - start), 0.1 * time_limit)
    solver = _solver(remaining, workers, seed)
    st = solver.solve(model)
    status = STATUS[st]
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = hint
        obj = int(cost[hint].sum())
        return CpSatResult(chosen, "feasible" if len(hint) else status, obj, 0)
    chosen = np.flatnonzero([solver.boolean_value(v) for v in x])
    if cover_status != "optimal" and status == "optimal":
        status = "feasible"
    return CpSatResult(
        chosen, status, int(round(solver.objective_value)), int(np.ceil(solver.best_objective_bound))
    )


def _solver(time_limit: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    return solver


def _model(
    cadre: np.ndarray, firm: np.ndarray, load: np.ndarray, limits: Limits, n: int, exact: bool
) -> tuple[cp_model.CpModel, list]:
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{p}") for p in range(len(cadre))]
    by_firm: dict[int, list] = {}
    by_cadre: dict[int, list[int]] = {}
    for p, (c, f) in enumerate(zip(cadre.tolist(), firm.tolist(), strict=True)):
        by_firm.setdefault(f, []).append(x[p])
        by_cadre.setdefault(c, []).append(p)
    for vars_ in by_firm.values():
        if exact:
            model.add_exactly_one(vars_)
        else:
            model.add_at_most_one(vars_)
    for c, ps in by_cadre.items():
        if limits.count[c] >= 0 and limits.count[c] < len(ps):
            model.add(sum(x[p] for p in ps) <= int(limits.count[c]))
        if limits.work[c] >= 0 and int(load[ps].sum()) > limits.work[c]:
            model.add(sum(int(load[p]) * x[p] for p in ps) <= int(limits.work[c]))
    return model, x


def _covered(model: cp_model.CpModel, x: list, firm: np.ndarray, n: int) -> dict[int, object]:
    """One expression per coverable firm: 1 when it is covered."""
    terms: dict[int, list] = {}
    for p, f in enumerate(firm.tolist()):
        terms.setdefault(f, []).append(x[p])
    return {f: sum(v) for f, v in terms.items()}


def _hint(model: cp_model.CpModel, x: list, chosen: np.ndarray) -> None:
    on = np.zeros(len(x), dtype=bool)
    on[chosen] = True
    for v, b in zip(x, on.tolist(), strict=True):
        model.add_hint(v, b)
