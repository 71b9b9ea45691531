"""Coverage-first objectives: integer costs and the weights that put coverage first.

Firms are covered in priority order: no plan leaves a higher-priority firm uncovered to
cover lower-priority ones, and within a priority level as many firms as possible are
covered; only then is the cost minimised.
"""

from __future__ import annotations

import numpy as np

COST_SCALE = 1000
"""Integer units per cost unit (metres per km for the distance objective)."""

LOAD_SCALE = 1000
"""Integer units per hour of load (workload capacities are compared in these)."""


def scaled(values: np.ndarray, scale: int = COST_SCALE) -> np.ndarray:
    """Round float values to integers in ``scale`` units (int64)."""
    return np.rint(np.asarray(values, float) * scale).astype(np.int64)


def integer_scale(values: np.ndarray, scale: int) -> int:
    """1 when every value is already a whole number (exact, and smaller coefficients make
    CP-SAT faster, e.g. on published GAP instances), else ``scale``."""
    v = np.asarray(values, float)
    return 1 if len(v) == 0 or bool(np.all(v == np.round(v))) else scale


def priority_ranks(priority: np.ndarray) -> np.ndarray:
    """Rank of each firm's priority: 0 for the lowest level, 1 for the next, ..."""
    _, inverse = np.unique(priority, return_inverse=True)
    return inverse.astype(np.int64)


def linear_weights(ranks: np.ndarray, cost_span: int) -> np.ndarray:
    """Per-firm reward for coverage when the admissible covers form a matroid (count limits).

    In a transversal matroid any rewards increasing with priority give the
    lexicographically best coverage, so ``(rank + 1) * B`` works once B exceeds the cost
    change of any single exchange (``cost_span``; see :mod:`assign.flow`).
    """
    base = int(cost_span) + 1
    weights = (ranks + 1) * base
    if int(weights.max(initial=0)) * len(ranks) >= 2**62:
        raise OverflowError("costs too large for exact integer flow; reduce costs or firms")
    return weights.astype(np.int64)


def lexicographic_weights(ranks: np.ndarray) -> np.ndarray:
    """Per-firm coverage weights that make coverage lexicographic by priority in any model.

    Each level's weight exceeds the total weight of all lower levels.
    """
    counts = np.bincount(ranks) if len(ranks) else np.zeros(0, np.int64)
    level_w: list[int] = []
    below = 0
    for c in counts:
        w = below + 1
        level_w.append(w)
        below += int(c) * w
    if below >= 2**62:
        raise OverflowError("too many distinct priority levels for exact coverage weights")
    return np.array(level_w, dtype=np.int64)[ranks] if len(ranks) else np.zeros(0, np.int64)
