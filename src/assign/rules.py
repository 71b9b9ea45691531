"""Planning rules read with a scenario: pinned pairs, forbidden pairs, conflict-of-interest rules.

- ``assignment.pinned: pinned.csv`` (``cadre_id, firm_id``, optional ``note``): pairs the
  plan must contain, even beyond the distance or skill limits (with a warning).
- ``assignment.forbidden: forbidden.csv`` (``cadre_id, firm_id``, optional ``reason``):
  pairs the plan never contains.
- ``assignment.conflicts: [{cadre: COLUMN, firm: COLUMN}, ...]``: a pair is excluded when
  the cadre's value in COLUMN equals the firm's (empty values never match). Columns of
  ``cadres.csv`` / ``firms.csv`` beyond zhuqi's own are kept as text for these rules.

Which pairs these rules admit is decided in one place, :class:`assign.candidates.PairRules`;
pins are constraints of the solvers (:mod:`assign.pins`); the tables are read by
:mod:`assign.io.rule_tables`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .io.rule_tables import FORBID_COLUMNS as FORBID_COLUMNS  # the reading moved to assign.io
from .io.rule_tables import PIN_COLUMNS as PIN_COLUMNS
from .io.rule_tables import attach_rules as attach_rules
from .io.rule_tables import frame_rules as frame_rules
from .io.rule_tables import read_rule_tables as read_rule_tables


def rule_label(scenario, key: str) -> str:
    """How to name the rule file of ``assignment.<key>`` in messages."""
    rel = getattr(scenario.config.assignment, key)
    if rel and scenario.path is not None:
        return str(Path(scenario.path) / rel)
    return rel or key


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
