"""Sweeps: the same results on every executor, resume after SIGKILL, failures recorded."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from assign import load_scenario
from sim import simulate_scenario, simulation_config
from sim.design import design_from_dict, scenario_hash
from sim.store import Store
from sim.sweep import run_seed, run_sweep
from tests.sim.sweep_helpers import store_rows, write_design, write_mmc_scenario

DESIGN = {"factors": {"cadres": [5, 6]}, "replications": 3, "seed": 11}
RESULT_COLUMNS = ["point", "cadres", "replication", "seed", "status", "issues_raised",
                  "mean_wait_days", "cadre_utilization", "resolution_rate"]


@pytest.fixture(scope="module")
def mmc(tmp_path_factory):
    return load_scenario(write_mmc_scenario(tmp_path_factory.mktemp("mmc") / "mmc", days=300))


@pytest.fixture(scope="module")
def reference(mmc, tmp_path_factory):
    """The sweep in this process: the reference every executor must match bit for bit."""
    path = tmp_path_factory.mktemp("ref") / "ref.sqlite"
    res = run_sweep(mmc, design_from_dict(DESIGN), path, workers=1)
    assert (res.total, res.ran, res.ok, res.failed, res.executor) == (6, 6, 6, 0, "in-process")
    return store_rows(path)[RESULT_COLUMNS]


def test_a_sweep_run_is_the_simulation_of_its_point(mmc, reference):
    """Independent path: simulate the staffing level directly with the run's seed."""
    from sim import run_once
    from sim.sweep import apply_point, content_key

    content = content_key(mmc, "best")
    assert content != scenario_hash(mmc)  # how cadres are picked is part of a run's content
    row = reference[(reference.cadres == 6) & (reference.replication == 2)].iloc[0]
    assert row["seed"] == run_seed(11, content, None, 2)
    sc = apply_point(mmc, {"cadres": 6}, "best")
    assert len(sc.cadres) == 6
    direct = run_once(sc, None, simulation_config(sc), int(row["seed"]), 2).metrics
    assert direct["mean_wait_days"] == row["mean_wait_days"]
    assert direct["issues_raised"] == row["issues_raised"]
    # common random numbers: both staffing levels saw the same issues
    for r in range(3):
        raised = reference[reference.replication == r]["issues_raised"]
        assert raised.nunique() == 1


def test_resume_runs_nothing_twice(mmc, reference, tmp_path):
    path = tmp_path / "r.sqlite"
    small = design_from_dict(DESIGN | {"replications": 2})
    first = run_sweep(mmc, small, path, workers=1)
    assert (first.ran, first.skipped) == (4, 0)
    second = run_sweep(mmc, design_from_dict(DESIGN), path, workers=1)
    assert (second.total, second.skipped, second.ran, second.ok) == (6, 4, 2, 6)
    pd.testing.assert_frame_equal(store_rows(path)[RESULT_COLUMNS], reference)
    with Store(path) as st:
        assert len(st.designs()) == 2
        manifest = st.designs()["manifest"].iloc[-1]
        assert '"scenario_sha256"' in manifest and "scenario.yaml" in manifest


def test_failing_runs_are_recorded_and_retried_only_on_request(tmp_path):
    folder = write_mmc_scenario(tmp_path / "assigned", cadres=3, firms=4, service="assigned",
                                days=60)
    scenario = load_scenario(folder)
    design = design_from_dict({"factors": {"assignment.max_distance_km": [0.0001, 50]},
                               "replications": 2})
    path = tmp_path / "f.sqlite"
    res = run_sweep(scenario, design, path, workers=1)
    assert (res.ok, res.failed, len(res.errors)) == (2, 2, 2)
    rows = store_rows(path)
    failed = rows[rows.status == "failed"]
    assert (failed["assignment.max_distance_km"] == 0.0001).all()
    assert failed["error"].str.contains("no pairing for this design point").all()
    assert failed["mean_wait_days"].isna().all()
    again = run_sweep(scenario, design, path, workers=1)
    assert (again.ran, again.failed) == (0, 2)
    retry = run_sweep(scenario, design, path, workers=1, retry_failed=True)
    assert (retry.ran, retry.failed) == (2, 2)
    assert len(store_rows(path)) == 4


def test_dask_cluster_matches_even_when_a_worker_is_killed(mmc, reference, tmp_path):
    """A real LocalCluster with two worker processes; one worker is SIGKILLed once runs have
    come back. Its tasks run again elsewhere (Dask runs tasks at least once); the store has
    every run key once, with results identical to the in-process sweep."""
    distributed = pytest.importorskip("distributed")
    from sim.executors import DaskExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        killed = []

        def kill_one(done: int, total: int) -> None:
            if done >= 2 and not killed:
                pid = sorted(pids.values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        big = design_from_dict(DESIGN | {"replications": 6})
        path = tmp_path / "d.sqlite"
        with DaskExecutor(client) as ex:
            res = run_sweep(mmc, big, path, executor=ex, progress=kill_one)
        assert killed
        assert (res.total, res.ok, res.failed) == (12, 12, 0)
        rows = store_rows(path)
        assert rows.index.is_unique and len(rows) == 12
        # the first three replications are the reference's runs (same keys, same numbers)
        common = rows.loc[reference.index, RESULT_COLUMNS]
        pd.testing.assert_frame_equal(common, reference)
        # and the CLI reaches the same cluster by its address
        from typer.testing import CliRunner

        from zhuqi.cli import app

        design = write_design(tmp_path / "design.yaml", "factors: {cadres: [5, 6]}\n"
                              "replications: 3\nseed: 11\n")
        cli_store = tmp_path / "cli.sqlite"
        out = CliRunner().invoke(app, ["sweep", str(mmc.path), "--design", str(design),
                                       "--store", str(cli_store), "--scheduler",
                                       cluster.scheduler_address, "--json"])
        assert out.exit_code == 0, out.output
        assert '"executor": "dask"' in out.output
        pd.testing.assert_frame_equal(store_rows(cli_store)[RESULT_COLUMNS], reference)
        # the staffing search on the cluster: the same levels, numbers and answer
        from sim.staff import find_staffing

        with DaskExecutor(client) as ex:
            on_dask = find_staffing(mmc, "mean_wait_days <= 0.3", seed=1, executor=ex)
        here = find_staffing(mmc, "mean_wait_days <= 0.3", seed=1, workers=1)
        assert on_dask.to_json()["levels"] == here.to_json()["levels"]
        assert on_dask.cadres == here.cadres == 6
        # compare --scheduler: the same levels and numbers as one process
        from sim import compare_staffing

        out_json = tmp_path / "compare.json"
        out = CliRunner().invoke(app, ["compare", str(mmc.path), "--cadres", "5,6",
                                       "--replications", "2", "--seed", "4", "--scheduler",
                                       cluster.scheduler_address, "--out", str(out_json)])
        assert out.exit_code == 0, out.output
        local = compare_staffing(mmc, [5, 6], replications=2, seed=4, workers=1)
        assert json.loads(out_json.read_text())["levels"] == json.loads(
            json.dumps(local.to_json()["levels"]))


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "zhuqi", *args]


def test_resume_after_sigkill_of_the_process_group(tmp_path):
    """Kill the whole sweep (CLI and its two worker processes) mid-run with SIGKILL, rerun
    in one process: every run key once, no partial row, results equal to an uninterrupted
    in-process sweep (so local processes and one process give the same numbers)."""
    folder = write_mmc_scenario(tmp_path / "slow", days=1200)
    design = write_design(tmp_path / "design.yaml",
                          "factors: {cadres: [5, 6]}\nreplications: 8\nseed: 3\n")
    store = tmp_path / "killed.sqlite"
    proc = subprocess.Popen(_cli("sweep", str(folder), "--design", str(design), "--store",
                                 str(store), "--workers", "2"),
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    stored = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if store.exists():
                try:
                    with sqlite3.connect(store, timeout=1) as db:
                        stored = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:
                    stored = 0
                if stored >= 4:
                    break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        at_kill = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        partial = db.execute("SELECT COUNT(*) FROM runs WHERE status != 'ok' OR "
                             "mean_wait_days IS NULL").fetchone()[0]
    assert 4 <= at_kill < 16, "the sweep must be killed mid-run"
    assert partial == 0
    from typer.testing import CliRunner

    from zhuqi.cli import app

    done = CliRunner().invoke(app, ["sweep", str(folder), "--design", str(design), "--store",
                                    str(store), "--workers", "1", "--json"])
    assert done.exit_code == 0, done.output
    assert f'"skipped": {at_kill}' in done.output
    ref_store = tmp_path / "uninterrupted.sqlite"
    run_sweep(load_scenario(folder), design_from_dict({"factors": {"cadres": [5, 6]},
                                                       "replications": 8, "seed": 3}),
              ref_store, workers=1)
    got, ref = store_rows(store), store_rows(ref_store)
    assert got["worker"].nunique() >= 2  # worker processes, then this one
    assert got.index.is_unique and len(got) == 16
    pd.testing.assert_frame_equal(got[RESULT_COLUMNS], ref[RESULT_COLUMNS])


def test_sweep_with_simulate_scenario_agrees_on_a_single_point(mmc):
    """A one-point sweep and simulate_scenario estimate the same M/M/c wait (different
    seeds, so within sampling error): the sweep adds bookkeeping, not a different model."""
    import tempfile

    from sim.metrics import mean_ci

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/one.sqlite"
        run_sweep(mmc, design_from_dict({"replications": 8, "seed": 5}), path, workers=1)
        swept = store_rows(path)["mean_wait_days"].to_numpy()
    direct = simulate_scenario(mmc, None, simulation_config(mmc), replications=8, seed=5)
    a, b = mean_ci(swept), mean_ci(direct.runs["mean_wait_days"].to_numpy())
    assert a["ci95"][0] <= b["ci95"][1] and b["ci95"][0] <= a["ci95"][1]


def test_sampled_factors_and_kept_metrics_are_columns(mmc, tmp_path):
    design = design_from_dict({"sample": {"n": 4, "method": "sobol", "ranges": {
        "simulation.arrival.rate_per_firm_day": [0.2, 0.4]}}, "replications": 1, "seed": 3,
        "metrics": ["issues_raised", "mean_wait_days"]})
    path = tmp_path / "s.sqlite"
    res = run_sweep(mmc, design, path, workers=1)
    assert res.ok == 4
    rows = store_rows(path)
    rates = sorted(p["simulation.arrival.rate_per_firm_day"] for p in design.points())
    assert sorted(rows["simulation.arrival.rate_per_firm_day"]) == rates
    with Store(path) as st:
        assert st.metrics() == ["issues_raised", "mean_wait_days"]
    # issues counted after the 10-day warm-up: 10 firms x rate x 290 days, within Poisson noise
    for _, r in rows.iterrows():
        expected = 10 * r["simulation.arrival.rate_per_firm_day"] * 290
        assert abs(r["issues_raised"] - expected) < 5 * expected**0.5
    bad = design_from_dict({"replications": 1, "metrics": ["no_such_metric"]})
    res = run_sweep(mmc, bad, tmp_path / "b.sqlite", workers=1)
    assert res.failed == 1 and "no_such_metric" in res.errors[0][2]


def test_best_cadres_are_chosen_once_and_recorded(tmp_path):
    """With pick: best the sweep plans each level's cadres once (an optimal plan under the
    cadre budget) and every run serves with them; the manifest lists them."""
    import json

    from sim.experiment import staffing_scenario

    folder = write_mmc_scenario(tmp_path / "a", cadres=6, firms=9, service="assigned",
                                days=40, warmup=0)
    scenario = load_scenario(folder)
    path = tmp_path / "b.sqlite"
    design = design_from_dict({"factors": {"cadres": [2, 3]}, "replications": 2, "pick": "best"})
    res = run_sweep(scenario, design, path, workers=1)
    assert res.ok == 4
    with Store(path) as st:
        chosen = json.loads(st.designs()["manifest"].iloc[-1])["cadres_chosen"]
    from dataclasses import replace

    import numpy as np

    from assign import solve

    for n in (2, 3):
        # an optimal choice: the recorded cadres serve as well as a fresh optimal plan's
        # (several choices can tie, and CP-SAT's parallel search may return any of them)
        ids = chosen[f'{{"cadres":{n}}}']
        assert len(ids) == len(set(ids)) == n
        best = solve(staffing_scenario(scenario, n, pick="best"))
        first = scenario.cadres["id"].isin(ids).to_numpy()
        order = np.r_[np.flatnonzero(first), np.flatnonzero(~first)]
        recorded = replace(scenario, cadres=scenario.cadres.iloc[order].reset_index(drop=True))
        mine = solve(staffing_scenario(recorded, n, pick="first"))
        assert (mine.assigned, mine.objective) == (best.assigned,
                                                   pytest.approx(best.objective, abs=1e-9))
    first = run_sweep(scenario, design_from_dict({"factors": {"cadres": [2, 3]},
                                                  "replications": 2, "pick": "first"}),
                      path, workers=1)
    assert first.ran == 4  # another way of picking cadres: other runs
