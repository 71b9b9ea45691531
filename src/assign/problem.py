"""One compiled problem: a scenario's pairs and every rule, read once, for every path.

:func:`compile_problem` turns a loaded :class:`~assign.io.scenario.Scenario` (with its
overrides, rule files, road graph and, for replanning, last round's plan) into a
:class:`Problem`. The problem holds the admissible pair table (cost, load, km, minutes; built
when first asked for, since the province path never holds it whole) and the rules that are
not about single pairs as plain data: count and workload limits, pins, the previous plan with
``max_changes`` / ``change_cost``, the budget, balance, teams, priorities and batches.

Backends declare the rules they support (:data:`SUPPORTS`); :meth:`Problem.backends` lists
those that support everything the problem uses, and ``solve`` picks one of them or stops
with :class:`UnsupportedRule` naming the rule and the backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .candidates import Candidates
    from .io.scenario import Scenario
    from .pins import Pins

RULES = {
    "count_limits": "max_firms limits",
    "workload_limits": "max_workload limits",
    "pins": "pinned pairs",
    "exclusions": "forbidden pairs or conflict-of-interest rules",
    "distance_limit": "assignment.max_distance_km",
    "travel_limit": "assignment.max_travel_min",
    "travel_objective": "objective travel_time",
    "pair_table": "a pair table",
    "roads": "road travel",
    "previous": "a previous plan (fewest changes)",
    "change_cost": "assignment.change_cost",
    "max_changes": "assignment.max_changes",
    "budget": "assignment.max_cadres",
    "balance_firms": "balance: firms",
    "balance_workload": "balance: workload",
    "priorities": "firm priorities",
    "teams": "mode teams",
}
"""The rules a problem may use, with the words a message names them by."""

_PAIR_RULES = {"count_limits", "pins", "exclusions", "distance_limit", "travel_limit",
               "travel_objective", "pair_table", "roads", "priorities"}

SUPPORTS: dict[str, frozenset[str]] = {
    "flow": frozenset(_PAIR_RULES | {"previous", "change_cost", "balance_firms"}),
    "priced": frozenset({"count_limits", "pins", "exclusions", "distance_limit",
                         "travel_limit", "priorities"}),
    "cpsat": frozenset(_PAIR_RULES | {"workload_limits", "previous", "change_cost",
                                      "max_changes", "budget", "balance_firms",
                                      "balance_workload"}),
    "teams": frozenset(_PAIR_RULES | {"workload_limits", "previous", "budget", "teams"}),
}
"""What each backend honours exactly: the whole-table min-cost flow, the province path
(min-cost flow priced in blocks), CP-SAT and the task-force (teams) CP-SAT model."""

PREFERENCE = ("teams", "flow", "cpsat")
"""The order ``auto`` tries backends in (``priced`` is chosen by size, see ``solve``)."""


class UnsupportedRule(ValueError):
    """A backend was asked for a problem using a rule it cannot honour."""


@dataclass(frozen=True)
class Problem:
    """A scenario compiled for solving, explaining and storing.

    Attributes:
        scenario: The validated scenario (names, coordinates, settings).
        previous: Last round's pairs (cadre_id, firm_id) or None.
        fingerprint: SHA-256 of every input: tables, rule files, road graph, overrides and
            the previous plan (see :func:`assign.fingerprint.fingerprint`).
    """

    scenario: Scenario
    previous: pd.DataFrame | None = None

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of every input (computed when first asked for: a large table takes
        seconds to hash, and solving alone does not need it)."""
        return _fingerprint(self.scenario, self.previous)

    # --- what the problem uses -------------------------------------------------------------
    @cached_property
    def uses(self) -> frozenset[str]:
        """The rules this problem uses (keys of :data:`RULES`)."""
        from .io.scenario import uses_roads

        s = self.scenario
        a = s.config.assignment
        out = set()
        if a.mode == "teams":
            out.add("teams")
        if s.cadres["max_firms"].notna().any():
            out.add("count_limits")
        if s.cadres["max_workload"].notna().any():
            out.add("workload_limits")
        if s.pinned is not None and len(s.pinned):
            out.add("pins")
        if (s.forbidden is not None and len(s.forbidden)) or a.conflicts:
            out.add("exclusions")
        if a.max_distance_km is not None:
            out.add("distance_limit")
        if a.max_travel_min is not None:
            out.add("travel_limit")
        if a.objective == "travel_time":
            out.add("travel_objective")
        if s.pairs is not None:
            out.add("pair_table")
        if uses_roads(s):
            out.add("roads")
        if self.previous is not None:
            out.add("previous")
            if a.change_cost is not None:
                out.add("change_cost")
        if a.max_changes is not None:
            out.add("max_changes")
        if a.max_cadres is not None:
            out.add("budget")
        if a.balance != "none":
            out.add(f"balance_{a.balance}")
        if s.firms["priority"].nunique() > 1:
            out.add("priorities")
        return frozenset(out)

    def backends(self) -> list[str]:
        """The backends that honour every rule this problem uses."""
        return [b for b in SUPPORTS if not self.unsupported(b)]

    def unsupported(self, backend: str) -> list[str]:
        """The rules ``backend`` cannot honour here (or the limit it needs), in words."""
        out = [RULES[r] for r in sorted(self.uses - SUPPORTS[backend])]
        if backend == "teams" and "teams" not in self.uses:
            out.append("a problem without task forces (mode teams plans teams per zone)")
        if backend == "priced" and self.reach_km is None:
            out.append("a problem without a distance or travel limit (the province path "
                       "prices pairs within reach)")
        return out

    def require(self, backend: str) -> None:
        """Raise :class:`UnsupportedRule` unless ``backend`` supports everything used."""
        if backend not in SUPPORTS:
            raise UnsupportedRule(f"unknown backend '{backend}'; choose one of "
                                  f"{', '.join(SUPPORTS)} or auto")
        missing = self.unsupported(backend)
        if missing:
            able = self.backends()
            raise UnsupportedRule(
                f"the {backend} backend cannot honour {', '.join(missing)}; "
                + (f"use --backend {' or '.join(able)} (or auto)" if able else
                   "no backend supports this combination of rules"))

    # --- the pair table ----------------------------------------------------------------------
    @property
    def reach_km(self) -> float | None:
        """The crow-fly radius that holds every admissible pair when travel is measured from
        coordinates: the smaller of ``max_distance_km`` and the km ``max_travel_min`` covers
        at the load speed (None without either limit)."""
        a = self.scenario.config.assignment
        out = [a.max_distance_km] if a.max_distance_km is not None else []
        if a.max_travel_min is not None:
            out.append(a.max_travel_min * a.load.speed_kmh / 60.0)
        return min(out) if out else None

    def candidates(self, with_load: bool = True) -> Candidates:
        """Every admissible pair of the whole scenario (pinned firms included), with the
        reason each firm without one has none."""
        if with_load or "_loaded" in self.__dict__:
            return self._loaded
        return self._unloaded

    @cached_property
    def _loaded(self) -> Candidates:
        from .candidates import build_candidates

        return build_candidates(self.scenario, with_load=True)

    @cached_property
    def _unloaded(self) -> Candidates:
        from .candidates import build_candidates

        return build_candidates(self.scenario, with_load=False)

    @cached_property
    def pins(self) -> Pins:
        """The pinned pairs split off (their firms leave, their cadres' limits shrink)."""
        from .pins import split_pins

        return split_pins(self.scenario)

    @cached_property
    def prev_cadre(self) -> np.ndarray | None:
        """Per firm: last round's cadre (row index), -1 for a cadre no longer in the roster,
        -2 for a firm that had none (None without a previous plan)."""
        if self.previous is None:
            return None
        cid = pd.Index(self.scenario.cadres["id"])
        fid = pd.Index(self.scenario.firms["id"])
        out = np.full(len(fid), -2, np.int64)
        j = fid.get_indexer(self.previous["firm_id"])
        i = cid.get_indexer(self.previous["cadre_id"])
        out[j[j >= 0]] = i[j >= 0]
        return out

    def as_scenario(self) -> Scenario:
        """The scenario with this problem's previous plan as its own (for code that reads
        the scenario)."""
        from dataclasses import replace

        if self.previous is self.scenario.previous:
            return self.scenario
        return replace(self.scenario, previous=self.previous)

    @property
    def config(self):
        """The scenario's ``assignment`` settings."""
        return self.scenario.config.assignment

    def __repr__(self) -> str:
        s = self.scenario
        return (f"Problem({s.name!r}, cadres={len(s.cadres)}, firms={len(s.firms)}, "
                f"uses={sorted(self.uses)}, fingerprint={self.fingerprint[:12]!r})")


def compile_problem(scenario: Scenario, previous: pd.DataFrame | str | None = None) -> Problem:
    """Compile ``scenario`` (and last round's plan, default its ``assignment.previous``).

    Args:
        scenario: A loaded or built scenario.
        previous: Last round's pairs: a frame with ``cadre_id, firm_id`` or a file zhuqi
            wrote; default the scenario's own ``assignment.previous``.
    """
    from .changes import as_previous

    prev = as_previous(previous) if previous is not None else scenario.previous
    return Problem(scenario, prev)


def as_problem(obj: Scenario | Problem, previous: pd.DataFrame | str | None = None) -> Problem:
    """``obj`` itself when it is a problem (``previous`` must then be None), else compiled."""
    if isinstance(obj, Problem):
        if previous is not None:
            return compile_problem(obj.scenario, previous)
        return obj
    return compile_problem(obj, previous)


def _fingerprint(scenario: Scenario, previous: pd.DataFrame | None) -> str:
    import hashlib

    from .fingerprint import fingerprint

    base = fingerprint(scenario)
    if previous is None:
        return base
    text = previous[["cadre_id", "firm_id"]].astype(str).to_csv(index=False)
    return hashlib.sha256(f"{base}|previous={text}".encode()).hexdigest()
