"""``solve``: pair cadres with firms, coverage first, then least cost."""

from __future__ import annotations

import platform
import time
from importlib import metadata
from typing import Literal

import numpy as np
import pandas as pd

from .candidates import REASONS, Candidates, build_candidates, pair_load
from .coverage import decimal_scale, priority_ranks, scaled, scaled_loads
from .cpsat import Limits, solve_cpsat
from .flow import count_capacity, solve_flow
from .pairing import PAIR_COLUMNS, Pairing
from .priced import LARGE_PAIRS, NEAREST, estimate_pairs, solve_priced
from .scenario import Scenario

Backend = Literal["auto", "flow", "cpsat"]

MAX_INT_COST = 2**40
"""Largest integer cost of one pair (the flow's coverage rewards multiply it further)."""


def choose_backend(scenario: Scenario, backend: Backend | None = None) -> str:
    """The backend to use: min-cost flow unless workload limits need CP-SAT."""
    backend = backend or scenario.config.assignment.backend
    has_workload = scenario.cadres["max_workload"].notna().any()
    if backend == "flow" and has_workload:
        raise ValueError(
            "the flow backend cannot honour max_workload limits; use --backend cpsat or auto"
        )
    if backend == "auto":
        return "cpsat" if has_workload else "flow"
    return backend


def solve(
    scenario: Scenario,
    backend: Backend | None = None,
    time_limit: float | None = None,
    seed: int = 0,
) -> Pairing:
    """Pair the scenario's cadres with its firms.

    Cover as many firms as possible, higher priority first, within every cadre's
    ``max_firms`` and ``max_workload`` and the scenario's distance and skill limits;
    among such plans minimise the objective (total km or total pair cost).

    Args:
        scenario: A loaded scenario.
        backend: "flow", "cpsat" or "auto" (default: the scenario's setting).
        time_limit: Seconds for CP-SAT (default: the scenario's ``time_limit_s``).
        seed: CP-SAT random seed.

    Returns:
        The :class:`Pairing`; an infeasible or partial plan is a status, not an exception.
    """
    start = time.perf_counter()
    cfg = scenario.config.assignment
    limit = float(time_limit if time_limit is not None else cfg.time_limit_s)
    if cfg.mode == "teams":  # task forces per zone: CP-SAT (assign.teams)
        from .teams import solve_teams

        if backend == "flow" or (backend is None and cfg.backend == "flow"):
            raise ValueError("mode teams is solved with CP-SAT; use --backend cpsat or auto")

        return solve_teams(scenario, limit, seed)
    used = choose_backend(scenario, backend)
    if used == "flow" and _large(scenario):
        big = solve_priced(scenario)
        pairing = _pairing(scenario, big.candidates, big.chosen, big.status, 0.0, used)
        meta = _meta(scenario, used, limit, seed, big.admissible_pairs)
        meta["pricing"] = {"rounds": big.rounds, "working_pairs": big.working_pairs,
                           "nearest": NEAREST}
        return Pairing(**{**pairing, "seconds": time.perf_counter() - start, "meta": meta})
    cand = build_candidates(scenario, with_load=used == "cpsat")
    ranks = priority_ranks(scenario.firms["priority"].to_numpy())
    cost, cost_scale, cost_exact = cost_units(cand.cost)
    max_firms = scenario.cadres["max_firms"].to_numpy(float)
    count = np.where(np.isnan(max_firms), -1, max_firms).astype(np.int64)
    if used == "flow":
        capacity = count_capacity(max_firms, len(scenario.firms))
        chosen, status = solve_flow(cand.cadre, cand.firm, cost, capacity, ranks)
        bound = float(cost[chosen].sum()) / cost_scale if status == "optimal" else 0.0
    else:
        assert cand.load is not None  # built with loads for CP-SAT
        load, work, _, load_exact = scaled_loads(cand.load, scenario.cadres["max_workload"].to_numpy(float))
        res = solve_cpsat(
            cand.cadre, cand.firm, cost, load, Limits(count, work),
            ranks, limit, cfg.workers, seed,
        )
        chosen, status, bound = res.chosen, res.status, res.bound / cost_scale
        if not load_exact and status == "optimal":
            # loads were rounded up: every cap holds, but a plan using the last fraction of
            # a cap may have been missed, so the plan is not proven optimal
            status = "feasible"
    if not cost_exact and status == "optimal":
        # each cost was rounded by at most half a unit: the true optimum (same coverage)
        # is at most one unit per covered firm below this plan's cost
        status = "feasible"
        bound = float(cand.cost[chosen].sum()) - len(chosen) / cost_scale
    pairing = _pairing(scenario, cand, chosen, status, bound, used)
    meta = _meta(scenario, used, limit, seed, len(cand))
    seconds = time.perf_counter() - start
    return Pairing(**{**pairing, "seconds": seconds, "meta": meta})


def cost_units(cost: np.ndarray) -> tuple[np.ndarray, int, bool]:
    """Pair costs as integers: the smallest power-of-ten scale that represents them exactly.

    Returns ``(integer costs, scale, exact)``. Costs finer than ``10**-6`` units, or so
    large that the exact scale would overflow the solvers' integer range, are rounded to
    the nearest unit of the largest safe scale and ``exact`` is False: the plan is then
    reported ``feasible`` with an honest bound, never ``optimal``.
    """
    scale, exact = decimal_scale(cost)
    top = float(np.abs(cost).max(initial=0.0))
    while scale > 1 and top * scale > MAX_INT_COST:
        scale //= 10
        exact = False
    return scaled(cost, scale), scale, exact


def _large(scenario: Scenario) -> bool:
    """Whether the pair table is too large to hold whole (solved by pricing instead)."""
    cfg = scenario.config.assignment
    if cfg.max_distance_km is None or scenario.pairs is not None:
        return False
    if len(scenario.cadres) * len(scenario.firms) <= LARGE_PAIRS:
        return False
    return estimate_pairs(scenario) > LARGE_PAIRS


def _pairing(
    scenario: Scenario, cand: Candidates, chosen: np.ndarray, status: str, bound: float, backend: str
) -> dict:
    cadres, firms = scenario.cadres, scenario.firms
    chosen = np.sort(np.asarray(chosen, dtype=np.int64))
    ci, fi = cand.cadre[chosen], cand.firm[chosen]
    load = (cand.load[chosen] if cand.load is not None
            else pair_load(scenario, ci, fi, cand.distance_km[chosen]))
    pairs = pd.DataFrame(
        {
            "cadre_id": cadres["id"].to_numpy()[ci],
            "cadre_name": cadres["name"].to_numpy()[ci],
            "home_unit": cadres["home_unit"].to_numpy()[ci],
            "firm_id": firms["id"].to_numpy()[fi],
            "firm_name": firms["name"].to_numpy()[fi],
            "distance_km": np.round(cand.distance_km[chosen], 4),
            "skill_match": np.round(cand.skill_match[chosen], 4),
            "cost": cand.cost[chosen],
            "load": np.round(load, 6),
        },
        columns=PAIR_COLUMNS,
    )
    order = np.lexsort((fi, ci))
    pairs = pairs.iloc[order].reset_index(drop=True)
    m = len(cadres)
    loads = pd.DataFrame(
        {
            "cadre_id": cadres["id"],
            "cadre_name": cadres["name"],
            "home_unit": cadres["home_unit"],
            "firms": np.bincount(ci, minlength=m),
            "load": np.round(np.bincount(ci, weights=load, minlength=m), 6),
            "distance_km": np.round(
                np.bincount(ci, weights=np.nan_to_num(cand.distance_km[chosen]), minlength=m), 4
            ),
            "max_firms": cadres["max_firms"],
            "max_workload": cadres["max_workload"],
        }
    )
    covered = np.zeros(len(firms), dtype=bool)
    covered[fi] = True
    reason = cand.reason.copy()
    reason[(reason == "") & ~covered] = "capacity_used_up"
    un = np.flatnonzero(~covered)
    un = un[np.lexsort((un, -firms["priority"].to_numpy()[un]))]
    uncovered = pd.DataFrame(
        {
            "firm_id": firms["id"].to_numpy()[un],
            "firm_name": firms["name"].to_numpy()[un],
            "priority": firms["priority"].to_numpy()[un],
            "reason": reason[un],
            "detail": [REASONS[r] for r in reason[un]],
        }
    )
    if status in ("optimal", "feasible") and len(pairs) == 0 and len(firms) > 0:
        status = "infeasible"
    objective = float(pairs["cost"].sum())
    if status == "optimal":
        bound = objective
    return {
        "pairs": pairs, "cadre_loads": loads, "uncovered": uncovered, "status": status,
        "objective": objective, "bound": float(bound), "backend": backend,
    }


def _meta(scenario: Scenario, backend: str, limit: float, seed: int, n_pairs: int) -> dict:
    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "scenario": scenario.name,
        "backend": backend,
        "time_limit_s": limit,
        "seed": seed,
        "candidate_pairs": int(n_pairs),
        "cadres": int(len(scenario.cadres)),
        "firms": int(len(scenario.firms)),
        "assignment": scenario.config.assignment.model_dump(),
        "overrides": scenario.overrides,
        "versions": {
            "zhuqi": version("zhuqi"),
            "ortools": version("ortools"),
            "python": platform.python_version(),
        },
    }
