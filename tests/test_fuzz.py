"""Corrupted input, fuzzed with hypothesis: a valid scenario or exit 2 naming the file.

Each test starts from a small valid scenario (CSV or XLSX rosters, a road graph as OSM
XML, GraphML or CSV) and corrupts one input: cells replaced by awkward values, bytes
flipped, inserted or cut, yaml keys given odd values. Allowed outcomes:

- ``load_scenario`` returns a scenario, or raises ``ScenarioError`` whose every problem
  names one of the scenario's files (or the yaml key);
- ``zhuqi solve --out`` exits 0 with the output written, 1 (no plan), or 2 with ``error:`` naming
  the file and no output file (nor a temporary one) left behind; never a traceback.

The number of examples is small by default (the test run stays fast); set
``ZHUQI_FUZZ_EXAMPLES`` for a longer campaign, and ``-s`` to see the outcome counts.
"""

from __future__ import annotations

import collections
import io
import os
import tempfile
import warnings
from pathlib import Path

import networkx as nx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from assign import ScenarioError, load_scenario
from zhuqi.cli import app

EXAMPLES = int(os.environ.get("ZHUQI_FUZZ_EXAMPLES", "10"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
OUTCOMES: collections.Counter = collections.Counter()

YAML = """\
name: fuzz
cadres: {cadres}
firms: {firms}
{roads}assignment:
  mode: one_to_many
  max_firms_per_cadre: 2
  max_distance_km: 50
  require_skills: primary
  objective: distance
"""
CADRES = [["id", "name", "home_unit", "lat", "lon", "skills", "max_firms"],
          ["c1", "甲", "水务局", "38.90", "100.40", "financing;hiring", ""],
          ["c2", "乙", "工信局", "38.95", "100.50", "cost_reduction", "1"]]
FIRMS = [["id", "name", "lat", "lon", "priority", "needs"],
         ["f1", "企业一", "38.91", "100.41", "1", "financing"],
         ["f2", "企业二", "38.94", "100.49", "0", "cost_reduction;hiring"],
         ["f3", "企业三", "38.92", "100.45", "0", "hiring"]]
OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="38.90" lon="100.40"/>
  <node id="2" lat="38.92" lon="100.45"/>
  <node id="3" lat="38.95" lon="100.50"/>
  <node id="4" lat="38.91" lon="100.41"/>
  <node id="5" lat="38.94" lon="100.49"/>
  <way id="1"><nd ref="1"/><nd ref="4"/><nd ref="2"/><nd ref="5"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="maxspeed" v="60"/></way>
  <way id="2"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
    <tag k="oneway" v="yes"/></way>
</osm>
"""

AWKWARD = st.sampled_from([
    "", " ", "nan", "NaN", "inf", "-inf", "1e400", "-1", "0", "1.5", "abc", "北纬38度", "是",
    "贷款融资、引才用工", "financing:2", "financing:abc", ";;", "，", "\"", "'", "\n", "\r\n",
    "a,b", "=1/0", "\x00", "\ufeff", "x" * 300, "38.9.1", "１２", "None", "TRUE", "-", "#",
])
CELL_VALUES = st.one_of(AWKWARD, st.text(max_size=12),
                        st.floats(allow_nan=True, allow_infinity=True).map(repr),
                        st.integers(-10**12, 10**12).map(str))


def csv_bytes(rows: list[list[str]]) -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_xlsx(path: Path, rows: list[list]) -> None:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)


def graphml_bytes() -> bytes:
    g = nx.DiGraph()
    for k, (la, lo) in enumerate([(38.90, 100.40), (38.92, 100.45), (38.95, 100.50),
                                  (38.91, 100.41), (38.94, 100.49)]):
        g.add_node(str(k), y=la, x=lo)
    for u, v in [("0", "3"), ("3", "1"), ("1", "4"), ("4", "2")]:
        g.add_edge(u, v, length=3000.0, highway="primary")
        g.add_edge(v, u, length=3000.0, highway="primary")
    buf = io.BytesIO()
    nx.write_graphml(g, buf)
    return buf.getvalue()


def mutate_bytes(data: bytes, draw) -> bytes:
    """Flip, insert or cut bytes at drawn places."""
    kind = draw(st.sampled_from(["flip", "insert", "cut", "truncate"]))
    if not data:
        return data
    at = draw(st.integers(0, 10**6)) % len(data)  # the same draws whatever the file's size
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "cut":
        return data[:at] + data[at + draw(st.integers(1, 16)):]
    return data[:at]


def mutate_rows(rows: list[list[str]], draw) -> list[list]:
    rows = [r[:] for r in rows]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["cell", "cell", "header", "drop_row", "dup_row", "ragged"]))
        r = draw(st.integers(0, len(rows) - 1))
        if kind == "cell":
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(CELL_VALUES)
        elif kind == "header":
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(st.sampled_from(
                ["", "id", "纬度", "lat ", "编号", "x", "needs", "Unnamed: 3"]))
        elif kind == "drop_row" and len(rows) > 1:
            del rows[r]
        elif kind == "dup_row":
            rows.insert(r, rows[r][:])
        elif kind == "ragged":
            rows[r] = rows[r] + [draw(CELL_VALUES)] if draw(st.booleans()) else rows[r][:-1]
    return rows


def build(folder: Path, draw, target: str) -> None:
    """Write a scenario into ``folder`` with ``target`` corrupted."""
    folder.mkdir(parents=True, exist_ok=True)
    cadres, firms = CADRES, FIRMS
    fmt = "xlsx" if target.startswith("xlsx") else "csv"
    road = draw(st.sampled_from(["", "osm", "graphml", "folder"])) if target != "roads" else (
        draw(st.sampled_from(["osm", "graphml", "folder"])))
    if target in ("csv", "xlsx"):
        if draw(st.booleans()):
            cadres = mutate_rows(cadres, draw)
        else:
            firms = mutate_rows(firms, draw)
    for name, rows in (("cadres", cadres), ("firms", firms)):
        if fmt == "csv":
            data = csv_bytes(rows)
            if target == "csv_bytes" and name == "firms":
                data = mutate_bytes(data, draw)
            (folder / f"{name}.csv").write_bytes(data)
        else:
            typed = [[_typed(v) for v in row] for row in rows]
            write_xlsx(folder / f"{name}.xlsx", typed)
            if target == "xlsx_bytes" and name == "cadres":
                p = folder / "cadres.xlsx"
                p.write_bytes(mutate_bytes(p.read_bytes(), draw))
    roads_line = ""
    if road == "osm":
        data = OSM.encode()
        if target == "roads":
            data = mutate_bytes(data, draw) if draw(st.booleans()) else OSM.replace(
                draw(st.sampled_from(['"38.90"', '"60"', '"yes"', '"primary"', 'ref="4"', '"1"'])),
                '"' + draw(AWKWARD).replace('"', "") + '"', 1).encode()
        (folder / "roads.osm").write_bytes(data)
        roads_line = "roads: roads.osm\n"
    elif road == "graphml":
        data = graphml_bytes()
        if target == "roads":
            data = mutate_bytes(data, draw)
        (folder / "roads.graphml").write_bytes(data)
        roads_line = "roads: roads.graphml\n"
    elif road == "folder":
        (folder / "roads").mkdir(exist_ok=True)
        nodes = [["id", "lat", "lon"], ["a", "38.90", "100.40"], ["b", "38.92", "100.45"],
                 ["c", "38.95", "100.50"]]
        edges = [["u", "v", "length_m", "speed_kmh", "oneway"], ["a", "b", "5000", "40", "no"],
                 ["b", "c", "6000", "", "no"], ["c", "a", "9000", "60", "yes"]]
        if target == "roads":
            if draw(st.booleans()):
                nodes = mutate_rows(nodes, draw)
            else:
                edges = mutate_rows(edges, draw)
        (folder / "roads" / "nodes.csv").write_bytes(csv_bytes(nodes))
        (folder / "roads" / "edges.csv").write_bytes(csv_bytes(edges))
        roads_line = "roads: roads\n"
    text = YAML.format(cadres=f"cadres.{fmt}", firms=f"firms.{fmt}", roads=roads_line)
    if target == "yaml":
        if draw(st.booleans()):
            text = mutate_bytes(text.encode(), draw).decode("utf-8", "replace")
        else:
            key = draw(st.sampled_from(["name", "cadres", "firms", "mode", "max_distance_km",
                                        "objective", "max_firms_per_cadre", "require_skills"]))
            lines = text.splitlines()
            k = next(i for i, line in enumerate(lines) if line.strip().startswith(key + ":"))
            indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
            value = draw(st.sampled_from(["", "[]", "{}", "-1", "0", "abc", "1e400", "null",
                                          "!!python/object:os.system x", "[1, 2", "'", "yes"]))
            lines[k] = f"{indent}{key}: {value}"
            text = "\n".join(lines) + "\n"
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")


def _typed(v: str):
    """Cell values as Excel holds them: numbers as numbers where they parse."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    try:
        f = float(v)
    except ValueError:
        return ILLEGAL_CHARACTERS_RE.sub("", v)  # what Excel itself cannot hold
    return f if f == f and abs(f) != float("inf") else ILLEGAL_CHARACTERS_RE.sub("", v)


def check_load(folder: Path) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_scenario(folder)
    except ScenarioError as exc:
        for p in exc.problems:  # a file of the scenario (or one its yaml names), or an option
            assert p.file.startswith(str(folder)) or p.file.startswith("--"), (
                f"{p} names no input file")
        return "exit 2 (ScenarioError)"
    return "valid"


def check_cli(folder: Path) -> str:
    out = folder.parent / "out" / "pairs.csv"
    res = CliRunner().invoke(app, ["solve", str(folder), "--out", str(out)])
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), (
        f"traceback: {res.exception!r}\n{res.output}")
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 1, 2), res.output
    leftovers = list(out.parent.glob(".*.part")) if out.parent.exists() else []
    assert not leftovers, leftovers
    if res.exit_code == 2:
        assert "error:" in res.output
        assert not out.exists(), "an output file was written for invalid input"
        assert str(folder) in res.output.replace("\n", "") or "--" in res.output, res.output
    elif res.exit_code == 0:
        assert out.exists()
    return f"cli exit {res.exit_code}"


TARGETS = ["csv", "csv_bytes", "xlsx", "xlsx_bytes", "yaml", "roads"]


@pytest.mark.parametrize("target", TARGETS)
@FUZZ
@given(data=st.data())
def test_load_scenario_fuzzed(target, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scn"
        build(folder, data.draw, target)
        OUTCOMES[(target, "load", check_load(folder))] += 1


@pytest.mark.parametrize("target", TARGETS)
@FUZZ
@given(data=st.data())
def test_cli_solve_fuzzed(target, data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scn"
        build(folder, data.draw, target)
        OUTCOMES[(target, "cli", check_cli(folder))] += 1


def test_report_fuzz_outcomes(capsys):
    """Prints the outcome counts of the fuzz tests above (run with -s to see them)."""
    with capsys.disabled():
        for key, n in sorted(OUTCOMES.items()):
            print("fuzz", *key, n)
