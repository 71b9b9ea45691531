"""End-to-end: the zhuqi command on every scenario and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import BASE_FIRMS, SCENARIOS
from zhuqi.cli import app

runner = CliRunner()
ALL_SCENARIOS = sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.yaml").exists())


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("name", ALL_SCENARIOS)
def test_every_scenario_solves_from_the_cli(name, tmp_path):
    out, summary = tmp_path / "pairs.csv", tmp_path / "summary.json"
    res = invoke("solve", SCENARIOS / name, "--out", out, "--summary", summary)
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must carry a BOM for Excel"
    pairs = pd.read_csv(out, encoding="utf-8-sig")
    for col in ["cadre_id", "cadre_name", "firm_id", "firm_name", "distance_km", "cost", "load"]:
        assert col in pairs.columns
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["status"] in ("optimal", "feasible")
    assert s["assigned"] == len(pairs)
    assert s["unassigned"] == len(s["uncovered"])
    assert s["objective"] == pytest.approx(pairs["cost"].sum(), abs=1e-4)
    if "objective: distance" in (SCENARIOS / name / "scenario.yaml").read_text():
        assert (pairs["cost"] - pairs["distance_km"]).abs().max() < 1e-3
    for key in ("status", "objective", "bound", "assigned", "unassigned", "uncovered", "seconds",
                "backend"):
        assert key in s


@pytest.mark.parametrize("name", ALL_SCENARIOS)
def test_every_scenario_checks(name):
    res = invoke("check", SCENARIOS / name)
    assert res.exit_code == 0, res.output
    assert "valid" in res.output


def test_bad_input_exit_2_and_nothing_written(make_scenario, tmp_path):
    folder = make_scenario(firms=BASE_FIRMS.replace("38.91", "nan-lat").replace("f3,", "f2,"))
    out = tmp_path / "pairs.csv"
    res = runner.invoke(app, ["solve", str(folder), "--out", str(out)])
    assert res.exit_code == 2
    assert "line 2, column 'lat'" in res.output
    assert "duplicate id 'f2'" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_set_overrides_and_validates(make_scenario, tmp_path):
    folder = make_scenario()
    summary = tmp_path / "s.json"
    res = invoke("solve", folder, "--set", "assignment.max_distance_km=1", "--summary", summary)
    assert res.exit_code == 1  # no firm within 1 km of a cadre: no plan
    s = json.loads(summary.read_text())
    assert s["status"] == "infeasible"
    assert {u["reason"] for u in s["uncovered"]} == {"no_cadre_in_reach"}
    res = runner.invoke(app, ["solve", str(folder), "--set", "assignment.max_distance_km=-5"])
    assert res.exit_code == 2
    assert "--set assignment.max_distance_km=-5" in res.output


def test_partial_coverage_exits_0_and_reports_reasons(make_scenario, tmp_path):
    folder = make_scenario()
    summary = tmp_path / "s.json"
    res = invoke("solve", folder, "--set", "assignment.max_firms_per_cadre=1", "--summary", summary)
    assert res.exit_code == 0
    s = json.loads(summary.read_text())
    assert s["assigned"] == 2 and s["unassigned"] == 1
    # the priority firm f1 is always covered
    assert "f1" not in {u["firm_id"] for u in s["uncovered"]}


def test_flow_backend_refuses_workloads(make_scenario):
    cadres = "id,lat,lon,max_workload\nc1,38.9,100.4,5\n"
    res = runner.invoke(app, ["solve", str(make_scenario(cadres=cadres)), "--backend", "flow"])
    assert res.exit_code == 2
    assert "max_workload" in res.output


def test_generate_then_solve(tmp_path):
    folder = tmp_path / "gen"
    res = invoke("generate", folder, "--cadres", 20, "--firms", 150, "--seed", 3,
                 "--max-firms", 10, "--max-distance-km", 25)
    assert res.exit_code == 0, res.output
    again = tmp_path / "gen2"
    invoke("generate", again, "--cadres", 20, "--firms", 150, "--seed", 3, "--max-firms", 10,
           "--max-distance-km", 25)
    assert (folder / "firms.csv").read_bytes() == (again / "firms.csv").read_bytes()
    res = invoke("solve", folder, "--json")
    assert res.exit_code == 0
    assert json.loads(res.output)["assigned"] > 0


def test_console_script_runs():
    """The installed entry point, as a user runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "zhuqi", "check", str(SCENARIOS / "nanan-2020")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
