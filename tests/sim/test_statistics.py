"""Run statistics checked against the issue log itself: travel without coordinates, the
daily resolution-rate and utilisation series."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from assign import ScenarioWarning, build_scenario, load_scenario
from sim import ServiceModel, SimulationConfig, km_median, simulate_scenario, staffing_scenario
from sim.metrics import run_metrics
from tests.conftest import SCENARIOS


def _paired_scenario(cadre_coords: bool, travel_min: float | None = None):
    """One firm in Zhangye served by one cadre through a pair table (cadre located 1.1 km
    away, or not at all)."""
    firms = pd.DataFrame({"id": ["f1"], "lat": [38.93], "lon": [100.45], "needs": ["other"],
                          "rate_per_day": [0.1]})
    cadres = pd.DataFrame({"id": ["c1"], "skills": ["other"]})
    if cadre_coords:
        cadres["lat"], cadres["lon"] = [38.9399], [100.45]
    pairs = pd.DataFrame({"cadre_id": ["c1"], "firm_id": ["f1"], "cost": [1.0], "load": [2.0]})
    if travel_min is not None:
        pairs["travel_min"] = [travel_min]
    return build_scenario(cadres, firms, pairs, mode="one_to_many", objective="cost")


def _fixed_config(**extra) -> SimulationConfig:
    data = {"days": 120, "collection": "immediate", "hours_per_day": 24,
            "effort": {"distribution": "fixed", "mean_hours": 3.0},
            "escalation": {"enabled": False}, "arrival": {"mix": {"other": 1}}}
    data.update(extra)
    return SimulationConfig.model_validate(data)


def test_missing_coordinates_mean_unknown_travel_not_a_trip_to_0n_0e():
    """A cadre without coordinates is not at 0°N 0°E: the run equals the same run without
    travel (each visit once took a 10,908 km trip), and the user is warned."""
    scenario = _paired_scenario(cadre_coords=False)
    cfg = SimulationConfig.model_validate({"days": 120})
    with pytest.warns(ScenarioWarning, match="no travel time.*cadres without coordinates: c1"):
        travelled = ServiceModel(scenario, None, cfg, 3).run()
    still = ServiceModel(scenario, None, cfg.model_copy(update={"travel": False}), 3).run()
    pd.testing.assert_frame_equal(travelled.issues(), still.issues())
    assert travelled.busy_hours() == pytest.approx(still.busy_hours())
    done = travelled.issues()
    assert done["resolved"].notna().sum() >= 0.8 * len(done)


def test_pair_table_travel_minutes_set_each_visit():
    """With ``travel_min`` in the pair table a visit lasts effort + 2 x travel_min exactly
    (fixed effort, 24-hour days, no escalation); no warning then."""
    scenario = _paired_scenario(cadre_coords=False, travel_min=45.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)
        model = ServiceModel(scenario, None, _fixed_config(), 1).run()
    df = model.issues().dropna(subset=["resolved"])
    assert len(df) > 5
    np.testing.assert_allclose((df["resolved"] - df["started"]) * 24, 3.0 + 1.5, atol=1e-9)


def test_coordinates_known_travel_is_great_circle():
    """With both locations the trip is 2 x great-circle km / speed (1.1 km each way here,
    computed with the spherical law of cosines, not the model's haversine)."""
    scenario = _paired_scenario(cadre_coords=True)
    model = ServiceModel(scenario, None, _fixed_config(speed_kmh=30.0), 1).run()
    la1, lo1, la2, lo2 = map(math.radians, (38.9399, 100.45, 38.93, 100.45))
    km = 6371.0088 * math.acos(math.sin(la1) * math.sin(la2)
                               + math.cos(la1) * math.cos(la2) * math.cos(lo2 - lo1))
    df = model.issues().dropna(subset=["resolved"])
    np.testing.assert_allclose((df["resolved"] - df["started"]) * 24, 3.0 + 2 * km / 30.0,
                               rtol=1e-6)


def test_resolution_rate_series_is_the_metric_up_to_each_day():
    """The daily series counts issues raised since the warm-up and resolved by that day
    (closed unresolved is not resolved), and ends at the run's metric."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022",
                             {"simulation.escalation.department.solve_prob": 0.5,
                              "simulation.escalation.department.mean_days": 20,
                              "simulation.warmup_days": 10})
    model = ServiceModel(scenario, seed=0).run()
    log = model.issues()
    assert (log["closed_by"] == "unresolved").sum() > 5  # the case that went wrong
    series = model.datacollector.get_model_vars_dataframe()["resolution_rate"].to_numpy()
    w = model.config.warmup_days
    want = []
    for d in range(len(series)):
        raised = log[(log["raised"] >= w) & (log["raised"] <= d)]
        want.append((raised["resolved"] <= d).sum() / len(raised) if len(raised) else 0.0)
    np.testing.assert_allclose(series, want, atol=1e-12)
    metric = run_metrics(log, w, model.config.days, model.busy_hours(), model.available_hours())
    assert series[-1] == pytest.approx(metric["resolution_rate"])


def test_utilisation_series_books_hours_as_worked():
    """Weekly collection, 5 cadres, 8-hour days: each day's utilisation is the exact sum of
    cadre working hours worked by then (jobs from the log: started, then escalated or
    resolved by the cadre; still running at the end: open) over hours available."""
    from sim.workclock import work_hours

    scenario = staffing_scenario(
        load_scenario(SCENARIOS / "zhangye-2022", {"simulation.collection": "weekly"}), 5)
    model = ServiceModel(scenario, seed=0).run()
    log = model.issues()
    h = model.config.hours_per_day
    jobs = log.dropna(subset=["started"])
    end = jobs["escalated"].fillna(jobs["resolved"].where(jobs["closed_by"] == "cadre"))
    end = end.fillna(math.inf)
    series = model.datacollector.get_model_vars_dataframe()["utilization"].to_numpy()
    for d in range(1, len(series)):
        worked = sum(work_hours(min(d, e), h) - work_hours(min(d, s), h)
                     for s, e in zip(jobs["started"], end, strict=True))
        assert series[d] == pytest.approx(min(1.0, worked / (5 * work_hours(d, h))), abs=1e-12)
    assert series[-1] == pytest.approx(model.busy_hours() / model.available_hours())


def test_km_median_by_hand():
    """Durations 1, 2+, 3, 3, 4+, 5: S(1) = 5/6, S(3) = 5/6 x (1 - 2/4) = 5/12 <= 1/2,
    so the median is 3; censored at a tied time counts as at risk."""
    assert km_median(np.array([1, 2, 3, 3, 4, 5.0]),
                     np.array([1, 0, 1, 1, 0, 1], bool)) == 3.0
    # 1, 2+, 3+: S never reaches 1/2 -> not estimable
    assert math.isnan(km_median(np.array([1, 2, 3.0]), np.array([1, 0, 0], bool)))
    assert km_median(np.array([2.0, 2.0]), np.array([1, 1], bool)) == 2.0


def test_km_median_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(3)
    for n in (5, 40, 300):
        t = np.round(rng.exponential(10, n), 0)  # ties on purpose
        e = rng.random(n) < 0.6
        kmf = lifelines.KaplanMeierFitter().fit(t, e)
        want = kmf.median_survival_time_
        got = km_median(t, e)
        assert (math.isinf(want) and math.isnan(got)) or got == pytest.approx(want)


def test_service_levels_backlog_and_km_median_from_the_issue_log():
    """closed_within_Nd, backlog_at_end and the Kaplan-Meier median recomputed issue by
    issue from the log (the median with lifelines, open issues censored at the horizon)."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022", {"simulation.warmup_days": 5,
                                                          "simulation.sla_days": [7, 30, 45.5]})
    result = simulate_scenario(scenario, replications=1, seed=4, keep_issues=True)
    got = result.runs.iloc[0]
    log = result.issues
    horizon, warmup = 120.0, 5.0
    rows = list(log.itertuples())
    for n, name in ((7, "closed_within_7d"), (30, "closed_within_30d"),
                    (45.5, "closed_within_45_5d")):
        seen = [r for r in rows if warmup <= r.raised <= horizon - n]
        want = sum(1 for r in seen if r.closed - r.raised <= n) / len(seen)
        assert got[name] == pytest.approx(want)
    assert got["backlog_at_end"] == sum(1 for r in rows if not r.closed <= horizon)
    window = [r for r in rows if r.raised >= warmup]
    done = [r.resolved <= horizon for r in window]
    durations = [r.resolved - r.raised if d else horizon - r.raised
                 for r, d in zip(window, done, strict=True)]
    lifelines = pytest.importorskip("lifelines")
    want = lifelines.KaplanMeierFitter().fit(durations, done).median_survival_time_
    assert got["km_median_time_to_resolve_days"] == pytest.approx(want)
    # open issues pull the median above the median of the resolved ones alone
    resolved = [t for t, d in zip(durations, done, strict=True) if d]
    assert got["km_median_time_to_resolve_days"] > np.median(resolved)
    assert set(result.summary()["metrics"]) >= {"closed_within_45_5d", "backlog_at_end"}


def test_pooled_service_warns_with_the_count_of_pairs_without_travel():
    """Pooled: any cadre may visit any firm; one cadre of three without coordinates and
    four firms make 4 pairs with no travel time (counted without listing every pair)."""
    from dataclasses import replace

    from tests.sim.helpers import mmc_config, pooled_scenario

    sc = pooled_scenario(3, firms=4)
    sc = replace(sc, cadres=sc.cadres.assign(lat=[np.nan, 30.0, 30.0],
                                             lon=[np.nan, 110.0, 110.0]))
    cfg = mmc_config(1.0, 2.0, firms=4, days=10, warmup=0).model_copy(update={"travel": True})
    with pytest.warns(ScenarioWarning, match="^simulation: 4 cadre-firm pairs .*: c0\\)"):
        ServiceModel(sc, None, cfg, 1)
