"""Cadres in batches: who serves when, and the pairing of each period.

``cadres.csv`` may give a cadre ``start_day`` and ``end_day``: the cadre serves in
``[start_day, end_day)`` of the run (blank: from day 0, to the end). The run falls into
periods in which the same cadres serve; each period with assigned service has its own
pairing, solved over the cadres serving then (a pairing given by the user is used for the
first period), each later one replanned against the one before: as few firms as possible
change cadre (the planning rules' ``previous`` plan; ``assignment.change_cost`` prices
changes instead). When a period starts, the issues waiting for a cadre follow their firm to
its cadre in the new pairing; a cadre who leaves finishes the issue in hand and takes no
other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from assign import Pairing, Scenario


@dataclass(frozen=True)
class Period:
    """A stretch of the run in which the same cadres serve.

    Attributes:
        start: First day of the period.
        cadres: Rows (in the scenario's cadre table) of the cadres serving.
        pairing: Who serves which firm (assigned service), or None.
    """

    start: float
    cadres: tuple[int, ...]
    pairing: Pairing | None


@dataclass(frozen=True)
class BatchPlan:
    """The periods of a run, in time order (the first starts at day 0)."""

    periods: tuple[Period, ...]

    @property
    def assigned(self) -> int:
        """The fewest firms a period's pairing covers (0 for a period nobody serves)."""
        return min((p.pairing.assigned if p.pairing is not None else 0) for p in self.periods)

    def summary(self) -> dict[str, Any]:
        """Each period's start, cadres serving and pairing headline, JSON-ready."""
        return {"periods": [
            {"start_day": p.start, "cadres": len(p.cadres),
             **({} if p.pairing is None else p.pairing.summary() | {"meta": None})}
            for p in self.periods
        ]}


def serving_windows(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Each cadre's first day and the day it stops serving (0 and infinity when blank)."""
    cadres = scenario.cadres
    n = len(cadres)
    start = cadres["start_day"].to_numpy(float) if "start_day" in cadres else np.full(n, np.nan)
    end = cadres["end_day"].to_numpy(float) if "end_day" in cadres else np.full(n, np.nan)
    return np.nan_to_num(start, nan=0.0), np.where(np.isnan(end), math.inf, end)


def has_batches(scenario: Scenario) -> bool:
    """Whether any cadre starts after day 0 or stops before the end."""
    start, end = serving_windows(scenario)
    return bool((start > 0).any() or np.isfinite(end).any())


def serving_scenario(scenario: Scenario, rows: tuple[int, ...]) -> Scenario:
    """The scenario with only the cadres at ``rows`` (and their rows of the pair table and
    the rule tables: a pin on a cadre not yet serving holds from the period it starts)."""
    cadres = scenario.cadres.iloc[list(rows)].reset_index(drop=True)

    def serving(table):
        if table is None:
            return None
        return table[table["cadre_id"].isin(cadres["id"])].reset_index(drop=True)

    return replace(scenario, cadres=cadres, pairs=serving(scenario.pairs),
                   pinned=serving(scenario.pinned), forbidden=serving(scenario.forbidden))


def plan_batches(scenario: Scenario, days: float, pairing: Pairing | None = None,
                 assigned: bool = True) -> BatchPlan:
    """Split ``[0, days)`` where the cadres serving change, and pair each period.

    Args:
        scenario: The scenario (cadres with ``start_day`` / ``end_day``).
        days: The run's horizon.
        pairing: The first period's pairing (default: solved, against the scenario's own
            ``assignment.previous`` if it has one).
        assigned: Whether firms are paired with cadres (False: pooled service, no pairing).
    """
    start, end = serving_windows(scenario)
    cuts = sorted({0.0} | {float(t) for t in np.concatenate([start, end]) if 0 < t < days})
    periods: list[Period] = []
    for t in cuts:
        rows = tuple(int(i) for i in np.flatnonzero((start <= t) & (end > t)))
        if periods and periods[-1].cadres == rows:
            continue
        plan = None
        if assigned and rows:
            last = next((p.pairing for p in reversed(periods) if p.pairing is not None), None)
            if not periods and pairing is not None:
                plan = pairing
            elif last is None:
                plan = _solve(serving_scenario(scenario, rows))
            else:  # replanning: as few firms as possible change cadre
                plan = _solve(serving_scenario(scenario, rows),
                             previous=last.pairs[["cadre_id", "firm_id"]])
        periods.append(Period(t, rows, plan))
    return BatchPlan(tuple(periods))


def _solve(*args, **kwargs) -> Pairing:
    """:func:`assign.solve`, imported on first use: a pooled run never loads the solvers."""
    from assign.solve import solve

    return solve(*args, **kwargs)
