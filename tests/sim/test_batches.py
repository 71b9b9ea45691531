"""Cadres in batches (cadres.csv start_day / end_day): who serves when, checked against
the issue log, independent solves of each batch, and closed-form available hours."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from assign import ScenarioError, build_scenario, load_scenario, solve
from sim import ServiceModel, SimulationConfig, simulate_scenario
from sim.workclock import work_hours
from tests.conftest import SCENARIOS
from tests.sim.helpers import pooled_scenario


@pytest.fixture(scope="module")
def zhangye_batches():
    """Zhangye's first 50 cadres serve days 0-60; then all 103 (new ids, same homes and
    skills) serve from day 60: 53 firms have nobody for the first 60 days."""
    sc = load_scenario(SCENARIOS / "zhangye-2022")
    c = sc.cadres
    first = c.iloc[:50].assign(end_day=60.0)
    second = c.assign(id=c["id"] + "-B2", start_day=60.0)
    both = replace(sc, cadres=pd.concat([first, second], ignore_index=True))
    return sc, both


def test_each_period_is_served_by_its_own_pairing(zhangye_batches):
    sc, both = zhangye_batches
    model = ServiceModel(both, seed=2).run()
    log = model.issues()
    assert [p.start for p in model.plan.periods] == [0.0, 60.0]
    # independent solves of each batch's cadres
    p1 = solve(sc.with_cadres(50)).pairs
    p2 = solve(sc).pairs
    first = dict(zip(p1["firm_id"], p1["cadre_id"], strict=True))
    second = {f: c + "-B2" for f, c in zip(p2["firm_id"], p2["cadre_id"], strict=True)}
    started = log.dropna(subset=["started"])
    early = started[started["started"] < 60]
    late = started[started["started"] >= 60]
    assert len(early) > 30 and len(late) > 30
    assert (early["cadre_id"] == early["firm_id"].map(first)).all()
    assert (late["cadre_id"] == late["firm_id"].map(second)).all()
    # a firm nobody served before day 60 has its earlier issues collected at day 60
    waited = log[~log["firm_id"].isin(first) & (log["raised"] < 60)]
    assert len(waited) > 10
    assert (waited["collected"] == 60.0).all()
    # hours available: 50 cadres for 60 days, 103 for the other 60
    h = model.config.hours_per_day
    want = 50 * work_hours(60, h) + 103 * (work_hours(120, h) - work_hours(60, h))
    assert model.available_hours() == pytest.approx(want)
    # the daily utilisation: hours worked by each day (from the log) over hours available
    end = started["escalated"].fillna(
        started["resolved"].where(started["closed_by"] == "cadre")).fillna(np.inf)
    series = model.datacollector.get_model_vars_dataframe()["utilization"].to_numpy()
    for d in (30, 59, 60, 61, 90, 120):
        worked = sum(work_hours(min(d, e), h) - work_hours(min(d, s), h)
                     for s, e in zip(started["started"], end, strict=True))
        avail = 50 * work_hours(min(d, 60), h) + 103 * (
            work_hours(max(d, 60), h) - work_hours(60, h))
        assert series[d] == pytest.approx(worked / avail, abs=1e-12)


def test_batches_in_a_simulation_and_a_pairing_per_period(zhangye_batches):
    _, both = zhangye_batches
    res = simulate_scenario(both, replications=2, seed=1)
    periods = res.meta["pairing"]["periods"]
    assert [(p["start_day"], p["cadres"], p["assigned"]) for p in periods] == [
        (0.0, 50, 50), (60.0, 103, 103)]


def test_pooled_cadres_work_only_while_serving():
    """Pooled service, immediate collection: two of four cadres from day 30 to 60, the
    others all along; no job starts outside its cadre's window, and jobs do start inside."""
    sc = pooled_scenario(4)
    cadres = sc.cadres.assign(start_day=[np.nan, np.nan, 30.0, 30.0],
                              end_day=[np.nan, np.nan, 60.0, 60.0])
    sc = replace(sc, cadres=cadres)
    cfg = SimulationConfig.model_validate({
        "days": 90, "collection": "immediate", "service": "pooled", "hours_per_day": 24,
        "arrival": {"rate_per_firm_day": 0.2, "mix": {"other": 1}},
        "effort": {"distribution": "exponential", "mean_hours": 20.0},
        "escalation": {"enabled": False}, "travel": False})
    model = ServiceModel(sc, None, cfg, 3).run()
    log = model.issues().dropna(subset=["started"])
    late = log[log["cadre_id"].isin(["c2", "c3"])]
    assert len(late) > 15
    assert (late["started"] >= 30).all() and (late["started"] < 60).all()
    assert model.available_hours() == pytest.approx(24 * (2 * 90 + 2 * 30))
    # with four cadres the queue is shorter while the second pair serves
    waits = log["started"] - log["raised"]
    assert waits[(log["raised"] > 35) & (log["raised"] < 55)].mean() < waits[
        log["raised"] < 25].mean()


def test_end_day_must_follow_start_day():
    cadres = pd.DataFrame({"id": ["a", "b"], "lat": [30, 30], "lon": [110, 110],
                           "start_day": [10, ""], "end_day": [10, 5]})
    firms = pd.DataFrame({"id": ["f"], "lat": [30.01], "lon": [110.0]})
    with pytest.raises(ScenarioError) as info:
        build_scenario(cadres, firms)
    assert "line 2, column 'end_day': end_day must come after start_day" in str(info.value)
    assert "line 3" not in str(info.value)


def test_a_later_batch_is_replanned_keeping_firms_with_their_cadre():
    """Cadre a serves both firms from day 0; b, nearer to both, joins on day 30. A fresh
    solve would give b both firms (shorter); replanning against the first period changes
    no firm (coverage is the same), so a keeps both, as the planning rules' previous plan
    asks; with a change cost below the distance saved, b takes them."""
    cadres = pd.DataFrame({"id": ["a", "b"], "lat": [30.0, 30.1], "lon": [110.0, 110.2],
                           "start_day": ["", 30]})
    firms = pd.DataFrame({"id": ["f1", "f2"], "lat": [30.1, 30.11], "lon": [110.21, 110.2]})
    scenario = build_scenario(cadres, firms, mode="one_to_many")
    fresh = solve(scenario)
    assert set(fresh.pairs["cadre_id"]) == {"b"}
    from sim import plan_batches

    plan = plan_batches(scenario, 60.0)
    assert [p.start for p in plan.periods] == [0.0, 30.0]
    assert set(plan.periods[0].pairing.pairs["cadre_id"]) == {"a"}
    assert set(plan.periods[1].pairing.pairs["cadre_id"]) == {"a"}
    cheap = build_scenario(cadres, firms, mode="one_to_many", change_cost=0.5)
    assert set(plan_batches(cheap, 60.0).periods[1].pairing.pairs["cadre_id"]) == {"b"}


def test_a_sweep_pairs_each_period_as_simulate_does(zhangye_batches, tmp_path):
    """Runs of a sweep over a scenario with batches equal run_once with the period plan;
    the whole-roster pairing (first period missing its second-batch cadres) differs."""
    from sim import prepare_pairing, run_once
    from sim.design import design_from_dict
    from sim.sweep import run_sweep, sweep_runs

    _, both = zhangye_batches
    store = tmp_path / "runs.sqlite"
    res = run_sweep(both, design_from_dict({"factors": {"simulation.days": [90]},
                                            "replications": 2, "seed": 3}), store, workers=1)
    assert res.ok == 2
    rows = sweep_runs(store)
    cfg = SimulationConfig.model_validate(both.config.simulation | {"days": 90})
    scenario = replace(both, config=both.config.model_copy(
        update={"simulation": both.config.simulation | {"days": 90}}))
    plan = prepare_pairing(scenario, cfg)
    for row in rows.itertuples():
        got = run_once(scenario, plan, cfg, int(row.seed), int(row.replication)).metrics
        assert got["issues_resolved"] == row.issues_resolved
        assert got["cadre_utilization"] == pytest.approx(row.cadre_utilization)
    whole = run_once(scenario, solve(scenario), cfg, int(rows.seed.iloc[0]),
                     int(rows.replication.iloc[0])).metrics
    assert whole["mean_wait_days"] != pytest.approx(rows.mean_wait_days.iloc[0])
