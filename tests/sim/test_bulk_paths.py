"""The batched paths of a run (daily steps in one kernel call, firm agents registered as
one batch, metrics from the log's arrays) against independent references: counts taken
by hand from the issue log, Mesa's own one-at-a-time path, hand-computed metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from mesa.experimental.mesa_signals import ModelSignals, ObservableSignals

import sim.kernel as K
from sim import FirmAgent, ServiceModel
from sim.arrivals import _stable_order
from sim.metrics import km_median, times_by_category, times_metrics

from .helpers import mmc_config, pooled_scenario


def _mmc_model(days: float = 300.0, warmup: float = 50.0) -> ServiceModel:
    return ServiceModel(pooled_scenario(3), config=mmc_config(2.4, 1.0, days=days, warmup=warmup),
                        seed=11)


def test_daily_record_counts_match_the_issue_log(monkeypatch):
    """Each day's record, played in bulk, against counts taken from the finished log: at
    day d the kernel has played every event before d (M/M/3, continuous times, no ties)."""
    calls = []
    run_days = K.run_days

    def counted(*args):
        calls.append(1)
        return run_days(*args)

    monkeypatch.setattr(K, "run_days", counted)
    model = _mmc_model().run()
    series = model.datacollector.get_model_vars_dataframe()
    log = model.issues()
    assert len(calls) < 5  # the 300 steps were played in a few calls, not one by one
    assert model.steps == 300
    assert model.datacollector._collection_steps == [float(d) for d in range(301)]
    raised = log["raised"].to_numpy()
    started = log["started"].to_numpy()
    closed = log["closed"].to_numpy()
    resolved = log["resolved"].to_numpy()
    for d in range(1, 301):
        row = series.iloc[d]
        assert row["raised"] == (raised <= d).sum()
        assert row["closed"] == (closed < d).sum()
        assert row["open_issues"] == (raised <= d).sum() - (closed < d).sum()
        assert row["busy_cadres"] == ((started < d) & ~(closed < d)).sum()
        # (not "queued": under pooled immediate service the issues raised while every
        # cadre is busy wait in the feeder, which that series does not count)
        window = ((raised >= 50) & (raised <= d)).sum()
        done = ((raised >= 50) & (resolved < d)).sum()
        assert row["resolution_rate"] == pytest.approx(done / window if window else 0.0,
                                                       rel=1e-12)
    for name in ("raised", "closed", "open_issues", "busy_cadres", "queued"):
        assert series[name].dtype == np.int64, name
    # the frame from arrays is the one pandas makes of Mesa's lists
    pd.testing.assert_frame_equal(series, pd.DataFrame(model.datacollector.model_vars),
                                  check_exact=True)


def test_bulk_steps_equal_mesa_steps_one_at_a_time():
    """A model whose time someone observes steps one day at a time (Mesa's own path, the
    observer sees every day); the record is the same as the batched run's, with daily
    collection rounds and a user event in the middle."""
    def build():
        cfg = mmc_config(2.4, 1.0, days=120.0, warmup=10.0, collection="daily")
        return ServiceModel(pooled_scenario(3), config=cfg, seed=4)

    seen: list[float] = []

    def on_time(signal) -> None:  # held here: Mesa keeps a weak reference to observers
        seen.append(signal.additional_kwargs["new"])

    slow = build()
    slow.observe("time", ObservableSignals.CHANGED, on_time)
    fast = build()
    for model in (slow, fast):
        model.schedule_event(model.collect, at=40.5)
    slow.run()
    fast.run()
    assert [t for t in seen if t == int(t) and 1 <= t <= 120] == [float(d) for d in range(1, 121)]
    pd.testing.assert_frame_equal(slow.datacollector.get_model_vars_dataframe(),
                                  fast.datacollector.get_model_vars_dataframe(), check_exact=True)
    pd.testing.assert_frame_equal(slow.issues(), fast.issues(), check_exact=True)
    assert slow.steps == fast.steps == 120
    assert slow._default_schedule.execution_count == fast._default_schedule.execution_count


def test_run_stops_at_a_horizon_between_days():
    """run_until at a fractional time: steps up to the last whole day, time at the horizon."""
    model = _mmc_model(days=100.0, warmup=10.0)
    model.run_until(60.5)
    assert model.steps == 60 and model.time == 60.5
    assert model.datacollector._collection_steps[-1] == 60.0
    model.run_until(100.0)
    assert model.steps == 100 and model.datacollector._collection_steps[-1] == 100.0


def test_firm_agents_batch_matches_one_by_one():
    """Firms registered as a batch: the same unique ids, order and agent sets as Mesa's
    Agent.__init__ one firm at a time (the path taken when someone observes ``agents``)."""
    def describe(model):
        firms = [(a.unique_id, a.index, a.rate, a.pos, a.cadre is None) for a in model.firm_agents]
        return (firms, [a.unique_id for a in model.agents],
                {t.__name__: [a.unique_id for a in s] for t, s in model.agents_by_type.items()},
                model.agent_id_counter)

    scenario = pooled_scenario(4, firms=30)
    batch = ServiceModel(scenario, config=mmc_config(2.0, 1.0), seed=1)

    class Watched(ServiceModel):
        def __init__(self, *args, **kwargs):
            self.added = 0
            super().__init__(*args, **kwargs)

        def _build_agents(self, pairing):
            self.observe("agents", ModelSignals.AGENT_ADDED, self._count)
            super()._build_agents(pairing)

        def _count(self, signal):
            self.added += 1

    single = Watched(scenario, config=mmc_config(2.0, 1.0), seed=1)
    assert single.added == 30 + len(single._pools) + 4  # one signal a firm: the slow path
    assert describe(batch) == describe(single)
    assert all(type(a) is FirmAgent and a.model is batch for a in batch.firm_agents)
    assert len(batch.agents_by_type[FirmAgent]) == 30


def test_times_metrics_by_hand():
    """Five issues, warm-up 1, horizon 10, SLA 2 days: every metric counted by hand."""
    raised = np.array([0.5, 1.0, 2.0, 4.0, 9.5])
    started = np.array([0.6, 1.5, 3.0, np.nan, np.nan])
    resolved = np.array([1.0, 2.0, np.nan, np.nan, np.nan])
    closed = np.array([1.0, 2.0, 5.0, np.nan, np.nan])
    escalated = np.array([np.nan, np.nan, 3.5, np.nan, np.nan])
    m = times_metrics(raised, started, resolved, closed, escalated, 1.0, 10.0, (2.0,))
    # in the window: issues 1-4 (raised 1, 2, 4, 9.5); issue 0 before the warm-up
    assert m["issues_raised"] == 4 and m["issues_resolved"] == 1
    assert m["resolution_rate"] == 0.25
    # raised by day 8: issues 1, 2, 3; closed within 2 days: issue 1 only
    assert m["closed_within_2d"] == pytest.approx(1 / 3)
    assert m["backlog_at_end"] == 2  # issues 3 and 4 open at the horizon
    assert m["mean_wait_days"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["mean_time_to_resolve_days"] == 1.0
    assert m["p90_time_to_resolve_days"] == 1.0
    assert m["escalation_share"] == 0.25
    # Kaplan-Meier: durations 1 (event), 8, 6, 0.5 censored: S(1) = 1 - 1/3 > 0.5, never <= 0.5
    assert math.isnan(m["km_median_time_to_resolve_days"])


def test_times_by_category_groups_in_name_order():
    """Two categories interleaved in the log: each gets the metrics of its own issues, keyed
    in name order (as a DataFrame groupby sorts), computed here on hand-split arrays."""
    rng = np.random.default_rng(2)
    n = 200
    codes = rng.integers(0, 2, n)
    raised = np.sort(rng.uniform(0, 50, n))
    started = raised + rng.exponential(1.0, n)
    resolved = np.where(rng.random(n) < 0.7, started + rng.exponential(2.0, n), np.nan)
    closed = np.where(np.isnan(resolved), started + 5.0, resolved)
    escalated = np.where(np.isnan(resolved), started + 1.0, np.nan)
    times = (raised, started, resolved, closed, escalated)
    out = times_by_category(codes, ["zeta", "alpha"], times, 5.0, 40.0)
    assert list(out) == ["alpha", "zeta"]
    for name, code in (("zeta", 0), ("alpha", 1)):
        rows = np.flatnonzero(codes == code)
        mine = times_metrics(*(t[rows] for t in times), 5.0, 40.0)
        assert out[name] == mine
        window = (raised[rows] >= 5) & (raised[rows] < 40)
        assert out[name]["issues_raised"] == window.sum()
    one = times_by_category(np.zeros(n, dtype=np.int32), ["only"], times, 5.0, 40.0)
    assert one == {"only": times_metrics(*times, 5.0, 40.0)}


def test_stable_order_with_and_without_ties():
    """Arrivals' order equals numpy's stable argsort, ties (equal times) included."""
    rng = np.random.default_rng(0)
    distinct = rng.uniform(0, 10, 1000)
    tied = np.round(rng.uniform(0, 10, 1000), 1)
    for values in (distinct, tied, np.array([]), np.array([3.0])):
        assert np.array_equal(_stable_order(values), np.argsort(values, kind="stable"))


def _km_median_loop(t: np.ndarray, e: np.ndarray) -> float:
    """The product-limit median by a loop over the distinct times (the textbook way)."""
    s = 1.0
    for u in sorted(set(t.tolist())):
        d = int(((t == u) & e).sum())
        if d:
            s *= 1.0 - d / int((t >= u).sum())
            if s <= 0.5:
                return u
    return math.nan


def test_km_median_against_the_textbook_loop():
    """Kaplan-Meier medians with ties, with every duration observed, none, mostly
    observed and mostly censored (the two ways the events are counted)."""
    rng = np.random.default_rng(7)
    for k in range(400):
        n = int(rng.integers(1, 40))
        t = rng.integers(0, 6, n).astype(float) if k % 2 else rng.exponential(1.0, n)
        share = (0.0, 1.0, 0.9, 0.1, rng.random())[k % 5]
        e = rng.random(n) < share
        want, got = _km_median_loop(t, e), km_median(t, e)
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want), (t, e)
