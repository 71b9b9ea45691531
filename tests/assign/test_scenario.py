"""Loading scenarios: encodings, defaults, overrides, and every kind of bad input."""

from __future__ import annotations

import pytest

from assign import ScenarioError, ScenarioWarning, load_scenario
from tests.conftest import BASE_CADRES, BASE_FIRMS, BASE_YAML


def problems_of(path, overrides=None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return str(info.value)


def test_loads_base_scenario_with_defaults(make_scenario):
    """Optional columns are filled: max_firms from the default, priority 0."""
    s = load_scenario(make_scenario())
    assert list(s.cadres["id"]) == ["c1", "c2"]
    assert list(s.cadres["max_firms"]) == [2, 1]
    assert s.firms["needs"].iloc[1] == ("cost_reduction", "hiring")
    assert s.cadres["skills"].iloc[0] == (("financing", 1.0), ("hiring", 1.0))


def test_yaml_file_or_folder(make_scenario):
    folder = make_scenario()
    assert load_scenario(folder / "scenario.yaml").name == load_scenario(folder).name


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_reads_excel_encodings(make_scenario, encoding):
    """CSV saved by Excel on Chinese Windows (GBK) or with a BOM reads the same."""
    s = load_scenario(make_scenario(firms=BASE_FIRMS.encode(encoding)))
    assert s.firms["name"].iloc[0] == "企业一"
    assert list(s.firms.columns[:2]) == ["id", "name"]


def test_override_by_dotted_key(make_scenario):
    s = load_scenario(make_scenario(), {"assignment.max_distance_km": 30})
    assert s.config.assignment.max_distance_km == 30


def test_one_to_one_caps_max_firms(make_scenario):
    yaml = BASE_YAML.replace("one_to_many", "one_to_one")
    cadres = BASE_CADRES.replace("cost_reduction,1", "cost_reduction,3")
    with pytest.warns(ScenarioWarning, match="caps max_firms"):
        s = load_scenario(make_scenario(yaml=yaml, cadres=cadres))
    assert list(s.cadres["max_firms"]) == [1, 1]


BAD_CASES = {
    "missing required column": (
        dict(firms="name,lat,lon\n企业,38.9,100.4\n"),
        ["firms.csv", "column 'id'", "required column is missing"],
    ),
    "duplicate id": (
        dict(firms=BASE_FIRMS + "f2,重复,38.9,100.4,0,hiring\n"),
        ["firms.csv, line 5, column 'id'", "duplicate id 'f2' (first on line 3)"],
    ),
    "non-numeric coordinate": (
        dict(cadres=BASE_CADRES.replace("38.95", "北纬38")),
        ["cadres.csv, line 3, column 'lat'", "'北纬38' is not a number"],
    ),
    "out-of-range coordinate": (
        dict(firms=BASE_FIRMS.replace("100.49", "200.49")),
        ["firms.csv, line 3, column 'lon'", "above the maximum 180"],
    ),
    "negative limit": (
        dict(cadres=BASE_CADRES.replace("cost_reduction,1", "cost_reduction,-1")),
        ["cadres.csv, line 3, column 'max_firms'", "below the minimum 0"],
    ),
    "non-integer limit": (
        dict(cadres=BASE_CADRES.replace("cost_reduction,1", "cost_reduction,2.5")),
        ["cadres.csv, line 3, column 'max_firms'", "'2.5' is not a whole number"],
    ),
    "unknown category": (
        dict(firms=BASE_FIRMS.replace("1,financing", "1,finance")),
        ["firms.csv, line 2, column 'needs'", "unknown category 'finance'"],
    ),
    "misspelt yaml key": (
        dict(yaml=BASE_YAML.replace("max_distance_km", "max_distanse_km")),
        ["scenario.yaml, line 8, key 'assignment.max_distanse_km'", "unknown key"],
    ),
    "bad enum value": (
        dict(yaml=BASE_YAML.replace("mode: one_to_many", "mode: one_to_two")),
        ["key 'assignment.mode'", "'one_to_two' is not allowed", "one_to_one"],
    ),
    "negative yaml limit": (
        dict(yaml=BASE_YAML.replace("max_firms_per_cadre: 2", "max_firms_per_cadre: -2")),
        ["key 'assignment.max_firms_per_cadre'", "greater than 0"],
    ),
    "missing file": (dict(firms=None), ["firms.csv: file not found"]),
    "missing yaml": (dict(yaml=None), ["scenario.yaml: file not found"]),
    "table with no rows": (dict(firms="id,name,lat,lon\n"), ["firms.csv: the table has no rows"]),
    "short row": (
        dict(firms=BASE_FIRMS + "f4,企业四\n"),
        ["firms.csv, line 5", "different number of fields than the header"],
    ),
    "long row": (
        dict(firms=BASE_FIRMS + "f4,企业四,1,2,3,4,5,6\n"),
        ["firms.csv", "line 5"],
    ),
    "pairs with unknown ids": (
        dict(
            yaml=BASE_YAML.replace("firms: firms.csv", "firms: firms.csv\npairs: pairs.csv"),
            **{"pairs.csv": "cadre_id,firm_id,cost,load\nc1,f1,1,1\nc9,f2,2,1\nc2,f7,3,1\n"},
        ),
        ["pairs.csv, line 3, column 'cadre_id': unknown id 'c9'",
         "pairs.csv, line 4, column 'firm_id': unknown id 'f7'"],
    ),
    "missing location": (
        dict(cadres=BASE_CADRES.replace("38.95,100.50", ",")),
        ["cadres.csv, line 3, column 'lat'", "a location is needed"],
    ),
    "not yaml": (dict(yaml="name: [unclosed\n"), ["scenario.yaml", "not valid YAML"]),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_names_where(make_scenario, case):
    """Each kind of bad input is reported with its file, line and column (or key)."""
    files, expected = BAD_CASES[case]
    text = problems_of(make_scenario(**files))
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


def test_every_problem_reported_at_once(make_scenario):
    cadres = BASE_CADRES.replace("38.95", "x").replace("cost_reduction,1", "cost_reduction,-3")
    firms = BASE_FIRMS.replace("1,financing", "1,loans").replace("f3,", "f1,")
    text = problems_of(make_scenario(cadres=cadres, firms=firms))
    assert "4 problems" in text
    for fragment in ("'x' is not a number", "below the minimum 0", "unknown category 'loans'",
                     "duplicate id 'f1'"):
        assert fragment in text


def test_bad_override_names_the_set_option(make_scenario):
    text = problems_of(make_scenario(), {"assignment.require_skills": "most"})
    assert "--set assignment.require_skills=most" in text
    assert "'most' is not allowed" in text


def test_unknown_column_warns(make_scenario):
    with pytest.warns(ScenarioWarning, match="unknown columns"):
        firms = "".join(line + ",1\n" for line in BASE_FIRMS.splitlines())
        load_scenario(make_scenario(firms=firms.replace("needs,1", "needs,colour", 1)))
