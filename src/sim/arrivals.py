"""Issue arrivals, drawn in vectors: one Poisson process per firm, categories by weight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assign.categories import CATEGORY_INDEX


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


def draw_arrivals(
    rng: np.random.Generator, rates: np.ndarray, mix: dict[str, float], days: float
) -> Arrivals:
    """Draw every issue raised in ``[0, days)``.

    For a Poisson process the count over the horizon is Poisson(rate x days) and, given
    the count, the times are independent uniforms: no per-day or per-agent loop.

    Args:
        rng: The random generator (its own stream, so arrivals are common to all
            staffing levels and policies compared with the same seed).
        rates: Issues per day of each firm.
        mix: Category key -> relative weight.
        days: Horizon.
    """
    counts = rng.poisson(np.asarray(rates, float) * days)
    total = int(counts.sum())
    firm = np.repeat(np.arange(len(rates), dtype=np.int64), counts)
    time = rng.uniform(0.0, days, total)
    keys = list(mix)
    p = np.array([mix[k] for k in keys], float)
    cats = np.array([CATEGORY_INDEX[k] for k in keys], dtype=np.int64)
    category = cats[rng.choice(len(keys), size=total, p=p / p.sum())]
    order = np.argsort(time, kind="stable")
    return Arrivals(time[order], firm[order], category[order])
