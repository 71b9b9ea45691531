"""Time-varying arrivals against closed forms: counts per period, the surge's cumulative
rate, and calibration of the base rate under a profile."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from assign import ScenarioError, load_scenario
from sim import SimulationConfig, simulation_config
from sim.arrivals import cumulative, draw_arrivals
from sim.calibrate import calibrate
from sim.config import ProfileConfig
from tests.conftest import SCENARIOS

MIX = {"other": 1.0}


def test_weekly_multipliers_give_the_expected_counts_per_week():
    """Weeks at 2, 1, 0.5 then 0 (the last holds): counts are Poisson(firms x rate x 7 x
    m_k); nothing is raised once the multiplier is 0."""
    profile = ProfileConfig(period_days=7, multipliers=[2, 1, 0.5, 0])
    rates = np.full(500, 0.4)
    arr = draw_arrivals(np.random.default_rng(1), rates, MIX, 42.0, profile)
    week = np.floor(arr.time / 7).astype(int)
    counts = np.bincount(week, minlength=6)
    for k, m in enumerate([2, 1, 0.5, 0, 0, 0]):
        mean = 500 * 0.4 * 7 * m
        assert abs(counts[k] - mean) <= 4 * math.sqrt(mean) + 1e-9
    assert counts[3:].sum() == 0
    assert np.all(np.diff(arr.time) >= 0)


def test_repeating_day_of_week_pattern():
    """Period 1 day, seven multipliers, repeat: weekends at 0.2 of a weekday."""
    profile = ProfileConfig(period_days=1, multipliers=[1, 1, 1, 1, 1, 0.2, 0.2], repeat=True)
    arr = draw_arrivals(np.random.default_rng(2), np.full(300, 0.5), MIX, 70.0, profile)
    dow = np.floor(arr.time).astype(int) % 7
    counts = np.bincount(dow, minlength=7)
    for d, m in enumerate([1, 1, 1, 1, 1, 0.2, 0.2]):
        mean = 300 * 0.5 * 10 * m
        assert abs(counts[d] - mean) <= 4 * math.sqrt(mean)
    assert cumulative(profile, 70.0) == pytest.approx(10 * (5 + 0.4))


def test_surge_decays_with_its_half_life():
    """m(t) = 1 + (s - 1) 2^(-t/h): cumulative rate t + (s - 1) h / ln 2 (1 - 2^(-t/h));
    the times follow that distribution (Kolmogorov-Smirnov) and the count its mean."""
    s, h, days = 5.0, 10.0, 90.0
    profile = ProfileConfig(surge=s, half_life_days=h)

    def big_lambda(t):
        return t + (s - 1) * h / math.log(2) * (1 - 2.0 ** (-np.asarray(t) / h))

    assert cumulative(profile, days) == pytest.approx(big_lambda(days))
    rates = np.full(200, 0.1)
    arr = draw_arrivals(np.random.default_rng(3), rates, MIX, days, profile)
    mean = 200 * 0.1 * big_lambda(days)
    assert abs(len(arr) - mean) <= 4 * math.sqrt(mean)
    p = stats.kstest(arr.time, lambda t: big_lambda(t) / big_lambda(days)).pvalue
    assert p > 0.001
    # both parts together: the product of a period pattern and the surge
    both = ProfileConfig(period_days=30, multipliers=[1, 2, 1], surge=s, half_life_days=h)
    want = sum(m * (big_lambda(b) - big_lambda(a))
               for a, b, m in ((0, 30, 1), (30, 60, 2), (60, 90, 1)))
    assert cumulative(both, days) == pytest.approx(want)


def test_profile_keys_are_checked():
    scenario = load_scenario(SCENARIOS / "zhangye-2022",
                             {"simulation.arrival.profile": {"surge": 3}})
    with pytest.raises(ScenarioError, match="half_life_days"):
        simulation_config(scenario)
    with pytest.raises(ValueError, match="go together"):
        ProfileConfig(multipliers=[1, 2])


def test_calibration_fits_the_base_rate_under_a_surge():
    """With a surge the fitted base rate is issues / (firms x cumulative multiplier), and
    simulating the fit raises about the reported count again."""
    s, h = 4.0, 7.0
    scenario = load_scenario(SCENARIOS / "nanan-2020", {
        "simulation.arrival.profile": {"surge": s, "half_life_days": h}})
    days = simulation_config(scenario).days
    firms = len(scenario.firms)
    cal = calibrate(scenario, issues=120, days=days, replications=6, seed=1)
    big_lambda = days + (s - 1) * h / math.log(2) * (1 - 2.0 ** (-days / h))
    fitted = cal.simulation["arrival"]["rate_per_firm_day"]
    assert fitted == pytest.approx(120 / (firms * big_lambda), abs=1e-6)
    raised = cal.achieved["issues_raised"]["mean"]
    assert abs(raised - 120) <= 4 * math.sqrt(120 / 6)
    assert SimulationConfig.model_validate(cal.simulation).arrival.profile.surge == s


def test_staffing_bound_uses_the_average_rate_under_a_profile():
    """The staffing search starts from the mean issues a day: with weekly multipliers
    3, 1 then 0.5 over 28 days that is the base rate x (3 + 1 + 0.5 + 0.5) / 4."""
    from sim.staff import offered_load

    scenario = load_scenario(SCENARIOS / "nanan-2020", {
        "simulation.days": 28,
        "simulation.arrival.profile": {"period_days": 7, "multipliers": [3, 1, 0.5]}})
    cfg = simulation_config(scenario)
    base = scenario.firms["rate_per_day"].fillna(cfg.arrival.rate_per_firm_day).sum()
    lam, _ = offered_load(scenario, cfg)
    assert lam == pytest.approx(base * 5.0 / 4)
