"""Planning rules read with a scenario: pinned pairs, forbidden pairs, conflict-of-interest rules.

- ``assignment.pinned: pinned.csv`` (``cadre_id, firm_id``, optional ``note``): pairs the
  plan must contain, even beyond the distance or skill limits (with a warning).
- ``assignment.forbidden: forbidden.csv`` (``cadre_id, firm_id``, optional ``reason``):
  pairs the plan never contains.
- ``assignment.conflicts: [{cadre: COLUMN, firm: COLUMN}, ...]``: a pair is excluded when
  the cadre's value in COLUMN equals the firm's (empty values never match). Columns of
  ``cadres.csv`` / ``firms.csv`` beyond zhuqi's own are kept as text for these rules.

Which pairs these rules admit is decided in one place, :class:`assign.candidates.PairRules`;
pins are constraints of the solvers (:mod:`assign.pins`).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, ScenarioWarning, raise_if
from .io.tables import Column, check_table, read_table

PIN_COLUMNS = [Column("cadre_id", "text", required=True), Column("firm_id", "text", required=True),
               Column("note")]
FORBID_COLUMNS = [Column("cadre_id", "text", required=True),
                  Column("firm_id", "text", required=True), Column("reason")]


def rule_label(scenario, key: str) -> str:
    """How to name the rule file of ``assignment.<key>`` in messages."""
    rel = getattr(scenario.config.assignment, key)
    if rel and scenario.path is not None:
        return str(Path(scenario.path) / rel)
    return rel or key


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
                 ylabel: str):
    """Check the rule tables and conflict rules against the scenario; return it with them.

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
    from .io.scenario import CADRE_COLUMNS, FIRM_COLUMNS

    for what, table, cols in (("cadres", scenario.cadres, CADRE_COLUMNS),
                              ("firms", scenario.firms, FIRM_COLUMNS)):
        own = {c.name for c in cols}
        used = {r.cadre if what == "cadres" else r.firm for r in cfg.conflicts}
        unknown = [c for c in table.columns if c not in own and c not in used]
        if unknown:
            warnings.warn(f"{labels.get(what, what)}: unknown columns {unknown} kept as text "
                          "(usable by assignment.conflicts)", ScenarioWarning, stacklevel=4)
    return replace(scenario, pinned=out["pinned"], forbidden=out["forbidden"])


def conflict_codes(scenario) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per conflict rule, integer codes of the cadres' and the firms' values (-1 = empty)."""
    out = []
    for rule in scenario.config.assignment.conflicts:
        a = scenario.cadres[rule.cadre].astype(str).str.strip()
        b = scenario.firms[rule.firm].astype(str).str.strip()
        empty = {"", "nan", "None", "<NA>"}
        codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True))
        blank = np.isin(uniques.astype(str), list(empty))
        codes = np.where(blank[codes] if len(uniques) else False, -1, codes)
        out.append((codes[: len(a)].astype(np.int64), codes[len(a):].astype(np.int64)))
    return out


def pair_keys(scenario, frame: pd.DataFrame | None) -> np.ndarray:
    """Sorted int64 keys ``cadre * n_firms + firm`` of the frame's pairs known to the scenario."""
    if frame is None or len(frame) == 0:
        return np.zeros(0, np.int64)
    ci = pd.Index(scenario.cadres["id"]).get_indexer(frame["cadre_id"])
    fi = pd.Index(scenario.firms["id"]).get_indexer(frame["firm_id"])
    ok = (ci >= 0) & (fi >= 0)
    return np.unique(ci[ok].astype(np.int64) * len(scenario.firms) + fi[ok])


def exclusion_reason(scenario, c: int, f: int) -> str | None:
    """Why the planner's rules exclude cadre row ``c`` from firm row ``f`` (None if they don't)."""
    cid, fid = str(scenario.cadres["id"].iat[c]), str(scenario.firms["id"].iat[f])
    forb = scenario.forbidden
    if forb is not None and len(forb):
        hit = forb[(forb["cadre_id"] == cid) & (forb["firm_id"] == fid)]
        if len(hit):
            why = str(hit["reason"].iat[0]) if "reason" in hit.columns else ""
            text = f"forbidden ({rule_label(scenario, 'forbidden')}, line {int(hit['line'].iat[0])}"
            return text + (f": {why})" if why else ")")
    for k, rule in enumerate(scenario.config.assignment.conflicts):
        a = str(scenario.cadres[rule.cadre].iat[c]).strip()
        b = str(scenario.firms[rule.firm].iat[f]).strip()
        if a and a not in ("nan", "None") and a == b:
            return (f"conflict of interest: the cadre's {rule.cadre} and the firm's {rule.firm} "
                    f"are both '{a}' (assignment.conflicts[{k}])")
    return None
