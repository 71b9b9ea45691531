"""Balanced loads and fairness figures.

``assignment.balance: firms`` on the flow path: coverage first, then the smallest largest
firm count, then the objective. Capping every cadre at L firms keeps the problem a
min-cost flow, and the best coverage can only grow with L, so a bisection over L (one
flow per step, :func:`balanced_capacity`) finds the smallest cap that keeps the best
coverage exactly. Workload balance needs CP-SAT (:mod:`assign.solvers.constrained`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .flow import solve_flow


def coverage_profile(firm: np.ndarray, chosen: np.ndarray, ranks: np.ndarray) -> tuple[int, ...]:
    """Covered firms per priority level, highest first (compared lexicographically)."""
    covered = np.zeros(len(ranks), dtype=bool)
    covered[firm[chosen]] = True
    counts = np.bincount(ranks[covered], minlength=int(ranks.max(initial=0)) + 1)
    return tuple(int(c) for c in counts[::-1])


def balanced_capacity(cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray,
                      capacity: np.ndarray, ranks: np.ndarray,
                      offset: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The cadres' capacities capped at the smallest largest load L keeping the best coverage.

    Args:
        cadre, firm, cost: The pair table (integer costs).
        capacity: Most firms each cadre may take.
        ranks: Priority rank of each firm.
        offset: Firms each cadre already holds (pins), counted in its load.

    Returns:
        The capped capacities and L.
    """
    offset = np.zeros(len(capacity), np.int64) if offset is None else offset.astype(np.int64)
    chosen, _ = solve_flow(cadre, firm, cost, capacity, ranks)
    best = coverage_profile(firm, chosen, ranks)
    loads = offset + np.bincount(cadre[chosen], minlength=len(capacity))
    hi = int(loads.max(initial=0))
    lo = int(offset.max(initial=0))
    if sum(best):
        lo = max(lo, 1)

    def cap(level: int) -> np.ndarray:
        return np.clip(np.minimum(capacity, level - offset), 0, None).astype(np.int64)

    while lo < hi:
        mid = (lo + hi) // 2
        picked, _ = solve_flow(cadre, firm, cost, cap(mid), ranks)
        if coverage_profile(firm, picked, ranks) == best:
            hi = mid
        else:
            lo = mid + 1
    return cap(hi), hi


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal)."""
    v = np.sort(np.asarray(values, float))
    if len(v) == 0 or v.sum() <= 0:
        return 0.0
    k = np.arange(1, len(v) + 1)
    return float((2 * (k * v).sum()) / (len(v) * v.sum()) - (len(v) + 1) / len(v))


def fairness(cadre_loads: pd.DataFrame) -> dict[str, float | int | None]:
    """``{firms_max, firms_min, firms_mean, load_max, load_gini, km_max}`` over cadres in use.

    ``load`` is weekly hours, ``km_max`` the largest total distance of one cadre's pairs.
    """
    used = cadre_loads[cadre_loads["firms"] > 0]
    if len(used) == 0:
        return {"firms_max": 0, "firms_min": 0, "firms_mean": 0.0, "load_max": 0.0,
                "load_gini": 0.0, "km_max": 0.0}
    load = used["load"].to_numpy(float) if "load" in used else np.zeros(len(used))
    km = used["distance_km"].to_numpy(float) if "distance_km" in used else np.zeros(len(used))
    return {
        "firms_max": int(used["firms"].max()),
        "firms_min": int(used["firms"].min()),
        "firms_mean": round(float(used["firms"].mean()), 4),
        "load_max": round(float(np.nanmax(load)) if np.isfinite(load).any() else 0.0, 4),
        "load_gini": round(gini(np.nan_to_num(load)), 4),
        "km_max": round(float(np.nanmax(km)) if np.isfinite(km).any() else 0.0, 4),
    }
