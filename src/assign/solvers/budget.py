"""Deterministic time: the same input gives the same plan whatever the machine's load.

A solve's time limit is counted in CP-SAT's *deterministic time* (work done, in units close
to seconds on a typical machine), not in wall-clock seconds: each CP-SAT call gets
``max_deterministic_time`` and its parallel workers are interleaved in a fixed order
(``interleave_search``), and the stages of a solve share a :class:`Budget` charged with the
deterministic time each call reports. Searches outside CP-SAT charge a fixed amount per
step. A wall-clock cap far above the limit (:data:`WALL_FACTOR`) stays as a safety net for
a machine much slower or busier than usual; only when it binds can two runs differ.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

WALL_FACTOR = 10.0
WALL_SLACK = 30.0
"""A CP-SAT call limited to T deterministic seconds also stops after
``WALL_FACTOR * T + WALL_SLACK`` wall seconds."""


def make_solver(time_limit: float, workers: int, seed: int) -> cp_model.CpSolver:
    """A deterministic CP-SAT solver: a deterministic time limit, a fixed seed, and its
    ``workers`` interleaved in a fixed order (the plan does not depend on the load)."""
    solver = cp_model.CpSolver()
    limit = max(float(time_limit), 0.0)
    solver.parameters.max_deterministic_time = limit
    solver.parameters.max_time_in_seconds = WALL_FACTOR * limit + WALL_SLACK
    solver.parameters.num_workers = max(int(workers), 1)
    solver.parameters.random_seed = int(seed)
    if workers > 1:
        solver.parameters.interleave_search = True
    return solver


class Budget:
    """Deterministic seconds for a chain of solves; a child's spending counts in its parents.

    Args:
        seconds: The budget.
        parent: A budget this one is carved from (charged too), or None.
    """

    def __init__(self, seconds: float, parent: Budget | None = None) -> None:
        self.total = max(float(seconds), 0.0)
        self.used = 0.0
        self.parent = parent

    def left(self) -> float:
        """Deterministic seconds left (never below zero)."""
        return max(self.total - self.used, 0.0)

    def child(self, seconds: float) -> Budget:
        """A budget of ``seconds`` (at most what is left) whose spending counts here too."""
        return Budget(min(float(seconds), self.left()), self)

    def spend(self, seconds: float) -> None:
        """Charge ``seconds`` to this budget and its parents."""
        b: Budget | None = self
        while b is not None:
            b.used += float(seconds)
            b = b.parent

    def solve(self, solver: cp_model.CpSolver, model: cp_model.CpModel,
              callback: cp_model.CpSolverSolutionCallback | None = None):
        """``solver.solve(model, callback)``, charging the deterministic time it reports."""
        status = solver.solve(model, callback)
        self.spend(solver.response_proto.deterministic_time)
        return status


def as_budget(seconds: float | Budget) -> Budget:
    """A :class:`Budget` for a number of seconds (a budget is returned as it is)."""
    return seconds if isinstance(seconds, Budget) else Budget(seconds)
