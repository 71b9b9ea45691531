"""Coverage-first assignment with workload limits, solved with OR-Tools CP-SAT.

Lexicographic phases: (1) cover as many firms as possible, higher priority first: one
CP-SAT solve per priority level that the best plan so far leaves short, maximising that
level's count with the higher levels' counts fixed (counts read from the plans, never from
a floating-point objective, and no weights that grow with the number of levels); (2) with
those counts fixed as constraints, minimise the cost. Phase 1 is skipped when a greedy
plan already covers every firm that has an admissible cadre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from .budget import Budget, as_budget, make_solver
from .flow import solve_flow
from .gapsearch import core_pairs, search_pairs
from .lns import improve, regret_greedy

SEARCH_MAX_PAIRS = 50_000
"""Largest pair table on which the neighbourhood search follows the CP-SAT solve."""
CORE_K = 4
"""Cadres per firm in the core searched after the first CP-SAT solve (the firm's cheapest
by Lagrangian reduced cost, plus its cadre in the plan)."""
CORE_SHARE = 0.5
"""Share of the search stage's time for CP-SAT on the core; the rest goes to the
neighbourhood search on the core's pairs."""
FINAL = "lns"
"""The search after CP-SAT on the core: "lns" (:func:`assign.solvers.lns.improve`, CP-SAT
on a few cadres at a time) or "tabu" (the compiled search of
:mod:`assign.solvers.gapsearch`); "lns" ended better on d40400 (0.76-0.87% against
0.93%, 60 s)."""

PLAIN_DETERMINISTIC_WORKERS = 1
"""CP-SAT workers of the cost solve on a plain table under deterministic time (the
default clock). Interleaved workers (what deterministic time needs with more than one)
found no plan in 20-30 deterministic seconds on c801600 and d801600, where one worker
found plans 0.63% and 0.71% above the best known."""

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
    search_share: float = 0.75,
    wall: bool = False,
    plain_path: bool = True,
) -> CpSatResult:
    """Solve the coverage-first generalized assignment problem.

    Stages, all within ``time_limit``: a regret-greedy (or simple greedy) start; when it
    leaves coverable firms out, a full-coverage CP-SAT solve (stopped early if no plan
    appears), else the coverage phase; the cost phase (CP-SAT with the best plan as a
    hint, reporting the bound); and, if that is not proven optimal, a large-neighbourhood
    search (:func:`assign.solvers.lns.improve`) for the rest of the time.

    Args:
        cadre, firm: Cadre and firm index of each admissible pair.
        cost, load: Integer cost and load of each pair.
        limits: Per-cadre count and workload limits (integers, -1 = none).
        ranks: Priority rank of each firm (0 = lowest).
        time_limit: Seconds for all stages together.
        workers: CP-SAT search workers.
        seed: CP-SAT and search seed.
        search_share: Share of the time left after the first CP-SAT solve that goes to
            the neighbourhood search when the cost phase is not proven optimal.
        wall: Count ``time_limit`` in wall-clock seconds from this call, CP-SAT's workers
            in parallel (the plan then depends on the load); default deterministic time
            (:mod:`assign.solvers.budget`).
        plain_path: Send a plain table (:func:`_plain_table`) to the textbook model at once;
            False is the fall-back when that finds no plan.
    """
    budget = Budget(time_limit, wall=wall)
    left = budget.left
    n = len(ranks)
    if len(cost) == 0:
        return CpSatResult(np.zeros(0, np.int64), "optimal", 0, 0)
    plain = plain_path and _plain_table(cadre, firm, limits, ranks, n)
    if plain:
        # no count limit binds: the relaxation gives each firm its cheapest cadre
        relaxed, relaxed_status = cheapest_pairs(firm, cost), "optimal"
    else:
        # the count-limited flow is a relaxation: its optimum, if it keeps every workload
        # cap, is optimal outright (coverage and cost can only get worse with workloads)
        capacity = np.where(limits.count < 0, n, limits.count)
        relaxed, relaxed_status = solve_flow(cadre, firm, cost, capacity, ranks)
    if relaxed_status == "optimal" and _within_work(relaxed, cadre, load, limits):
        obj = int(cost[relaxed].sum())
        return CpSatResult(relaxed, "optimal", obj, obj)
    levels = int(ranks.max(initial=-1)) + 1
    coverable = np.zeros(n, dtype=bool)
    coverable[firm] = True
    full = np.bincount(ranks[coverable], minlength=levels)
    hint = greedy(cadre, firm, cost, load, limits, ranks)
    # A plan placed by load share finds full coverage on tight instances but is costly;
    # it proves full coverage possible but is not given to CP-SAT as a hint (measured:
    # on d801600 such a hint leaves CP-SAT 0.3% worse after 60 s than no hint).
    cost_aware = True
    complete = coverage_key(hint, firm, ranks, levels) == tuple(full[::-1].tolist())
    # A plain table (every firm must be covered, no priorities, no count limit) goes to
    # the textbook model at once: the regret greedies run only to show full coverage
    # possible when the simple greedy does not, and the cost-regret plan is not made for a
    # hint. On tables over SEARCH_MAX_PAIRS even that waits until CP-SAT has found no plan
    # (the load regret alone took 1-8 s there, by the machine's load).
    defer = plain and not complete and len(cost) > SEARCH_MAX_PAIRS
    if not plain:
        greedies: tuple[str, ...] = ("cost", "load")
    elif complete or defer:
        greedies = ()
    else:
        greedies = ("load",)
    for by in greedies:
        regret = regret_greedy(cadre, firm, cost, load, limits.count, limits.work, n, by)
        if regret is not None and (coverage_key(regret, firm, ranks, levels), -cost[regret].sum()) > (
                coverage_key(hint, firm, ranks, levels), -cost[hint].sum()):
            hint, cost_aware = regret, by == "cost"
    target, cover_status = full.copy(), "optimal"
    if not defer and coverage_key(hint, firm, ranks, levels) < tuple(full[::-1].tolist()):
        # count limits alone (the flow relaxation) may already show full coverage impossible
        possible = coverage_key(relaxed, firm, ranks, levels) == tuple(full[::-1].tolist())
        found = (_first_plan_or_give_up(cadre, firm, load, limits, n, budget, workers, seed)
                 if possible else None)
        if found is not None:
            hint = found
        else:
            res = _cover_by_level(cadre, firm, load, limits, ranks, full, hint,
                                  budget.child(left() / 2), workers, seed)
            if res is None:
                return CpSatResult(np.zeros(0, np.int64), "infeasible", 0, 0)
            hint, target, cover_status = res
    exact = bool((target == full).all())
    must = full[ranks] == target[ranks]
    model, x = _model(cadre, firm, load, limits, n, must)
    _level_targets(model, x, firm, ranks, target, full)
    model.minimize(cp_model.LinearExpr.weighted_sum(x, cost.tolist()))
    if cost_aware and not defer:
        hint_plan(model, x, hint)
    # the neighbourhood search makes one CP-SAT call per move: on large instances CP-SAT
    # alone uses the time better (measured on d801600, 128,000 pairs)
    searching = (limits.work >= 0).any() and exact and len(cost) <= SEARCH_MAX_PAIRS
    first = left() * (1 - search_share) if searching else left()
    # deterministic time on a plain table: one worker (interleaved workers found no plan at
    # all on the largest benchmark tables where one worker came within 0.7%)
    solver = make_solver(max(first, 0.05),
                         PLAIN_DETERMINISTIC_WORKERS if plain and not budget.wall else workers,
                         seed)
    st = budget.solve(solver, model)
    status = STATUS[st]
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.flatnonzero([solver.boolean_value(v) for v in x])
        bound = int(np.ceil(solver.best_objective_bound - 1e-6))  # float noise on an integer bound
    elif defer:
        # no plan placing every firm: the coverage path decides what can be covered, with
        # the time left (a load-share plan placing every firm is taken if it finds one)
        regret = regret_greedy(cadre, firm, cost, load, limits.count, limits.work, n, "load")
        if st != cp_model.INFEASIBLE and regret is not None and len(regret) == n:
            return CpSatResult(regret, "feasible", int(cost[regret].sum()), 0)
        return solve_cpsat(cadre, firm, cost, load, limits, ranks, budget.left(), workers, seed,
                           search_share, budget.wall, plain_path=False)
    elif searching and len(hint) and st != cp_model.INFEASIBLE:
        # no plan in the first solve's time (large tables): search from the start plan,
        # which covers every coverable firm when ``exact``
        chosen, bound, status = hint, 0, "feasible"
    else:
        obj = int(cost[hint].sum())
        return CpSatResult(hint, "feasible" if len(hint) else status, obj, 0)
    if status != "optimal" and searching and left() > 0.05:
        chosen, lb = _search(cadre, firm, cost, load, limits, must, chosen, budget, workers, seed)
        # the Lagrangian bound holds for every plan covering the same (all coverable) firms
        if np.isfinite(lb):
            bound = max(bound, int(np.ceil(lb - 1e-6)))
        if int(cost[chosen].sum()) <= bound:
            status = "optimal"
    if cover_status != "optimal" and status == "optimal":
        status = "feasible"
    return CpSatResult(chosen, status, int(cost[chosen].sum()), bound)


def _search(cadre, firm, cost, load, limits, must, chosen, budget, workers, seed):
    """The search stage after the first CP-SAT solve: CP-SAT on the core of the pair table
    (each firm's cheapest cadres by Lagrangian reduced cost, :func:`core_pairs`), then the
    neighbourhood search on the core's pairs. Returns a plan never costlier than
    ``chosen``, covering the same firms within every limit."""
    n = len(must)
    if CORE_K > 0:
        keep, lb = core_pairs(cadre, firm, cost, load, limits.work, chosen, CORE_K)
        sub = np.flatnonzero(keep)
    else:
        sub, lb = np.arange(len(cadre)), -np.inf
    at = np.full(len(cadre), -1, dtype=np.int64)
    at[sub] = np.arange(len(sub))
    c, f, co, lo = cadre[sub], firm[sub], cost[sub], load[sub]
    plan = at[chosen]
    if CORE_K > 0 and CORE_SHARE > 0:
        model, x = _model(c, f, lo, limits, n, must)
        model.minimize(cp_model.LinearExpr.weighted_sum(x, co.tolist()))
        hint_plan(model, x, plan)
        solver = make_solver(max(budget.left() * CORE_SHARE, 0.05), workers, seed)
        st = budget.solve(solver, model)
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            found = np.flatnonzero([solver.boolean_value(v) for v in x])
            if int(co[found].sum()) < int(co[plan].sum()):
                plan = found
    if budget.left() > 0.05 and FINAL == "tabu":
        plan = search_pairs(c, f, co, lo, limits.count, limits.work, plan, budget.left(), seed)
    elif budget.left() > 0.05 and len(sub) <= SEARCH_MAX_PAIRS:
        plan = improve(c, f, co, lo, limits.count, limits.work, plan, budget, seed)
    return sub[plan], lb


def _plain_table(cadre: np.ndarray, firm: np.ndarray, limits: Limits, ranks: np.ndarray,
                 n: int) -> bool:
    """Whether the table is a plain generalized assignment problem: every firm has an
    admissible cadre, all firms share one priority level, and no cadre's count limit is
    below its number of pairs (only workload caps limit the cadres)."""
    if n == 0 or len(np.unique(ranks)) > 1:
        return False
    if np.bincount(firm, minlength=n).min() == 0:
        return False
    per = np.bincount(cadre, minlength=len(limits.count))
    return not ((limits.count >= 0) & (limits.count < per)).any()


def cheapest_pairs(firm: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Each firm's cheapest pair (the first listed among equal costs), by firm."""
    order = np.lexsort((np.arange(len(firm)), cost, firm))
    starts = np.r_[0, np.flatnonzero(np.diff(firm[order])) + 1]
    return order[starts]


def _within_work(chosen: np.ndarray, cadre: np.ndarray, load: np.ndarray, limits: Limits) -> bool:
    """Whether a plan keeps every cadre's workload cap."""
    used = np.bincount(cadre[chosen], weights=load[chosen], minlength=len(limits.work))
    capped = limits.work >= 0
    return bool((np.rint(used[capped]).astype(np.int64) <= limits.work[capped]).all())


def coverage_key(chosen: np.ndarray, firm: np.ndarray, ranks: np.ndarray, levels: int) -> tuple:
    """Firms covered per priority level, highest level first: tuples compare as coverage-first
    plans are ranked (lexicographically by level), with no weights to overflow."""
    covered = np.unique(firm[chosen]) if len(chosen) else np.zeros(0, np.int64)
    return tuple(np.bincount(ranks[covered], minlength=levels)[::-1].tolist())


def _cover_by_level(cadre, firm, load, limits, ranks, full, hint, seconds, workers, seed):
    """Most firms covered per priority level, highest level first, each level's count
    fixed before the next is maximised (one CP-SAT solve per level the best plan so far
    leaves short; counts taken from the plans themselves, exactly).

    Returns (best plan, covered count per level, status) or None if no plan is found.
    """
    budget = as_budget(seconds)
    n, levels = len(ranks), len(full)
    target = np.zeros(levels, dtype=np.int64)
    status = "optimal"
    best = hint
    for level in range(levels - 1, -1, -1):
        have = np.asarray(coverage_key(best, firm, ranks, levels)[::-1])
        if have[level] >= full[level]:
            target[level] = full[level]
            continue
        must = np.zeros(n, dtype=bool)
        model, x = _model(cadre, firm, load, limits, n, must)
        _level_targets(model, x, firm, ranks, target, full, only_above=level)
        on_level = np.flatnonzero(ranks[firm] == level)
        model.maximize(sum(x[p] for p in on_level.tolist()))
        hint_plan(model, x, best)
        solver = make_solver(max(budget.left() / (level + 1), 0.05), workers, seed)
        st = budget.solve(solver, model)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if st == cp_model.INFEASIBLE and not len(best):
                return None
            status = "feasible"
            target[level] = have[level]
            continue
        plan = np.flatnonzero([solver.boolean_value(v) for v in x])
        got = np.asarray(coverage_key(plan, firm, ranks, levels)[::-1])
        if st != cp_model.OPTIMAL:
            status = "feasible"
        if got[level] >= have[level]:
            best = plan
        target[level] = max(got[level], have[level])
    return best, target, status


def _level_targets(model, x, firm, ranks, target, full, only_above: int = -1) -> None:
    """At least ``target[l]`` firms covered at each level l above ``only_above`` that is not
    already forced whole (levels at full coverage use exactly-one constraints instead)."""
    level_of_pair = ranks[firm]
    for level in range(len(target)):
        if level <= only_above and only_above >= 0:
            continue
        if only_above < 0 and target[level] == full[level]:
            continue
        if target[level] <= 0:
            continue
        ps = np.flatnonzero(level_of_pair == level).tolist()
        model.add(sum(x[p] for p in ps) >= int(target[level]))


class _FirstPlan(cp_model.CpSolverSolutionCallback):
    """Stops the search at the first plan (full coverage is then known to be possible)."""

    def __init__(self, x: list) -> None:
        super().__init__()
        self.x = x
        self.plan: np.ndarray | None = None

    def on_solution_callback(self) -> None:
        self.plan = np.flatnonzero([self.boolean_value(v) for v in self.x])
        self.stop_search()


def _first_plan_or_give_up(cadre, firm, load, limits, n, budget, workers, seed):
    """A plan covering every coverable firm, or None if none appears in a third of the time."""
    coverable = np.zeros(n, dtype=bool)
    coverable[firm] = True
    model, x = _model(cadre, firm, load, limits, n, coverable)
    cb = _FirstPlan(x)
    solver = make_solver(max(budget.left() / 3, 0.05), workers, seed)
    budget.solve(solver, model, cb)
    return cb.plan


def _model(
    cadre: np.ndarray, firm: np.ndarray, load: np.ndarray, limits: Limits, n: int, must: np.ndarray
) -> tuple[cp_model.CpModel, list]:
    model, x, _, _ = pair_model(cadre, firm, load, limits, must)
    return model, x


def pair_model(
    cadre: np.ndarray, firm: np.ndarray, load: np.ndarray, limits: Limits, must: np.ndarray
) -> tuple[cp_model.CpModel, list, dict[int, list], dict[int, list[int]]]:
    """Pair variables with one cadre at most per firm (exactly one for ``must`` firms) and
    the cadres' count and workload limits.

    Returns the model, the pair variables, each firm's variables and each cadre's pair
    indices.
    """
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(cadre))]
    by_firm: dict[int, list] = {}
    by_cadre: dict[int, list[int]] = {}
    for p, (c, f) in enumerate(zip(cadre.tolist(), firm.tolist(), strict=True)):
        by_firm.setdefault(f, []).append(x[p])
        by_cadre.setdefault(c, []).append(p)
    for f, vars_ in by_firm.items():
        if must[f]:
            model.add_exactly_one(vars_)
        else:
            model.add_at_most_one(vars_)
    for c, ps in by_cadre.items():
        if limits.count[c] >= 0 and limits.count[c] < len(ps):
            model.add(cp_model.LinearExpr.sum([x[p] for p in ps]) <= int(limits.count[c]))
        if limits.work[c] >= 0 and int(load[ps].sum()) > limits.work[c]:
            model.add(cp_model.LinearExpr.weighted_sum([x[p] for p in ps], load[ps].tolist())
                      <= int(limits.work[c]))
    return model, x, by_firm, by_cadre


def hint_plan(model: cp_model.CpModel, x: list, chosen: np.ndarray) -> None:
    """Hint the plan made of the ``chosen`` pairs (replacing any earlier hint)."""
    model.clear_hints()
    on = np.zeros(len(x), dtype=np.int64)
    on[chosen] = 1
    # written to the model's hint directly: add_hint per variable took seconds on 128,000
    hint = model.proto.solution_hint
    hint.vars.extend([v.index for v in x])
    hint.values.extend(on.tolist())
