"""Designs, seeds, run keys and the results store."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pytest

from assign import ScenarioError, load_scenario
from sim.design import design_from_dict, load_design, run_seed, scenario_hash
from sim.store import Store
from sim.sweep import check_design, plan_tasks
from tests.sim.sweep_helpers import write_design, write_mmc_scenario


def test_grid_is_the_full_product():
    d = design_from_dict({"factors": {"cadres": [3, 4, 5], "simulation.collection":
                                      ["daily", "weekly"]}, "replications": 2})
    pts = d.points()
    assert len(pts) == 6
    assert {(p["cadres"], p["simulation.collection"]) for p in pts} == {
        (c, k) for c in (3, 4, 5) for k in ("daily", "weekly")}


def test_latin_hypercube_has_one_point_per_stratum():
    """The defining property of a Latin hypercube: in every dimension each of the n equal
    strata holds exactly one point."""
    n = 12
    d = design_from_dict({"sample": {"n": n, "method": "lhs", "ranges": {
        "simulation.arrival.rate_per_firm_day": [0.01, 0.03], "simulation.speed_kmh": [20, 40]}},
        "seed": 4})
    pts = d.points()
    assert len(pts) == n
    for key, (lo, hi) in (("simulation.arrival.rate_per_firm_day", (0.01, 0.03)),
                          ("simulation.speed_kmh", (20, 40))):
        u = (np.array([p[key] for p in pts]) - lo) / (hi - lo)
        assert sorted(np.floor(u * n).astype(int)) == list(range(n))
    assert d.points() == pts  # seeded: the same sample every time


def test_sobol_sample_is_balanced():
    """A scrambled Sobol' sample of 2^k points puts 2^k / 4 points in each quarter."""
    d = design_from_dict({"sample": {"n": 16, "method": "sobol", "ranges": {
        "simulation.speed_kmh": [0, 4]}}, "seed": 1})
    x = np.array([p["simulation.speed_kmh"] for p in d.points()])
    assert np.bincount(np.floor(x).astype(int), minlength=4).tolist() == [4, 4, 4, 4]


@pytest.mark.parametrize("text,key", [
    ("factors: {cadres: [0, 2]}\n", "factors.cadres"),
    ("factors: {speed: [1]}\n", "factors.speed"),
    ("factors: {cadres: [2]}\nreplications: 0\n", "replications"),
    ("sample: {n: 4, method: halton, ranges: {simulation.speed_kmh: [1, 2]}}\n",
     "sample.method"),
    ("sample: {n: 4, ranges: {simulation.speed_kmh: [3, 2]}}\n", "sample.ranges.simulation.speed_kmh"),
    ("factor: {cadres: [2]}\n", "factor"),
])
def test_bad_designs_name_file_and_key(tmp_path, text, key):
    path = write_design(tmp_path / "design.yaml", text)
    with pytest.raises(ScenarioError) as exc:
        load_design(path)
    assert str(path) in str(exc.value) and f"key '{key}'" in str(exc.value)


def test_points_are_checked_against_the_scenario(tmp_path):
    scenario = load_scenario(write_mmc_scenario(tmp_path / "mmc", cadres=4))
    d = design_from_dict({"factors": {"simulation.collection": ["daily", "hourly"]}}, "d.yaml")
    with pytest.raises(ScenarioError, match="d.yaml.*design point 2"):
        check_design(scenario, d)
    with pytest.raises(ScenarioError, match="staffing level 9 is outside 1..4"):
        check_design(scenario, design_from_dict({"factors": {"cadres": [2, 9]}}))


def test_seeds_and_keys_come_from_content_not_order(tmp_path):
    folder = write_mmc_scenario(tmp_path / "mmc")
    content = scenario_hash(load_scenario(folder))
    points = [{"cadres": 3}, {"cadres": 4}]
    tasks = plan_tasks(content, points, range(3), seed=7)
    shuffled = points[::-1]
    again = plan_tasks(content, shuffled, [2, 0, 1], seed=7)
    assert {t.run_key: t.seed for t in tasks} == {t.run_key: t.seed for t in again}
    assert len({t.run_key for t in tasks}) == 6
    # common random numbers: replication r has one seed at every point
    by_rep = {}
    for t in tasks:
        by_rep.setdefault(t.replication, set()).add(t.seed)
    assert all(len(s) == 1 for s in by_rep.values()) and len(by_rep) == 3
    # without them, every run has its own seed; another S gives other keys and seeds
    own = plan_tasks(content, points, range(3), seed=7, common_random_numbers=False)
    assert len({t.seed for t in own}) == 6
    assert not {t.run_key for t in tasks} & {t.run_key for t in plan_tasks(content, points,
                                                                           range(3), seed=8)}
    # the content hash follows the content, not the folder
    copy = write_mmc_scenario(tmp_path / "elsewhere" / "mmc")
    assert scenario_hash(load_scenario(copy)) == content
    changed = load_scenario(folder, {"simulation.days": 151})
    assert scenario_hash(changed) != content
    assert run_seed(7, content, None, 0) == run_seed(7, content, None, 0) < 2**63


def _row(key, status="ok", value=1.0, **metrics):
    return {"run_key": key, "point": {"cadres": 2}, "factors": {"cadres": 2}, "replication": 0,
            "seed": 1, "status": status, "metrics": {"m": value, **metrics},
            "error": None if status == "ok" else "RuntimeError: boom", "seconds": 0.1,
            "worker": "h:1"}


def test_store_absorbs_duplicates_and_retries_failures(tmp_path):
    path = tmp_path / "r.sqlite"
    with Store(path) as st:
        assert st.add(_row("a", value=1.0))
        assert not st.add(_row("a", value=2.0))  # delivered twice: the first row stays
        assert st.add(_row("b", status="failed", value=float("nan")))
        assert st.add(_row("b", value=3.0))  # a retry replaces the failed row
        assert not st.add(_row("b", status="failed"))  # ... but never an ok one
        assert st.add(_row("c", value=4.0, closed_within_7d=0.5))  # a new metric: a new column
        assert st.metrics() == ["m", "closed_within_7d"] and st.factors() == ["cadres"]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT run_key, status, m, closed_within_7d FROM runs ORDER BY run_key")
    assert rows.fetchall() == [("a", "ok", 1.0, None), ("b", "ok", 3.0, None),
                               ("c", "ok", 4.0, 0.5)]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO runs (run_key, status) VALUES ('a', 'ok')")


def test_store_rejects_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "not.sqlite"
    path.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(ValueError, match="not a zhuqi results store"):
        Store(path)


def test_a_staffing_level_never_uses_more_cadres(tmp_path):
    """A level keeps the cadres an optimal plan under the cadre budget chooses: never more
    than N, every firm still covered, and the plan's distance no worse than with the
    roster's first N cadres (the budgeted plan may pick any N)."""
    from assign import solve
    from sim.experiment import staffing_scenario
    from sim.sweep import staffing_level

    folder = write_mmc_scenario(tmp_path / "a", cadres=6, firms=9, service="assigned")
    scenario = load_scenario(folder)
    for n in (1, 2, 4):
        level = staffing_level(scenario, n, "best")
        assert len(level.cadres) == n
        assert set(level.cadres["id"]) <= set(scenario.cadres["id"])
        pairing = solve(level)
        assert pairing.assigned == 9
        first = solve(staffing_scenario(scenario, n))
        assert pairing.objective <= first.objective + 1e-6
    pooled = load_scenario(write_mmc_scenario(tmp_path / "p", cadres=6))
    assert len(staffing_level(pooled, 3, "best").cadres) == 3
    # cadres chosen once (where the sweep is planned) are used as they are
    ids = ("c5", "c1")
    kept = staffing_level(scenario, 2, "first", ids)
    assert sorted(kept.cadres["id"]) == ["c1", "c5"]
