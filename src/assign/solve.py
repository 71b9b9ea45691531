"""``solve``: pair cadres with firms, coverage first, then least cost."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .assemble import MAX_INT_COST as MAX_INT_COST  # the plan's tables: shared with solvers.teams
from .assemble import _meta, _pairing
from .assemble import cost_units as cost_units
from .candidates import Candidates, PairRules
from .changes import had_cadre
from .conflicts import pin_conflicts
from .io.scenario import Scenario, uses_roads
from .pairing import Pairing
from .pins import Pins, pinned_candidates
from .problem import Problem, as_problem
from .solvers.balance import balanced_capacity
from .solvers.constrained import SideRules, solve_constrained
from .solvers.coverage import priority_ranks, scaled_loads
from .solvers.cpsat import Limits, solve_cpsat
from .solvers.flow import count_capacity, solve_flow
from .solvers.priced import LARGE_PAIRS, NEAREST, estimate_pairs, solve_priced

Backend = Literal["auto", "flow", "cpsat", "priced"]


def choose_backend(scenario: Scenario | Problem, backend: Backend | None = None) -> str:
    """The backend to use: the first of min-cost flow and CP-SAT that honours every rule the
    problem uses (the province path for count-limited scenarios too large to hold whole).

    The flow holds count limits, pins, exclusions, change discounts and ``balance: firms``
    exactly; CP-SAT adds ``max_workload`` limits, ``max_cadres``, ``max_changes`` and
    ``balance: workload`` (see :data:`assign.problem.SUPPORTS`).

    Raises:
        UnsupportedRule: ``backend`` names one that cannot honour a rule the problem uses.
    """
    problem = as_problem(scenario)
    backend = backend or problem.config.backend
    able = problem.backends()
    if backend in ("auto", "flow") and "priced" in able and province_scale(problem):
        return "priced"  # the flow, priced in blocks: the table is too large to hold whole
    if backend == "auto":
        for name in ("flow", "cpsat"):
            if name in able:
                return name
        problem.require("cpsat")  # names what no backend supports
    problem.require(backend)
    return backend


def _side_rules(scenario: Scenario) -> bool:
    """Whether the CP-SAT path needs the side-rules model rather than the plain one."""
    cfg = scenario.config.assignment
    return (cfg.max_cadres is not None or cfg.max_changes is not None or cfg.balance != "none")


def solve(
    scenario: Scenario | Problem,
    backend: Backend | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    previous: pd.DataFrame | str | Path | None = None,
    executor: Any = None,
    clock: Literal["deterministic", "wall"] = "deterministic",
) -> Pairing:
    """Pair the scenario's cadres with its firms.

    Cover as many firms as possible, higher priority first, within every cadre's
    ``max_firms`` and ``max_workload``, the scenario's distance and skill limits and its
    planning rules (pins, forbidden pairs, conflicts of interest, ``max_cadres``,
    ``max_changes``); then, with ``balance``, make the largest load as small as possible;
    then, against a previous plan, change as few firms as possible (or price changes at
    ``change_cost``); then minimise the objective (total km or total pair cost).

    Args:
        scenario: A loaded scenario, or a :class:`~assign.problem.Problem` compiled from one.
        backend: "flow", "cpsat", "priced" (the province path) or "auto" (default: the
            scenario's setting); one that cannot honour a rule the problem uses is refused.
        time_limit: Seconds for CP-SAT (default: the scenario's ``time_limit_s``).
        seed: CP-SAT random seed.
        previous: Last round's pairing (a frame with ``cadre_id, firm_id`` or a file
            written by zhuqi); default: the scenario's ``assignment.previous``.
        executor: Where the flow's independent parts (groups of connected components of
            the pair graph: counties, cities with no pair between them) are solved, one
            task each: any object with the ``map_unordered(fn, shared, tasks)`` method of
            ``sim.executors`` (``ProcessExecutor`` for local processes, ``DaskExecutor``
            for a cluster). The plan is the same as without it.
        clock: How ``time_limit`` is counted by the CP-SAT path without side rules:
            "deterministic" (default: CP-SAT's deterministic time, so the same seed gives
            the same plan whatever the load) or "wall" (wall-clock seconds from this call,
            CP-SAT's workers in parallel; the plan depends on the load; for comparisons
            with solvers given the same wall-clock time). Other paths are deterministic.

    Returns:
        The :class:`Pairing`; an infeasible or partial plan is a status, not an exception.
        An infeasible plan lists the conflicting rules in ``conflicts``. Every plan is checked
        by :func:`assign.validate.check_plan` first; one that breaks a rule is reported
        ``rejected`` with the broken rules in ``conflicts``.

    Raises:
        UnsupportedRule: ``backend`` cannot honour a rule the problem uses.
    """
    start = time.perf_counter()
    if clock not in ("deterministic", "wall"):
        raise ValueError(f"clock must be 'deterministic' or 'wall', not {clock!r}")
    problem = as_problem(scenario, previous)
    scenario = problem.scenario
    cfg = scenario.config.assignment
    if cfg.mode == "teams":  # task forces per zone: CP-SAT (assign.solvers.teams)
        from .solvers.teams import solve_teams

        return checked(problem, solve_teams(scenario, backend, time_limit, seed,
                                            problem.previous))
    previous = problem.previous
    used = choose_backend(problem, backend)
    limit = float(time_limit if time_limit is not None else cfg.time_limit_s)
    pinned = pinned_candidates(scenario)
    found = pin_conflicts(scenario, pinned, previous)
    if found:
        return _infeasible(scenario, found, used, limit, seed, start, previous)
    pins = problem.pins
    sub = pins.sub
    if used == "priced":
        big = solve_priced(sub, max_km=problem.reach_km, executor=executor)
        cand, chosen = pins.merge(big.candidates, big.chosen)
        pairing = _pairing(scenario, cand, chosen, big.status, 0.0, used)
        meta = _meta(scenario, used, limit, seed, big.admissible_pairs)
        meta["pricing"] = {"rounds": big.rounds, "working_pairs": big.working_pairs,
                           "repairs": big.repairs,
                           "nearest": NEAREST, "certificate": big.certificate}
        return checked(problem, Pairing(**{**pairing, "seconds": time.perf_counter() - start,
                                           "meta": meta}))
    cand = pins.restrict(problem.candidates(with_load=used == "cpsat"))
    prev = PairRules.of(sub, previous).is_previous(cand.cadre, cand.firm) if (
        previous is not None) else None
    ranks = priority_ranks(sub.firms["priority"].to_numpy())
    extra = [cfg.change_cost] if cfg.change_cost is not None else []
    cost_all, cost_scale, cost_exact = cost_units(np.r_[cand.cost, extra])
    cost = cost_all[: len(cand.cost)]
    max_firms = sub.cadres["max_firms"].to_numpy(float)
    count = np.where(np.isnan(max_firms), -1, max_firms).astype(np.int64)
    m, n = len(sub.cadres), len(sub.firms)
    discount = None
    if prev is not None and prev.any():
        if cfg.change_cost is not None:
            discount = int(cost_all[-1])
        elif len(cost):  # fewest changes first: worth more than any exchange's cost change
            discount = (2 * min(m, n) + 2) * int(cost.max() - cost.min()) + 1
    if used == "flow":
        capacity = count_capacity(max_firms, n)
        flow_cost = cost - discount * prev if discount is not None and prev is not None else cost
        if cfg.balance == "firms":
            capacity, _ = balanced_capacity(cand.cadre, cand.firm, flow_cost, capacity, ranks,
                                            pins.count)
        chosen, status = solve_flow(cand.cadre, cand.firm, flow_cost, capacity, ranks,
                                    executor)
        bound = float(cost[chosen].sum()) / cost_scale if status == "optimal" else 0.0
    else:
        assert cand.load is not None  # built with loads for CP-SAT
        # pinned loads are taken off the caps in integers, so the caps stay exact
        k = len(cand.load)
        load_all, work, _, load_exact = scaled_loads(
            np.r_[cand.load, pins.pinned.load], scenario.cadres["max_workload"].to_numpy(float))
        load = load_all[:k]
        pin_load = np.bincount(pins.pinned.cadre, weights=load_all[k:],
                               minlength=m).astype(np.int64)
        work = np.where(work < 0, -1, np.maximum(work - pin_load, 0))
        limits = Limits(count, work)
        if _side_rules(scenario) or prev is not None:
            had = had_cadre(sub, previous) if previous is not None else np.zeros(n, bool)
            forced = _pinned_changes(scenario, pins, previous)
            side = SideRules(
                prev=prev, had_prev=int(had.sum()),
                max_changes=None if cfg.max_changes is None else cfg.max_changes - forced,
                change_cost=None if cfg.change_cost is None else discount,
                max_cadres=None if cfg.max_cadres is None else
                cfg.max_cadres - int((pins.count > 0).sum()),
                preused=pins.count > 0, balance=cfg.balance, offset_count=pins.count,
                offset_load=pin_load)
            res = solve_constrained(cand.cadre, cand.firm, cost, load, limits, ranks, side,
                                    limit, cfg.workers, seed)
            if res.status == "infeasible":
                from .conflicts import explain_infeasible

                found = explain_infeasible(scenario, previous, limit)
                return _infeasible(scenario, found, used, limit, seed, start, previous)
        else:
            wall = clock == "wall"
            res = solve_cpsat(cand.cadre, cand.firm, cost, load, limits, ranks,
                              limit - (time.perf_counter() - start) if wall else limit,
                              cfg.workers, seed, wall=wall)
        chosen, status = res.chosen, res.status
        bound = res.bound / cost_scale if discount is None else 0.0
        if not load_exact and status == "optimal":
            # loads were rounded up: every cap holds, but a plan using the last fraction of
            # a cap may have been missed, so the plan is not proven optimal
            status = "feasible"
    if not cost_exact and status == "optimal":
        # each cost was rounded by at most half a unit: the true optimum (same coverage)
        # is at most one unit per covered firm below this plan's cost
        status = "feasible"
        bound = float(cand.cost[chosen].sum()) - len(chosen) / cost_scale
    bound += float(pins.pinned.cost.sum())
    cand, chosen = pins.merge(cand, chosen)
    pairing = _pairing(scenario, cand, chosen, status, bound, used, previous)
    meta = _meta(scenario, used, limit, seed, len(cand))
    seconds = time.perf_counter() - start
    return checked(problem, Pairing(**{**pairing, "seconds": seconds, "meta": meta}))


def checked(problem: Problem, pairing: Pairing) -> Pairing:
    """``pairing``, or the same plan marked ``invalid`` when the independent validator finds
    a rule it breaks: status ``rejected``, the broken rules listed in ``conflicts``."""
    from dataclasses import replace

    from .validate import check_plan

    if pairing.status not in ("optimal", "feasible"):
        return pairing
    broken = check_plan(problem, pairing)
    if not broken:
        return pairing
    return replace(pairing, status="rejected",
                   conflicts=[f"rejected by the validator: {b}" for b in broken])


def _pinned_changes(scenario: Scenario, pins: Pins, previous: pd.DataFrame | None) -> int:
    """Changes the pins make: pinned firms that had another cadre (or one now gone)."""
    if previous is None or not pins.any:
        return 0
    before = dict(zip(previous["firm_id"], previous["cadre_id"], strict=True))
    cid, fid = scenario.cadres["id"].to_numpy(), scenario.firms["id"].to_numpy()
    return sum(1 for c, f in zip(pins.pinned.cadre, pins.pinned.firm, strict=True)
               if fid[f] in before and before[fid[f]] != cid[c])


def _infeasible(scenario: Scenario, conflicts: list, backend: str, limit: float, seed: int,
                start: float, previous: pd.DataFrame | None) -> Pairing:
    """The pairing of a scenario whose rules conflict: no pairs, every firm uncovered."""
    empty = Candidates(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.zeros(0),
                       np.zeros(0), np.zeros(0),
                       np.full(len(scenario.firms), "rules_conflict", dtype=object))
    pairing = _pairing(scenario, empty, np.zeros(0, np.int64), "infeasible", 0.0, backend,
                       previous)
    pairing["conflicts"] = [str(c) for c in conflicts]
    meta = _meta(scenario, backend, limit, seed, 0)
    return Pairing(**{**pairing, "seconds": time.perf_counter() - start, "meta": meta})


def province_scale(scenario: Scenario | Problem) -> bool:
    """Whether the pair table is too large to hold whole (over :data:`LARGE_PAIRS` estimated
    admissible pairs within the reach of the distance and travel limits; the flow is solved
    by pricing instead)."""
    problem = as_problem(scenario)
    scenario = problem.scenario
    reach = problem.reach_km
    if reach is None or scenario.pairs is not None or uses_roads(scenario):
        return False
    if len(scenario.cadres) * len(scenario.firms) <= LARGE_PAIRS:
        return False
    return estimate_pairs(scenario, max_km=reach) > LARGE_PAIRS
