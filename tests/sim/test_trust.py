"""Experiments a researcher can trust: run keys and caches see every input, one-run
intervals are undefined, overrides change only what they name, lost runs are recorded."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import yaml
from scipy import stats

from assign import load_scenario
from sim.design import design_from_dict
from sim.metrics import mean_ci
from sim.sweep import run_sweep
from tests.sim.sweep_helpers import store_rows, write_mmc_scenario

# --- item 1: the fingerprint sees every input --------------------------------------------


def _ruled_folder(tmp_path, name="ruled"):
    """Three cadres, six firms, assigned service, a forbidden.csv forbidding one pair."""
    folder = write_mmc_scenario(tmp_path / name, cadres=3, firms=6, service="assigned",
                                days=60, warmup=0, lam=3.0)
    cfg = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    cfg["assignment"]["forbidden"] = "forbidden.csv"
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    (folder / "forbidden.csv").write_text("cadre_id,firm_id\nc0,f0\n", encoding="utf-8")
    return folder


def _forbid_four(folder):
    rows = [f"c{i},f{j}" for i in range(3) for j in range(4)]
    (folder / "forbidden.csv").write_text("cadre_id,firm_id\n" + "\n".join(rows) + "\n",
                                          encoding="utf-8")


def test_fingerprint_follows_content_not_location(tmp_path):
    """Copying the folder elsewhere keeps the fingerprint; every kind of input changes it."""
    from assign.fingerprint import fingerprint

    folder = _ruled_folder(tmp_path)
    base = fingerprint(load_scenario(folder))
    assert len(base) == 64 and int(base, 16) >= 0
    moved = tmp_path / "elsewhere" / "deeper"
    shutil.copytree(folder, moved)
    assert fingerprint(load_scenario(moved)) == base
    # renaming a rule file (same bytes) is the same experiment
    (moved / "forbidden.csv").rename(moved / "rules.csv")
    cfg = yaml.safe_load((moved / "scenario.yaml").read_text(encoding="utf-8"))
    cfg["assignment"]["forbidden"] = "rules.csv"
    (moved / "scenario.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert fingerprint(load_scenario(moved)) == base
    seen = {base}

    def changed(sc) -> None:
        fp = fingerprint(sc)
        assert fp not in seen
        seen.add(fp)

    changed(load_scenario(folder, {"simulation.days": 61}))
    changed(load_scenario(folder, {"assignment.conflicts": [{"cadre": "home_unit",
                                                             "firm": "id"}]}))
    _forbid_four(folder)
    changed(load_scenario(folder))
    (folder / "pinned.csv").write_text("cadre_id,firm_id\nc1,f5\n", encoding="utf-8")
    changed(load_scenario(folder, {"assignment.pinned": "pinned.csv"}))
    (folder / "previous.csv").write_text("cadre_id,firm_id\nc2,f4\n", encoding="utf-8")
    changed(load_scenario(folder, {"assignment.pinned": "pinned.csv",
                                   "assignment.previous": "previous.csv"}))
    text = (folder / "firms.csv").read_text(encoding="utf-8").replace("110.01", "110.02", 1)
    (folder / "firms.csv").write_text(text, encoding="utf-8")
    changed(load_scenario(folder))


def test_fingerprint_sees_the_road_graph_bytes(tmp_path):
    """A road graph's file bytes enter the fingerprint: the same bytes elsewhere give the same
    fingerprint, one changed edge speed a new one (its SHA-256 checked by hashlib here)."""
    import hashlib

    from assign.fingerprint import fingerprint

    src = load_scenario("scenarios/zhangye-2022")
    folder = tmp_path / "zy"
    shutil.copytree(src.path, folder)
    a = load_scenario(folder)
    assert fingerprint(a) == fingerprint(src)
    h = hashlib.sha256()
    for name in ("nodes.csv", "edges.csv"):
        h.update(name.encode() + b"\x00" + (folder / "roads" / name).read_bytes())
    assert a.roads.file_sha256 == h.hexdigest()
    edges = (folder / "roads" / "edges.csv").read_text(encoding="utf-8").splitlines()
    head = edges[0].split(",")
    assert "length_m" in head, head
    row = edges[1].split(",")
    k = head.index("length_m")
    row[k] = str(float(row[k]) + 1.0)
    edges[1] = ",".join(row)
    (folder / "roads" / "edges.csv").write_text("\n".join(edges) + "\n", encoding="utf-8")
    assert fingerprint(load_scenario(folder)) != fingerprint(a)
    # a graph built in memory: its arrays are hashed
    from dataclasses import replace

    mem = replace(a, roads=replace(a.roads, file_sha256=""))
    moved = replace(mem.roads, minutes=mem.roads.minutes + 1)
    assert fingerprint(mem) != fingerprint(a)
    assert fingerprint(replace(mem, roads=moved)) != fingerprint(mem)


def test_a_changed_rule_file_gives_new_runs_and_no_cached_plan(tmp_path):
    """Fails on the old code: after forbidden.csv changed, the rerun into the same store ran
    0 of 2 runs ("already stored"), and a new store in the same process reused the plan
    cached from the old file. Checked against a sweep with every cache emptied first."""
    from sim import sweep as sweep_mod

    folder = _ruled_folder(tmp_path)
    design = design_from_dict({"replications": 2, "seed": 7})
    store = tmp_path / "same.sqlite"
    first = run_sweep(load_scenario(folder), design, store, workers=1)
    assert (first.ran, first.ok) == (2, 2)
    _forbid_four(folder)
    changed = load_scenario(folder)
    again = run_sweep(changed, design, store, workers=1)
    assert (again.total, again.ran, again.ok) == (2, 2, 2)
    fresh_store = tmp_path / "fresh.sqlite"
    run_sweep(changed, design, fresh_store, workers=1)
    sweep_mod._PREPARED.clear()  # the independent reference: nothing cached
    clean_store = tmp_path / "clean.sqlite"
    run_sweep(changed, design, clean_store, workers=1)
    got, want = store_rows(fresh_store), store_rows(clean_store)
    cols = ["seed", "issues_raised", "cadre_utilization", "resolution_rate", "mean_wait_days"]
    assert got[cols].equals(want[cols])
    # and the two forbidden files really are two experiments: other utilisation
    old = store_rows(store)
    assert len(old) == 4
    assert old["cadre_utilization"].nunique() == 4


# --- item 7: one replication has no interval ---------------------------------------------


def test_one_replication_has_no_interval():
    """Fails on the old code: mean_ci([0.7]) was [0.7, 0.7], a zero-width 95% interval."""
    from sim.metrics import format_ci

    one = mean_ci(np.array([0.7]))
    assert one["mean"] == 0.7
    assert all(math.isnan(x) for x in one["ci95"])
    assert format_ci(*one["ci95"]) == "n/a"
    values = np.array([0.2, 0.5, 0.9, 0.4])
    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert mean_ci(values)["ci95"] == pytest.approx([lo, hi], rel=1e-12)


def test_undefined_intervals_are_json_null(tmp_path):
    """Fails on the old code: the JSON file held the bare word NaN (not JSON)."""
    from assign import write_json

    path = write_json(tmp_path / "r.json", {"metrics": {"x": mean_ci(np.array([0.7]))}})

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    data = json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)
    assert data["metrics"]["x"] == {"mean": 0.7, "ci95": [None, None]}


# --- item 5: an override changes only the key it names -----------------------------------


def _leaves(model_cls, prefix=""):
    """Every leaf key of a pydantic section (sub-models descended into), walked from the
    class's fields, not from a dump."""
    import types
    import typing

    from pydantic import BaseModel

    out = []
    for name, info in model_cls.model_fields.items():
        ann = info.annotation
        union = typing.get_origin(ann) in (typing.Union, types.UnionType)
        inner = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type)] if union else []
        sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if sub is None and inner and all(issubclass(a, BaseModel) or a is type(None) for a in inner):
            sub = next((a for a in inner if a is not type(None)), None)
            if sub is not None and info.default is None:
                out.append(prefix + name)  # an optional section (None by default): a leaf
                continue
        if sub is not None:
            out += _leaves(sub, prefix + name + ".")
        else:
            out.append(prefix + name)
    return out


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and prefix + k not in ("arrival.mix", "speeds_kmh"):
            out.update(_flat(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def _get(d, dotted):
    for part in dotted.split("."):
        d = d[part]
    return d


def test_every_simulation_override_changes_only_its_key(tmp_path):
    """Property over every key of the simulation section: on a scenario without the key's
    section, and on one with partial sections, setting any key to its default value leaves
    every other key as it was. Fails on the old code: the department's other settings
    fell back to a home unit's (servers 2 -> 1, solve_prob 1.0 -> 0.8, delay 2.0 -> 1.0)."""
    from sim import simulation_config
    from sim.config import SimulationConfig

    defaults = SimulationConfig().model_dump()
    assert _get(defaults, "escalation.department") == {"servers": 2, "mean_days": 10.0,
                                                       "solve_prob": 1.0, "delay_days": 2.0,
                                                       "feedback_days": 0.0}
    keys = _leaves(SimulationConfig)
    assert "escalation.department.mean_days" in keys and "arrival.profile" in keys
    assert len(keys) >= 25
    bare = tmp_path / "bare"
    write_mmc_scenario(bare)
    cfg = yaml.safe_load((bare / "scenario.yaml").read_text(encoding="utf-8"))
    cfg["simulation"] = {}
    (bare / "scenario.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    partial = write_mmc_scenario(tmp_path / "partial")
    for folder in (bare, partial):
        base = simulation_config(load_scenario(folder)).model_dump()
        for key in keys:
            value = _get(defaults, key)
            got = simulation_config(load_scenario(folder, {f"simulation.{key}": value}))
            want = _flat(base)
            want[key] = value
            assert _flat(got.model_dump()) == want, (folder.name, key)


def test_department_overrides_keep_the_other_settings_everywhere(tmp_path):
    """--set, a sweep's design point and calibrate's section edits all keep the department's
    other settings (the old code reset them to a home unit's)."""
    from sim import simulation_config
    from sim.sweep import apply_point

    folder = write_mmc_scenario(tmp_path / "s")
    cfg = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    del cfg["simulation"]["escalation"]
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    sc = load_scenario(folder, {"simulation.escalation.department.mean_days": 10})
    dep = simulation_config(sc).escalation.department
    assert (dep.servers, dep.mean_days, dep.solve_prob, dep.delay_days) == (2, 10.0, 1.0, 2.0)
    point = apply_point(load_scenario(folder), {"simulation.escalation.department.servers": 5})
    dep = simulation_config(point).escalation.department
    assert (dep.servers, dep.mean_days, dep.solve_prob, dep.delay_days) == (5, 10.0, 1.0, 2.0)


def test_every_assignment_override_changes_only_its_key(tmp_path):
    """The same property over every key of the assignment section (and roads-free top level)."""
    from assign.config import AssignmentConfig

    defaults = AssignmentConfig().model_dump()
    keys = _leaves(AssignmentConfig)
    assert "load.weights" in keys or any(k.startswith("load.") for k in keys)
    folder = write_mmc_scenario(tmp_path / "a")
    base = _flat(load_scenario(folder).config.assignment.model_dump())
    for key in keys:
        value = _get(defaults, key)
        got = load_scenario(folder, {f"assignment.{key}": value}).config.assignment
        want = dict(base)
        want.update(_flat({key: value}) if isinstance(value, dict) and value else {key: value})
        assert _flat(got.model_dump()) == want, key


# --- item 3: a worker's death loses one run, not the rest of the map ----------------------


def test_a_dead_worker_loses_only_its_task():
    """Fails on the old code: BrokenProcessPool escaped the map (7 of 10 reported)."""
    from functools import partial

    from sim.executors import ProcessExecutor, WorkerDied
    from tests.sim.sweep_helpers import double_or_die

    with ProcessExecutor(2) as ex:
        out = list(ex.map_unordered(partial(double_or_die, 3, None), None, range(10)))
    assert sorted(t for t, _, _ in out) == list(range(10))
    for task, result, exc in out:
        if task == 3:
            assert result is None and isinstance(exc, WorkerDied)
        else:
            assert exc is None and result == 2 * task


def test_a_worker_that_dies_once_is_retried(tmp_path):
    from functools import partial

    from sim.executors import ProcessExecutor
    from tests.sim.sweep_helpers import double_or_die

    marker = tmp_path / "died"
    with ProcessExecutor(2) as ex:
        out = list(ex.map_unordered(partial(double_or_die, 4, str(marker)), None, range(8)))
    assert marker.exists()
    assert sorted((t, r, e) for t, r, e in out) == [(t, 2 * t, None) for t in range(8)]


def test_a_sweep_records_the_lost_run_and_finishes_the_others(tmp_path):
    """A worker SIGKILLed on one run: that run is stored failed, every other run ok with the
    numbers of an in-process sweep (the reference), and the sweep returns normally."""
    from functools import partial

    from sim.executors import ProcessExecutor
    from sim.sweep import content_key, plan_tasks
    from tests.sim.sweep_helpers import die_on_key

    scenario = load_scenario(write_mmc_scenario(tmp_path / "m", days=60))
    design = design_from_dict({"factors": {"simulation.speed_kmh": [20, 30]},
                               "replications": 3, "seed": 2})
    tasks = plan_tasks(content_key(scenario, None), design.points(), range(3), 2)
    victim = tasks[4].run_key

    class Killing(ProcessExecutor):
        def map_unordered(self, fn, shared, tasks, max_in_flight=None):
            return super().map_unordered(partial(die_on_key, victim, fn), shared, tasks,
                                         max_in_flight)

    ex = Killing(2)
    res = run_sweep(scenario, design, tmp_path / "k.sqlite", executor=ex)
    ex.close()
    assert (res.total, res.ran, res.ok, res.failed) == (6, 6, 5, 1)
    rows = store_rows(tmp_path / "k.sqlite")
    assert rows.loc[victim, "status"] == "failed"
    assert "worker process died" in rows.loc[victim, "error"]
    run_sweep(scenario, design, tmp_path / "ref.sqlite", workers=1)
    ref = store_rows(tmp_path / "ref.sqlite")
    ok = rows[rows.status == "ok"].index
    cols = ["seed", "issues_raised", "mean_wait_days", "cadre_utilization"]
    assert rows.loc[ok, cols].equals(ref.loc[ok, cols])


# --- item 4: workers exit when their parent dies -----------------------------------------

_PARENT = """
import sys
from functools import partial
from sim.executors import ProcessExecutor
from tests.sim.sweep_helpers import note_pid_and_sleep
ex = ProcessExecutor(2)
ex.use_prctl = sys.argv[2] == "prctl"
for _ in ex.map_unordered(partial(note_pid_and_sleep, sys.argv[1]), None, [120.0] * 4):
    pass
"""


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by whoever adopted it) is gone too
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return not any(line.startswith("State:") and "Z" in line for line in fh)
    except FileNotFoundError:
        return os.path.exists(f"/proc/{pid}") or not os.path.isdir("/proc")


@pytest.mark.parametrize("how", ["prctl", "watchdog"])
def test_workers_exit_when_the_sweep_is_killed(tmp_path, how):
    """SIGKILL the parent of two busy workers: both are gone within seconds (Linux: the
    parent-death signal; the watchdog on os.getppid alone, as on macOS). Fails on the old
    code: the workers slept on for their two minutes."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", _PARENT, str(tmp_path), how], cwd=root,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(pids) < 2:
            pids = [int(p.name[4:]) for p in tmp_path.glob("pid-*")]
            time.sleep(0.1)
        assert len(pids) == 2, "the workers did not start"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), f"workers {pids} outlived their parent"
    finally:
        for p in pids:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()


# --- item 2 and provenance: report per scenario version ----------------------------------


def test_report_never_pools_scenario_versions(tmp_path):
    """Two versions of a scenario swept into one store: report shows the latest version's
    runs alone (mean and t interval recomputed here with numpy and scipy from a store of
    that version alone), --all one row per version; every row records its provenance.
    Fails on the old code: the four runs were pooled under one design point."""
    from typer.testing import CliRunner

    from assign.fingerprint import fingerprint
    from sim.report import summarize
    from zhuqi.cli import app

    folder = write_mmc_scenario(tmp_path / "v", days=40, warmup=0)
    design = design_from_dict({"replications": 3, "seed": 1})
    store = tmp_path / "both.sqlite"
    old = load_scenario(folder)
    run_sweep(old, design, store, workers=1)
    new = load_scenario(folder, {"simulation.arrival.rate_per_firm_day": 0.8})
    run_sweep(new, design, store, workers=1)
    alone = tmp_path / "alone.sqlite"
    run_sweep(new, design, alone, workers=1)
    rows = store_rows(store)
    assert set(rows["fingerprint"]) == {fingerprint(old), fingerprint(new)}
    assert set(rows["executor"]) == {"in-process"}
    assert all("python" in json.loads(v) for v in rows["versions"])
    assert rows["model_version"].str.startswith("zhuqi").all()
    assert rows["seed"].notna().all()

    table = summarize(store)
    assert table.attrs["fingerprints"] == 2 and table.attrs["shown"][0] == fingerprint(new)
    values = store_rows(alone)["issues_raised"].to_numpy(float)
    lo, hi = stats.t.interval(0.95, 2, loc=values.mean(), scale=stats.sem(values))
    assert list(table["runs"]) == [3]
    assert table["issues_raised"].iloc[0] == pytest.approx(values.mean())
    assert [table["issues_raised_lo"].iloc[0], table["issues_raised_hi"].iloc[0]] == \
        pytest.approx([lo, hi])
    both = summarize(store, fingerprint="all")
    assert list(both["runs"]) == [3, 3] and set(both["fingerprint"]) == set(rows["fingerprint"])
    picked = summarize(store, fingerprint=fingerprint(old)[:10])
    assert picked.attrs["shown"][0] == fingerprint(old) and list(picked["runs"]) == [3]
    with pytest.raises(ValueError, match="no runs"):
        summarize(store, fingerprint="zz")
    out = CliRunner().invoke(app, ["report", str(store)])
    assert out.exit_code == 0, out.output
    assert "2 scenario fingerprints and 1 model version" in out.output
    assert fingerprint(new)[:12] in out.output


def test_report_says_n_a_for_one_run(tmp_path):
    """Fails on the old code: one run per point showed a zero-width interval [x, x]."""
    from typer.testing import CliRunner

    from zhuqi.cli import app

    scenario = load_scenario(write_mmc_scenario(tmp_path / "one", days=30, warmup=0))
    store = tmp_path / "one.sqlite"
    run_sweep(scenario, design_from_dict({"replications": 1, "factors": {
        "simulation.speed_kmh": [20, 30]}}), store, workers=1)
    out = CliRunner().invoke(app, ["report", str(store), "--metric", "issues_raised", "--plot",
                                   str(tmp_path / "p.png")])
    assert out.exit_code == 0, out.output
    assert "n/a" in out.output and (tmp_path / "p.png").exists()


# --- item 6: teams at every staffing level -----------------------------------------------


def _teams_case(seed: int = 7):
    """Five cadres, two zones of two firms, teams of any size, no max_firms_per_cadre."""
    import warnings

    from assign import ScenarioWarning, build_scenario
    from tests.assign.test_teams import random_case

    rng = np.random.default_rng(seed)
    cadres, firms, a = random_case(rng, 5, 4, 2, team_size_min=1, team_size_max=None,
                                   require_skills="none", max_firms_per_cadre=None)
    cadres["zone"] = ""
    cadres["skills"] = "policy"
    firms["needs"] = "policy"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return build_scenario(cadres, firms, **a), cadres, firms, a


def _team_config(scenario):
    from sim import simulation_config

    return simulation_config(scenario, days=60, service="team", collection="immediate",
                             arrival={"rate_per_firm_day": 0.4, "mix": {"policy": 1}})


def test_full_roster_of_a_teams_scenario_is_what_simulate_gives():
    """Fails on the old code: compare turned a teams scenario without max_firms_per_cadre
    into one-to-many links at every level, so the full roster differed from simulate."""
    from sim import compare_staffing, simulate_scenario

    scenario, *_ = _teams_case()
    cfg = _team_config(scenario)
    direct = simulate_scenario(scenario, None, cfg, replications=3, seed=4)
    for pick in ("best", "first"):
        compared = compare_staffing(scenario, [5], replications=3, seed=4, config=cfg, pick=pick)
        runs = compared.runs.drop(columns="cadres")
        assert runs[direct.runs.columns].equals(direct.runs), pick


def test_a_teams_staffing_level_reforms_the_teams_within_the_budget():
    """Each level's teams: every zone served, at most N members, and as good as the brute
    force over every team partition of the whole roster with at most N members. Fails on
    the old code: pick best refused max_cadres in mode teams."""
    import warnings

    from assign import ScenarioWarning, solve
    from sim import compare_staffing
    from sim.experiment import staffing_scenario
    from tests.assign.test_teams import brute_force

    scenario, cadres, firms, a = _teams_case()
    for n in (2, 3, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            plan = solve(staffing_scenario(scenario, n, "best"))
        best = brute_force(cadres, firms, {**a, "max_cadres": n})
        assert plan.status == "optimal"
        sizes = [len([c for c in str(ids).split(";") if c]) for ids in plan.teams["member_ids"]]
        assert len(sizes) == 2 and min(sizes) >= 1 and sum(sizes) <= n
        prio = firms.set_index("id").loc[plan.pairs["firm_id"], "priority"].to_numpy()
        assert ((prio == 1).sum(), (prio == 0).sum()) == best[:2]
        assert plan.objective == pytest.approx(-best[2], abs=1e-2)
    res = compare_staffing(scenario, [2, 3], replications=2, seed=1, config=_team_config(scenario))
    assert [lv["covered"] for lv in res.levels] == [4, 4]


def test_sweeps_and_staff_over_cadres_run_on_teams_scenarios(tmp_path):
    """Fails on the old code: every run of a sweep over cadres (pick best) failed."""
    from sim.sweep import with_simulation

    scenario, *_ = _teams_case()
    scenario = with_simulation(scenario, _team_config(scenario))
    res = run_sweep(scenario, design_from_dict({"factors": {"cadres": [2, 5]},
                                                "replications": 2}), tmp_path / "t.sqlite")
    assert (res.ok, res.failed) == (4, 0), res.errors


# --- results never depend on the executor: teams and batches ------------------------------


def _batched_folder(tmp_path):
    """Four cadres in two batches (days 0-30, then 30 on), assigned service."""
    folder = write_mmc_scenario(tmp_path / "batched", cadres=4, firms=6, service="assigned",
                                days=60, warmup=0, lam=3.0)
    rows = ["c0,unit,30.000,110.0,other,,30", "c1,unit,30.010,110.0,other,,30",
            "c2,unit,30.020,110.0,other,30,", "c3,unit,30.030,110.0,other,30,"]
    (folder / "cadres.csv").write_text("id,home_unit,lat,lon,skills,start_day,end_day\n"
                                       + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_teams_and_batches_do_not_depend_on_the_executor(tmp_path):
    """The same sweep of a teams scenario and of a scenario with cadre batches, run in this
    process, in two local processes and (with the dask extra) on a two-worker Dask cluster:
    identical rows. The in-process sweep is the reference."""
    from sim.batches import has_batches
    from sim.executors import ProcessExecutor
    from sim.sweep import with_simulation

    teams, *_ = _teams_case()
    teams = with_simulation(teams, _team_config(teams))
    batched = load_scenario(_batched_folder(tmp_path))
    assert has_batches(batched)
    cols = ["point", "replication", "seed", "status", "issues_raised", "issues_resolved",
            "mean_wait_days", "cadre_utilization"]
    designs = {"teams": (teams, {"factors": {"cadres": [2, 5]}, "replications": 2, "seed": 8}),
               "batches": (batched, {"factors": {"simulation.speed_kmh": [20, 40]},
                                     "replications": 2, "seed": 9})}
    executors = {"processes": lambda: ProcessExecutor(2)}
    try:
        import distributed

        from sim.executors import DaskExecutor

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=50)
        executors["dask"] = lambda: DaskExecutor(cluster.scheduler_address)
    except ImportError:  # pragma: no cover - without the dask extra
        cluster = None
    try:
        for name, (scenario, spec) in designs.items():
            design = design_from_dict(spec)
            ref_path = tmp_path / f"{name}-ref.sqlite"
            ref = run_sweep(scenario, design, ref_path, workers=1)
            assert ref.ok == 4, ref.errors
            want = store_rows(ref_path)[cols]
            for kind, make in executors.items():
                path = tmp_path / f"{name}-{kind}.sqlite"
                with make() as ex:
                    res = run_sweep(scenario, design, path, executor=ex)
                assert res.ok == 4, (name, kind, res.errors)
                rows = store_rows(path)
                assert set(rows["executor"]) == {ex.name}
                assert rows[cols].equals(want), (name, kind)
    finally:
        if cluster is not None:
            cluster.close()


def test_a_teams_sweep_forms_the_teams_once_per_point_and_fails_impossible_levels(
        tmp_path, monkeypatch):
    """Service team: a design point's teams are formed once (not again in every run, where
    a solver stopped by its time limit may form other teams), and a level too small for
    the teams is a failed run naming the rule, not a run with every zone unserved. Fails on
    the old code: three runs formed the teams three times."""
    from assign.solvers import teams as teams_mod
    from sim import sweep as sweep_mod
    from sim.sweep import with_simulation

    scenario, *_ = _teams_case()
    scenario = with_simulation(scenario, _team_config(scenario))
    calls = []
    real = teams_mod.solve_teams

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(teams_mod, "solve_teams", counting)
    sweep_mod._PREPARED.clear()
    res = run_sweep(scenario, design_from_dict({"replications": 3}), tmp_path / "a.sqlite")
    assert res.ok == 3 and len(calls) == 1
    strict = scenario.with_config(team_size_min=2)  # two zones need four members
    res = run_sweep(strict, design_from_dict({"factors": {"cadres": [3, 4]}, "replications": 1,
                                              "pick": "first"}), tmp_path / "b.sqlite")
    assert (res.ok, res.failed) == (1, 1)
    (point, _, error), = res.errors
    assert point == {"cadres": 3} and "at least 2 members" in error


def test_compare_names_a_level_too_small_for_the_teams():
    """Two zones with teams of at least two: three cadres form no teams. The level is
    simulated with every firm unserved (nothing resolved) and says why."""
    from sim import compare_staffing

    scenario, *_ = _teams_case()
    strict = scenario.with_config(team_size_min=2)
    res = compare_staffing(strict, [3, 5], replications=1, seed=2, config=_team_config(strict),
                           pick="first")
    low, full = res.levels
    assert low["covered"] == 0 and low["metrics"]["issues_resolved"]["mean"] == 0
    assert "at least 2 members" in low["warning"]
    assert full["covered"] == 4 and "warning" not in full
