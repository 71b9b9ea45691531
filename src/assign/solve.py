"""``solve``: pair cadres with firms, coverage first, then least cost."""

from __future__ import annotations

import platform
import time
from importlib import metadata
from typing import Literal

import numpy as np
import pandas as pd

from .candidates import REASONS, ROAD_REACH, Candidates, build_candidates, pair_load
from .coverage import COST_SCALE, LOAD_SCALE, integer_scale, priority_ranks, scaled
from .cpsat import Limits, solve_cpsat
from .flow import count_capacity, solve_flow
from .pairing import PAIR_COLUMNS, Pairing
from .priced import LARGE_PAIRS, NEAREST, estimate_pairs, solve_priced
from .scenario import Scenario, uses_roads

Backend = Literal["auto", "flow", "cpsat"]


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
    used = choose_backend(scenario, backend)
    limit = float(time_limit if time_limit is not None else cfg.time_limit_s)
    if used == "flow" and _large(scenario):
        big = solve_priced(scenario)
        pairing = _pairing(scenario, big.candidates, big.chosen, big.status, 0.0, used)
        meta = _meta(scenario, used, limit, seed, big.admissible_pairs)
        meta["pricing"] = {"rounds": big.rounds, "working_pairs": big.working_pairs,
                           "nearest": NEAREST}
        return Pairing(**{**pairing, "seconds": time.perf_counter() - start, "meta": meta})
    cand = build_candidates(scenario, with_load=used == "cpsat")
    ranks = priority_ranks(scenario.firms["priority"].to_numpy())
    cost_scale = integer_scale(cand.cost, COST_SCALE)
    cost = scaled(cand.cost, cost_scale)
    max_firms = scenario.cadres["max_firms"].to_numpy(float)
    count = np.where(np.isnan(max_firms), -1, max_firms).astype(np.int64)
    if used == "flow":
        capacity = count_capacity(max_firms, len(scenario.firms))
        chosen, status = solve_flow(cand.cadre, cand.firm, cost, capacity, ranks)
        bound = float(cand.cost[chosen].sum()) if status == "optimal" else 0.0
    else:
        max_work = scenario.cadres["max_workload"].to_numpy(float)
        assert cand.load is not None  # built with loads for CP-SAT
        finite_work = max_work[~np.isnan(max_work)]
        load_scale = min(integer_scale(cand.load, LOAD_SCALE), integer_scale(finite_work, LOAD_SCALE))
        work = np.where(np.isnan(max_work), -1, np.floor(max_work * load_scale + 1e-6))
        load = scaled(cand.load, load_scale)
        res = solve_cpsat(
            cand.cadre, cand.firm, cost, load, Limits(count, work.astype(np.int64)),
            ranks, limit, cfg.workers, seed,
        )
        chosen, status, bound = res.chosen, res.status, res.bound / cost_scale
    pairing = _pairing(scenario, cand, chosen, status, bound, used)
    meta = _meta(scenario, used, limit, seed, len(cand))
    seconds = time.perf_counter() - start
    return Pairing(**{**pairing, "seconds": seconds, "meta": meta})


def _large(scenario: Scenario) -> bool:
    """Whether the pair table is too large to hold whole (solved by pricing instead)."""
    cfg = scenario.config.assignment
    if cfg.max_distance_km is None or scenario.pairs is not None or uses_roads(scenario):
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
    minutes = cand.travel_min[chosen] if cand.travel_min is not None else None
    load = (cand.load[chosen] if cand.load is not None
            else pair_load(scenario, ci, fi, cand.distance_km[chosen],
                           minutes if cand.by_road else None))
    pairs = pd.DataFrame(
        {
            "cadre_id": cadres["id"].to_numpy()[ci],
            "cadre_name": cadres["name"].to_numpy()[ci],
            "home_unit": cadres["home_unit"].to_numpy()[ci],
            "firm_id": firms["id"].to_numpy()[fi],
            "firm_name": firms["name"].to_numpy()[fi],
            "distance_km": np.round(cand.distance_km[chosen], 4),
            "skill_match": np.round(cand.skill_match[chosen], 4),
            "cost": np.round(cand.cost[chosen], 6),
            "load": np.round(load, 4),
        },
        columns=PAIR_COLUMNS,
    )
    if cand.by_road:  # road km in distance_km, with the crow's km and the minutes beside it
        at = PAIR_COLUMNS.index("distance_km") + 1
        pairs.insert(at, "crow_km", np.round(cand.crow_km[chosen], 4))
        pairs.insert(at + 1, "travel_min", np.round(minutes, 2))
    order = np.lexsort((fi, ci))
    pairs = pairs.iloc[order].reset_index(drop=True)
    m = len(cadres)
    loads = pd.DataFrame(
        {
            "cadre_id": cadres["id"],
            "cadre_name": cadres["name"],
            "home_unit": cadres["home_unit"],
            "firms": np.bincount(ci, minlength=m),
            "load": np.round(np.bincount(ci, weights=load, minlength=m), 4),
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
            "detail": [ROAD_REACH if r == "no_cadre_in_reach" and cand.by_road else REASONS[r]
                       for r in reason[un]],
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
