"""Model mechanics: working hours, collection policies, seeds, escalation, calibration."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assign import ScenarioError, load_scenario
from sim import ServiceModel, simulate_scenario, simulation_config
from sim.calibrate import calibrate, fit_rate
from sim.workclock import finish_time, next_working
from tests.conftest import SCENARIOS
from tests.sim.helpers import mmc_config, pooled_scenario


def finish_by_stepping(t: float, hours: float, h: float) -> float:
    """Walk the clock minute by minute (independent of the closed form)."""
    step = 1 / 1440
    k = round(t / step)
    left = round(hours * 60)
    while left > 0:
        if (k % 1440) / 60 < h:
            left -= 1
        k += 1
    return k * step


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5 * 1440), st.integers(1, 40 * 60), st.sampled_from([4, 8, 12, 24]))
def test_finish_time_matches_minute_stepping(start_min, minutes, h):
    t = next_working(start_min / 1440, h)
    got = finish_time(t, minutes / 60, h)
    want = finish_by_stepping(t, minutes / 60, h)
    assert got == pytest.approx(want, abs=1.5 / 1440)


@pytest.mark.parametrize("policy,expected", [("immediate", 0.0), ("daily", 0.5), ("weekly", 3.5)])
def test_collection_wait_closed_form(policy, expected):
    """With ample cadres, the wait is the time to the next collection: 0, 1/2, 7/2 days."""
    cfg = mmc_config(2.0, 24.0, days=700.0, warmup=0.0, collection=policy)
    res = simulate_scenario(pooled_scenario(20), None, cfg, replications=4, seed=2)
    wait = res.summary()["metrics"]["mean_wait_days"]["mean"]
    assert wait == pytest.approx(expected, abs=0.08)


def test_working_hours_delay_start():
    """An issue raised after hours waits for the next morning."""
    cfg = mmc_config(2.0, 24.0, days=200.0, warmup=0.0, hours_per_day=8)
    m = ServiceModel(pooled_scenario(20), None, cfg, 1).run()
    df = m.issues().dropna(subset=["started"])
    frac = (df["started"] % 1) * 24
    assert (frac < 8 + 1e-9).all()
    late = df[(df["raised"] % 1) * 24 > 8]
    assert (late["started"] >= np.floor(late["raised"]) + 1 - 1e-9).all()


def test_same_seed_same_results_any_workers():
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    one = simulate_scenario(scenario, replications=4, seed=9, workers=1)
    two = simulate_scenario(scenario, replications=4, seed=9, workers=2)
    assert one.runs.equals(two.runs)
    other = simulate_scenario(scenario, replications=4, seed=10, workers=1)
    assert not one.runs.equals(other.runs)


def test_runs_in_pieces_match_one_run():
    """Stopping at fractional times (as the dashboard's Step does) changes nothing:
    no event past the stop runs early, and none is lost."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    whole = ServiceModel(scenario, seed=5).run()
    pieces = ServiceModel(scenario, seed=5)
    seen_open = []
    for t in (0.37, 3.5, 10.0, 10.25, 61.9, 120.0):
        pieces.run_until(t)
        log = pieces.issues()
        # nothing is recorded as happening after the time the model stopped at
        stamps = log[["collected", "started", "escalated", "escalated_department"]]
        assert (stamps.fillna(-1) <= t + 1e-12).all().all()
        seen_open.append(pieces.open_issues)
    pd.testing.assert_frame_equal(whole.issues(), pieces.issues())
    assert seen_open[-1] == whole.open_issues


def test_user_events_see_the_model_as_of_their_time():
    """An event a researcher puts on Mesa's list mid-day sees exactly the hand-overs and
    closures the final log dates up to then, no more (none ran early) and no fewer (none
    is late): the model's own events and Mesa's keep their order."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    model = ServiceModel(scenario, seed=6)
    seen: dict[float, tuple[int, int]] = {}

    class Probe:
        def __init__(self, t: float) -> None:
            self.t = t

        def __call__(self) -> None:
            escalated = sum(1 for x in model.log.escalated if not math.isnan(x))
            seen[self.t] = (escalated, model.closed_count)

    probes = [Probe(t) for t in (2.3, 17.71, 40.05, 99.5)]
    for p in probes:
        model.schedule_event(p, at=p.t)
    model.run()
    df = model.issues()
    for t, (escalated, closed) in seen.items():
        assert escalated == int((df["escalated"] <= t).sum())
        assert closed == int((df["closed"] <= t).sum())
    assert len(seen) == len(probes)
    assert seen[99.5][0] > 0 and seen[99.5][1] > 0


def test_escalation_chain_timestamps_are_ordered():
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    m = ServiceModel(scenario, seed=4).run()
    df = m.issues()
    esc = df.dropna(subset=["escalated"])
    assert len(esc) > 0
    assert (esc["escalated"] >= esc["started"]).all()
    assert (esc["started"] >= esc["collected"]).all()
    assert (esc["collected"] >= esc["raised"]).all()
    dept = df.dropna(subset=["escalated_department"])
    assert (dept["escalated_department"] >= dept["escalated"]).all()
    done = df.dropna(subset=["resolved"])
    assert set(done["closed_by"]) <= {"cadre", "home_unit", "department"}
    assert (done.loc[done["closed_by"] == "department", "resolved"]
            >= done.loc[done["closed_by"] == "department", "escalated_department"]).all()
    # hand-over delays are honoured
    cfg = m.config.escalation
    home_started = esc["escalated"] + cfg.home_unit.delay_days
    assert (df.loc[esc.index, "resolved"].dropna() >= home_started.loc[
        df.loc[esc.index, "resolved"].dropna().index] - 1e-9).all()


def test_zhangye_reproduces_the_article():
    """236 issues in 120 days (within 10%), mix 54/72/63/27/20, about 57% closed."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    res = simulate_scenario(scenario, replications=30, seed=0, keep_issues=True)
    m = res.summary()["metrics"]
    assert abs(m["issues_raised"]["mean"] - 236) <= 23.6
    assert m["resolution_rate"]["mean"] == pytest.approx(135 / 236, abs=0.03)
    counts = res.issues["category"].value_counts(normalize=True)
    article = {"financing": 54, "cost_reduction": 72, "hiring": 63, "policy": 27, "other": 20}
    for cat, n in article.items():
        assert counts[cat] == pytest.approx(n / 236, abs=0.02)


def test_fit_rate_is_poisson_mle_with_exact_interval():
    rate, (lo, hi) = fit_rate(236, 103, 120)
    assert rate == pytest.approx(236 / (103 * 120))
    from scipy import stats

    # the exact interval brackets the rate and has 2.5% tail mass each side
    assert stats.poisson.sf(235, lo * 103 * 120) == pytest.approx(0.025, rel=1e-3)
    assert stats.poisson.cdf(236, hi * 103 * 120) == pytest.approx(0.025, rel=1e-3)


def test_calibration_recovers_a_known_parameter():
    """Simulate with a known department time, then fit it back from the counts."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    truth = simulate_scenario(scenario, replications=30, seed=123)
    raised = truth.runs["issues_raised"].mean()
    resolved = truth.runs["issues_resolved"].mean()
    cal = calibrate(scenario, issues=round(raised), days=120, resolved=round(resolved),
                    replications=15, seed=7, iterations=10)
    fitted = cal.simulation["escalation"]["department"]["mean_days"]
    true = scenario.config.simulation["escalation"]["department"]["mean_days"]
    assert fitted == pytest.approx(true, rel=0.35)


def test_bad_simulation_section_names_the_key(make_scenario):
    folder = make_scenario(yaml=(SCENARIOS / "nanan-2020" / "scenario.yaml").read_text()
                           .replace("days: 30", "dayz: 30"), cadres=None, firms=None)
    for name in ("cadres.csv", "firms.csv"):
        (folder / name).write_bytes((SCENARIOS / "nanan-2020" / name).read_bytes())
    scenario = load_scenario(folder)
    with pytest.raises(ScenarioError) as info:
        simulation_config(scenario)
    assert "key 'simulation.dayz'" in str(info.value)
    assert "unknown key" in str(info.value)
    line = next(i for i, t in enumerate((folder / "scenario.yaml").read_text().splitlines(), 1)
                if "dayz" in t)
    assert f"line {line}," in str(info.value)


def test_set_overrides_simulation_keys():
    scenario = load_scenario(SCENARIOS / "zhangye-2022", {"simulation.collection": "weekly"})
    assert simulation_config(scenario).collection == "weekly"
    bad = load_scenario(SCENARIOS / "zhangye-2022", {"simulation.collection": "hourly"})
    with pytest.raises(ScenarioError) as info:
        simulation_config(bad)
    assert "--set simulation.collection=hourly" in str(info.value)


def test_json_contract(tmp_path):
    scenario = load_scenario(SCENARIOS / "nanan-2020")
    res = simulate_scenario(scenario, replications=3, seed=1)
    data = json.loads(json.dumps(res.to_json()))
    assert set(data) == {"metrics", "by_category", "runs", "meta"}
    assert set(data["metrics"]["resolution_rate"]) == {"mean", "ci95"}
    assert len(data["runs"]) == 3
    assert data["meta"]["seed"] == 1 and "mesa" in data["meta"]["versions"]
    assert data["meta"]["parameters"]["days"] == 30
