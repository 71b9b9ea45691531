"""End-to-end through the CLI: planning rules, replanning, infeasible plans, the new and
fixed seed cases, and workbook headers."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from tests.conftest import BASE_YAML, SCENARIOS
from zhuqi.cli import app

runner = CliRunner()
BATCH2 = SCENARIOS / "zhangye-2022-batch2"
QZ = SCENARIOS / "quanzhou-2020"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def contains(output: str, text: str) -> bool:
    """Whether ``text`` is in the output wherever Rich wrapped it (even inside a word)."""
    return "".join(text.split()) in "".join(output.split())


def test_quanzhou_covers_all_31_firms_as_its_article_says(tmp_path):
    summary = tmp_path / "s.json"
    res = invoke("solve", QZ, "--summary", summary)
    assert res.exit_code == 0, res.output
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["assigned"] == 31 and data["unassigned"] == 0
    assert set(data["fairness"]) == {"firms_max", "firms_min", "firms_mean", "load_max",
                                     "load_gini", "km_max"}
    assert data["fairness"]["firms_max"] <= 3
    assert data["conflicts"] == []


def test_batch2_replans_with_fewest_changes_and_simulates(tmp_path):
    pairs, summary = tmp_path / "p.csv", tmp_path / "s.json"
    res = invoke("solve", BATCH2, "--out", pairs, "--summary", summary)
    assert res.exit_code == 0, res.output
    assert contains(res.output, "kept 59, moved 44, new 0, dropped 0")
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["changes"] == {"kept": 59, "moved": 44, "new": 0, "dropped": 0}
    df = pd.read_csv(pairs, encoding="utf-8-sig")
    assert df["change"].value_counts().to_dict() == {"kept": 59, "moved": 44}
    # every kept pair is last round's pair, no pair breaks the conflict rule
    previous = pd.read_csv(BATCH2 / "previous.csv", encoding="utf-8-sig")
    before = dict(zip(previous["firm_id"], previous["cadre_id"], strict=True))
    kept = df[df["change"] == "kept"]
    assert all(before[f] == c for f, c in zip(kept["firm_id"], kept["cadre_id"], strict=True))
    firms = pd.read_csv(BATCH2 / "firms.csv", encoding="utf-8-sig").set_index("id")
    assert not (df["home_unit"].to_numpy() == firms.loc[df["firm_id"], "regulator"].to_numpy()).any()
    out = tmp_path / "sim.json"
    res = invoke("simulate", BATCH2, "--replications", 2, "--days", 30, "--out", out)
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8"))["metrics"]["issues_raised"]["mean"] > 0


def test_batch2_with_pins_and_forbidden_pairs(tmp_path):
    pairs = tmp_path / "p.csv"
    res = invoke("solve", BATCH2, "--set", "assignment.pinned=pinned.csv", "--set",
                 "assignment.forbidden=forbidden.csv", "--out", pairs)
    assert res.exit_code == 0, res.output
    got = set(zip(*pd.read_csv(pairs, encoding="utf-8-sig")[["cadre_id", "firm_id"]].T.values,
                  strict=True))
    pins = pd.read_csv(BATCH2 / "pinned.csv", encoding="utf-8-sig")
    forb = pd.read_csv(BATCH2 / "forbidden.csv", encoding="utf-8-sig")
    assert set(zip(pins["cadre_id"], pins["firm_id"], strict=True)) <= got
    assert not set(zip(forb["cadre_id"], forb["firm_id"], strict=True)) & got


def test_previous_from_a_chinese_workbook_keeps_every_pair(tmp_path):
    """--out pairs.xlsx has Chinese headers by default; --previous reads it back."""
    book, summary = tmp_path / "pairs.xlsx", tmp_path / "s.json"
    assert invoke("solve", QZ, "--out", book).exit_code == 0
    sheet = pd.read_excel(book, sheet_name=0)
    assert list(sheet.columns[:5]) == ["干部编号", "干部姓名", "派出单位", "企业编号", "企业名称"]
    res = invoke("solve", QZ, "--previous", book, "--summary", summary)
    assert res.exit_code == 0, res.output
    assert json.loads(summary.read_text(encoding="utf-8"))["changes"] == {
        "kept": 31, "moved": 0, "new": 0, "dropped": 0}
    again = tmp_path / "again.xlsx"
    assert invoke("solve", QZ, "--previous", book, "--out", again).exit_code == 0
    assert set(pd.read_excel(again, sheet_name=0)["变动"]) == {"保留"}
    csv = tmp_path / "pairs.csv"
    assert invoke("solve", QZ, "--out", csv).exit_code == 0
    assert pd.read_csv(csv, encoding="utf-8-sig").columns[0] == "cadre_id"


PINS_OVER = "cadre_id,firm_id,note\nc2,f1,\nc2,f2,\nc1,f3,\n"


def test_infeasible_pins_exit_1_with_conflicts_and_no_pairs(make_scenario, tmp_path):
    root = make_scenario(yaml=BASE_YAML + "  pinned: pinned.csv\n", **{"pinned.csv": PINS_OVER})
    pairs, summary = tmp_path / "p.csv", tmp_path / "s.json"
    res = invoke("solve", root, "--out", pairs, "--summary", summary)
    assert res.exit_code == 1, res.output
    assert contains(res.output, "cadre c2 is pinned to 2 firms")
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["status"] == "infeasible"
    assert data["conflicts"] == [
        f"cadre c2 is pinned to 2 firms (f1 and f2: {root / 'pinned.csv'}, lines 2, 3) but may "
        "serve 1 (max_firms)"]
    assert not pairs.exists()


def test_rule_input_errors_exit_2(make_scenario):
    root = make_scenario(yaml=BASE_YAML + "  forbidden: forbidden.csv\n",
                         **{"forbidden.csv": "cadre_id,firm_id\nc1,f9\n"})
    res = invoke("solve", root)
    assert res.exit_code == 2
    assert contains(res.output, "forbidden.csv, line 2, column 'firm_id': unknown id 'f9'")
    res = invoke("solve", make_scenario(), "--set",
                 "assignment.conflicts=[{cadre: hometown, firm: town}]")
    assert res.exit_code == 2
    assert contains(res.output, "key 'assignment.conflicts.0.cadre': no column 'hometown'")
    res = invoke("solve", make_scenario(), "--previous", root / "nope.csv")
    assert res.exit_code == 2 and contains(res.output, "file not found")


def test_compare_picks_the_best_cadres(tmp_path):
    out = tmp_path / "c.json"
    res = invoke("compare", QZ, "--cadres", "6", "--replications", 1, "--days", 5, "--out", out,
                 "--set", "assignment.time_limit_s=10", "--workers", 1)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["meta"]["pick"] == "best"
    res = invoke("compare", QZ, "--cadres", "6", "--pick", "some")
    assert res.exit_code == 2 and contains(res.output, "--pick must be best or first")


def test_check_lists_the_rules_and_warns_of_conflicts(make_scenario):
    root = make_scenario(yaml=BASE_YAML + "  pinned: pinned.csv\n", **{"pinned.csv": PINS_OVER})
    res = invoke("check", root)
    assert res.exit_code == 0, res.output
    assert contains(res.output, "pinned pairs")
    assert contains(res.output, "the rules conflict: cadre c2 is pinned to 2 firms")
    res = invoke("check", BATCH2)
    assert res.exit_code == 0 and contains(res.output, "home_unit = regulator")
