"""The xlsx pairing list prints: page set-up in plain tests, and a PDF made by LibreOffice
(skipped where it is absent; CI installs it) whose pages are counted and read back."""

from __future__ import annotations

import os
import shutil
import subprocess

import openpyxl
import pytest

from assign import load_scenario, solve, write_pairs
from assign.io.printing import column_width, skill_words, text_width
from tests.conftest import SCENARIOS

HEADERS_ZH = ["干部编号", "干部姓名", "派出单位", "企业编号", "企业名称", "距离(公里)", "专长匹配度",
              "成本", "周工作量(小时)"]


@pytest.fixture(scope="module")
def yifeng(tmp_path_factory):
    plan = solve(load_scenario(SCENARIOS / "yifeng-2020"))
    out = tmp_path_factory.mktemp("print")
    return plan, write_pairs(plan, out / "yifeng.xlsx", lang="zh"), write_pairs(
        plan, out / "yifeng-en.xlsx", lang="en")


def test_text_width_counts_chinese_twice():
    assert text_width("县人力资源和社会保障局") == 22
    assert text_width("YF-C001") == 7
    assert column_width("派出单位", ["县人力资源和社会保障局", "县商务局"]) == 24


def test_skill_match_words():
    assert [skill_words(v, "zh") for v in (1.0, 0.5, 0.0)] == ["是", "部分", "否"]
    assert skill_words(0.5, "en") == 0.5


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sheet_is_set_up_for_print(yifeng, lang):
    """Before: no title, no page numbers, header on the first page only, not fitted to the
    width, 派出单位 cut (width = characters + 4 for a two-unit-wide character)."""
    plan, zh, en = yifeng
    wb = openpyxl.load_workbook(zh if lang == "zh" else en)
    for ws in wb.worksheets:
        assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert "yifeng-2020" in ws.oddHeader.center.text and "&P" in ws.oddFooter.center.text
        assert "&N" in ws.oddFooter.center.text
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        status = ws.oddHeader.right.text
        assert ("最优" if lang == "zh" else "optimal") in status
    ws = wb.worksheets[0]
    head = [c.value for c in ws[1]]
    assert head == (HEADERS_ZH if lang == "zh" else list(plan.pairs.columns))
    unit = ws.column_dimensions["C"].width  # 派出单位 / home_unit
    longest = max(len(str(u)) for u in plan.pairs["home_unit"])  # all Chinese
    assert unit >= 2 * longest
    row = [c for c in ws[2]]
    assert row[5].number_format == "0.0" and row[8].number_format == "0.0"  # km, hours
    if lang == "zh":
        assert {c.value for c in ws["G"][1:]} <= {"是", "部分", "否"}
    else:
        assert row[6].number_format == "0%"


def _office() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _pdf_pages(xlsx, tmp_path) -> list[str]:
    office = _office()
    if office is None or shutil.which("pdftotext") is None:
        if os.environ.get("ZHUQI_REQUIRE_OFFICE"):
            pytest.fail("LibreOffice or pdftotext is not installed but ZHUQI_REQUIRE_OFFICE is set")
        pytest.skip("LibreOffice (soffice) and pdftotext (poppler-utils) are needed")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (xlsx.stem + ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    return [p for p in text.split("\f") if p.strip()]


def test_the_printed_list_has_every_column_and_the_header_on_every_page(yifeng, tmp_path):
    """Before: Yifeng's list printed on 21 A4 pages, the header on the first page only and
    县人力资源和社会保障局 cut."""
    plan, zh, _ = yifeng
    pages = _pdf_pages(zh, tmp_path)
    pairs_pages = [p for p in pages if "结对名单" in p.splitlines()[0]]
    # 192 pairs at a row each: a fitted A4 page holds at least 30 rows, so at most 7 pages
    assert 1 < len(pairs_pages) <= 7
    for p in pairs_pages:
        assert all(h in p for h in HEADERS_ZH), p[:400]  # every column, header repeated
    printed = "\n".join(pairs_pages)
    assert all(c in printed for c in plan.pairs["cadre_id"])  # no row lost
    assert "县人力资源和社会保障局" in printed
    n = len(pages)
    assert f"第 1 页，共 {n} 页" in pages[0] and f"第 {n} 页，共 {n} 页" in pages[-1]


def test_explanation_and_diff_workbooks_are_set_up_for_print(tmp_path):
    """The explanation and diff workbooks print like the pairing list: header row frozen and
    repeated, fitted to the page width, page numbers in the footer."""
    from pathlib import Path

    from assign import diff_pairings, explain, load_scenario, solve
    from assign.insight.diff import write_diff
    from assign.insight.explain import write_explanation

    sc = load_scenario(Path(__file__).parents[2] / "scenarios" / "quanzhou-2020")
    plan = solve(sc)
    other = solve(sc.with_config(max_firms_per_cadre=2))
    paths = [write_explanation(explain(sc, plan), tmp_path / "why.xlsx", "zh"),
             write_diff(diff_pairings(plan, other), tmp_path / "diff.xlsx", "zh")]
    for path in paths:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2", (path, ws.title)
            assert ws.page_setup.fitToWidth == 1
            assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
