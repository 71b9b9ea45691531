"""Batch solves: reruns leave no stale outputs; a Dask cluster gives the local results."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from assign.batch import solve_batch


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_rerun_that_ends_infeasible_keeps_no_earlier_pairs(make_scenario, tmp_path):
    """A batch rerun with no plan used to leave the first run's pairs.csv (and its manifest)
    beside a summary saying infeasible (fails on the earlier code)."""
    folder = make_scenario()
    out = tmp_path / "b"
    first = solve_batch([folder], out)
    assert first["status"].tolist() == ["optimal"]
    assert _files(out / "scn") == {"pairs.csv", "pairs.csv.manifest.json", "summary.json",
                                   "manifest.json"}
    again = solve_batch([folder], out, {"assignment.max_distance_km": 1})  # nothing in reach
    assert again["status"].tolist() == ["infeasible"]
    assert json.loads((out / "scn" / "summary.json").read_text())["status"] == "infeasible"
    assert _files(out / "scn") == {"summary.json", "manifest.json"}
    # a rerun where the scenario no longer loads keeps none of its outputs either
    bad = solve_batch([folder], out, {"assignment.max_distance_km": -5})
    assert bad["status"].tolist() == ["invalid"] and not (out / "scn").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


def test_publish_replaces_whole_and_an_interrupted_write_keeps_the_old(tmp_path, monkeypatch):
    from assign.batch import publish

    target = tmp_path / "s"
    publish(target, {"a.csv": b"1", "b.json": b"{}"})
    publish(target, {"b.json": b"[]"})
    assert _files(target) == {"b.json"} and (target / "b.json").read_bytes() == b"[]"

    real = os.replace
    failed = []

    def failing(src, dst):
        if Path(dst) == target and not failed:
            failed.append(src)
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError):
        publish(target, {"c.csv": b"2"})
    monkeypatch.undo()
    assert _files(target) == {"b.json"}
    assert [p.name for p in tmp_path.iterdir()] == ["s"]


def _comparable(folder: Path) -> dict[str, object]:
    """A scenario's outputs without what differs between runs (times, command, manifest)."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary.pop("manifest", None)
    summary.pop("seconds", None)
    return {"files": sorted(_files(folder)), "summary": summary,
            "pairs": (folder / "pairs.csv").read_bytes()}


def test_dask_batch_equals_local_when_a_worker_is_killed_mid_solve(tmp_path):
    """Six scenarios, one task each, on a real LocalCluster of two worker processes; when
    the first result is back, the worker then solving a scenario is SIGKILLed. Its scenario
    is rescheduled; every scenario is solved and written exactly once, equal to the local
    batch, with no temporary folder left."""
    distributed = pytest.importorskip("distributed")
    from assign.generate import generate_scenario
    from sim.executors import DaskExecutor

    folders = []
    for seed in range(6):
        generate_scenario(tmp_path / "in" / f"p{seed}", 200, 4000, seed=seed)
        folders.append(tmp_path / "in" / f"p{seed}")
    local = solve_batch(folders, tmp_path / "local")
    assert (local["status"] == "optimal").all()

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        killed: list[tuple[str, list]] = []
        rows: list[str] = []

        def kill_busy_worker(row: dict) -> None:
            rows.append(row["scenario"])
            if killed:
                return
            for _ in range(200):  # the other worker is (about to be) solving a scenario
                busy = {a: keys for a, keys in client.processing().items() if keys and a in pids}
                if busy:
                    addr, keys = sorted(busy.items())[0]
                    os.kill(pids[addr], signal.SIGKILL)
                    killed.append((addr, list(keys)))
                    return
                time.sleep(0.01)

        with DaskExecutor(client) as ex:
            table = solve_batch(folders, tmp_path / "dask", executor=ex, on_row=kill_busy_worker)
        assert killed and killed[0][1], "a worker holding a scenario must have been killed"
        assert sorted(rows) == sorted(local["scenario"]), "each scenario reported once"
        cols = ["scenario", "status", "firms", "covered", "cadres_used", "objective", "bound"]
        pd.testing.assert_frame_equal(table[cols], local[cols])
        for name in local["scenario"]:
            assert _comparable(tmp_path / "dask" / name) == _comparable(tmp_path / "local" / name)
        assert not [p for p in (tmp_path / "dask").iterdir() if p.name.startswith(".")]

        # batches one after another on the same client, a new executor each: every one
        # solved (the options, a dict, were scattered under their own keys, which the next
        # executor reused while the previous one released them: every scenario came back
        # lost by the executor; fails on the earlier code)
        for again in range(3):
            with DaskExecutor(client) as ex:
                more = solve_batch(folders[:2], tmp_path / f"again{again}", executor=ex)
            assert more["status"].tolist() == ["optimal", "optimal"], more["error"].tolist()

        # the CLI reaches the same cluster by its address, one line per scenario
        from typer.testing import CliRunner

        from zhuqi.cli import app

        res = CliRunner().invoke(app, ["solve", *map(str, folders[:2]), "--out-dir",
                                       str(tmp_path / "cli"), "--scheduler",
                                       cluster.scheduler_address])
        assert res.exit_code == 0, res.output
        assert "p0: optimal" in res.output and "p1: optimal" in res.output
        for name in ("p0", "p1"):
            assert _comparable(tmp_path / "cli" / name) == _comparable(tmp_path / "local" / name)


def test_single_solve_with_no_plan_removes_the_earlier_list_and_map(make_scenario, tmp_path):
    """`zhuqi solve S --out pairs.csv --map m.html --summary s.json` run again with no plan
    used to leave the first run's list and map beside a summary saying infeasible (fails on
    the earlier code)."""
    from typer.testing import CliRunner

    from zhuqi.cli import app

    folder = make_scenario()
    dest = tmp_path / "out"
    dest.mkdir()
    pairs, html, summary = dest / "pairs.csv", dest / "m.html", dest / "s.json"
    args = ["solve", str(folder), "--out", str(pairs), "--map", str(html), "--summary",
            str(summary)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert pairs.is_file() and html.is_file() and (dest / "pairs.csv.manifest.json").is_file()
    again = CliRunner().invoke(app, [*args, "--set", "assignment.max_distance_km=1"])
    assert again.exit_code == 1, again.output
    assert json.loads(summary.read_text(encoding="utf-8"))["status"] == "infeasible"
    assert sorted(p.name for p in dest.iterdir()) == ["s.json"]
