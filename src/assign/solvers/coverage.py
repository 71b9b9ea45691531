"""Coverage-first objectives: integer costs and the weights that put coverage first.

Firms are covered in priority order: no plan leaves a higher-priority firm uncovered to
cover lower-priority ones, and within a priority level as many firms as possible are
covered; only then is the cost minimised.
"""

from __future__ import annotations

import numpy as np

COST_SCALE = 1000
"""Integer units per km of a computed cost: the distance objective counts whole metres."""

MAX_DECIMALS = 6
"""Finest decimal resolution represented exactly: 10**-6 of a cost unit or of an hour."""

LOAD_DECIMALS = 4
"""Loads from the load model are estimated to 1/10,000 hour (0.36 s)."""


def scaled(values: np.ndarray, scale: int = COST_SCALE) -> np.ndarray:
    """Round float values to integers in ``scale`` units (int64)."""
    return np.rint(np.asarray(values, float) * scale).astype(np.int64)


def decimal_scale(values: np.ndarray, max_decimals: int = MAX_DECIMALS) -> tuple[int, bool]:
    """The smallest ``10**k`` (``k <= max_decimals``) that makes every value a whole number.

    Returns ``(scale, exact)``: ``exact`` is False when even ``10**max_decimals`` leaves a
    fraction, in which case the values can only be approximated at that scale. Whole
    numbers give scale 1 (smaller coefficients also make CP-SAT faster, e.g. on the
    published GAP instances). NaN and infinite values are ignored.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]

    def whole(x: np.ndarray) -> bool:
        return bool(np.all(np.abs(x - np.rint(x)) <= 1e-9 + 1e-12 * np.abs(x)))

    probe = v[:: max(1, len(v) // 4096)]  # a scale that fails on a sample fails on all
    for k in range(max_decimals + 1):
        if whole(probe * 10**k) and whole(v * 10**k):
            return 10**k, True
    return 10**max_decimals, False


def scaled_loads(load: np.ndarray, caps: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Loads and workload caps as integers on one common scale.

    The scale is the smallest power of ten that represents every load and every finite cap
    exactly (:func:`decimal_scale`), so a plan is within a cap in integers exactly when it
    is within it in hours. When no scale up to ``10**-MAX_DECIMALS`` h is exact, loads are
    rounded up and caps down, so every plan the solver accepts still keeps every cap as
    written (``exact`` is then False). Caps that are NaN become -1 (no limit).

    Returns ``(integer loads, integer caps, scale, exact)``.
    """
    load = np.asarray(load, float)
    caps = np.asarray(caps, float)
    finite = caps[np.isfinite(caps)]
    scale, exact = decimal_scale(np.concatenate([load, finite]))
    if exact:
        int_load = scaled(load, scale)
        int_caps = np.where(np.isnan(caps), -1, np.rint(np.nan_to_num(caps) * scale))
    else:
        int_load = np.ceil(load * scale - 1e-9).astype(np.int64)
        int_caps = np.where(np.isnan(caps), -1, np.floor(np.nan_to_num(caps) * scale + 1e-9))
    return int_load, int_caps.astype(np.int64), scale, exact


def priority_ranks(priority: np.ndarray) -> np.ndarray:
    """Rank of each firm's priority: 0 for the lowest level, 1 for the next, ..."""
    _, inverse = np.unique(priority, return_inverse=True)
    return inverse.astype(np.int64)


def linear_weights(ranks: np.ndarray, cost_span: int) -> np.ndarray:
    """Per-firm reward for coverage when the admissible covers form a matroid (count limits).

    In a transversal matroid any rewards increasing with priority give the
    lexicographically best coverage, so ``(rank + 1) * B`` works once B exceeds the cost
    change of any single exchange (``cost_span``; see :mod:`assign.solvers.flow`).
    """
    base = int(cost_span) + 1
    weights = (ranks + 1) * base
    if int(weights.max(initial=0)) * len(ranks) >= 2**62:
        raise OverflowError("costs too large for exact integer flow; reduce costs or firms")
    return weights.astype(np.int64)
