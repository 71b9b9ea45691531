"""Generalized assignment problem (GAP) instances as scenarios.

Reads the OR-Library format (several instances per file) and the one-instance format of
later benchmark sets: whitespace-separated integers ``m n``, then the ``m x n`` costs, the
``m x n`` resource uses, and the ``m`` capacities. Agents become cadres with
``max_workload`` = capacity, jobs become firms, and every (agent, job) is a listed pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.scenario import Scenario, build_scenario


@dataclass(frozen=True)
class GapInstance:
    """A GAP instance: costs and loads are ``m x n``, capacities ``m``."""

    name: str
    cost: np.ndarray
    load: np.ndarray
    capacity: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(agents, jobs)."""
        return self.cost.shape  # type: ignore[return-value]


def _parse_one(tokens: np.ndarray, pos: int, name: str) -> tuple[GapInstance, int]:
    m, n = int(tokens[pos]), int(tokens[pos + 1])
    pos += 2
    cost = tokens[pos : pos + m * n].reshape(m, n)
    pos += m * n
    load = tokens[pos : pos + m * n].reshape(m, n)
    pos += m * n
    cap = tokens[pos : pos + m]
    pos += m
    if len(cap) != m:
        raise ValueError(f"{name}: file ends before the capacities")
    return GapInstance(name, cost.copy(), load.copy(), cap.copy()), pos


def read_gap(path: str | Path, multi: bool | None = None) -> list[GapInstance]:
    """Read the instances in a GAP file.

    Args:
        path: The file.
        multi: True for the OR-Library format (leading instance count); None guesses
            from whether the token count fits one instance.
    """
    path = Path(path)
    tokens = np.array(path.read_text().split(), dtype=np.int64)
    if multi is None:
        m, n = int(tokens[0]), int(tokens[1]) if len(tokens) > 1 else 0
        multi = len(tokens) != 2 + 2 * m * n + m
    if not multi:
        inst, _ = _parse_one(tokens, 0, path.name)
        return [inst]
    out, pos = [], 1
    for k in range(int(tokens[0])):
        inst, pos = _parse_one(tokens, pos, f"{path.stem}-{k + 1}")
        out.append(inst)
    return out


def gap_scenario(inst: GapInstance, time_limit_s: float = 60.0) -> Scenario:
    """The instance as a scenario: minimise total cost, every job to one agent."""
    m, n = inst.shape
    cadres = pd.DataFrame({"id": [f"a{i}" for i in range(m)], "max_workload": inst.capacity})
    firms = pd.DataFrame({"id": [f"j{j}" for j in range(n)]})
    ii, jj = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    pairs = pd.DataFrame(
        {
            "cadre_id": cadres["id"].to_numpy()[ii.ravel()],
            "firm_id": firms["id"].to_numpy()[jj.ravel()],
            "cost": inst.cost.ravel(),
            "load": inst.load.ravel(),
        }
    )
    return build_scenario(
        cadres, firms, pairs, name=inst.name, mode="one_to_many", objective="cost",
        time_limit_s=time_limit_s,
    )
