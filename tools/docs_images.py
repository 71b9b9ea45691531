"""Render the pictures in docs/ shown by the README (map and staffing chart).

Run from the project root: ``.venv/bin/python tools/docs_images.py`` (needs Chromium).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from assign import load_scenario, solve
from assign.io.maps import write_map
from sim import compare_staffing
from sim.plots import comparison_figure, save_figure

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    scenario = load_scenario(ROOT / "scenarios" / "quanzhou-2020")
    with tempfile.TemporaryDirectory() as tmp:
        html = write_map(solve(scenario), scenario, Path(tmp) / "map.html")
        chromium = shutil.which("chromium")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 900, "height": 620})
            page.goto(html.as_uri())
            page.wait_for_selector(".leaflet-marker-icon")
            page.wait_for_timeout(500)
            page.screenshot(path=str(DOCS / "quanzhou-map.png"))
            browser.close()
    zhangye = load_scenario(ROOT / "scenarios" / "zhangye-2022")
    result = compare_staffing(zhangye, [5, 10, 20, 50, 103], replications=10, seed=1)
    save_figure(comparison_figure(result), DOCS / "zhangye-staffing.png")


if __name__ == "__main__":
    main()
