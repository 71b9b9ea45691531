"""The result of an assignment: which cadre serves which firm, and how good that is."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .io.scenario import Scenario

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
        status: "optimal", "feasible", "infeasible" (no firm can be covered), "unknown", or
            "rejected" (the solver's plan broke a rule: see :mod:`assign.validate`).
        objective: Sum of the pairs' cost.
        bound: Best proven lower bound on the cost objective for this coverage.
        seconds: Wall time of the solve.
        backend: "flow" or "cpsat".
        meta: Parameters, seeds and versions that produced the plan.
        changes: Against a previous plan, ``{kept, moved, new, dropped}`` (else None).
        conflicts: When the rules make any plan impossible, the smallest conflicting
            sets of rules in plain words (see :mod:`assign.conflicts`).
        teams: With ``mode: teams``, one row per task force (see
            :data:`assign.solvers.teams.TEAM_COLUMNS`); else None.
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
    changes: dict[str, int] | None = None
    teams: pd.DataFrame | None = None
    conflicts: list[str] = field(default_factory=list)

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

    def fairness(self) -> dict[str, Any]:
        """Loads over the cadres in use: ``{firms_max, firms_min, firms_mean, load_max,
        load_gini, km_max}`` (see :func:`assign.solvers.balance.fairness`)."""
        from .solvers.balance import fairness

        return fairness(self.cadre_loads)

    def summary(self) -> dict[str, Any]:
        """The plan's headline figures as plain JSON-ready values."""
        out = {
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
            "fairness": self.fairness(),
            "conflicts": list(self.conflicts),
            **({} if self.teams is None else {"teams": [
                {**r, "member_ids": [m for m in r["member_ids"].split(";") if m]}
                for r in self.teams.to_dict(orient="records")]}),
        }
        if self.changes is not None:
            out["changes"] = dict(self.changes)
        out["meta"] = self.meta
        return out

    def __repr__(self) -> str:
        return (
            f"Pairing(status={self.status!r}, assigned={self.assigned}, "
            f"uncovered={len(self.uncovered)}, objective={self.objective:.3f}, "
            f"backend={self.backend!r}, seconds={self.seconds:.2f})"
        )


def read_pairing(path: str | Path, scenario: Scenario) -> Pairing:
    """Read a pairing list written by ``zhuqi solve --out`` (or by hand) back for a scenario.

    Only ``cadre_id`` and ``firm_id`` are needed; they must name the scenario's cadres and
    firms, each firm at most once.

    Raises:
        ScenarioError: naming file, line and column of every problem.
    """
    from .candidates import REASONS
    from .errors import Problem, raise_if
    from .io.tables import read_pair_list

    label = str(path)
    df, problems = read_pair_list(path, label)
    raise_if(problems)
    rows, sheet = np.asarray(df.attrs["rows"]), df.attrs["sheet"]
    heads = df.attrs.get("headers", {})
    found = {}  # each pair's row in the roster (-1: unknown id), looked up once
    for col, ids in (("cadre_id", scenario.cadres["id"]), ("firm_id", scenario.firms["id"])):
        found[col] = pd.Index(ids).get_indexer(df[col])
        bad = found[col] < 0
        problems += [Problem(label, f"unknown id '{df[col].iat[i]}'", int(rows[i]),
                             heads.get(col, col), sheet=sheet) for i in np.flatnonzero(bad)[:20]]
    dup = df["firm_id"].duplicated().to_numpy()
    problems += [Problem(label, f"firm '{df['firm_id'].iat[i]}' is paired twice", int(rows[i]),
                         heads.get("firm_id", "firm_id"), sheet=sheet)
                 for i in np.flatnonzero(dup)[:20]]
    raise_if(problems)
    ci, fi = found["cadre_id"], found["firm_id"]
    pairs = pd.DataFrame({
        "cadre_id": df["cadre_id"], "cadre_name": scenario.cadres["name"].to_numpy()[ci],
        "home_unit": scenario.cadres["home_unit"].to_numpy()[ci],
        "firm_id": df["firm_id"], "firm_name": scenario.firms["name"].to_numpy()[fi],
    })
    for col in PAIR_COLUMNS[5:]:
        pairs[col] = np.nan
    listed = np.zeros(len(scenario.firms), dtype=bool)
    listed[fi] = True
    missing = scenario.firms[~listed]
    uncovered = pd.DataFrame({"firm_id": missing["id"], "firm_name": missing["name"],
                              "priority": missing["priority"], "reason": "not_in_list",
                              "detail": REASONS["not_in_list"]})
    counts = pairs["cadre_id"].value_counts()
    loads = pd.DataFrame({"cadre_id": scenario.cadres["id"], "cadre_name": scenario.cadres["name"],
                          "firms": scenario.cadres["id"].map(counts).fillna(0).astype(int)})
    return Pairing(pairs, loads, uncovered.reset_index(drop=True), "feasible", math.nan,
                   math.nan, 0.0, "file", {"source": label})
