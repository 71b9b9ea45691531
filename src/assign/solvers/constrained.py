"""CP-SAT for plans with rules a flow cannot hold: a cadre budget, a cap on changes, balanced
workloads (and any of these with workload limits).

Lexicographic phases, each an exact CP-SAT solve whose optimum is fixed as a constraint
for the next (no giant weights), each hinted with the last plan:

1. coverage, one priority level at a time, highest first;
2. ``balance``: the largest load (firms, or hours including pinned ones);
3. fewest changes (when a previous plan is given and ``change_cost`` is not);
4. the cost objective (plus ``change_cost`` per change when given).

The time limit is shared out over the phases left. The status is ``optimal`` only when
every phase was proven optimal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .budget import Budget
from .cpsat import STATUS, CpSatResult, Limits, hint_plan, make_solver, pair_model


@dataclass(frozen=True)
class SideRules:
    """The rules of one constrained solve, in the solver's integer units.

    Attributes:
        prev: Per pair, whether it is last round's pair of its firm (or None).
        had_prev: Firms (of this problem) that had a previous cadre: changes = had_prev - kept.
        max_changes: Most changes left after the pins' (None: no cap).
        change_cost: Integer cost per change (None: fewest changes before cost).
        max_cadres: Most cadres in use besides ``preused`` ones (None: no budget).
        preused: Per cadre, whether pins already use it (counts against the budget).
        balance: "none", "firms" or "workload".
        offset_count: Firms per cadre already held (pins).
        offset_load: Integer load per cadre already held (pins).
    """

    prev: np.ndarray | None = None
    had_prev: int = 0
    max_changes: int | None = None
    change_cost: int | None = None
    max_cadres: int | None = None
    preused: np.ndarray | None = None
    balance: str = "none"
    offset_count: np.ndarray | None = None
    offset_load: np.ndarray | None = None


def build_model(cadre, firm, load, limits: Limits, side: SideRules, m: int):
    """The model's variables and constraints (no objective).

    Returns the model, the pair variables, each firm's covered expression, the kept-pairs
    expression (or None) and the per-cadre use variables (or None).
    """
    n = int(firm.max(initial=-1)) + 1
    model, x, by_firm, by_cadre = pair_model(cadre, firm, load, limits, np.zeros(n, dtype=bool))
    kept = None
    if side.prev is not None and side.prev.any():
        kept = sum(x[p] for p in np.flatnonzero(side.prev).tolist())
    if side.max_changes is not None:
        need = side.had_prev - side.max_changes
        if need > 0:
            model.add((kept if kept is not None else 0) >= need)
    use = None
    if side.max_cadres is not None:
        pre = side.preused if side.preused is not None else np.zeros(m, dtype=bool)
        use = {}
        for c, ps in by_cadre.items():
            if pre[c]:
                continue
            u = model.new_bool_var(f"u{c}")
            for p in ps:
                model.add_implication(x[p], u)
            cap = int(limits.count[c]) if 0 <= limits.count[c] < len(ps) else len(ps)
            model.add(sum(x[p] for p in ps) <= cap * u)  # the tighter relaxation
            use[c] = u
        model.add(sum(use.values()) <= int(side.max_cadres))
    covered = {f: sum(vs) for f, vs in by_firm.items()}
    return model, x, covered, kept, use, by_cadre


def solve_constrained(
    cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, load: np.ndarray,
    limits: Limits, ranks: np.ndarray, side: SideRules, time_limit: float,
    workers: int = 2, seed: int = 0,
) -> CpSatResult:
    """Solve the coverage-first plan under the side rules (see the module docstring)."""
    budget = Budget(time_limit)
    m = len(limits.count)
    model, x, covered, kept, _, by_cadre = build_model(cadre, firm, load, limits, side, m)
    levels = sorted({int(ranks[f]) for f in covered}, reverse=True)
    phases: list[tuple[str, object]] = [("cover", lv) for lv in levels]
    if side.balance != "none":
        phases.append(("balance", None))
    if kept is not None and side.change_cost is None:
        phases.append(("changes", None))
    phases.append(("cost", None))
    hint = None
    proven = True
    objective = 0
    bound = 0
    cost_l = [int(c) for c in cost.tolist()]
    for k, (kind, level) in enumerate(phases):
        seconds = max(budget.left() / (len(phases) - k), 0.05)
        if kind == "cover":
            expr = sum(covered[f] for f in covered if int(ranks[f]) == level)
            model.maximize(expr)
        elif kind == "balance":
            weight = (np.ones(len(cadre), np.int64) if side.balance == "firms"
                      else np.asarray(load, np.int64))
            off = side.offset_count if side.balance == "firms" else side.offset_load
            off = np.zeros(m, np.int64) if off is None else np.asarray(off, np.int64)
            top = int(off.max(initial=0)) + int(max((weight[ps].sum() for ps in by_cadre.values()),
                                                     default=0))
            expr = model.new_int_var(int(off.max(initial=0)), max(top, 0), "largest")
            for c, ps in by_cadre.items():
                model.add(int(off[c]) + sum(int(weight[p]) * x[p] for p in ps) <= expr)
            model.minimize(expr)
        elif kind == "changes":
            expr = kept
            model.maximize(expr)
        else:
            expr = sum(c * v for c, v in zip(cost_l, x, strict=True))
            if kept is not None and side.change_cost is not None:
                expr = expr - int(side.change_cost) * kept
            model.minimize(expr)
        if hint is not None:
            hint_plan(model, x, hint)
        solver = make_solver(seconds, workers, seed)
        st = budget.solve(solver, model)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if hint is None:
                return CpSatResult(np.zeros(0, np.int64), STATUS[st], 0, 0)
            proven = False
            break
        proven &= st == cp_model.OPTIMAL
        hint = np.flatnonzero([solver.boolean_value(v) for v in x])
        value = int(round(solver.objective_value))
        if kind in ("cover", "changes"):
            model.add(expr >= value)
        elif kind == "balance":
            model.add(expr <= value)
        else:
            objective, bound = value, int(np.ceil(solver.best_objective_bound - 1e-6))
    assert hint is not None
    return CpSatResult(hint, "optimal" if proven else "feasible", objective, bound)
