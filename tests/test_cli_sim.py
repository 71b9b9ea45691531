"""End-to-end: zhuqi simulate, compare and calibrate."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import SCENARIOS
from zhuqi.cli import app

runner = CliRunner()
ZHANGYE = SCENARIOS / "zhangye-2022"


def squash(text: str) -> str:
    """The text without any whitespace: Rich wraps lines at spaces (dropping or keeping
    them) and inside long paths."""
    return "".join(text.split())


def invoke(*args):
    res = runner.invoke(app, [str(a) for a in args])
    return res


def test_simulate_json_log_and_plot(tmp_path):
    out, log, png = tmp_path / "sim.json", tmp_path / "log.csv", tmp_path / "sim.png"
    res = invoke("simulate", ZHANGYE, "--replications", 3, "--seed", 5, "--out", out,
                 "--issues", log, "--plot", png, "--days", 60)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= {"metrics", "by_category", "runs", "meta"}
    assert data["meta"]["parameters"]["days"] == 60
    for name in ("issues_raised", "issues_resolved", "resolution_rate", "mean_wait_days",
                 "mean_time_to_resolve_days", "p90_time_to_resolve_days", "escalation_share",
                 "cadre_utilization"):
        assert name in data["metrics"]
        assert name in data["runs"][0]
    assert set(data["by_category"]) == {"financing", "cost_reduction", "hiring", "policy", "other"}
    issues = pd.read_csv(log, encoding="utf-8-sig")
    assert {"raised", "collected", "started", "escalated", "resolved", "replication"} <= set(
        issues.columns)
    assert len(issues) == sum(r["issues_raised"] for r in data["runs"])
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_simulate_with_pairs_file_and_set(tmp_path):
    pairs = tmp_path / "pairs.csv"
    assert invoke("solve", SCENARIOS / "quanzhou-2020", "--out", pairs).exit_code == 0
    out = tmp_path / "s.json"
    res = invoke("simulate", SCENARIOS / "quanzhou-2020", "--pairs", pairs, "--replications", 2,
                 "--out", out, "--set", "simulation.collection=weekly")
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["meta"]["parameters"]["collection"] == "weekly"


def test_simulate_bad_pairs_file(tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("cadre_id,firm_id\nQZ-C001,QZ-F01\nQZ-C099,QZ-F02\nQZ-C002,QZ-F01\n")
    res = invoke("simulate", SCENARIOS / "quanzhou-2020", "--pairs", pairs)
    assert res.exit_code == 2
    flat = squash(res.output)  # Rich wraps long paths at the terminal width
    assert squash("2 problems") in flat
    assert squash("line 3, column 'cadre_id': unknown id 'QZ-C099'") in flat
    assert squash("line 4, column 'firm_id': firm 'QZ-F01' is paired twice") in flat


def test_simulate_bad_set_exit_2():
    res = invoke("simulate", ZHANGYE, "--set", "simulation.collection=hourly")
    assert res.exit_code == 2
    assert "simulation.collection" in res.output


def test_compare_levels_json_and_plot(tmp_path):
    out, png = tmp_path / "c.json", tmp_path / "c.png"
    res = invoke("compare", ZHANGYE, "--cadres", "10,103", "--replications", 3, "--days", 60,
                 "--out", out, "--plot", png, "--workers", 1)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert [lv["cadres"] for lv in data["levels"]] == [10, 103]
    ten, full = (lv["metrics"] for lv in data["levels"])
    # ten cadres carry all 103 firms: each works about ten times as much
    assert ten["cadre_utilization"]["mean"] == pytest.approx(
        10.3 * full["cadre_utilization"]["mean"], rel=0.25)
    assert data["levels"][0]["covered"] == 103
    assert png.exists()


def test_compare_rejects_bad_levels():
    res = invoke("compare", ZHANGYE, "--cadres", "10,abc")
    assert res.exit_code == 2
    res = invoke("compare", ZHANGYE, "--cadres", "500")
    assert res.exit_code == 2
    assert "outside 1..103" in res.output


def test_calibrate_writes_a_valid_section(tmp_path):
    out = tmp_path / "fit.yaml"
    res = invoke("calibrate", SCENARIOS / "nanan-2020", "--issues", 14, "--days", 30,
                 "--resolved", 14, "--replications", 4, "--out", out)
    assert res.exit_code == 0, res.output
    import yaml

    from sim import SimulationConfig

    section = yaml.safe_load(out.read_text())["simulation"]
    cfg = SimulationConfig.model_validate(section)
    assert cfg.arrival.rate_per_firm_day == pytest.approx(14 / (5 * 30), rel=1e-3)


def test_simulate_batches_profile_and_service_levels_from_files(make_scenario, tmp_path):
    """cadres.csv with start_day / end_day and a surge profile, end to end: each period
    paired on its own, the new metrics reported, a bad end_day names file, line, column."""
    cadres = ("id,lat,lon,skills,start_day,end_day\n"
              "c1,38.90,100.40,financing;hiring,,30\n"
              "c2,38.95,100.50,cost_reduction;hiring,,\n"
              "c3,38.91,100.42,financing;hiring,30,\n")
    yaml = ("name: batches\ncadres: cadres.csv\nfirms: firms.csv\n"
            "assignment: {mode: one_to_many, max_firms_per_cadre: 3}\n"
            "simulation:\n  days: 60\n  sla_days: [7, 14]\n"
            "  arrival: {rate_per_firm_day: 0.1, profile: {surge: 3, half_life_days: 5}}\n")
    folder = make_scenario(yaml=yaml, cadres=cadres)
    out = tmp_path / "sim.json"
    res = invoke("simulate", folder, "--replications", "3", "--out", out)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    periods = data["meta"]["pairing"]["periods"]
    assert [(p["start_day"], p["cadres"]) for p in periods] == [(0.0, 2), (30.0, 2)]
    assert {"closed_within_7d", "closed_within_14d", "backlog_at_end",
            "km_median_time_to_resolve_days"} <= set(data["metrics"])
    bad = make_scenario(yaml=yaml, cadres=cadres.replace(",,30\n", ",40,30\n"))
    res = invoke("simulate", bad)
    assert res.exit_code == 2
    assert squash("line 2, column 'end_day': end_day must come after start_day") in squash(
        res.output)
