"""One table vocabulary: what zhuqi writes it reads back; rosters typed by hand are read as meant.

Checks are against hand-computed facts of the inputs (counts, ids written into the files),
never against a second run of the same reader.
"""

from __future__ import annotations

import warnings

import openpyxl
import pandas as pd
import pytest

from assign import ScenarioError, load_scenario, read_pairing, read_previous, solve
from assign.insight.diff import diff_pairings, read_plan, write_diff
from assign.io.export import write_pairs
from assign.io.schema import SPECS, split_header, table_reference
from assign.io.tables import columns_of, read_table
from tests.conftest import BASE_YAML, SCENARIOS

QZ = SCENARIOS / "quanzhou-2020"


@pytest.fixture(scope="module")
def qz():
    scenario = load_scenario(QZ, {"assignment.max_firms_per_cadre": 2})
    return scenario, solve(scenario)


def _pairs(df) -> set[tuple[str, str]]:
    return set(zip(df["cadre_id"].astype(str), df["firm_id"].astype(str), strict=True))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_pairing_list_written_is_read_back_by_every_reader(qz, tmp_path, lang, fmt):
    """Before: a Chinese pairing list (the xlsx default, or --lang zh CSV) was refused by
    read_pairing ('cadre_id': required column is missing), so by explain --pairing and
    simulate --pairs."""
    scenario, plan = qz
    expected = _pairs(plan.pairs)
    assert len(expected) == 26  # 13 cadres x 2 places, every one used (see test_cli_insight)
    path = write_pairs(plan, tmp_path / f"pairs.{fmt}", lang=lang)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "ignoring unknown columns" for our own columns
        assert _pairs(read_pairing(path, scenario).pairs) == expected  # explain, simulate
        assert _pairs(read_previous(path)) == expected  # solve --previous
        assert _pairs(read_plan(path)) == expected  # diff
    again = load_scenario(QZ, {"assignment.max_firms_per_cadre": 2,
                               "assignment.previous": str(path)})
    assert _pairs(again.previous) == expected


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_pins_in_either_language_and_format(make_scenario, lang, fmt, tmp_path):
    """Before: a pinned.csv headed 干部编号,企业编号 was refused (required column missing)."""
    heads = ["干部编号", "企业编号", "备注"] if lang == "zh" else ["cadre_id", "firm_id", "note"]
    rows = [heads, ["c2", "f3", "手工指定"]]
    yaml = BASE_YAML.replace("objective: distance",
                             f"objective: distance\n  pinned: pinned.{fmt}")
    folder = make_scenario(yaml=yaml)
    if fmt == "csv":
        (folder / "pinned.csv").write_text("\n".join(",".join(r) for r in rows) + "\n",
                                           encoding="utf-8-sig")
    else:
        wb = openpyxl.Workbook()
        wb.active.title = "指定结对"
        wb.active.append(["某某县指定结对名单"])  # a title row above the header
        for r in rows:
            wb.active.append(r)
        wb.save(folder / "pinned.xlsx")
    scenario = load_scenario(folder)
    assert _pairs(scenario.pinned) == {("c2", "f3")}
    assert ("c2", "f3") in _pairs(solve(scenario).pairs)


def _written_tables(qz, tmp_path, lang):
    """(kind, path, sheet) of every table kind zhuqi writes, in ``lang``, both formats."""
    from assign import explain
    from assign.insight.explain import write_explanation

    scenario, plan = qz
    out = []
    for fmt in ("csv", "xlsx"):
        p = write_pairs(plan, tmp_path / f"pairs-{lang}.{fmt}", lang=lang)
        out.append(("pairing", p, None))
        if fmt == "xlsx":
            names = ("干部工作量", "未覆盖企业") if lang == "zh" else ("cadres", "uncovered")
            out += [("cadre_loads", p, names[0]), ("uncovered", p, names[1])]
        moved = plan.pairs.assign(cadre_id=plan.pairs["cadre_id"].iloc[::-1].to_numpy())
        d = write_diff(diff_pairings(plan, moved), tmp_path / f"diff-{lang}.{fmt}", lang=lang)
        out.append(("diff", d, None))
    ex = explain(scenario, plan, firms=[plan.pairs["firm_id"].iat[0]])
    out.append(("explanation", write_explanation(ex, tmp_path / f"why-{lang}.csv", lang=lang),
                None))
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_written_table_is_described_by_its_kind(qz, tmp_path, lang):
    """Every header a writer puts out is a header of its kind (read with no unknown column)."""
    for kind, path, sheet in _written_tables(qz, tmp_path, lang):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            df, problems = read_table(path, columns_of(kind), str(path), sheet=sheet)
        assert not problems, (kind, path, problems)
        assert len(df) > 0 and set(df.columns) <= set(SPECS[kind].keys()), (kind, path)


def test_table_reference_lists_every_kind():
    ref = table_reference()
    assert list(ref.columns[:7]) == ["kind", "key", "zh", "type", "unit", "required",
                                     "also_read"]
    kinds = set(ref["kind"])
    assert {"cadres", "firms", "pairs", "pinned", "forbidden", "pairing", "previous",
            "explanation", "diff", "cadre_loads", "uncovered", "teams"} <= kinds
    row = ref[(ref["kind"] == "cadres") & (ref["key"] == "max_firms")].iloc[0]
    assert row["zh"] == "最多联系企业数" and row["unit"] == "家" and row["type"] == "int"
    assert not ref.duplicated(["kind", "key"]).any()
    assert not ref.duplicated(["kind", "zh"]).any()


def test_headers_are_normalised():
    assert split_header("最多联系企业数（家）") == ("最多联系企业数", "家")
    assert split_header(" 纬度 （度） ") == ("纬度", "度")
    assert split_header("Distance_KM") == ("distance_km", None)
    assert split_header("距离(公里)") == ("距离", "公里")


# ---------------------------------------------------------------- rosters typed by hand

QZ_FIRMS = (QZ / "firms.csv").read_text(encoding="utf-8-sig")


def _qz_with_cadres(folder, header: str, value: str):
    """Quanzhou's 13 cadres with a max_firms column headed ``header``, all ``value``."""
    lines = (QZ / "cadres.csv").read_text(encoding="utf-8-sig").splitlines()
    text = "\n".join([lines[0] + "," + header] + [ln + "," + value for ln in lines[1:]]) + "\n"
    (folder / "cadres.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("header,value", [
    ("最多联系企业数（家）", "1"), ("最多联系企业数 (家)", "１"), ("最多联系企业数", "1家"),
    ("max_firms", "1"), ("Max_Firms", "1个"),
])
def test_a_unit_in_the_header_or_cell_is_read(make_scenario, header, value):
    """Before: 最多联系企业数（家）=1 was ignored with a warning, and the plan put up to 3
    firms on a cadre (31 of 31 covered, exit 0). With one firm each, 13 cadres cover 13."""
    yaml = (QZ / "scenario.yaml").read_text(encoding="utf-8")
    folder = _qz_with_cadres(make_scenario(yaml=yaml, firms=QZ_FIRMS), header, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = load_scenario(folder)
    assert (scenario.cadres["max_firms"] == 1).all()
    plan = solve(scenario)
    assert plan.assigned == 13
    assert plan.pairs["cadre_id"].value_counts().max() == 1


@pytest.mark.parametrize("header,closest", [
    ("最多联系企业数量", "最多联系企业数"), ("max_firm", "max_firms"), ("每周工作小时数", "每周工作小时"),
])
def test_a_near_miss_header_is_an_error_naming_the_closest(make_scenario, header, closest):
    """Before: a near-miss header was a warning and the column was ignored."""
    yaml = (QZ / "scenario.yaml").read_text(encoding="utf-8")
    folder = _qz_with_cadres(make_scenario(yaml=yaml, firms=QZ_FIRMS), header, "1")
    with pytest.raises(ScenarioError) as e:
        load_scenario(folder)
    text = str(e.value)
    assert f"column '{header}'" in text and f"'{closest}'" in text and "line 1" in text


def test_a_unit_that_is_not_the_columns_is_an_error(make_scenario):
    yaml = (QZ / "scenario.yaml").read_text(encoding="utf-8")
    folder = _qz_with_cadres(make_scenario(yaml=yaml, firms=QZ_FIRMS), "每周工作小时（分钟）", "1")
    with pytest.raises(ScenarioError, match=r"unit '分钟'.*in 小时"):
        load_scenario(folder)
    folder = _qz_with_cadres(make_scenario(yaml=yaml, firms=QZ_FIRMS), "最多联系企业数", "3公里")
    with pytest.raises(ScenarioError) as e:
        load_scenario(folder)
    assert "line 2, column '最多联系企业数'" in str(e.value) and "'公里'" in str(e.value)


def test_full_width_numbers_short_category_forms_and_a_clerks_workbook(make_scenario):
    """A roster typed the way a clerk types it: title row, full-width digits and spaces,
    units in headers and cells, short category labels; every value read as meant."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "干部名单"
    ws.append(["某某县驻企干部名单"])
    ws.append(["干部编号", "姓名", "纬度（度）", "经度（度）", "专长", "最多联系企业数（家）",
               "每周工作小时"])
    ws.append(["c1", "甲", "３８.９０", "100.40", "融资、用工", "2家", "２４.５"])
    ws.append(["ｃ２", "乙", "38.95", "100.50", "降本增效；政策", "１", "8小时"])
    wb.save(tmp := make_scenario(cadres=None).joinpath("cadres.xlsx"))
    yaml = BASE_YAML.replace("cadres: cadres.csv", "cadres: cadres.xlsx")
    firms = "企业编号,企业名称,纬度,经度,重点企业,需求\nf1,一,38.91,100.41,是,融资\n" \
            "f2,二,38.94,100.49,否,降本\nf3,三,38.92,100.45,否,招工\n"
    make_scenario(yaml=yaml, firms=firms)
    s = load_scenario(tmp.parent)
    c = s.cadres.set_index("id")
    assert list(c.index) == ["c1", "c2"]
    assert c.loc["c1", "lat"] == pytest.approx(38.90)
    assert c.loc["c1", "max_firms"] == 2 and c.loc["c2", "max_firms"] == 1
    assert c.loc["c1", "max_workload"] == 24.5 and c.loc["c2", "max_workload"] == 8
    assert [k for k, _ in c.loc["c1", "skills"]] == ["financing", "hiring"]
    assert [k for k, _ in c.loc["c2", "skills"]] == ["cost_reduction", "policy"]
    f = s.firms.set_index("id")
    assert list(f["priority"]) == [1, 0, 0]
    assert [n[0] for n in f["needs"]] == ["financing", "cost_reduction", "hiring"]


def test_workbook_errors_name_sheet_excel_row_and_header_as_written(make_scenario):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "干部名单"
    ws.append(["某某县驻企干部名单"])
    ws.append(["干部编号", "最多联系企业数（家）", "专长"])
    for k in range(4):
        ws.append([f"c{k}", "1", "融资"])
    ws.append(["c9", "3人", "理发"])  # Excel row 7
    wb.save(tmp := make_scenario(cadres=None).joinpath("cadres.xlsx"))
    make_scenario(yaml=BASE_YAML.replace("cadres: cadres.csv", "cadres: cadres.xlsx"))
    with pytest.raises(ScenarioError) as e:
        load_scenario(tmp.parent)
    text = str(e.value)
    assert "sheet '干部名单', row 7, column '最多联系企业数（家）'" in text
    assert "'人'" in text
    assert "sheet '干部名单', row 7, column '专长'" in text and "'理发'" in text
    assert "financing (贷款融资)" in text


# ---------------------------------------------------------------- CSV title rows (item 11)

def test_csv_with_a_title_row_reads_like_the_workbook(make_scenario):
    """Before: a CSV roster with a title row above the header was refused (the same roster
    as xlsx was read)."""
    from tests.conftest import BASE_CADRES

    plain = load_scenario(make_scenario())
    titled = load_scenario(make_scenario(cadres="XX县驻企干部名单,,,,,,\n" + BASE_CADRES))
    pd.testing.assert_frame_equal(plain.cadres, titled.cadres)
    bad = "XX县驻企干部名单\nid,name\n" + BASE_CADRES.splitlines()[1] + ",x\n"
    with pytest.raises(ScenarioError) as e:
        load_scenario(make_scenario(cadres=bad))
    assert "line 3" in str(e.value)  # lines as in the file, the title counted


def test_csv_without_a_header_row_names_the_file_and_what_was_looked_for(make_scenario):
    folder = make_scenario(cadres="某某县名单\n甲,乙,丙\n1,2,3\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(folder)
    text = str(e.value)
    assert "cadres.csv" in text and "no header row found" in text
    assert "id / 干部编号" in text


# ---------------------------------------------------------------- --set over a shorthand (item 12)

def test_set_over_a_shorthand_expands_it_first():
    """Before: --set roads.access_kmh=20 with 'roads: roads' in the yaml failed with
    "key 'roads.path': Field required" (the shorthand was replaced by {access_kmh: 20})."""
    from assign.config import SHORTHANDS
    from assign.io.scenario import apply_overrides

    for dotted, key in SHORTHANDS.items():  # every key that has a shorthand
        data = apply_overrides({dotted: "here"}, {f"{dotted}.other": 1})
        assert data[dotted] == {key: "here", "other": 1}
    assert apply_overrides({"a": {"b": 1}}, {"a.c": 2}) == {"a": {"b": 1, "c": 2}}
    s = load_scenario(SCENARIOS / "zhangye-2022", {"roads.access_kmh": 20})
    assert s.config.roads is not None and s.config.roads.access_kmh == 20
    assert str(s.config.roads.path) == "roads"


def test_pin_errors_name_the_sheet_and_excel_row(make_scenario):
    """Before: a pin workbook's unknown id was reported at 'line 2' (the row counted from the
    header, the sheet not named) whatever the rows above it."""
    yaml = BASE_YAML.replace("objective: distance", "objective: distance\n  pinned: pinned.xlsx")
    folder = make_scenario(yaml=yaml)
    wb = openpyxl.Workbook()
    wb.active.title = "指定结对"
    for r in (["某某县指定结对名单"], ["干部编号", "企业编号"], ["c1", "f1"], ["c9", "f2"]):
        wb.active.append(r)
    wb.save(folder / "pinned.xlsx")
    with pytest.raises(ScenarioError) as e:
        load_scenario(folder)
    assert "sheet '指定结对', row 4, column '干部编号': unknown id 'c9'" in str(e.value)


def test_template_headers_are_the_schemas():
    from assign.io.schema import spec
    from assign.io.template import CADRE_FIELDS, FIRM_FIELDS

    for kind, fields in (("cadres", CADRE_FIELDS), ("firms", FIRM_FIELDS)):
        assert [zh for _, zh, _, _ in fields] == [spec(kind).field(k).zh for k, _, _, _ in fields]


def test_pairing_list_errors_name_sheet_row_and_header_as_written(qz, tmp_path):
    """Before: a Chinese pairing workbook's problems were reported as 'line 2, column
    cadre_id' (no sheet, the English key)."""
    scenario, plan = qz
    bad = plan.pairs.copy()
    bad.loc[bad.index[4], "cadre_id"] = "nobody"
    path = write_pairs(plan.__class__(**{**plan.__dict__, "pairs": bad}), tmp_path / "x.xlsx")
    with pytest.raises(ScenarioError) as e:
        read_pairing(path, scenario)
    assert "sheet '结对名单', row 6, column '干部编号': unknown id 'nobody'" in str(e.value)
