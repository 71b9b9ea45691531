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
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..categories import CATEGORIES
from ..errors import Problem, ScenarioWarning
from . import schema
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
    unit: str | None = None
    """A key of :data:`assign.io.schema.UNITS`: a cell may end with it (``3家``, ``12公里``)."""


class Lines(tuple):
    """Where each row of a table was (line, or Excel row), as kept in ``attrs["rows"]``.

    A tuple of ints, which ``copy.deepcopy`` would return unchanged anyway; pandas
    deep-copies ``attrs`` into every frame derived from a table, and walking a tuple of
    190,000 ints to find that out took seconds over a pairing list's checks.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> Lines:
        return self


def _stripped(values: pd.Series) -> pd.Series:
    """``values.fillna("").str.strip()`` for a column of strings read from a table, with
    one C call a cell rather than pandas' Python wrapper per cell."""
    cells = values.to_numpy(dtype=object)
    if values.hasnans:
        cells = np.where(pd.isna(cells), "", cells)
    out = np.empty(len(cells), dtype=object)
    try:
        out[:] = list(map(str.strip, cells))
    except TypeError:  # a cell that is not a string: pandas' way (NaN for it)
        return values.fillna("").str.strip()
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def decode(data: bytes) -> str:
    """Decode CSV bytes as UTF-8 (BOM or not), falling back to GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


ALIASES: dict[str, dict[str, str]] = {kind: schema.aliases(kind) for kind in ("cadres", "firms", "pairs")}
"""Per table, header as written (Chinese or a common English variant) -> column name.

Built from :mod:`assign.io.schema`. Headers are matched after :func:`schema.split_header`
(spaces, full-width characters and case ignored, a unit in parentheses split off). The
column names themselves are always accepted.
"""

YES_NO = {"是": "1", "否": "0", "yes": "1", "no": "0", "y": "1", "n": "0", "true": "1", "false": "0"}
"""Values of a yes/no priority column (重点企业: 是/否) and the priorities they mean."""

HEADER_ROWS = 10
"""A header row is looked for in the first this many non-blank rows (title rows above it)."""


def columns_of(kind: str) -> list[Column]:
    """The :class:`Column`\\ s a reader checks for a table kind of :mod:`assign.io.schema`."""
    kinds = {"id": "id", "float": "float", "int": "int", "categories": "categories",
             "skills": "skills"}
    return [Column(f.key, kinds.get(f.type, "text"), f.required, f.low, f.high, f.unit)  # type: ignore[arg-type]
            for f in schema.spec(kind).fields]


def vocabulary(columns: list[Column]) -> dict[str, str]:
    """Every header any table kind accepts for the keys of ``columns`` -> key."""
    names = {c.name for c in columns}
    out: dict[str, str] = {}
    for s in schema.SPECS.values():
        for f in s.fields:
            if f.key in names:
                for h in f.headers():
                    out.setdefault(h, f.key)
    return out


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def match_headers(
    headers: list[str], columns: list[Column], aliases: dict[str, str] | None, label: str = "",
) -> tuple[list[str], list[Problem]]:
    """Column names for the headers as written, and the problems with them.

    Unknown headers are kept as written, except one within a typo of a known header
    (``最多联系企业数量``, ``max_firm``): that is a problem naming the closest known one,
    never a column silently ignored. A unit in parentheses must be the column's
    (``距离（公里）`` is read, ``距离（米）`` is a problem).
    """
    by_name = {c.name: c for c in columns}
    table = {**vocabulary(columns), **(aliases or {})}
    exact: dict[str, str] = {}
    base: dict[str, str] = {}
    shown: dict[str, str] = {}
    for header, key in list(table.items()) + [(n, n) for n in by_name]:
        if key not in by_name:
            continue
        full = "".join(schema.normalise_text(header).split()).casefold()
        exact.setdefault(full, key)
        b, _ = schema.split_header(header)
        base.setdefault(b, key)
        shown.setdefault(b, header)
    out: list[str] = []
    problems: list[Problem] = []
    units: list[str | None] = []
    for h in headers:
        written = str(h).strip()
        full = "".join(schema.normalise_text(written).split()).casefold()
        b, unit = schema.split_header(written)
        match = exact.get(full) or base.get(b)
        out.append(match if match is not None else written)
        units.append(unit if match is not None and full not in exact else None)
    found = set(out)
    for h, key, unit in zip(headers, out, units, strict=True):
        written = str(h).strip()
        if key in by_name:
            want = by_name[key].unit
            if unit is not None and want is not None:
                got = schema.unit_of(unit)
                if got is not None and got != want:
                    problems.append(Problem(
                        label, f"the header gives the unit '{unit}' but the column "
                        f"'{key}' is in {schema.unit_zh(want)}", column=written))
            continue
        if not written or written.startswith("Unnamed"):
            continue
        b, _ = schema.split_header(written)
        best, dist = None, 99
        for kb, k in base.items():
            if k in found:
                continue
            d = _edit_distance(b, kb)
            if d < dist:
                best, dist = kb, d
        if best is not None and 0 < dist <= min(2, max(1, len(best) // 4)):
            k = base[best]
            problems.append(Problem(
                label, f"unknown header '{written}'; the closest known header is "
                f"'{shown[best]}' (column {k}); correct the header", column=written))
    return out, problems


def canonical_headers(
    headers: list[str], columns: list[Column], aliases: dict[str, str] | None
) -> list[str]:
    """Column names for the headers as written (unknown headers are kept as they are)."""
    return match_headers(headers, columns, aliases)[0]


def header_row_of(rows: list[tuple[int, list[str]]], columns: list[Column],
                  aliases: dict[str, str] | None) -> int:
    """Index in ``rows`` of the header: the first of the first ten rows naming a known
    column, or -1 when none does.

    Offices often put a title line (e.g. 某某县驻企干部名单) above the header.
    """
    names = {c.name for c in columns}
    for k, (_, cells) in enumerate(rows[:HEADER_ROWS]):
        if names & set(canonical_headers(cells, columns, aliases)):
            return k
    return -1


def _no_header(label: str, columns: list[Column], aliases: dict[str, str] | None) -> Problem:
    """The problem of a table whose header row cannot be found."""
    table = {**vocabulary(columns), **(aliases or {})}
    wanted = [c for c in columns if c.required] or columns
    looked = "; ".join(
        " / ".join(dict.fromkeys([c.name, *(h for h, k in table.items() if k == c.name)]))
        for c in wanted)
    return Problem(label, f"no header row found in the first {HEADER_ROWS} rows: looked for "
                          f"a row naming {looked}")


def read_table(
    path: Path, columns: list[Column], label: str, extra: bool = False,
    sheet: str | None = None, aliases: dict[str, str] | None = None, where: bool = False,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and check a CSV table or a sheet of an Excel workbook.

    Args:
        path: The CSV or ``.xlsx`` file.
        columns: The columns the table may have.
        label: How to name the file in messages (usually its path as the user gave it).
        extra: Keep columns not in ``columns`` (see :func:`check_table`).
        sheet: The workbook's sheet (default: its first); ignored for CSV.
        aliases: Headers as written -> column names (see :data:`ALIASES`).
        where: Keep where each row was in ``attrs``: ``rows`` (line, or Excel row),
            ``sheet`` and ``headers`` (key -> header as written), for later messages.
            (Off by default: pandas copies ``attrs`` with every derived frame.)

    Returns:
        The typed table (one row per data line, index 0..n-1) and the problems found.
    """
    if not path.is_file():
        return pd.DataFrame(), [Problem(label, "file not found")]
    if path.suffix.lower() in XLSX_SUFFIXES:
        df, problems = _read_xlsx(path, columns, label, sheet, aliases, extra)
    else:
        df, problems = _read_csv(path, columns, label, aliases, extra)
    if not where:
        df.attrs.clear()
    return df, problems


PAIR_LIST_COLUMNS = [
    Column("cadre_id", "text", required=True), Column("firm_id", "text", required=True),
    Column("cadre_name"), Column("firm_name"), Column("distance_km", "float", unit="km"),
    Column("cost", "float"),
]
"""What readers take from a pairing list; its other columns are kept as text."""


def read_pair_list(path: str | Path, label: str | None = None, sheet: str | None = None
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a pairing list zhuqi wrote (CSV or workbook, English or Chinese headers, a title
    row or not) or one typed by hand: one row per pair.

    Returns:
        The table (cadre_id, firm_id, cadre_name, firm_name, distance_km and cost when
        present, other columns as text) with ``attrs["rows"]`` (each row's line, or its
        Excel row) and ``attrs["sheet"]`` (a workbook's sheet, else None); and the problems.
    """
    path = Path(path)
    df, problems = read_table(path, PAIR_LIST_COLUMNS, label or str(path), extra=True,
                              sheet=sheet, aliases=schema.aliases("pairing"), where=True)
    df.attrs.setdefault("sheet", None)
    df.attrs.setdefault("rows", Lines(range(2, len(df) + 2)))
    return df, problems


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
    if k < 0:
        return pd.DataFrame(), [replace(_no_header(label, columns, aliases), sheet=name)]
    written = rows[k][1]
    keep = [i for i, h in enumerate(written) if h != ""]
    written = [written[i] for i in keep]
    raw = pd.DataFrame([[cells[i] if i < len(cells) else "" for i in keep] for _, cells in rows[k + 1:]],
                       columns=range(len(keep)), dtype=object)
    lines = np.array([r for r, _ in rows[k + 1:]], dtype=np.int64)
    df, problems = _checked(raw, columns, label, lines, np.zeros(len(raw), bool), written, extra,
                            aliases, header_row=rows[k][0])
    df.attrs["sheet"] = name
    return df, [replace(p, sheet=name) for p in problems]


def _checked(
    raw: pd.DataFrame, columns: list[Column], label: str, lines: np.ndarray,
    ragged: np.ndarray, written: list[str], extra: bool = False,
    aliases: dict[str, str] | None = None, header_row: int = 1,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Match the headers, then :func:`check_table`; problems name the headers as written."""
    names, bad_headers = match_headers(written, columns, aliases, label)
    if bad_headers:
        return pd.DataFrame(), [replace(p, row=header_row) for p in bad_headers]
    raw.columns = names
    if "priority" in raw.columns and not raw.columns.duplicated().any():
        low = raw["priority"].astype(str).str.strip().str.casefold()
        raw = raw.assign(priority=low.map(YES_NO).fillna(raw["priority"]))
    as_written: dict[str, str] = {}
    for canon, orig in zip(raw.columns, written, strict=True):
        as_written.setdefault(canon, orig)
    df, problems = check_table(raw, columns, label, lines, ragged, extra)
    df.attrs["headers"] = as_written  # key -> the header as the user wrote it, for messages
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
    # title rows above the header (某某县驻企干部名单), as offices export from Excel
    first = _first_rows(text)
    if not first:
        return pd.DataFrame(), [Problem(label, "the file is empty")]
    k = header_row_of(first, columns, aliases)
    if k < 0:
        return pd.DataFrame(), [_no_header(label, columns, aliases)]
    skipped = first[k][0] - 1
    if skipped:
        text = "".join(text.splitlines(keepends=True)[skipped:])
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
    lines, widths = _line_numbers(text)
    lines = lines + skipped
    if len(lines) != len(raw):  # pragma: no cover - pandas and csv disagree on the rows
        lines = np.arange(len(raw)) + 2 + skipped
        widths = np.full(len(raw), len(raw.columns))
    return _checked(raw, columns, label, lines, widths != len(raw.columns), written, extra,
                    aliases, header_row=skipped + 1)


def _first_rows(text: str) -> list[tuple[int, list[str]]]:
    """The first non-blank rows of a CSV text as (line number, cells), one line each."""
    out: list[tuple[int, list[str]]] = []
    for n, line in enumerate(_leading_lines(text), start=1):
        if len(out) >= HEADER_ROWS:
            break
        cells = next(csv.reader([line], skipinitialspace=True), [])
        cells = [c.strip() for c in cells]
        if any(cells):
            out.append((n, cells))
    return out


def _leading_lines(text: str, chunk: int = 1 << 16) -> Iterator[str]:
    """``text.splitlines()``, split a prefix at a time (the header search reads a few
    lines of files that have hundreds of thousands)."""
    done = 0  # lines already given
    while True:
        lines = text[:chunk].splitlines()
        if chunk < len(text):
            lines.pop()  # the prefix may end inside a line (or between "\r" and "\n")
        yield from lines[done:]
        done = len(lines)
        if chunk >= len(text):
            return
        chunk *= 4


def _header(text: str) -> list[str]:
    """The header row's names as written (stripped), duplicates kept."""
    for row in csv.reader(io.StringIO(text), skipinitialspace=True):
        if row:
            return [c.strip() for c in row]
    return []


def _line_numbers(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Line number and field count of every data row (blank lines skipped, as pandas does)."""
    if '"' not in text and "\r" not in text:  # no quoting: a row is a line split at commas
        data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)  # "\n", "," are one byte
        breaks = np.flatnonzero(data == 10)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.append(breaks, len(data))
        if starts[-1] == len(data):  # the newline that ends the last line
            starts, ends = starts[:-1], ends[:-1]
        commas = np.flatnonzero(data == 44)
        widths = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
        rows = np.flatnonzero(ends > starts)  # blank lines are no rows
        return rows[1:] + 1, widths[rows][1:].astype(np.int64)
    reader = csv.reader(io.StringIO(text))
    line_nums: list[int] = []
    row_widths: list[int] = []
    for row in reader:
        if row:
            line_nums.append(reader.line_num)
            row_widths.append(len(row))
    return np.array(line_nums[1:], dtype=np.int64), np.array(row_widths[1:], dtype=np.int64)


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
        values = _stripped(raw[col.name])
        typed, bad = _convert(values, col, label, lines)
        problems.extend(bad)
        out[col.name] = typed
    if extra:
        for name in others:
            if name not in dup_cols:
                out[name] = _stripped(raw[name])
    out.attrs["rows"] = Lines(np.asarray(lines, dtype=np.int64).tolist())
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
    if col.kind == "id" or col.name.endswith("_id"):
        values = _half_width(values)
    if col.kind == "id":
        dup = values.duplicated(keep="first").to_numpy() & ~empty
        if dup.any():
            first_line = pd.Series(lines, index=values.index).groupby(
                values.to_numpy()).transform("min")
            shown = "'" + values + "' (first on line " + first_line.astype(str) + ")"
            report(dup, "duplicate id {v}", shown)
    if col.kind in ("id", "text"):
        return values, problems
    if col.kind in ("categories", "skills"):
        parsed, unknown, shown, bad_level = _parse_categories(values, col.kind == "skills")
        report(unknown, f"unknown category {{v}} (known: {KNOWN_CATEGORIES})", shown)
        report(bad_level, "skill level in '{v}' must be a number in (0, 1]")
        return parsed, problems
    numbers = pd.to_numeric(values.where(~empty, None), errors="coerce").astype(float)
    bad = numbers.isna().to_numpy() & ~empty
    if bad.any():  # full-width digits (３, ２４.９) and a trailing unit (3家, 12公里)
        fixed, why = _numbers_with_units(values[bad], col)
        numbers.loc[fixed.index] = fixed
        bad = numbers.isna().to_numpy() & ~empty
        messages = pd.Series("'" + values + "' is not a number", index=values.index)
        messages.loc[why.index] = why
        report(bad, "{v}", messages)
    arr = numbers.to_numpy()
    ok = ~np.isnan(arr)
    if col.kind == "int":
        report(ok & (arr != np.round(arr)), "'{v}' is not a whole number")
    if col.low is not None:
        report(ok & (arr < col.low), f"'{{v}}' is below the minimum {col.low:g}")
    if col.high is not None:
        report(ok & (arr > col.high), f"'{{v}}' is above the maximum {col.high:g}")
    return numbers, problems


_NUMBER_UNIT = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")


def _half_width(values: pd.Series) -> pd.Series:
    """Values with full-width letters, digits and spaces made half-width (NFKC)."""
    odd = ~values.map(str.isascii)
    if not odd.any():
        return values
    return values.where(~odd, values[odd].map(schema.normalise_text))


def _numbers_with_units(values: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    """Numbers read from cells that plain parsing refused, and why others stay refused.

    Full-width digits are read; a trailing unit is read when it is the column's and named
    in the message when not.
    """
    numbers: dict = {}
    why: dict = {}
    for i, v in values.items():
        m = _NUMBER_UNIT.match(schema.normalise_text(v).replace(",", ""))
        if m is None:
            continue
        number, unit = float(m.group(1)), m.group(2).strip()
        if not unit:
            numbers[i] = number
            continue
        got = schema.unit_of(unit)
        if col.unit is not None and got == col.unit:
            numbers[i] = number
        elif col.unit is not None:
            why[i] = (f"'{v}': the unit '{unit}' is not the column's "
                      f"({schema.unit_zh(col.unit)}); write the number in "
                      f"{schema.unit_zh(col.unit)}")
        else:
            why[i] = f"'{v}' is not a number (write it without '{unit}')"
    return pd.Series(numbers, dtype=float), pd.Series(why, dtype=object)


KNOWN_CATEGORIES = ", ".join(f"{key} ({zh})" for key, (_, zh) in CATEGORIES.items())
"""The categories as an unknown one's message lists them: keys with their Chinese labels."""

_SEPARATORS = str.maketrans({"；": ";", "、": ";", "，": ";", ",": ";", "：": ":"})
_BY_LABEL = schema.CATEGORY_SHORT_FORMS | {zh: key for key, (_, zh) in CATEGORIES.items()} | {
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
        for part in (p.strip() for p in schema.normalise_text(text).translate(_SEPARATORS)
                     .split(";")):
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
