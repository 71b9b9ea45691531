"""The quick paths of reading large tables against the ways they replace: the csv module
for line numbers, ``str.strip`` for cells, ``copy.deepcopy`` for the row numbers kept in
``attrs``."""

from __future__ import annotations

import copy
import csv
import io
import random

import numpy as np
import pandas as pd

from assign.io.tables import Lines, _leading_lines, _line_numbers, _stripped


def _csv_lines(text: str) -> tuple[list[int], list[int]]:
    """Line number and field count of each data row, as the csv module reads them."""
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, len(row)) for row in reader if row]
    return [n for n, _ in rows[1:]], [w for _, w in rows[1:]]


def test_line_numbers_match_the_csv_module():
    """Random unquoted texts (blank lines, a missing final newline, wide characters, other
    Unicode line breaks the csv module does not split at), and quoted ones (its own path)."""
    rnd = random.Random(3)
    alphabet = ["a", ",", "\n", " ", "1", "\u3000", "张", "\x0b", "\u2028", "\x85", "\t"]
    texts = ["", "a,b\n", "a,b", "a,b\n1,2\n\n3\n", "\n\na,b\n1,2,3\n \n,\n", 'a,b\n"x,y",2\n']
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
              for _ in range(2000)]
    for text in texts:
        lines, widths = _line_numbers(text)
        assert (lines.tolist(), widths.tolist()) == _csv_lines(text), repr(text)
        assert lines.dtype == np.int64 and widths.dtype == np.int64


def test_stripped_is_str_strip():
    """Cells stripped as pandas' ``.fillna("").str.strip()`` strips them (Unicode spaces,
    missing cells, a cell that is not text)."""
    cells = ["a", " b ", "\u3000c\u3000", "", "\t d\n", "e f", None, np.nan, " 张 三 "]
    s = pd.Series(cells, dtype=object, index=range(10, 19), name="x")
    pd.testing.assert_series_equal(_stripped(s), s.fillna("").str.strip())
    assert _stripped(s).tolist() == ["a", "b", "c", "", "d", "e f", "", "", "张 三"]
    odd = pd.Series([1, " a "], dtype=object)
    pd.testing.assert_series_equal(_stripped(odd), odd.fillna("").str.strip())


def test_row_numbers_are_copied_as_the_same_tuple():
    """``Lines`` deep-copies to itself (as a tuple of ints does, without walking it) and
    travels with frames derived from a table."""
    rows = Lines(range(2, 200_002))
    assert copy.deepcopy(rows) is rows and rows == tuple(range(2, 200_002))
    df = pd.DataFrame({"a": np.arange(200_000)})
    df.attrs["rows"] = rows
    assert df[df["a"] > 5].attrs["rows"] == rows


def test_leading_lines_are_splitlines():
    """The header search's lines, split a prefix at a time, are ``str.splitlines()`` (a
    prefix ending inside a line, between "\\r" and "\\n", or on another line break)."""
    rnd = random.Random(1)
    alphabet = ["a", "\r", "\n", "\r\n", "\x0b", "\u2028", "\x85", "b", "\x1c", " "]
    for _ in range(2000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        for chunk in (1, 2, 3, 5, 64):
            assert list(_leading_lines(text, chunk)) == text.splitlines(), (repr(text), chunk)
