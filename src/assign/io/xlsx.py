"""Excel workbooks (``.xlsx``): reading a sheet as text cells, with Excel's row numbers.

Read with openpyxl (a declared dependency, also used to write pairing lists). Cells are
turned into the text a CSV export of the sheet would hold: whole numbers without ``.0``,
dates in ISO form, empty cells as "".
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from ..errors import Problem

XLSX_SUFFIXES = (".xlsx", ".xlsm")
"""Suffixes read as Excel workbooks (the legacy binary ``.xls`` is not supported)."""


def cell_text(value: object) -> str:
    """The text of a cell value as a CSV export would write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def read_sheet(
    path: Path, sheet: str | None, label: str
) -> tuple[str | None, list[tuple[int, list[str]]], Problem | None]:
    """Read one sheet of a workbook as text.

    Args:
        path: The workbook.
        sheet: The sheet's name (default: the first sheet).
        label: How to name the workbook in messages.

    Returns:
        The sheet's name, its rows as (Excel row number, cell texts) and a problem (the
        workbook cannot be read or has no such sheet) or None.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError,
            IndexError, AttributeError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, [], Problem(label, f"cannot be read as an Excel workbook (.xlsx): {reason}")
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook may fail anywhere in the reader
        return None, [], Problem(label, f"cannot be read as an Excel workbook (.xlsx): "
                                        f"{type(exc).__name__}")
    try:
        names = wb.sheetnames
        if not names:
            return None, [], Problem(label, "the workbook has no sheets")
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            return sheet, [], Problem(label, f"no sheet '{sheet}' (sheets: {', '.join(names)})")
        ws = wb[sheet]
        rows = []
        try:
            for r, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                rows.append((r, [cell_text(v) for v in values]))
        except Exception as exc:  # noqa: BLE001 - as above
            return sheet, [], Problem(label, f"cannot read the sheet: {type(exc).__name__}",
                                      sheet=sheet)
        return sheet, rows, None
    finally:
        wb.close()
