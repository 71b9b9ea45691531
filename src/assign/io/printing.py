"""Page set-up of the workbooks a county office prints, signs and files.

Every sheet gets: a title in the page header (scenario, what the sheet is, date, plan
status) and page numbers in the footer; the header row frozen, bold and repeated on every
printed page; A4, fitted to the page width (landscape when the columns need it); an
autofilter; column widths that count a Chinese character as two; numbers as a person reads
them (km and hours with one decimal).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

MAX_WIDTH = 42
"""Widest column (Excel width units); longer text wraps."""

PORTRAIT_WIDTH = 100
"""Total column width (Excel units) that fits A4 portrait at about 100 %; wider is landscape."""

NUMBER_FORMATS = {
    "km": "0.0", "h": "0.0", "min": "0", "firms": "0", "persons": "0",
}
"""Excel number format by unit of :data:`assign.io.schema.UNITS`."""

STATUS_ZH = {"optimal": "最优", "feasible": "可行", "infeasible": "无可行方案", "unknown": "未知"}


def text_width(text: object) -> int:
    """Display width of ``text``: East Asian wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def column_width(header: object, values: list[Any]) -> float:
    """Width for a column from its header and (a sample of) its cells, capped."""
    widest = max([text_width(header), *(text_width(v) for v in values if v is not None)])
    return float(min(widest + 2, MAX_WIDTH))


def page_title(scenario: str, what: str, status: str | None, lang: str,
               date: dt.date | None = None) -> tuple[str, str]:
    """(centre, right) of the page header."""
    date = date or dt.date.today()
    if lang == "zh":
        right = date.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月")
        if status:
            right += f"　方案状态：{STATUS_ZH.get(status, status)}"
    else:
        right = date.isoformat() + (f"   plan: {status}" if status else "")
    centre = f"{scenario} {what}".strip() if lang == "zh" else f"{scenario}: {what}".strip(": ")
    return centre, right


def print_ready(ws: Any, keys: list[str], title: tuple[str, str], lang: str,
                units: dict[str, str | None] | None = None) -> None:
    """Set up an openpyxl worksheet whose row 1 is the header and whose columns are ``keys``.

    Args:
        ws: The worksheet (data already written, header in row 1).
        keys: The column keys, in order (number formats follow their units).
        title: (centre, right) of the page header.
        lang: "zh" or "en" (the page-number footer).
        units: Column key -> unit key (default: from :mod:`assign.io.schema`).
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    if units is None:
        units = _units()
    rows = ws.max_row
    total = 0.0
    for j, key in enumerate(keys, start=1):
        letter = get_column_letter(j)
        cells = [ws.cell(row=r, column=j) for r in range(2, min(rows, 500) + 1)]
        width = column_width(ws.cell(row=1, column=j).value, [c.value for c in cells])
        ws.column_dimensions[letter].width = width
        total += width
        fmt = NUMBER_FORMATS.get(units.get(key) or "")
        if key in ("cost", "alt_cost", "extra_cost", "objective"):
            fmt = "0.00"
        if key == "skill_match" and lang != "zh":
            fmt = "0%"
        wrap = any(text_width(c.value) > MAX_WIDTH for c in cells if isinstance(c.value, str))
        for r in range(2, rows + 1):
            cell = ws.cell(row=r, column=j)
            if fmt and isinstance(cell.value, int | float):
                cell.number_format = fmt
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    if rows >= 1 and keys:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{max(rows, 1)}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if total > PORTRAIT_WIDTH else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    centre, right = title
    ws.oddHeader.center.text = centre
    ws.oddHeader.center.size = 12
    ws.oddHeader.right.text = right
    ws.oddFooter.center.text = "第 &P 页，共 &N 页" if lang == "zh" else "Page &P of &N"


def _units() -> dict[str, str | None]:
    from .schema import SPECS

    out: dict[str, str | None] = {}
    for s in SPECS.values():
        for f in s.fields:
            out.setdefault(f.key, f.unit)
    return out


def skill_words(share: Any, lang: str) -> Any:
    """A skill-match share as a person reads it: 是 / 部分 / 否 (zh); the share otherwise."""
    if lang != "zh" or share is None or share != share:  # NaN
        return share
    if share >= 1 - 1e-9:
        return "是"
    return "否" if share <= 1e-9 else "部分"
