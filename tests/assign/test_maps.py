"""The HTML map for an office without internet: legend, title, Chinese popups with the reason
for an uncovered firm, metric scale, a configurable tile server in its own coordinate
system, the road graph or the points' extent as background, nothing fetched but tiles."""

from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from assign import load_scenario, solve
from assign.io.maps import tile_source, write_map
from zhuqi.cli import app

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def qz():
    s = load_scenario(SCENARIOS / "quanzhou-2020", {"assignment.max_firms_per_cadre": 2})
    return s, solve(s)


def _markers(page: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in
            re.findall(r"L\.circleMarker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", page)]


def test_offline_map_in_chinese(qz, tmp_path):
    """Before: no title, no legend, English popups, imperial scale, OSM tiles only, a blank
    background offline."""
    s, plan = qz
    assert len(plan.uncovered) == 5  # 31 firms, 13 cadres x 2
    page = write_map(plan, s, tmp_path / "m.html", tiles="none", lang="zh").read_text("utf-8")
    assert "zhuqi-title" in page and "quanzhou-2020" in page and "26/31" in page
    assert "zhuqi-legend" in page and "未覆盖企业" in page and "已结对企业" in page
    assert page.count("原因: 可服务该企业的干部均已满额") == 5  # all five: capacity used up
    assert "imperial: false" in page
    assert "tile.openstreetmap.org" not in page
    assert "L.rectangle" in page and "点位范围" in page  # no tiles, no roads: the extent
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", page)  # nothing fetched
    assert len(_markers(page)) == 31


def test_tiles_in_their_own_coordinate_system(qz, tmp_path):
    s, plan = qz
    firms = s.firms
    wgs = sorted(zip(firms["lat"].round(6), firms["lon"].round(6), strict=True))
    osm = write_map(plan, s, tmp_path / "a.html", tiles="osm").read_text("utf-8")
    assert sorted((round(a, 6), round(b, 6)) for a, b in _markers(osm)) == wgs
    url = "http://10.1.2.3/tiles/tianditu_w/{z}/{x}/{y}.png"
    intranet = write_map(plan, s, tmp_path / "b.html", tiles=url).read_text("utf-8")
    assert "10.1.2.3/tiles/tianditu_w" in intranet
    assert sorted((round(a, 6), round(b, 6)) for a, b in _markers(intranet)) == wgs
    amap = write_map(plan, s, tmp_path / "c.html", tiles="amap").read_text("utf-8")
    shifted = np.array(sorted(_markers(amap)))
    # GCJ-02 moves points in Fujian by a few hundred metres: about 0.001-0.01 degrees
    gap = np.abs(shifted - np.array(wgs)).max(axis=1)
    assert (gap > 5e-4).all() and (gap < 1e-2).all()
    assert tile_source("http://x/{z}/{x}/{y}.png#gcj02")[1] == "gcj02"
    assert tile_source("http://webrd01.is.autonavi.com/{z}/{x}/{y}")[1] == "gcj02"
    with pytest.raises(ValueError, match="URL template"):
        tile_source("http://x/tiles")


def test_road_graph_is_the_background(tmp_path):
    s = load_scenario(SCENARIOS / "zhangye-2022")
    plan = solve(s)
    page = write_map(plan, s, tmp_path / "z.html", tiles="none", lang="zh").read_text("utf-8")
    assert "道路" in page and "L.rectangle" not in page


def test_cli_tiles_option(tmp_path):
    runner = CliRunner()
    qz = str(SCENARIOS / "quanzhou-2020")
    res = runner.invoke(app, ["solve", qz, "--map", str(tmp_path / "m.html"), "--tiles", "nope"])
    assert res.exit_code == 2 and "URL template" in res.output
    res = runner.invoke(app, ["solve", qz, "--map", str(tmp_path / "m.html"), "--tiles", "none",
                              "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert "已结对企业" in (tmp_path / "m.html").read_text("utf-8")


def test_scale_control_follows_the_map(qz, tmp_path):
    """The metric scale is added after the map is created (else the page stays blank)."""
    s, plan = qz
    page = write_map(plan, s, tmp_path / "m.html", tiles="none").read_text("utf-8")
    assert page.index("= L.map(") < page.index("L.control.scale({imperial: false")
