"""A plan's tables from the chosen pairs: pairs, cadre loads, uncovered firms and the run's
meta data, shared by :func:`assign.solve` and the backends that build whole plans (teams);
and pair costs as the solvers' integers."""

from __future__ import annotations

import platform
from importlib import metadata

import numpy as np
import pandas as pd

from .candidates import REASONS, ROAD_REACH, Candidates, pair_load
from .changes import change_counts, change_labels
from .io.scenario import Scenario
from .pairing import PAIR_COLUMNS
from .solvers.coverage import decimal_scale, scaled

MAX_INT_COST = 2**40
"""Largest integer cost of one pair (the flow's coverage rewards multiply it further)."""


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


def _pairing(
    scenario: Scenario, cand: Candidates, chosen: np.ndarray, status: str, bound: float,
    backend: str, previous: pd.DataFrame | None = None,
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
            "cost": cand.cost[chosen],
            "load": np.round(load, 6),
        },
        columns=PAIR_COLUMNS,
    )
    if cand.by_road:  # road km in distance_km, with the crow's km and the minutes beside it
        assert cand.crow_km is not None and minutes is not None
        at = PAIR_COLUMNS.index("distance_km") + 1
        pairs.insert(at, "crow_km", np.round(cand.crow_km[chosen], 4))
        pairs.insert(at + 1, "travel_min", np.round(minutes, 2))
    order = np.lexsort((fi, ci))
    pairs = pairs.iloc[order].reset_index(drop=True)
    changes = None
    if previous is not None:
        pairs["change"] = change_labels(pairs, previous)
        changes = change_counts(pairs, previous)
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
        "changes": changes,
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
