"""The workbench's session (no browser): uploads, limits, isolation, pins, versions, files out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assign.insight.diff import read_plan
from tests.conftest import SCENARIOS
from zhuqi.workbench.session import MAX_UPLOAD_BYTES, Workspace, safe_name
from zhuqi.workbench.text import problem_rows

SCENARIO = SCENARIOS / "quanzhou-2020"


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def ws(tmp_path) -> Workspace:
    w = Workspace(tmp_path / "session")
    w.open(SCENARIO)
    return w


def test_uploads_are_checked_for_type_and_size_before_anything_is_written(ws, tmp_path):
    """A refused file is not written and changes nothing: the rosters and plan stay."""
    plan = ws.solve()
    before = files_under(tmp_path)
    for name, data, words in (
        ("名单.exe", b"MZ...", "只接受 .xlsx 或 .csv"),
        ("名单.xlsx", b"id,name\n", "不是 Excel 工作簿"),
        ("名单.csv", b"\x00\x01" * 10, "不是文本"),
        ("名单.csv", b"a" * (MAX_UPLOAD_BYTES + 1), "文件过大"),
    ):
        problems = ws.upload("cadres", name, data)
        assert len(problems) == 1
        assert words in problem_rows(problems, {})[0]["问题"]
        assert ws.plan is plan and len(ws.scenario.cadres) == 13
    assert files_under(tmp_path) == before


def test_an_uploaded_name_cannot_leave_the_session_folder(ws, tmp_path):
    data = (SCENARIO / "cadres.csv").read_bytes()
    assert safe_name("../../../etc/cron.d/x.csv") == "x.csv"
    assert safe_name("..\\..\\evil.csv") == "evil.csv"
    ws.upload("cadres", "../../outside.csv", data)
    assert not (tmp_path / "outside.csv").exists()
    assert all(p.is_relative_to(tmp_path / "session") for p in files_under(tmp_path))
    assert ws.problems == [] and len(ws.scenario.cadres) == 13


def test_two_sessions_do_not_see_each_others_rosters(tmp_path):
    a, b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    a.open(SCENARIO)
    b.open(SCENARIO)
    firms = pd.read_csv(SCENARIO / "firms.csv", dtype=str)
    fewer = firms.iloc[:10].to_csv(index=False).encode("utf-8")
    a.upload("firms", "firms.csv", fewer)
    assert len(a.scenario.firms) == 10
    assert len(b.scenario.firms) == len(firms)
    b.solve()
    assert a.plan is None and b.plan is not None


def test_a_bad_cell_is_reported_at_its_excel_row_and_column_in_chinese(ws, tmp_path):
    df = pd.read_csv(SCENARIO / "firms.csv", dtype=str, keep_default_na=False)
    df.loc[6, "employees"] = "很多"  # the 7th data row: Excel row 8 under the header row
    path = tmp_path / "企业.xlsx"
    df.to_excel(path, index=False, sheet_name="企业名单")
    ws.upload("firms", "企业.xlsx", path.read_bytes())
    rows = problem_rows(ws.problems, {str(ws.uploads["firms"]): "企业.xlsx"})
    assert rows == [{"文件": "企业.xlsx", "工作表": "企业名单", "行": "8", "列": "employees",
                     "问题": "“很多”不是数字"}]
    with pytest.raises(ValueError, match="fix them first"):
        ws.solve()


def test_rosters_alone_use_the_blank_templates_settings(tmp_path):
    from assign.io.template import write_template

    ws = Workspace(tmp_path / "s")
    assert not ws.ready
    blank = write_template(tmp_path / "t", "zh")
    cadres = pd.DataFrame({"编号": ["C1", "C2"], "姓名": ["甲", "乙"], "派出单位": ["局", "局"],
                           "纬度": [24.90, 24.95], "经度": [118.60, 118.65]})
    firms = pd.DataFrame({"编号": ["F1", "F2", "F3"], "名称": ["一", "二", "三"],
                          "纬度": [24.91, 24.94, 24.96], "经度": [118.61, 118.64, 118.66]})
    for kind, df in (("cadres", cadres), ("firms", firms)):
        path = tmp_path / f"{kind}.xlsx"
        df.to_excel(path, index=False)
        ws.upload(kind, path.name, path.read_bytes())
    assert blank and ws.ready
    assert ws.problems == [], ws.problems
    assert ws.setting("max_firms_per_cadre") == 3  # the template's default
    p = ws.solve()
    assert p.assigned == 3


def test_pin_and_re_solve_moves_only_what_it_must_and_keeps_versions(ws):
    v1 = ws.solve()
    old = dict(zip(v1.pairs["firm_id"], v1.pairs["cadre_id"], strict=True))
    firm = sorted(old)[0]
    ex = ws.why(firm)
    other = str(ex.alternatives[ex.alternatives["admissible"]]["cadre_id"].iat[0])
    ws.pin(other, firm)
    prop = ws.propose()
    new = dict(zip(prop.pairing.pairs["firm_id"], prop.pairing.pairs["cadre_id"], strict=True))
    assert new[firm] == other
    moved = {f for f in old if f in new and new[f] != old[f]}
    assert prop.counts["moved"] == len(moved) >= 1
    assert prop.counts["kept"] == sum(new.get(f) == c for f, c in old.items())
    assert ws.plan is v1  # nothing changes before it is accepted
    ws.accept()
    assert [v.number for v in ws.versions] == [1, 2] and ws.plan is prop.pairing
    ws.restore(1)
    assert ws.plan is v1 and ws.pins == []
    ws.restore(2)
    assert ws.pins == [(other, firm)]


def test_forbidding_the_pair_on_screen_moves_the_firm(ws):
    v1 = ws.solve()
    firm, cadre = str(v1.pairs["firm_id"].iat[0]), str(v1.pairs["cadre_id"].iat[0])
    ws.forbid(cadre, firm)
    new = ws.propose().pairing.pairs
    assert not ((new["firm_id"] == firm) & (new["cadre_id"] == cadre)).any()


def test_export_is_the_workbook_zhuqi_solve_writes(ws, tmp_path):
    from typer.testing import CliRunner

    from zhuqi.cli import app

    ws.solve()
    page = tmp_path / "page.xlsx"
    page.write_bytes(ws.export_xlsx())
    cli = tmp_path / "cli.xlsx"
    assert CliRunner().invoke(app, ["solve", str(SCENARIO), "--out", str(cli)]).exit_code == 0
    a, b = read_plan(page), read_plan(cli)
    assert set(zip(a.cadre_id, a.firm_id, strict=True)) == set(zip(b.cadre_id, b.firm_id, strict=True))
    assert ws.export_map().startswith(b"<!DOCTYPE html>")
    assert ws.export_explanation()[:2] == b"PK"


def test_how_many_we_need(ws):
    """Simulation, comparison and least staffing run the sim functions on the plan; the
    page's target wording becomes zhuqi staff's target."""
    from zhuqi.workbench.page import target_text

    ws.solve()
    res = ws.simulate(3)
    m = res.summary()["metrics"]["resolution_rate"]
    assert m["ci95"][0] <= m["mean"] <= m["ci95"][1]
    cmp = ws.compare([6, 13], replications=3)
    assert [lv["cadres"] for lv in cmp.levels] == [6, 13]
    assert target_text("30 天内办结", 60) == "closed_within_30d >= 0.6"
    assert target_text("期末积压（件）", 5) == "backlog_at_end <= 5"
    staff = ws.staff(target_text("30 天内办结", 10))
    assert staff.cadres is not None and 1 <= staff.cadres <= 13
    calls = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    from zhuqi.workbench.session import Cancelled

    with pytest.raises(Cancelled):
        ws.simulate(10, cancelled=stop_after_two)


def test_the_template_download_is_zhuqi_templates_blank_scenario(tmp_path):
    import io
    import zipfile

    from zhuqi.workbench.session import template_zip

    with zipfile.ZipFile(io.BytesIO(template_zip("zh"))) as zf:
        assert sorted(zf.namelist()) == ["cadres.xlsx", "firms.xlsx", "scenario.yaml"]
        zf.extractall(tmp_path)
    sheets = pd.ExcelFile(tmp_path / "cadres.xlsx").sheet_names
    assert sheets == ["干部名单", "填写说明"]


def test_each_version_keeps_its_manifest(ws):
    import hashlib
    import json

    ws.solve()
    ws.forbid(str(ws.plan.pairs["cadre_id"].iat[0]), str(ws.plan.pairs["firm_id"].iat[0]))
    ws.propose()
    ws.accept()
    first, second = (json.loads(ws.export_manifest(n)) for n in (1, 2))
    assert (first["version"], second["version"]) == (1, 2)
    assert first["forbidden"] == [] and len(second["forbidden"]) == 1
    digest = hashlib.sha256((SCENARIO / "firms.csv").read_bytes()).hexdigest()
    assert digest in json.dumps(first)  # the input files' SHA-256, computed here


def test_uncovered_firms_on_the_map_carry_their_reason(ws):
    from zhuqi.workbench.planmap import plan_map

    ws.set_setting("max_firms_per_cadre", 2)  # 13 cadres x 2 places < 31 firms
    p = ws.solve()
    assert len(p.uncovered) == 31 - 26
    m = plan_map(ws.scenario, p, "zh")
    rings = [layer for group in m.layers if hasattr(group, "layers")
             for layer in group.layers if getattr(layer, "popup", None) is not None]
    assert len(rings) == len(p.uncovered)
    assert all("干部均已满额" in r.popup.value for r in rings)
