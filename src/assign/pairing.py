"""The result of an assignment: which cadre serves which firm, and how good that is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

PAIR_COLUMNS = [
    "cadre_id", "cadre_name", "home_unit", "firm_id", "firm_name",
    "distance_km", "skill_match", "cost", "load",
]
"""Columns of :attr:`Pairing.pairs`, in order."""


@dataclass(frozen=True)
class Pairing:
    """A cadre-firm plan.

    Attributes:
        pairs: One row per pair (see :data:`PAIR_COLUMNS`).
        cadre_loads: One row per cadre: cadre_id, cadre_name, home_unit, firms, load,
            distance_km, max_firms, max_workload.
        uncovered: One row per firm without a cadre: firm_id, firm_name, priority,
            reason (a key of :data:`assign.candidates.REASONS`), detail.
        status: "optimal", "feasible", "infeasible" (no firm can be covered) or "unknown".
        objective: Sum of the pairs' cost.
        bound: Best proven lower bound on the cost objective for this coverage.
        seconds: Wall time of the solve.
        backend: "flow" or "cpsat".
        meta: Parameters, seeds and versions that produced the plan.
    """

    pairs: pd.DataFrame
    cadre_loads: pd.DataFrame
    uncovered: pd.DataFrame
    status: str
    objective: float
    bound: float
    seconds: float
    backend: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def assigned(self) -> int:
        """Number of firms with a cadre."""
        return len(self.pairs)

    def is_feasible(self) -> bool:
        """Tell whether the plan pairs at least one firm within every limit."""
        return self.status in ("optimal", "feasible")

    def firm_to_cadre(self) -> dict[str, str]:
        """Mapping firm id -> cadre id."""
        return dict(zip(self.pairs["firm_id"], self.pairs["cadre_id"], strict=True))

    def summary(self) -> dict[str, Any]:
        """The plan's headline figures as plain JSON-ready values."""
        return {
            "status": self.status,
            "objective": round(float(self.objective), 6),
            "bound": round(float(self.bound), 6),
            "assigned": int(self.assigned),
            "unassigned": int(len(self.uncovered)),
            "uncovered": [
                {"firm_id": str(f), "reason": str(r)}
                for f, r in zip(self.uncovered["firm_id"], self.uncovered["reason"], strict=True)
            ],
            "seconds": round(float(self.seconds), 3),
            "backend": self.backend,
            "meta": self.meta,
        }

    def __repr__(self) -> str:
        return (
            f"Pairing(status={self.status!r}, assigned={self.assigned}, "
            f"uncovered={len(self.uncovered)}, objective={self.objective:.3f}, "
            f"backend={self.backend!r}, seconds={self.seconds:.2f})"
        )
