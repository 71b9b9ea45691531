"""Deterministic time: the same input gives the same plan whatever the machine's load.

A solve's time limit is counted in CP-SAT's *deterministic time* (work done, in units close
to seconds on a typical machine), not in wall-clock seconds: each CP-SAT call gets
``max_deterministic_time`` and its parallel workers are interleaved in a fixed order
(``interleave_search``), and the stages of a solve share a :class:`Budget` charged with the
deterministic time each call reports. Searches outside CP-SAT charge a fixed amount per
step. A wall-clock cap far above the limit (:data:`WALL_FACTOR`) stays as a safety net for
a machine much slower or busier than usual; only when it binds can two runs differ.

A budget made with ``wall=True`` counts wall-clock seconds instead, from its creation, and
runs each CP-SAT call with a wall-clock limit and its workers in parallel (CP-SAT's default
portfolio, not interleaved): the plan then depends on the machine's load. It is for
comparisons against solvers given the same wall-clock seconds (``benchmarks/bench_gap.py``).
"""

from __future__ import annotations

import time

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
        wall: Count wall-clock seconds from now instead (default: as the parent, else
            deterministic); see the module's docstring.
    """

    def __init__(self, seconds: float, parent: Budget | None = None, wall: bool | None = None
                 ) -> None:
        self.total = max(float(seconds), 0.0)
        self.used = 0.0
        self.parent = parent
        self.wall: bool = bool(parent.wall if wall is None and parent is not None else wall)
        self.start = time.perf_counter()

    def left(self) -> float:
        """Seconds left (never below zero): deterministic, or wall-clock with ``wall``."""
        if self.wall:
            return max(self.total - (time.perf_counter() - self.start), 0.0)
        return max(self.total - self.used, 0.0)

    def child(self, seconds: float) -> Budget:
        """A budget of ``seconds`` (at most what is left) whose spending counts here too."""
        return Budget(min(float(seconds), self.left()), self)

    def spend(self, seconds: float) -> None:
        """Charge ``seconds`` to this budget and its parents (nothing with ``wall``: the
        clock does the counting)."""
        if self.wall:
            return
        b: Budget | None = self
        while b is not None:
            b.used += float(seconds)
            b = b.parent

    def solve(self, solver: cp_model.CpSolver, model: cp_model.CpModel,
              callback: cp_model.CpSolverSolutionCallback | None = None):
        """``solver.solve(model, callback)``, charging the deterministic time it reports
        (with ``wall``: the solver's deterministic limit becomes a wall-clock one, at most
        what is left, and its workers run in parallel)."""
        if self.wall:
            p = solver.parameters
            p.max_time_in_seconds = max(min(p.max_deterministic_time, self.left()), 0.01)
            p.max_deterministic_time = float("inf")  # the default: no limit
            p.interleave_search = False
        status = solver.solve(model, callback)
        self.spend(solver.response_proto.deterministic_time)
        return status


def as_budget(seconds: float | Budget) -> Budget:
    """A :class:`Budget` for a number of seconds (a budget is returned as it is)."""
    return seconds if isinstance(seconds, Budget) else Budget(seconds)
