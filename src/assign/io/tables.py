"""Reading and checking the tables of a scenario: CSV files and Excel workbooks.

CSV files saved by Excel on Chinese Windows are GBK/GB18030; elsewhere UTF-8, with or
without a byte-order mark. Both are read transparently. Every problem is reported with
the file, the line number (the header is line 1) and the column. Workbooks (``.xlsx``)
are read from their first sheet or a named one; problems name the workbook, the sheet,
the row as Excel numbers it and the column header as written.

Headers may be written in Chinese: :data:`ALIASES` maps the usual headers of county
rosters (编号, 姓名, 纬度, 经度, 专长, ...) to zhuqi's column names, and category values may
be the Chinese labels of :mod:`assign.categories`, listed with 、，；, or ``;``.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..categories import CATEGORIES
from ..errors import Problem, ScenarioWarning
from .xlsx import XLSX_SUFFIXES, read_sheet

MAX_PROBLEMS_PER_COLUMN = 20

Kind = Literal["id", "text", "float", "int", "categories", "skills"]


@dataclass(frozen=True)
class Column:
    """What one column of a table may hold."""

    name: str
    kind: Kind = "text"
    required: bool = False
    low: float | None = None
    high: float | None = None


def decode(data: bytes) -> str:
    """Decode CSV bytes as UTF-8 (BOM or not), falling back to GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


_COMMON_ALIASES = {
    "编号": "id", "名称": "name", "纬度": "lat", "经度": "lon", "片区": "zone", "园区": "zone",
    "latitude": "lat", "longitude": "lon", "lng": "lon",
}
ALIASES: dict[str, dict[str, str]] = {
    "cadres": {
        **_COMMON_ALIASES, "干部编号": "id", "姓名": "name", "干部姓名": "name",
        "派出单位": "home_unit", "专长": "skills", "技能": "skills",
        "最多联系企业数": "max_firms", "联系企业数上限": "max_firms", "企业数上限": "max_firms",
        "每周工作小时": "max_workload", "工作量上限(小时)": "max_workload",
    },
    "firms": {
        **_COMMON_ALIASES, "企业编号": "id", "企业名称": "name", "行业": "sector",
        "职工人数": "employees", "员工人数": "employees", "重点企业": "priority",
        "优先级": "priority", "需求": "needs", "问题类型": "needs", "每日问题数": "rate_per_day",
    },
    "pairs": {
        "干部编号": "cadre_id", "企业编号": "firm_id", "成本": "cost", "工作量": "load",
        "周工作量(小时)": "load",
    },
}
"""Per table, header as written (Chinese or a common English variant) -> column name.

Headers are matched after stripping spaces; English headers also ignoring case. The
column names themselves are always accepted.
"""

YES_NO = {"是": "1", "否": "0", "yes": "1", "no": "0", "y": "1", "n": "0", "true": "1", "false": "0"}
"""Values of a yes/no priority column (重点企业: 是/否) and the priorities they mean."""


def canonical_headers(
    headers: list[str], columns: list[Column], aliases: dict[str, str] | None
) -> list[str]:
    """Column names for the headers as written (unknown headers are kept as they are)."""
    names = {c.name for c in columns}
    table = {_header_key(k): v for k, v in (aliases or {}).items() if v in names}
    out = []
    for h in headers:
        key = "".join(str(h).split())
        out.append(key if key in names else table.get(_header_key(key), str(h).strip()))
    return out


def _header_key(header: str) -> str:
    return "".join(header.split()).replace("（", "(").replace("）", ")").casefold()


def header_row_of(rows: list[tuple[int, list[str]]], columns: list[Column],
                  aliases: dict[str, str] | None) -> int:
    """Index in ``rows`` of the header: the first of the first ten rows naming a known column.

    Offices often put a title line (e.g. 某某县驻企干部名单) above the header.
    """
    names = {c.name for c in columns}
    for k, (_, cells) in enumerate(rows[:10]):
        if names & set(canonical_headers(cells, columns, aliases)):
            return k
    return 0


def read_table(
    path: Path, columns: list[Column], label: str, extra: bool = False,
    sheet: str | None = None, aliases: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and check a CSV table or a sheet of an Excel workbook.

    Args:
        path: The CSV or ``.xlsx`` file.
        columns: The columns the table may have.
        label: How to name the file in messages (usually its path as the user gave it).
        extra: Keep columns not in ``columns`` (see :func:`check_table`).
        sheet: The workbook's sheet (default: its first); ignored for CSV.
        aliases: Headers as written -> column names (see :data:`ALIASES`).

    Returns:
        The typed table (one row per data line, index 0..n-1) and the problems found.
    """
    if not path.is_file():
        return pd.DataFrame(), [Problem(label, "file not found")]
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(path, columns, label, sheet, aliases, extra)
    return _read_csv(path, columns, label, aliases, extra)


def _read_xlsx(
    path: Path, columns: list[Column], label: str, sheet: str | None,
    aliases: dict[str, str] | None, extra: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    name, rows, problem = read_sheet(path, sheet, label)
    if problem is not None:
        return pd.DataFrame(), [problem]
    rows = [(r, cells) for r, cells in rows if any(c != "" for c in cells)]
    if not rows:
        return pd.DataFrame(), [Problem(label, "the sheet is empty", sheet=name)]
    k = header_row_of(rows, columns, aliases)
    written = rows[k][1]
    keep = [i for i, h in enumerate(written) if h != ""]
    written = [written[i] for i in keep]
    raw = pd.DataFrame([[cells[i] if i < len(cells) else "" for i in keep] for _, cells in rows[k + 1:]],
                       columns=range(len(keep)), dtype=object)
    raw.columns = canonical_headers(written, columns, aliases)
    lines = np.array([r for r, _ in rows[k + 1:]], dtype=np.int64)
    df, problems = _checked(raw, columns, label, lines, np.zeros(len(raw), bool), written, extra)
    return df, [replace(p, sheet=name) for p in problems]


def _checked(
    raw: pd.DataFrame, columns: list[Column], label: str, lines: np.ndarray,
    ragged: np.ndarray, written: list[str], extra: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    """:func:`check_table` on an aliased table; problems name the headers as written."""
    if "priority" in raw.columns and not raw.columns.duplicated().any():
        low = raw["priority"].astype(str).str.strip().str.casefold()
        raw = raw.assign(priority=low.map(YES_NO).fillna(raw["priority"]))
    as_written: dict[str, str] = {}
    for canon, orig in zip(raw.columns, written, strict=True):
        as_written.setdefault(canon, orig)
    df, problems = check_table(raw, columns, label, lines, ragged, extra)
    return df, [replace(p, column=as_written.get(p.column, p.column)) if p.column else p
                for p in problems]


def _read_csv(
    path: Path, columns: list[Column], label: str, aliases: dict[str, str] | None,
    extra: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError:
        return pd.DataFrame(), [Problem(label, "not UTF-8 or GB18030 text")]
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), [Problem(label, "the file is empty")]
    except pd.errors.ParserError as exc:
        return pd.DataFrame(), [Problem(label, f"cannot be read as CSV: {exc}".strip())]
    header = _header(text)
    # pandas renames a repeated header ("max_firms.1"); keep the names as written so that
    # a repeated column is reported rather than silently dropped
    written = [str(c).strip() for c in raw.columns]
    if len(header) == len(written):
        written = [h or p for h, p in zip(header, written, strict=True)]
    raw.columns = canonical_headers(written, columns, aliases)
    lines, widths = _line_numbers(text)
    if len(lines) != len(raw):  # pragma: no cover - pandas and csv disagree on the rows
        lines = np.arange(len(raw)) + 2
        widths = np.full(len(raw), len(raw.columns))
    return _checked(raw, columns, label, lines, widths != len(raw.columns), written, extra)


def _header(text: str) -> list[str]:
    """The header row's names as written (stripped), duplicates kept."""
    for row in csv.reader(io.StringIO(text), skipinitialspace=True):
        if row:
            return [c.strip() for c in row]
    return []


def _line_numbers(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Line number and field count of every data row (blank lines skipped, as pandas does)."""
    reader = csv.reader(io.StringIO(text))
    lines, widths = [], []
    for row in reader:
        if row:
            lines.append(reader.line_num)
            widths.append(len(row))
    return np.array(lines[1:], dtype=np.int64), np.array(widths[1:], dtype=np.int64)


def check_table(
    raw: pd.DataFrame,
    columns: list[Column],
    label: str,
    lines: np.ndarray | None = None,
    ragged: np.ndarray | None = None,
    extra: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Type and check a table of strings read from ``label``.

    Args:
        raw: The table, every cell a string.
        columns: The columns it may have.
        label: How to name the file in messages.
        lines: The line number of each row (default: row index + 2).
        ragged: Rows whose field count differs from the header's.
        extra: Keep columns not in ``columns`` as text (the caller judges them) instead
            of dropping them with a warning.
    """
    problems: list[Problem] = []
    known = {c.name for c in columns}
    missing = [c.name for c in columns if c.required and c.name not in raw.columns]
    for name in missing:
        problems.append(Problem(label, "required column is missing", column=name))
    dup_cols = list(dict.fromkeys(raw.columns[raw.columns.duplicated()].tolist()))
    for name in dup_cols:
        problems.append(Problem(label, "column appears more than once", column=name))
    others = [c for c in dict.fromkeys(raw.columns) if c not in known and not c.startswith("Unnamed")]
    if others and not extra:
        warnings.warn(f"{label}: ignoring unknown columns {others}", ScenarioWarning, stacklevel=3)
    if problems:
        return pd.DataFrame(), problems
    if len(raw) == 0:
        return pd.DataFrame(), [Problem(label, "the table has no rows")]
    if lines is None:
        lines = np.arange(len(raw)) + 2
    if ragged is None:
        ragged = raw.isna().any(axis=1).to_numpy()
    for i in np.flatnonzero(ragged)[:MAX_PROBLEMS_PER_COLUMN]:
        problems.append(
            Problem(label, "row has a different number of fields than the header", int(lines[i]))
        )
    if ragged.any():
        return pd.DataFrame(), problems
    out = pd.DataFrame(index=raw.index)
    for col in columns:
        if col.name not in raw.columns:
            continue
        values = raw[col.name].fillna("").str.strip()
        typed, bad = _convert(values, col, label, lines)
        problems.extend(bad)
        out[col.name] = typed
    if extra:
        for name in others:
            if name not in dup_cols:
                out[name] = raw[name].fillna("").str.strip()
    return out, problems


def _report(
    problems: list[Problem], mask: np.ndarray, message: str, shown: pd.Series,
    label: str, lines: np.ndarray, column: str,
) -> None:
    """Add one problem per flagged row (up to a limit), ``{v}`` replaced by the shown value."""
    idx = np.flatnonzero(mask)
    for i in idx[:MAX_PROBLEMS_PER_COLUMN]:
        problems.append(Problem(label, message.format(v=shown.iat[i]), int(lines[i]), column))
    if len(idx) > MAX_PROBLEMS_PER_COLUMN:
        more = len(idx) - MAX_PROBLEMS_PER_COLUMN
        problems.append(Problem(label, f"... and {more} more rows like these", column=column))


def _convert(
    values: pd.Series, col: Column, label: str, lines: np.ndarray
) -> tuple[pd.Series, list[Problem]]:
    empty = (values == "").to_numpy()
    problems: list[Problem] = []

    def report(mask: np.ndarray, message: str, shown: pd.Series = values) -> None:
        _report(problems, mask, message, shown, label, lines, col.name)

    if col.required:
        report(empty, "a value is required")
    if col.kind == "id":
        dup = values.duplicated(keep="first").to_numpy() & ~empty
        first_line = pd.Series(lines, index=values.index).groupby(values.to_numpy()).transform("min")
        shown = "'" + values + "' (first on line " + first_line.astype(str) + ")"
        report(dup, "duplicate id {v}", shown)
    if col.kind in ("id", "text"):
        return values, problems
    if col.kind in ("categories", "skills"):
        parsed, unknown, shown, bad_level = _parse_categories(values, col.kind == "skills")
        report(unknown, f"unknown category {{v}} (known: {', '.join(CATEGORIES)})", shown)
        report(bad_level, "skill level in '{v}' must be a number in (0, 1]")
        return parsed, problems
    numbers = pd.to_numeric(values.where(~empty, None), errors="coerce").astype(float)
    bad = numbers.isna().to_numpy() & ~empty
    report(bad, "'{v}' is not a number")
    arr = numbers.to_numpy()
    ok = ~np.isnan(arr)
    if col.kind == "int":
        report(ok & (arr != np.round(arr)), "'{v}' is not a whole number")
    if col.low is not None:
        report(ok & (arr < col.low), f"'{{v}}' is below the minimum {col.low:g}")
    if col.high is not None:
        report(ok & (arr > col.high), f"'{{v}}' is above the maximum {col.high:g}")
    return numbers, problems


_SEPARATORS = str.maketrans({"；": ";", "、": ";", "，": ";", ",": ";", "：": ":"})
_BY_LABEL = {zh: key for key, (_, zh) in CATEGORIES.items()} | {
    en.casefold(): key for key, (en, _) in CATEGORIES.items()}


def _parse_categories(
    values: pd.Series, with_levels: bool
) -> tuple[pd.Series, np.ndarray, pd.Series, np.ndarray]:
    """Parse ``a;b;c`` (skills also ``a:0.8``) into tuples; flag unknown keys and bad levels.

    Each distinct text is parsed once, so large tables with few distinct values are fast.
    """
    codes, uniques = pd.factorize(values)
    parsed_u: list[tuple] = []
    unknown_u = np.zeros(len(uniques), dtype=bool)
    bad_level_u = np.zeros(len(uniques), dtype=bool)
    shown_u = np.array(uniques, dtype=object)
    for i, text in enumerate(uniques):
        items: list = []
        for part in (p.strip() for p in str(text).translate(_SEPARATORS).split(";")):
            if not part:
                continue
            key, _, level = (s.strip() for s in part.partition(":"))
            key = _BY_LABEL.get(key, _BY_LABEL.get(key.casefold(), key))
            if key not in CATEGORIES:
                unknown_u[i] = True
                shown_u[i] = f"'{key}'"
                continue
            if not with_levels:
                items.append(key)
                continue
            try:
                p = float(level) if level else 1.0
            except ValueError:
                p = -1.0
            bad_level_u[i] |= not 0.0 < p <= 1.0
            items.append((key, p))
        parsed_u.append(tuple(items))
    parsed_arr = np.empty(len(uniques), dtype=object)
    parsed_arr[:] = parsed_u
    return (
        pd.Series(parsed_arr[codes], index=values.index, dtype=object),
        unknown_u[codes],
        pd.Series(shown_u[codes], index=values.index),
        bad_level_u[codes],
    )
