"""Fit simulation parameters to the counts a programme reports.

Reports give totals like "236 issues in about 120 days from 103 firms, 135 solved, mix
54/72/63/27/20, 40% answered on the spot". From those:

- the arrival rate is the Poisson maximum-likelihood estimate issues / (firms x days),
  with an exact (Garwood) 95% interval; with a rate profile (``arrival.profile``) the
  days are the profile's cumulative multiplier over the period, so the fitted base rate
  times the profile reproduces the count;
- the category mix is the reported counts;
- a resolution parameter (by default the functional departments' mean handling days) is
  found by bisection so that the simulated share resolved by the horizon matches the
  reported one, and optionally the cadres' solve chance so that the simulated
  escalation share matches the reported share not settled on the spot. Both searches
  use common random numbers, so the simulated curve is monotone in the parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scipy import stats

from assign import Scenario
from assign.io.scenario import apply_overrides

from .arrivals import cumulative
from .config import SimulationConfig, simulation_config
from .experiment import prepare_pairing, simulate_scenario


@dataclass(frozen=True)
class Calibration:
    """Fitted parameters and how well the model then reproduces the report.

    Attributes:
        simulation: The fitted ``simulation`` section (ready to paste into a yaml).
        rate_ci95: Exact 95% interval of the arrival rate.
        achieved: Simulated mean and 95% CI of the targeted metrics with the fit.
        steps: The bisection's trials: (parameter, value, simulated metric).
    """

    simulation: dict[str, Any]
    rate_ci95: tuple[float, float]
    achieved: dict[str, dict]
    steps: list[tuple[str, float, float]] = field(default_factory=list)


def fit_rate(issues: int, firms: int, days: float) -> tuple[float, tuple[float, float]]:
    """Poisson rate per firm-day and its exact 95% interval."""
    exposure = firms * days
    lo = stats.chi2.ppf(0.025, 2 * issues) / 2 / exposure if issues > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * issues + 2) / 2 / exposure
    return issues / exposure, (float(lo), float(hi))


def _metric(scenario: Scenario, pairing, section: dict, metric: str, reps: int, seed: int) -> float:
    cfg = SimulationConfig.model_validate(section)
    res = simulate_scenario(scenario, pairing, cfg, replications=reps, seed=seed)
    return float(res.runs[metric].mean())


def _bisect(
    f, lo: float, hi: float, target: float, increasing: bool, log_scale: bool, iters: int
) -> float:
    """Bisection for f(x) = target on [lo, hi], f monotone."""
    for _ in range(iters):
        mid = math.sqrt(lo * hi) if log_scale else (lo + hi) / 2
        above = f(mid) > target
        if above == increasing:
            hi = mid
        else:
            lo = mid
    return math.sqrt(lo * hi) if log_scale else (lo + hi) / 2


def calibrate(
    scenario: Scenario,
    issues: int,
    days: float,
    resolved: int | None = None,
    mix: dict[str, float] | None = None,
    escalated_share: float | None = None,
    parameter: str = "escalation.department.mean_days",
    bounds: tuple[float, float] = (0.5, 2000.0),
    replications: int = 20,
    seed: int = 0,
    iterations: int = 14,
) -> Calibration:
    """Fit arrival, mix and resolution parameters to reported counts.

    Args:
        scenario: The scenario (its firms, cadres and current simulation section).
        issues: Issues reported over the period.
        days: Length of the period.
        resolved: Issues reported solved by its end (None: resolution not fitted).
        mix: Reported count per category (None: keep the scenario's mix).
        escalated_share: Reported share not settled by the cadre on the spot (None: keep).
        parameter: Dotted key of the simulation section varied to match ``resolved``;
            the resolved share must fall as it grows (a handling time or delay).
        bounds: Search interval of that parameter.
        replications: Replications per trial.
        seed: Seed of every trial (common random numbers).
        iterations: Bisection steps per fitted parameter.
    """
    profile = simulation_config(scenario).arrival.profile
    rate, rate_ci = fit_rate(issues, len(scenario.firms), cumulative(profile, days))
    section = dict(scenario.config.simulation)
    section = apply_overrides(section, {"days": days, "warmup_days": 0,
                                        "arrival.rate_per_firm_day": round(rate, 6)})
    if mix is not None:
        section = apply_overrides(section, {"arrival.mix": dict(mix)})
    simulation_config(scenario, **{})  # the starting section must be valid
    pairing = prepare_pairing(scenario, SimulationConfig.model_validate(section))
    steps: list[tuple[str, float, float]] = []

    def trial(key: str, metric: str):
        def f(x: float) -> float:
            value = _metric(scenario, pairing, apply_overrides(section, {key: x}), metric,
                            replications, seed)
            steps.append((key, x, value))
            return value
        return f

    if escalated_share is not None:
        key = "escalation.cadre_solve_prob"
        x = _bisect(trial(key, "escalation_share"), 0.0, 1.0, escalated_share,
                    increasing=False, log_scale=False, iters=iterations)
        section = apply_overrides(section, {key: round(x, 4)})
    if resolved is not None:
        x = _bisect(trial(parameter, "resolution_rate"), bounds[0], bounds[1], resolved / issues,
                    increasing=False, log_scale=True, iters=iterations)
        section = apply_overrides(section, {parameter: round(x, 3)})
    cfg = SimulationConfig.model_validate(section)
    res = simulate_scenario(scenario, pairing, cfg, replications=replications, seed=seed)
    summary = res.summary()["metrics"]
    achieved = {k: summary[k] for k in ("issues_raised", "resolution_rate", "escalation_share")}
    return Calibration(section, rate_ci, achieved, steps)
