"""Small in-memory scenarios for the simulation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assign import build_scenario
from sim import SimulationConfig


def pooled_scenario(c: int, firms: int = 10, skills: str = "other", home_unit: str = "unit"):
    """``c`` cadres and ``firms`` firms around one town (coordinates only matter for travel)."""
    rng = np.random.default_rng(5)
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(c)], "home_unit": home_unit,
                           "lat": 30 + rng.uniform(0, 0.1, c), "lon": 110 + rng.uniform(0, 0.1, c),
                           "skills": skills})
    f = pd.DataFrame({"id": [f"f{j}" for j in range(firms)], "lat": 30 + rng.uniform(0, 0.1, firms),
                      "lon": 110 + rng.uniform(0, 0.1, firms), "needs": "other"})
    return build_scenario(cadres, f, mode="one_to_many")


def mmc_config(lam: float, mu: float, firms: int = 10, days: float = 1000.0,
               warmup: float = 100.0, **extra) -> SimulationConfig:
    """The M/M/c configuration: pooled, exponential effort, immediate, 24 h, no travel or
    escalation; ``lam`` issues a day in all, service rate ``mu`` a day per cadre."""
    data = {
        "days": days, "warmup_days": warmup,
        "arrival": {"rate_per_firm_day": lam / firms, "mix": {"other": 1}},
        "collection": "immediate", "service": "pooled", "hours_per_day": 24,
        "effort": {"distribution": "exponential", "mean_hours": 24.0 / mu},
        "escalation": {"enabled": False}, "travel": False,
    }
    data.update(extra)
    return SimulationConfig.model_validate(data)
