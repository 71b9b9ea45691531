"""Issue arrivals, drawn in vectors: one Poisson process per firm, categories by weight.

A rate profile (``arrival.profile``) makes every firm's rate ``rate x m(t)`` with one
multiplier ``m`` for all: piecewise constant by period, times a surge decaying from the
start. Such a process is drawn exactly by thinning (Lewis and Shedler 1979): a constant-
rate process at the peak ``rate x max m``, each issue kept with chance ``m(t) / max m``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assign.categories import CATEGORY_INDEX

from .config import ProfileConfig


@dataclass(frozen=True)
class Arrivals:
    """All issues of a run, sorted by time.

    Attributes:
        time: Day each issue is raised.
        firm: Firm row index.
        category: Category index (into :data:`assign.categories.CATEGORY_KEYS`).
    """

    time: np.ndarray
    firm: np.ndarray
    category: np.ndarray

    def __len__(self) -> int:
        return len(self.time)


def multiplier(profile: ProfileConfig, t: np.ndarray) -> np.ndarray:
    """The rate multiplier ``m(t)`` at days ``t``."""
    t = np.asarray(t, float)
    m = np.ones_like(t)
    if profile.multipliers is not None and profile.period_days is not None:
        k = np.floor(t / profile.period_days).astype(np.int64)
        n = len(profile.multipliers)
        k = k % n if profile.repeat else np.minimum(k, n - 1)
        m = np.asarray(profile.multipliers, float)[k]
    if profile.surge != 1.0 and profile.half_life_days is not None:
        m = m * (1.0 + (profile.surge - 1.0) * np.exp2(-t / profile.half_life_days))
    return m


def _pieces(profile: ProfileConfig, days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals ``[a, b)`` covering ``[0, days)`` and the period multiplier on each."""
    if profile.multipliers is None or profile.period_days is None:
        return np.array([0.0]), np.array([float(days)]), np.array([1.0])
    p = profile.period_days
    a = np.arange(math.ceil(days / p)) * p
    b = np.minimum(a + p, days)
    k = np.arange(len(a))
    n = len(profile.multipliers)
    k = k % n if profile.repeat else np.minimum(k, n - 1)
    return a, b, np.asarray(profile.multipliers, float)[k]


def cumulative(profile: ProfileConfig | None, days: float) -> float:
    """``∫ m(t) dt`` over ``[0, days)``: the days of base rate the profile amounts to
    (``days`` without a profile); the expected issues of a firm are its rate times this."""
    if profile is None:
        return float(days)
    a, b, c = _pieces(profile, days)
    total = b - a
    if profile.surge != 1.0 and profile.half_life_days is not None:
        h = profile.half_life_days
        total = total + (profile.surge - 1.0) * h / math.log(2) * (np.exp2(-a / h) - np.exp2(-b / h))
    return float(np.sum(c * total))


def peak(profile: ProfileConfig, days: float) -> float:
    """The largest multiplier over ``[0, days)``."""
    _, _, c = _pieces(profile, days)
    return float(c.max()) * max(profile.surge, 1.0)


def draw_arrivals(
    rng: np.random.Generator, rates: np.ndarray, mix: dict[str, float], days: float,
    profile: ProfileConfig | None = None,
) -> Arrivals:
    """Draw every issue raised in ``[0, days)``.

    For a Poisson process the count over the horizon is Poisson(rate x days) and, given
    the count, the times are independent uniforms: no per-day or per-agent loop. With a
    profile, the same at the peak rate, thinned.

    Args:
        rng: The random generator (its own stream, so arrivals are common to all
            staffing levels and policies compared with the same seed).
        rates: Issues per day of each firm.
        mix: Category key -> relative weight.
        days: Horizon.
        profile: How the rate varies over time (None: constant).
    """
    top = 1.0 if profile is None else peak(profile, days)
    counts = rng.poisson(np.asarray(rates, float) * top * days)
    total = int(counts.sum())
    firm = np.repeat(np.arange(len(rates), dtype=np.int64), counts)
    time = rng.uniform(0.0, days, total)
    if profile is not None:
        keep = rng.random(total) * top < multiplier(profile, time)
        firm, time = firm[keep], time[keep]
        total = len(time)
    keys = list(mix)
    p = np.array([mix[k] for k in keys], float)
    cats = np.array([CATEGORY_INDEX[k] for k in keys], dtype=np.int64)
    if len(keys) == 1:  # the draws would all pick it (and nothing is drawn after them)
        category = np.full(total, cats[0], dtype=np.int64)
    else:
        category = cats[rng.choice(len(keys), size=total, p=p / p.sum())]
    order = _stable_order(time)
    return Arrivals(time[order], firm[order], category[order])


def _stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``: the quicker unstable sort, which gives the
    same order when no two values are equal (ties among uniform draws are very rare)."""
    order = np.argsort(values)
    ranked = values[order]
    if len(ranked) > 1 and not (ranked[1:] > ranked[:-1]).all():  # a tie (or a NaN)
        return np.argsort(values, kind="stable")
    return order
