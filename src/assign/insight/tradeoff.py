"""Trade-off curves: the Pareto front between two objectives of a pairing, by epsilon constraint.

Every point is an optimal plan for one bound on the second objective: minimise the first
subject to ``second <= bound`` (then, at that first value, the least second, so no point is
weakly dominated). The bounds run from the second objective's own optimum (with the best
first value there) to its value at the first objective's optimum, so the endpoints are the
two single-objective optima. Coverage stays first throughout: each point covers as many
firms as the plain solve (key firms first).

Objectives (all minimised):

- ``distance``: total km of the pairs; ``cost``: total pair cost (the scenario's objective
  ``cost``, e.g. km plus a penalty for missing skills);
- ``balance``: the largest number of firms of any cadre;
- ``workload``: the largest weekly load (hours) of any cadre;
- ``skill``: pairs whose cadre lacks the firm's primary need;
- ``changes``: firms whose cadre differs from a previous plan's (``previous``).

Distance or cost against balance without workload limits is solved exactly by min-cost
flows with every cadre's ``max_firms`` capped at the bound; everything else by CP-SAT
(two solves per point, each reporting its status).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..candidates import Candidates, build_candidates
from ..categories import CATEGORY_INDEX
from ..io.scenario import Scenario
from ..pairing import Pairing
from ..problem import Problem
from ..solvers.coverage import decimal_scale, priority_ranks, scaled, scaled_loads
from ..solvers.cpsat import STATUS, Limits, hint_plan, make_solver, solve_cpsat
from ..solvers.flow import count_capacity, solve_flow

OBJECTIVES = ("distance", "cost", "balance", "workload", "skill", "changes")
"""Objective names accepted by :func:`tradeoff`."""

@dataclass(frozen=True)
class TradeOff:
    """A Pareto front between two objectives.

    Attributes:
        front: One row per non-dominated point, first objective ascending: one column per
            objective (named as in ``between``), ``bound`` (the bound put on the second),
            ``covered`` (firms covered) and ``status`` ("optimal" when proven).
        plans: The pairing of each point, in the front's order.
        between: The two objectives.
    """

    front: pd.DataFrame
    plans: list[Pairing]
    between: tuple[str, str]
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Problem:
    scenario: Scenario
    cand: Candidates
    values: dict[str, np.ndarray]  # per-pair integer coefficient of each sum objective
    scales: dict[str, int]
    prev_pairs: np.ndarray | None
    n_prev: int
    count: np.ndarray  # max_firms, -1 none
    work: np.ndarray  # max workload (scaled), -1 none
    load: np.ndarray  # scaled pair loads
    ranks: np.ndarray


def _problem(scenario: Scenario, between: tuple[str, str], previous) -> _Problem:
    cand = build_candidates(scenario, with_load=True)
    assert cand.load is not None
    cadres = scenario.cadres
    values, scales = {}, {}
    ds = decimal_scale(np.round(np.nan_to_num(cand.distance_km), 3))[0]
    values["distance"], scales["distance"] = scaled(np.nan_to_num(cand.distance_km), ds), ds
    cs = decimal_scale(cand.cost)[0]
    values["cost"], scales["cost"] = scaled(cand.cost, cs), cs
    primary = np.array([1 << CATEGORY_INDEX[t[0]] if t else 0 for t in scenario.firms["needs"]])
    from ..candidates import skill_masks

    held = skill_masks(cadres["skills"]).astype(np.int64)
    p = primary[cand.firm]
    values["skill"] = ((held[cand.cadre] & p) != p).astype(np.int64)
    scales["skill"] = 1
    prev_pairs, n_prev = None, 0
    if "changes" in between:
        if previous is None:
            raise ValueError("the 'changes' objective needs a previous pairing (--previous)")
        table = previous.pairs if isinstance(previous, Pairing) else previous
        ci = pd.Index(cadres["id"].astype(str)).get_indexer(table["cadre_id"].astype(str))
        fi = pd.Index(scenario.firms["id"].astype(str)).get_indexer(table["firm_id"].astype(str))
        # every firm of the scenario that had a cadre counts, also when that cadre has left
        # (it can only change); only pairs with a cadre still in the roster can be kept
        n_prev = int((fi >= 0).sum())
        ok = (ci >= 0) & (fi >= 0)
        key = pd.Index(cand.firm.astype(np.int64) * len(cadres) + cand.cadre)
        hit = key.get_indexer(fi[ok].astype(np.int64) * len(cadres) + ci[ok])
        prev_pairs = np.zeros(len(cand), bool)
        prev_pairs[hit[hit >= 0]] = True
        values["changes"] = prev_pairs.astype(np.int64)  # pairs kept (changes = n_prev - kept)
        scales["changes"] = 1
    mf = cadres["max_firms"].to_numpy(float)
    count = np.where(np.isnan(mf), -1, mf).astype(np.int64)
    mw = cadres["max_workload"].to_numpy(float)
    load, work, ls, _ = scaled_loads(cand.load, mw)
    return _Problem(scenario, cand, values, {**scales, "balance": 1, "workload": ls}, prev_pairs,
                    n_prev, count, work, load,
                    priority_ranks(scenario.firms["priority"].to_numpy()))


def evaluate(pr: _Problem, chosen: np.ndarray, name: str) -> float:
    """The value of objective ``name`` for a plan (in natural units)."""
    cand = pr.cand
    m = len(pr.scenario.cadres)
    if name == "balance":
        return float(np.bincount(cand.cadre[chosen], minlength=m).max(initial=0))
    if name == "workload":
        assert cand.load is not None
        return float(np.round(np.bincount(cand.cadre[chosen], weights=cand.load[chosen],
                                          minlength=m).max(initial=0), 6))
    if name == "changes":
        return float(pr.n_prev - int(pr.values["changes"][chosen].sum()))
    if name == "distance":
        return float(np.round(np.nan_to_num(cand.distance_km[chosen]).sum(), 6))
    if name == "cost":
        return float(np.round(cand.cost[chosen].sum(), 6))
    return float(pr.values[name][chosen].sum())


def tradeoff(
    scenario: Scenario | Problem,
    between: tuple[str, str] | list[str] | str = ("distance", "balance"),
    points: int = 10,
    previous: Pairing | pd.DataFrame | None = None,
    time_limit: float | None = None,
    seed: int = 0,
) -> TradeOff:
    """The Pareto front between two objectives (see the module docs).

    Args:
        scenario: The scenario.
        between: Two of :data:`OBJECTIVES` (a list or "a,b"); the first is minimised, the
            second bounded.
        points: Most bounds tried (all integer bounds when there are no more than this).
        previous: The previous plan, for ``changes`` (default: the scenario's
            ``assignment.previous``).
        time_limit: Seconds per CP-SAT solve (default: the scenario's ``time_limit_s``
            divided among the solves, at least 1 s).
        seed: CP-SAT seed.

    Raises:
        ValueError: a rule the front cannot honour (pins, ``max_changes``, teams).
    """
    if isinstance(scenario, Problem):  # the compiled problem: its previous plan included
        scenario = scenario.as_scenario()
    if scenario.config.assignment.mode == "teams":
        raise ValueError("tradeoff covers pairings of single cadres; mode teams (task forces) "
                         "is not supported yet")
    start = time.perf_counter()
    names = [x.strip() for x in between.split(",")] if isinstance(between, str) else list(between)
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(f"--between takes two different objectives, not '{','.join(names)}'")
    for name in names:
        if name not in OBJECTIVES:
            raise ValueError(f"unknown objective '{name}'; choose from {', '.join(OBJECTIVES)}")
    if points < 2:
        raise ValueError("--points must be at least 2")
    a, b = names
    if scenario.pinned is not None and len(scenario.pinned):
        raise ValueError("tradeoff does not take pinned pairs yet; trace the front without "
                         "assignment.pinned (the pins' firms and cadres' places aside)")
    if scenario.config.assignment.max_changes is not None:
        raise ValueError("tradeoff does not honour assignment.max_changes yet; trace the "
                         "front between an objective and 'changes' instead")
    if previous is None:
        previous = scenario.previous
    pr = _problem(scenario, (a, b), previous)
    has_work = bool((pr.work >= 0).any())
    budget = scenario.config.assignment.max_cadres
    if (not has_work and budget is None and {a, b} <= {"distance", "cost", "balance"}
            and "balance" in (a, b)):
        raw = _flow_front(pr, a, b, points)
    else:
        per = time_limit or max(scenario.config.assignment.time_limit_s / (2 * points + 4), 1.0)
        raw = _cpsat_front(pr, a, b, points, per, scenario.config.assignment.workers, seed)
    rows, plans = _non_dominated(pr, raw, a, b)
    front = pd.DataFrame(rows, columns=[a, b, "bound", "covered", "status"])
    return TradeOff(front, plans, (a, b), time.perf_counter() - start,
                    {"scenario": scenario.name, "points": points, "seed": seed})


def _covered_key(pr: _Problem, chosen: np.ndarray) -> tuple:
    """Firms covered per priority level, highest first (compared lexicographically)."""
    levels = int(pr.ranks.max(initial=0)) + 1
    per = np.bincount(pr.ranks[pr.cand.firm[chosen]], minlength=levels)
    return tuple(per[::-1].tolist())


def _flow_front(pr: _Problem, a: str, b: str, points: int) -> list[tuple]:
    """Distance or cost against balance: the flow with every cadre capped at the bound."""
    cand = pr.cand
    n = len(pr.scenario.firms)
    cost_name = a if b == "balance" else b
    cost = pr.values[cost_name]
    base_cap = count_capacity(pr.scenario.cadres["max_firms"].to_numpy(float), n)

    def run(bound: int) -> np.ndarray:
        chosen, _ = solve_flow(cand.cadre, cand.firm, cost, np.minimum(base_cap, bound), pr.ranks)
        return chosen

    best = run(n)
    target = _covered_key(pr, best)
    hi = int(evaluate(pr, best, "balance"))
    lo_ok, lo = hi, 0  # the least bound keeping coverage, by bisection
    while lo < lo_ok - 1:
        mid = (lo + lo_ok) // 2
        if _covered_key(pr, run(mid)) == target:
            lo_ok = mid
        else:
            lo = mid
    bounds = _grid(lo_ok, hi, points, integer=True)
    out = []
    for bound in bounds:
        chosen = best if bound == hi else run(int(bound))
        # with balance first, the same plan is the optimum for a bound at its own cost
        out.append((chosen, float(bound) if b == "balance" else evaluate(pr, chosen, b),
                    "optimal"))
    return out


def _grid(lo: float, hi: float, points: int, integer: bool) -> list[float]:
    if hi <= lo:
        return [lo]
    if integer and hi - lo + 1 <= points:
        return [float(v) for v in range(int(lo), int(hi) + 1)]
    vals = np.linspace(lo, hi, points)
    if integer:
        vals = np.unique(np.round(vals))
    return [float(v) for v in vals]


def _cpsat_front(pr: _Problem, a: str, b: str, points: int, per: float, workers: int,
                 seed: int) -> list[tuple]:
    """Any two objectives: CP-SAT, minimise a with b bounded, then b at that a."""
    cand = pr.cand
    n = len(pr.scenario.firms)

    # coverage target: what the plain solve reaches (lexicographic by priority)
    base = solve_cpsat(cand.cadre, cand.firm, pr.values["cost"], pr.load,
                       Limits(pr.count, pr.work), pr.ranks, per * 2, workers, seed)
    if base.status not in ("optimal", "feasible"):
        return []
    budget = pr.scenario.config.assignment.max_cadres
    if budget is not None:  # the coverage the plain solve reaches within the cadre budget
        from ..solve import solve as plain_solve

        best = plain_solve(pr.scenario.with_config(change_cost=None), time_limit=per * 2,
                           seed=seed)
        if best.status not in ("optimal", "feasible"):
            return []
        covered_firms = np.unique(
            pd.Index(pr.scenario.firms["id"]).get_indexer(best.pairs["firm_id"]))
    else:
        covered_firms = np.unique(cand.firm[base.chosen])
    # per priority level, as many firms covered as the plain solve covers (a plan can match
    # a coverage-optimal plan level by level only with exactly its counts)
    levels = int(pr.ranks.max(initial=-1)) + 1
    target = np.bincount(pr.ranks[covered_firms], minlength=levels)
    level_of = pr.ranks[cand.firm]

    by_firm: dict[int, list[int]] = {}
    by_cadre: dict[int, list[int]] = {}
    for p, (c, f) in enumerate(zip(cand.cadre.tolist(), cand.firm.tolist(), strict=True)):
        by_firm.setdefault(f, []).append(p)
        by_cadre.setdefault(c, []).append(p)

    def build() -> tuple[cp_model.CpModel, list, dict]:
        model = cp_model.CpModel()
        x = [model.new_bool_var(f"x{p}") for p in range(len(cand))]
        for ps in by_firm.values():
            model.add_at_most_one(x[p] for p in ps)
        for level in range(levels):
            if target[level] > 0:
                on = np.flatnonzero(level_of == level).tolist()
                model.add(sum(x[p] for p in on) >= int(target[level]))
        if budget is not None:  # at most max_cadres cadres in use
            used = {c: model.new_bool_var(f"u{c}") for c in by_cadre}
            for c, ps in by_cadre.items():
                for p in ps:
                    model.add_implication(x[p], used[c])
            model.add(sum(used.values()) <= int(budget))
        for c, ps in by_cadre.items():
            if pr.count[c] >= 0:
                model.add(sum(x[p] for p in ps) <= int(pr.count[c]))
            if pr.work[c] >= 0:
                model.add(sum(int(pr.load[p]) * x[p] for p in ps) <= int(pr.work[c]))
        return model, x, {a: _expr(model, x, a), b: _expr(model, x, b)}

    def _expr(model, x, name: str):
        if name in ("balance", "workload"):
            coef = np.ones(len(cand), np.int64) if name == "balance" else pr.load
            top = int(max((coef[ps].sum() for ps in by_cadre.values()), default=0))
            top = min(top, n) if name == "balance" else top
            v = model.new_int_var(0, max(top, 0), name)
            for ps in by_cadre.values():
                model.add(sum(int(coef[p]) * x[p] for p in ps) <= v)
            return v
        coef = pr.values[name]
        s = sum(int(coef[p]) * x[p] for p in np.flatnonzero(coef).tolist())
        return pr.n_prev - s if name == "changes" else s

    hint: list[np.ndarray] = [base.chosen]

    def solve(minimise: str, bounds: list[tuple[str, int]]) -> tuple[np.ndarray | None, str, int]:
        model, x, ex = build()
        for name, lim in bounds:
            model.add(ex[name] <= lim)
        model.minimize(ex[minimise])
        hint_plan(model, x, hint[-1])
        solver = make_solver(per, workers, seed)
        st = solver.solve(model)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, STATUS[st], 0
        chosen = np.flatnonzero([solver.boolean_value(v) for v in x])
        hint.append(chosen)
        return chosen, STATUS[st], int(round(solver.objective_value))

    def lex(first: str, second: str, bounds: list) -> tuple[np.ndarray | None, str]:
        c1, s1, v1 = solve(first, bounds)
        if c1 is None:
            return None, s1
        c2, s2, _ = solve(second, bounds + [(first, v1)])
        if c2 is None:
            return c1, "feasible"
        return c2, "optimal" if s1 == s2 == "optimal" else "feasible"

    plan_a, st_a = lex(a, b, [])
    plan_b, st_b = lex(b, a, [])
    if plan_a is None or plan_b is None:
        return []
    sb = pr.scales[b]
    hi = _int_value(pr, plan_a, b)
    lo = _int_value(pr, plan_b, b)
    out = [(plan_b, lo / sb, st_b)]
    integer = b in ("balance", "skill", "changes")
    for bound in _grid(lo, hi, points, integer=integer)[1:-1]:
        chosen, st = lex(a, b, [(b, int(np.floor(bound)))])
        if chosen is not None:
            out.append((chosen, float(np.floor(bound)) / sb, st))
    out.append((plan_a, hi / sb, st_a))
    return out


def _int_value(pr: _Problem, chosen: np.ndarray, name: str) -> int:
    """Objective value in the model's integer units."""
    if name in ("balance", "skill", "changes"):
        return int(evaluate(pr, chosen, name))
    if name == "workload":
        m = len(pr.scenario.cadres)
        return int(np.bincount(pr.cand.cadre[chosen], weights=pr.load[chosen], minlength=m).max(
            initial=0))
    return int(pr.values[name][chosen].sum())


def _non_dominated(pr: _Problem, raw: list[tuple], a: str, b: str) -> tuple[list, list[Pairing]]:
    """Evaluate the points, keep the non-dominated ones (first ascending), build plans."""
    from ..solve import _pairing

    pts = []
    for chosen, bound, status in raw:
        pts.append((evaluate(pr, chosen, a), evaluate(pr, chosen, b), bound,
                     int(len(chosen)), status, chosen))
    pts.sort(key=lambda t: (t[0], t[1]))
    rows, plans = [], []
    best_b = np.inf
    for va, vb, bound, covered, status, chosen in pts:
        if vb < best_b - 1e-9:
            best_b = vb
            rows.append((va, vb, bound, covered, status))
            p = _pairing(pr.scenario, pr.cand, chosen, status, 0.0, "tradeoff")
            plans.append(Pairing(**{**p, "seconds": 0.0, "meta": {"point": len(rows)}}))
    return rows, plans


def write_front(result: TradeOff, path: str | Path, manifest: dict | None = None) -> Path:
    """Write the front as CSV (one row per point, one column per objective)."""
    from ..io.export import write_csv

    return write_csv(path, result.front, manifest)


def front_figure(result: TradeOff) -> Any:
    """A matplotlib figure of the front (first objective against second)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = result.between
    fig, ax = plt.subplots(figsize=(6, 4.2))
    f = result.front
    ax.plot(f[b], f[a], "o-", color="C0")
    for i, r in enumerate(f.itertuples(index=False)):
        ax.annotate(str(i + 1), (getattr(r, b), getattr(r, a)), textcoords="offset points",
                    xytext=(4, 4), fontsize=8)
    units = {"distance": " (km)", "workload": " (hours)", "balance": " (most firms per cadre)",
             "skill": " (pairs without the primary skill)", "changes": " (firms moved)"}
    ax.set_xlabel(b + units.get(b, ""))
    ax.set_ylabel(a + units.get(a, ""))
    ax.grid(alpha=0.3)
    ax.set_title(f"{result.meta.get('scenario', '')}: Pareto front, {len(f)} points")
    fig.tight_layout()
    return fig
