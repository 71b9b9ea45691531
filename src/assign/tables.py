"""Reading and checking the CSV tables of a scenario.

CSV files saved by Excel on Chinese Windows are GBK/GB18030; elsewhere UTF-8, with or
without a byte-order mark. Both are read transparently. Every problem is reported with
the file, the line number (the header is line 1) and the column.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .categories import CATEGORIES
from .errors import Problem, ScenarioWarning

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


def read_table(path: Path, columns: list[Column], label: str,
               extra: bool = False) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and check a CSV table.

    Args:
        path: The CSV file.
        columns: The columns the table may have.
        label: How to name the file in messages (usually its path as the user gave it).

    Returns:
        The typed table (one row per data line, index 0..n-1) and the problems found.
    """
    if not path.is_file():
        return pd.DataFrame(), [Problem(label, "file not found")]
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
    named = [str(c).strip() for c in raw.columns]
    if len(header) == len(named):
        named = [h or p for h, p in zip(header, named, strict=True)]
    raw.columns = named
    lines, widths = _line_numbers(text)
    if len(lines) != len(raw):  # pragma: no cover - pandas and csv disagree on the rows
        lines = np.arange(len(raw)) + 2
        widths = np.full(len(raw), len(raw.columns))
    return check_table(raw, columns, label, lines, widths != len(raw.columns), extra)


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
        for part in (p.strip() for p in str(text).replace("；", ";").split(";")):
            if not part:
                continue
            key, _, level = (s.strip() for s in part.partition(":"))
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
