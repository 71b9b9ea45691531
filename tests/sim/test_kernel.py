"""The compiled simulation kernel against independent references: queue recursions,
minute-by-minute clocks, shortest road paths, a sort."""

from __future__ import annotations

import heapq

import networkx as nx
import numpy as np
import pytest

from assign import load_scenario, solve
from sim import ServiceModel, simulation_config
from sim import kernel as K
from sim.workclock import finish_time, next_working
from tests.assign.test_roads import grid_scenario
from tests.conftest import SCENARIOS
from tests.sim.helpers import mmc_config, pooled_scenario
from tests.sim.test_model import finish_by_stepping


def test_heap_pops_in_time_then_insertion_order():
    rng = np.random.default_rng(3)
    times = rng.integers(0, 20, 300).astype(float)  # many ties: insertion order breaks them
    ht = np.empty(400)
    hk = np.empty((2, 400), dtype=np.int64)
    si = np.zeros(K.N_SI, dtype=np.int64)
    popped = []
    ref: list[tuple[float, int]] = []
    for i, t in enumerate(times):
        K.heap_push(ht, hk, si, t, i)
        heapq.heappush(ref, (t, i))
        if i % 3 == 2:  # interleave pops with pushes
            popped.append(K.heap_pop(ht, hk, si))
            heapq.heappop(ref)
    while si[K.HEAP_N]:
        popped.append(K.heap_pop(ht, hk, si))
    order = sorted(range(len(times)), key=lambda i: (times[i], i))
    assert sorted(popped) == list(range(len(times)))
    # the remaining pops after the interleaved ones follow (time, insertion) order
    tail = popped[len(times) // 3:]
    assert tail == [i for i in order if i in set(tail)]


@pytest.mark.parametrize("h", [8.0, 10.5, 24.0])
def test_kernel_clock_matches_a_minute_by_minute_walk(h):
    rng = np.random.default_rng(11)
    for _ in range(40):
        t = round(rng.uniform(0, 5) * 1440) / 1440
        hours = round(rng.uniform(0, 30) * 60) / 60
        start = K.next_working(t, h)
        assert start == next_working(t, h)
        assert K.finish_time(start, hours, h) == pytest.approx(
            finish_by_stepping(start, hours, h), abs=2 / 1440)


def test_pooled_start_times_follow_the_fcfs_multiserver_recursion():
    """M/M/3 FCFS: issue k starts at max(arrival, earliest free server) (Kiefer-Wolfowitz),
    computed here from the run's own arrival times and service draws."""
    cfg = mmc_config(2.4, 1.0, days=400.0, warmup=0.0)
    model = ServiceModel(pooled_scenario(3), config=cfg, seed=8).run()
    log = model.issues()
    raised = log["raised"].to_numpy()
    service = np.asarray(model.log.effort) * cfg.effort.mean_hours / 24.0
    free = [0.0, 0.0, 0.0]
    want = np.full(len(raised), np.nan)
    for k, t in enumerate(raised):
        s = max(t, heapq.heappop(free))
        if s > cfg.days:  # not started within the run
            break
        want[k] = s
        heapq.heappush(free, s + service[k])
    got = log["started"].to_numpy()
    done = ~np.isnan(want)
    assert done.sum() > 800
    np.testing.assert_allclose(got[done], want[done], rtol=0, atol=1e-9)
    assert np.isnan(got[~done]).all()


def test_assigned_cadres_work_their_own_queue_within_working_hours():
    """Each cadre is a single FCFS server working h hours a day: a job starts at the next
    working instant after both its collection and the previous job's end."""
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    cfg = simulation_config(scenario).model_copy(update={"days": 60.0})
    model = ServiceModel(scenario, config=cfg, seed=2).run()
    log = model.issues().dropna(subset=["started"])
    h = cfg.hours_per_day
    assert h < 24
    checked = 0
    for _, rows in log.sort_values("started").groupby("cadre_id"):
        prev_end = 0.0
        for r in rows.itertuples():
            k, c = r.issue, int(model.log.cadre[r.issue])
            start = next_working(max(r.collected, prev_end), h)
            assert r.started == pytest.approx(start, abs=1e-9)
            hours = cfg.effort.mean_hours * model.log.effort[k]
            if model.log.category[k] not in model.cadre_agents[c].skills:
                hours *= cfg.effort.unskilled_factor
            if model.log.travel[k]:
                hours += model.trip_hours(c, int(model.log.firm[k]))
            prev_end = finish_time(start, hours, h)
            checked += 1
    assert checked > 100


def test_kernel_travel_is_the_models_travel(tmp_path):
    folder, ref, cnodes, fnodes = grid_scenario(tmp_path)
    s = load_scenario(folder)
    model = ServiceModel(s, solve(s), seed=1)
    fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr = model._k
    for c in range(3):
        for f in range(3):
            want = 2 * nx.dijkstra_path_length(ref, cnodes[c], fnodes[f], weight="w") / 60
            assert K.trip_hours(fs, si, geo, tk, tv, road, c, f) == pytest.approx(want, rel=1e-9)
    crow = load_scenario(folder, {"assignment.distance": "great_circle"})
    plain = ServiceModel(crow, solve(crow), seed=1)
    fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr = plain._k
    for c in range(3):
        for f in range(3):
            want = 2 * plain.distance_km(c, f) / plain.speed_kmh
            assert K.trip_hours(fs, si, geo, tk, tv, road, c, f) == pytest.approx(want, rel=1e-12)
