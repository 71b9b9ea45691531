"""Reading the planning rules' tables: pinned pairs and forbidden pairs.

- ``assignment.pinned: pinned.csv`` (``cadre_id, firm_id``, optional ``note``);
- ``assignment.forbidden: forbidden.csv`` (``cadre_id, firm_id``, optional ``reason``).

The tables are read and checked here, with the scenario's other tables; what the rules
mean for the plan is in :mod:`assign.rules`, :mod:`assign.candidates` and :mod:`assign.pins`.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, ScenarioWarning, raise_if
from .tables import Column, check_table, read_table

PIN_COLUMNS = [Column("cadre_id", "text", required=True), Column("firm_id", "text", required=True),
               Column("note")]
FORBID_COLUMNS = [Column("cadre_id", "text", required=True),
                  Column("firm_id", "text", required=True), Column("reason")]


def read_rule_tables(scenario, base: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read the pinned and forbidden tables a scenario's yaml names (relative to ``base``)."""
    cfg = scenario.config.assignment
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for key, columns in (("pinned", PIN_COLUMNS), ("forbidden", FORBID_COLUMNS)):
        rel = getattr(cfg, key)
        if rel:
            df, found = read_table(base / rel, columns, str(base / rel), where=True)
            problems += found
            tables[key] = df
    return tables, problems


def frame_rules(pinned: pd.DataFrame | None, forbidden: pd.DataFrame | None
                ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Check in-memory pinned / forbidden tables as if read from files."""
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for key, df, columns in (("pinned", pinned, PIN_COLUMNS),
                             ("forbidden", forbidden, FORBID_COLUMNS)):
        if df is None:
            continue
        text = df.astype(object).where(df.notna(), "").astype(str).reset_index(drop=True)
        typed, found = check_table(text, columns, key)
        problems += found
        tables[key] = typed
    return tables, problems


def attach_rules(scenario, tables: dict[str, pd.DataFrame], labels: dict[str, str],
                 ylabel: str, rosters: dict[str, list[Column]]):
    """Check the rule tables and conflict rules against the scenario; return it with them.

    ``rosters`` holds zhuqi's own columns of the ``cadres`` and ``firms`` tables; any other
    column is kept as text for the conflict rules (with a warning unless one uses it).

    Raises:
        ScenarioError: unknown ids (file, line, column) or conflict rules naming columns
            the tables lack (naming the yaml key).
    """
    cfg = scenario.config.assignment
    problems: list[Problem] = []
    out: dict[str, pd.DataFrame | None] = {"pinned": None, "forbidden": None}
    for key, df in tables.items():
        label = labels.get(key, key)
        rows, sheet = df.attrs.get("rows"), df.attrs.get("sheet")  # as in the file
        heads = df.attrs.get("headers", {})
        df = df.copy()
        df.attrs.clear()
        df["line"] = rows if rows is not None and len(rows) == len(df) else np.arange(len(df)) + 2
        for col, ids in (("cadre_id", scenario.cadres["id"]), ("firm_id", scenario.firms["id"])):
            bad = ~df[col].isin(ids).to_numpy()
            problems += [Problem(label, f"unknown id '{df[col].iat[i]}'", int(df["line"].iat[i]),
                                 heads.get(col, col), sheet=sheet)
                         for i in np.flatnonzero(bad)[:20]]
        dup = df.duplicated(["cadre_id", "firm_id"]).to_numpy()
        if dup.any():
            warnings.warn(f"{label}: {int(dup.sum())} pairs listed twice (line "
                          f"{int(df['line'].to_numpy()[dup][0])} first); each counts once",
                          ScenarioWarning, stacklevel=4)
            df = df[~dup]
        out[key] = df.reset_index(drop=True)
    for k, rule in enumerate(cfg.conflicts):
        for side, col, table in (("cadre", rule.cadre, scenario.cadres),
                                 ("firm", rule.firm, scenario.firms)):
            if col not in table.columns:
                what = labels.get("cadres" if side == "cadre" else "firms", side + "s")
                problems.append(Problem(
                    ylabel, f"no column '{col}' in {what} (it has: "
                    f"{', '.join(c for c in table.columns)})", key=f"assignment.conflicts.{k}.{side}"))
    raise_if(problems)
    for what, table, cols in (("cadres", scenario.cadres, rosters["cadres"]),
                              ("firms", scenario.firms, rosters["firms"])):
        own = {c.name for c in cols}
        used = {r.cadre if what == "cadres" else r.firm for r in cfg.conflicts}
        unknown = [c for c in table.columns if c not in own and c not in used]
        if unknown:
            warnings.warn(f"{labels.get(what, what)}: unknown columns {unknown} kept as text "
                          "(usable by assignment.conflicts)", ScenarioWarning, stacklevel=4)
    return replace(scenario, pinned=out["pinned"], forbidden=out["forbidden"])
