"""End-to-end: zhuqi explain, diff and tradeoff on a seed scenario, with manifests."""

from __future__ import annotations

import json

import openpyxl
from typer.testing import CliRunner

from zhuqi.cli import app

from .conftest import SCENARIOS

runner = CliRunner()
QZ = str(SCENARIOS / "quanzhou-2020")


def test_explain_writes_json_csv_and_a_chinese_workbook(tmp_path):
    pairs = tmp_path / "pairs.csv"
    two = ["--set", "assignment.max_firms_per_cadre=2"]  # 26 of 31 firms covered
    assert runner.invoke(app, ["solve", QZ, *two, "--out", str(pairs)]).exit_code == 0
    covered = len(pairs.read_text(encoding="utf-8-sig").splitlines()) - 1
    res = runner.invoke(app, ["explain", QZ, *two, "--pairing", str(pairs), "--out",
                              str(tmp_path / "why.json"), "--top", "2"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "why.json").read_text(encoding="utf-8"))
    assert data["optimal"] is True and len(data["firms"]) == covered
    assert len(data["uncovered"]) == 31 - covered > 0
    assert all(u["fix"] for u in data["uncovered"])
    assert data["manifest"]["inputs"][-1]["role"] == "pairing"
    res = runner.invoke(app, ["explain", QZ, *two, "--pairing", str(pairs), "--firm", "QZ-F13",
                              "--out", str(tmp_path / "why.xlsx")])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(tmp_path / "why.xlsx")
    assert wb.sheetnames[0] == "说明"
    text = " ".join(str(c.value) for c in wb["说明"]["A"])
    assert "若改派" in text and "公里" in text
    assert (tmp_path / "why.xlsx.manifest.json").is_file()
    res = runner.invoke(app, ["explain", QZ, *two, "--pairing", str(pairs), "--firm", "nope"])
    assert res.exit_code == 2 and "unknown id 'nope'" in res.output


def test_tradeoff_and_diff(tmp_path):
    gen = tmp_path / "gen"
    assert runner.invoke(app, ["generate", str(gen), "--cadres", "6", "--firms", "30",
                               "--max-firms", "8", "--region", "quanzhou"]).exit_code == 0
    res = runner.invoke(app, ["tradeoff", str(gen), "--points", "5", "--out",
                              str(tmp_path / "front.csv"), "--plans", str(tmp_path / "plans"),
                              "--plot", str(tmp_path / "front.png")])
    assert res.exit_code == 0, res.output
    front = (tmp_path / "front.csv").read_text(encoding="utf-8-sig").splitlines()
    assert front[0].startswith("distance,balance")
    points = sorted((tmp_path / "plans").glob("point-*.csv"))
    assert len(points) == len(front) - 1 >= 2
    assert (tmp_path / "front.png").stat().st_size > 1000
    res = runner.invoke(app, ["diff", str(points[0]), str(points[-1])])
    assert res.exit_code == 0 and "moved" in res.output
