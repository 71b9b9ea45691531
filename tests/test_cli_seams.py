"""Smaller seams between commands: a glob that picks up a README, one --lang rule for every
workbook, and a non-optimal plan's improvement said in words."""

from __future__ import annotations

import openpyxl
from typer.testing import CliRunner

from assign.insight.explain import improvement_text
from zhuqi.cli import app

from .conftest import SCENARIOS

runner = CliRunner()
QZ = str(SCENARIOS / "quanzhou-2020")


def test_batch_skips_files_that_are_not_scenarios(tmp_path):
    """Before: `zhuqi solve scenarios/* --out-dir ...` (the example in solve --help) failed
    on scenarios/README.md."""
    res = runner.invoke(app, ["solve", QZ, str(SCENARIOS / "README.md"), "--out-dir",
                              str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "README.md: not a scenario" in res.output and "skipped" in res.output
    assert (tmp_path / "out" / "quanzhou-2020").is_dir()


def test_workbooks_are_chinese_by_default_in_every_command(tmp_path):
    """Before: solve wrote a Chinese workbook by default, explain and diff English ones."""
    pairs = tmp_path / "pairs.xlsx"
    assert runner.invoke(app, ["solve", QZ, "--out", str(pairs)]).exit_code == 0
    assert openpyxl.load_workbook(pairs).sheetnames[0] == "结对名单"
    res = runner.invoke(app, ["explain", QZ, "--pairing", str(pairs), "--out",
                              str(tmp_path / "why.xlsx")])
    assert res.exit_code == 0, res.output
    assert "备选干部" in openpyxl.load_workbook(tmp_path / "why.xlsx").sheetnames
    res = runner.invoke(app, ["diff", str(pairs), str(pairs), "--out", str(tmp_path / "d.xlsx")])
    assert res.exit_code == 0, res.output
    head = [c.value for c in openpyxl.load_workbook(tmp_path / "d.xlsx").worksheets[0][1]]
    assert "企业编号" in head and "变化" in head
    res = runner.invoke(app, ["diff", str(pairs), str(pairs), "--out", str(tmp_path / "d.csv")])
    assert (tmp_path / "d.csv").read_text(encoding="utf-8-sig").startswith("firm_id,")


def test_improvement_is_said_without_a_negative_saving():
    """Before: explain on a non-optimal plan said the optimum "saves -97.313 km"."""
    text = improvement_text({"firms": 5, "objective": -97.313}, "km")
    assert "-97" not in text and "covers 5 more firms" in text and "97.313 km more" in text
    assert "saves" not in text
    assert "costs 3.000 km less" in improvement_text({"firms": 0, "objective": 3.0}, "km")
    zh = improvement_text({"firms": 5, "objective": -97.313}, "km", "zh")
    assert "多覆盖 5 家企业" in zh and "增加 97.313 公里" in zh and "-97" not in zh


def test_dashboard_on_a_busy_port_is_an_input_error():
    """Before: the dashboard exited 3 (undocumented) from inside the server."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = runner.invoke(app, ["dashboard", str(SCENARIOS / "zhangye-2022"), "--port",
                                  str(port)])
    assert res.exit_code == 2, res.output
    assert f"--port {port}" in res.output and "choose another port" in res.output


def test_compare_progress_has_a_known_total_from_the_start():
    """Before: `compare` showed 0/? while it planned each staffing level (most of its time)."""
    from assign import load_scenario
    from sim import compare_staffing, simulation_config

    s = load_scenario(SCENARIOS / "quanzhou-2020")
    calls: list[tuple[int, int]] = []
    compare_staffing(s, [10, 13], replications=2, workers=1,
                     config=simulation_config(s, days=2), progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 6)  # 2 plans + 2 x 2 runs, known before the first plan
    assert {t for _, t in calls} == {6} and calls[-1] == (6, 6)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_json_prints_and_out_writes_in_every_command(tmp_path):
    """Before: --json was a flag in solve but a file path in simulate, compare and staff."""
    import json

    out = tmp_path / "sim.json"
    res = runner.invoke(app, ["simulate", QZ, "--replications", "1", "--days", "2", "--json",
                              "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "metrics" in json.loads(out.read_text(encoding="utf-8"))
    assert '"metrics"' in res.stdout and "resolution_rate" in res.stdout
    assert "days," not in res.stdout  # the table is left out
