"""Outputs for a county office: Excel with Chinese headers, CSV headers by language,
and the HTML map, rendered in a real headless Chromium."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from assign import load_scenario, solve
from tests.conftest import SCENARIOS
from tests.sim.test_dashboard import ARGS, CHROMIUM, _needs_browser
from zhuqi.cli import app

runner = CliRunner()
QZ = SCENARIOS / "quanzhou-2020"


def test_xlsx_chinese_headers_and_sheets(tmp_path):
    out = tmp_path / "pairs.xlsx"
    res = runner.invoke(app, ["solve", str(QZ), "--out", str(out), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(out, sheet_name=None)
    names = list(sheets)
    pairs, cadres, uncovered = (sheets[n] for n in names)
    assert list(pairs.columns[:6]) == ["干部编号", "干部姓名", "派出单位", "企业编号", "企业名称",
                                       "距离(公里)"]
    pairing = solve(load_scenario(QZ))
    assert len(pairs) == pairing.assigned
    assert set(pairs["企业编号"]) == set(pairing.pairs["firm_id"])
    assert {"联系企业数", "周工作量(小时)", "距离(公里)"} <= set(cadres.columns)
    assert len(cadres) == 13
    assert cadres["联系企业数"].sum() == pairing.assigned
    assert len(uncovered) == len(pairing.uncovered)
    assert uncovered["说明"].str.contains("干部").all()


@pytest.mark.parametrize("lang,first", [("en", "cadre_id"), ("zh", "干部编号")])
def test_csv_header_language(tmp_path, lang, first):
    out = tmp_path / "p.csv"
    res = runner.invoke(app, ["solve", str(QZ), "--out", str(out), "--lang", lang])
    assert res.exit_code == 0
    assert pd.read_csv(out, encoding="utf-8-sig").columns[0] == first


def test_map_html_is_self_contained(tmp_path):
    out = tmp_path / "map.html"
    res = runner.invoke(app, ["solve", str(QZ), "--map", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', text)
    assert scripts == [], f"external scripts would fail offline: {scripts}"
    assert "L.map" in text or "L.map(" in text.replace(" ", "")
    assert "泉州民营企业01" in text


def test_map_renders_offline_in_chromium(tmp_path):
    sync_api = _needs_browser()
    out = tmp_path / "map.html"
    runner.invoke(app, ["solve", str(QZ), "--map", str(out)])
    pairing = solve(load_scenario(QZ))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(out.as_uri())
            page.wait_for_selector(".leaflet-marker-icon", timeout=20_000)
            # one line per pair and one circle per firm; one square per cadre
            assert page.locator("path.leaflet-interactive").count() == pairing.assigned + 31
            assert page.locator(".leaflet-marker-icon").count() == 13
            page.locator("path.leaflet-interactive").last.click(force=True)
            page.wait_for_selector(".leaflet-popup-content", timeout=10_000)
            assert not errors, errors
        finally:
            browser.close()
