"""Errors and warnings raised on scenario input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    key: str | None = None
    sheet: str | None = None
    """The sheet of a workbook (then ``row`` is the row as Excel numbers it)."""

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f", sheet '{self.sheet}'"
        if self.row is not None:
            where += f", {'row' if self.sheet is not None else 'line'} {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.key is not None:
            where += f", key '{self.key}'"
        return f"{where}: {self.message}"


class ScenarioError(ValueError):
    """Invalid scenario input; carries every problem found, each naming where it is."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the scenario input:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class ScenarioWarning(UserWarning):
    """Suspicious but usable scenario input."""


def raise_if(problems: list[Problem]) -> None:
    """Raise a :class:`ScenarioError` when ``problems`` is not empty."""
    if problems:
        raise ScenarioError(problems)
