"""Working hours: cadres work ``h`` hours at the start of each day.

Time in the model is days. A job of ``E`` hours started at day ``t`` finishes when ``E``
working hours have passed; with ``h = 24`` that is simply ``t + E / 24``.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def work_hours(t: float, h: float) -> float:
    """Working hours elapsed from day 0 to day ``t``."""
    if h >= 24.0:
        return 24.0 * t
    d = math.floor(t)
    return d * h + min((t - d) * 24.0, h)


@njit(cache=True)
def next_working(t: float, h: float) -> float:
    """The first working instant at or after ``t``."""
    if h >= 24.0:
        return t
    d = math.floor(t)
    return t if (t - d) * 24.0 < h else d + 1.0


@njit(cache=True)
def finish_time(t: float, hours: float, h: float) -> float:
    """Day at which ``hours`` of work started at the working instant ``t`` are done."""
    if h >= 24.0:
        return t + hours / 24.0
    target = work_hours(t, h) + hours
    full, rem = divmod(target, h)
    if rem <= 1e-12:
        return (full - 1.0) + h / 24.0 if full > 0 else 0.0
    return full + rem / 24.0
