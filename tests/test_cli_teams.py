"""End-to-end: the dadukou-2020 task forces solved and simulated through the zhuqi command."""

from __future__ import annotations

import json

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.conftest import SCENARIOS
from zhuqi.cli import app

runner = CliRunner()
DADUKOU = SCENARIOS / "dadukou-2020"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_dadukou_solved_and_simulated(tmp_path):
    xlsx, csv, summary = tmp_path / "pairs.xlsx", tmp_path / "pairs.csv", tmp_path / "s.json"
    res = invoke("solve", DADUKOU, "--out", csv, "--summary", summary, "--time-limit", 3)
    assert res.exit_code == 0, res.output
    assert "task forces (专班)" in res.output
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["status"] in ("optimal", "feasible") and s["conflicts"] == []
    firms = pd.read_csv(DADUKOU / "firms.csv", encoding="utf-8-sig")
    cadres = pd.read_csv(DADUKOU / "cadres.csv", encoding="utf-8-sig", keep_default_na=False)
    assert firms["zone"].nunique() == 14 and "建桥园区C区" in set(firms["zone"])
    teams = s["teams"]
    assert len(teams) == 14 and {t["zone"] for t in teams} == set(firms["zone"])
    members = [m for t in teams for m in t["member_ids"]]
    assert len(members) == len(set(members))  # each cadre in at most one team
    assert all(3 <= len(t["member_ids"]) <= 5 for t in teams)
    skills = dict(zip(cadres["id"], cadres["skills"], strict=True))
    for t in teams:  # the members hold every zone firm's primary need
        held = {k for m in t["member_ids"] for k in skills[m].split(";")}
        primary = {n.split(";")[0] for n in firms.loc[firms["zone"] == t["zone"], "needs"]}
        assert primary <= held
    pairs = pd.read_csv(csv, encoding="utf-8-sig")
    assert pairs["firm_id"].is_unique and len(pairs) == len(firms) == s["assigned"]
    member_zone = {m: t["zone"] for t in teams for m in t["member_ids"]}
    assert (pairs["cadre_id"].map(member_zone) == pairs["zone"]).all()
    # the leader named in the article serves zone C only
    assert member_zone.get("DDK-C001", "建桥园区C区") == "建桥园区C区"

    res = invoke("solve", DADUKOU, "--out", xlsx, "--lang", "zh", "--time-limit", 1)
    assert res.exit_code == 0, res.output
    assert "专班" in load_workbook(xlsx).sheetnames

    out = tmp_path / "sim.json"
    res = invoke("simulate", DADUKOU, "--pairs", csv, "--replications", 2, "--days", 30,
                 "--out", out)
    assert res.exit_code == 0, res.output
    sim = json.loads(out.read_text(encoding="utf-8"))
    assert sim["meta"]["parameters"]["service"] == "team"
    assert sim["metrics"]["issues_raised"]["mean"] > 100


def test_dadukou_team_sizes_too_large_exit_1(tmp_path):
    summary = tmp_path / "s.json"
    res = invoke("solve", DADUKOU, "--set", "assignment.team_size_min=5", "--summary", summary)
    assert res.exit_code == 1
    assert "14 zones need at least 5 members each (70 in all), but 64 cadres may join" in (
        " ".join(res.output.split()))
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["status"] == "infeasible" and len(s["conflicts"]) == 2
