"""Rosters from Excel workbooks with Chinese headers, Chinese category labels, map datums."""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from assign import ScenarioError, load_scenario
from assign.io.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.conftest import BASE_YAML

ZH_CADRES = [
    ["干部编号", "干部姓名", "派出单位", "纬度", "经度", "专长", "最多联系企业数"],
    ["c1", "甲", "水务局", 38.90, 100.40, "贷款融资、引才用工", None],
    ["c2", "乙", "工信局", 38.95, 100.50, "降本增效", 1],
]
ZH_FIRMS = [
    ["企业编号", "企业名称", "纬度", "经度", "重点企业", "需求"],
    ["f1", "企业一", 38.91, 100.41, "是", "贷款融资"],
    ["f2", "企业二", 38.94, 100.49, "否", "降本增效，引才用工"],
    ["f3", "企业三", 38.92, 100.45, "否", "hiring"],
]


def workbook(path, rows, sheet="Sheet1", title=None, extra_sheets=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    for name in extra_sheets:
        wb.create_sheet(name).append(["说明"])
    wb.save(path)
    return path


def xlsx_scenario(make_scenario, cadres=ZH_CADRES, firms=ZH_FIRMS, yaml_extra="", **kw):
    yaml = BASE_YAML.replace("cadres.csv", "cadres.xlsx").replace("firms.csv", "firms.xlsx")
    folder = make_scenario(yaml=yaml + yaml_extra, cadres=None, firms=None)
    workbook(folder / "cadres.xlsx", cadres, **kw)
    workbook(folder / "firms.xlsx", firms)
    return folder


def test_xlsx_with_chinese_headers_reads_like_the_csv(make_scenario):
    csv = load_scenario(make_scenario())
    xl = load_scenario(xlsx_scenario(make_scenario))
    for col in ("id", "name", "home_unit", "lat", "lon", "skills", "max_firms"):
        assert list(xl.cadres[col]) == list(csv.cadres[col]), col
    for col in ("id", "name", "lat", "lon", "needs"):
        assert list(xl.firms[col]) == list(csv.firms[col]), col
    assert list(xl.firms["priority"]) == [1, 0, 0]  # 是/否


def test_named_sheet_and_title_row(make_scenario):
    folder = xlsx_scenario(make_scenario, sheet="名单", title="某县驻企干部名单",
                           extra_sheets=["填写说明"], yaml_extra="cadres_sheet: 名单\n")
    assert list(load_scenario(folder).cadres["id"]) == ["c1", "c2"]


def test_missing_sheet_names_the_workbook_and_sheets(make_scenario):
    folder = xlsx_scenario(make_scenario, yaml_extra="cadres_sheet: 干部\n")
    with pytest.raises(ScenarioError, match=r"cadres.xlsx: no sheet '干部' \(sheets: Sheet1\)"):
        load_scenario(folder)


def test_errors_name_workbook_sheet_excel_row_and_header_as_written(make_scenario):
    bad = [r[:] for r in ZH_CADRES]
    bad[2][3] = "北纬38度"
    folder = xlsx_scenario(make_scenario, cadres=bad, sheet="名单", title="标题",
                           yaml_extra="cadres_sheet: 名单\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    assert "cadres.xlsx, sheet '名单', row 4, column '纬度': '北纬38度' is not a number" in str(
        info.value)


def test_unknown_chinese_category_is_named(make_scenario):
    bad = [r[:] for r in ZH_FIRMS]
    bad[1][5] = "贷款融资；养老"
    with pytest.raises(ScenarioError, match=r"row 2, column '需求': unknown category '养老'"):
        load_scenario(xlsx_scenario(make_scenario, firms=bad))


def test_csv_with_chinese_headers_and_separators(make_scenario):
    firms = "企业编号,企业名称,纬度,经度,优先级,问题类型\nf1,一,38.91,100.41,1,\"贷款融资,引才用工\"\n"
    s = load_scenario(make_scenario(firms=firms))
    assert s.firms["needs"].iloc[0] == ("financing", "hiring")
    with pytest.raises(ScenarioError, match=r"firms.csv, line 2, column '优先级'"):
        load_scenario(make_scenario(firms=firms.replace(",1,", ",高,")))


def test_not_a_workbook_is_an_input_error(make_scenario):
    folder = xlsx_scenario(make_scenario)
    (folder / "firms.xlsx").write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ScenarioError, match="firms.xlsx: cannot be read as an Excel workbook"):
        load_scenario(folder)


@pytest.mark.parametrize(("system", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_coordinates_converted_to_wgs84_on_load(make_scenario, system, forward):
    """Rosters written in Amap/Baidu coordinates load to the same WGS-84 points."""
    plain = load_scenario(make_scenario())

    def shifted(text: str) -> str:
        lines = text.strip().splitlines()
        head = lines[0].split(",")
        ilat, ilon = head.index("lat"), head.index("lon")
        out = [lines[0]]
        for line in lines[1:]:
            cells = line.split(",")
            la, lo = forward(float(cells[ilat]), float(cells[ilon]))
            cells[ilat], cells[ilon] = f"{float(la):.9f}", f"{float(lo):.9f}"
            out.append(",".join(cells))
        return "\n".join(out) + "\n"

    from tests.conftest import BASE_CADRES, BASE_FIRMS
    s = load_scenario(make_scenario(yaml=BASE_YAML + f"coordinates: {system}\n",
                                    cadres=shifted(BASE_CADRES), firms=shifted(BASE_FIRMS)))
    for a, b in ((s.cadres, plain.cadres), (s.firms, plain.firms)):
        assert np.allclose(a["lat"], b["lat"], atol=1e-6)  # about 0.1 m
        assert np.allclose(a["lon"], b["lon"], atol=1e-6)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_filled_in_loads(tmp_path, lang):
    """A blank template, filled in row by row as an office would, loads as written."""
    from assign.io.template import write_template

    folder = tmp_path / "县"
    write_template(folder, lang)
    wb = openpyxl.load_workbook(folder / "cadres.xlsx")
    assert wb.sheetnames == (["干部名单", "填写说明"] if lang == "zh" else ["cadres", "instructions"])
    wb.active.append(["C1", "甲", "县工信局", 38.9, 100.4, "贷款融资、引才用工" if lang == "zh"
                      else "financing;hiring", 2, None, ""])
    wb.save(folder / "cadres.xlsx")
    wb = openpyxl.load_workbook(folder / "firms.xlsx")
    wb.active.append(["F1", "一厂", "食品", 38.91, 100.41, 120, "是", "引才用工"])
    wb.save(folder / "firms.xlsx")
    s = load_scenario(folder)
    assert s.cadres["skills"].iat[0] == (("financing", 1.0), ("hiring", 1.0))
    assert s.firms["priority"].iat[0] == 1 and s.firms["needs"].iat[0] == ("hiring",)
    if lang == "zh":  # the zh template reads Amap (GCJ-02) coordinates: shifted to WGS-84
        assert s.cadres["lat"].iat[0] != 38.9
    with pytest.raises(ScenarioError, match="exists already"):
        write_template(folder, lang)


def test_template_command(tmp_path):
    from typer.testing import CliRunner

    from zhuqi.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["template", str(tmp_path / "t"), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "t" / "firms.xlsx").is_file()
    res = runner.invoke(app, ["template", str(tmp_path / "t")])
    assert res.exit_code == 2
