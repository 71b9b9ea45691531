"""Replanning against last round's pairing list: labelling what changed (it is read by
:mod:`assign.io.previous`).

A firm is *kept* when it has the same cadre as before, *moved* when it had another cadre,
*new* when it had none; a previous pair is *dropped* when its firm is now uncovered or no
longer in the scenario. The number of *changes* a plan makes is the number of firms of the
scenario that had a cadre and do not keep it (moved, or dropped while still listed);
``assignment.max_changes`` caps it and ``assignment.change_cost`` prices each one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, ScenarioError, raise_if
from .io.previous import read_previous as read_previous  # the reading moved to assign.io


def as_previous(frame: pd.DataFrame | str | Path | None) -> pd.DataFrame | None:
    """A previous pairing given as a frame (``cadre_id``, ``firm_id``) or a file path."""
    if frame is None:
        return None
    if isinstance(frame, (str, Path)):
        return read_previous(frame)
    missing = [c for c in ("cadre_id", "firm_id") if c not in frame.columns]
    if missing:
        raise ScenarioError([Problem("previous", "required column is missing", column=c)
                             for c in missing])
    out = frame[["cadre_id", "firm_id"]].astype(str).reset_index(drop=True)
    out["line"] = frame["line"].to_numpy() if "line" in frame.columns else np.arange(len(out)) + 2
    dup = out["firm_id"].duplicated().to_numpy()
    raise_if([Problem("previous", f"firm '{out['firm_id'].iat[i]}' is paired twice",
                      int(out["line"].iat[i]), "firm_id") for i in np.flatnonzero(dup)[:20]])
    return out


def previous_cadre(scenario, previous: pd.DataFrame | None) -> np.ndarray:
    """Per firm of the scenario, the row index of its previous cadre (-1: none or gone)."""
    n = len(scenario.firms)
    out = np.full(n, -1, np.int64)
    if previous is None or len(previous) == 0:
        return out
    fi = pd.Index(scenario.firms["id"]).get_indexer(previous["firm_id"])
    ci = pd.Index(scenario.cadres["id"]).get_indexer(previous["cadre_id"])
    ok = (fi >= 0) & (ci >= 0)
    out[fi[ok]] = ci[ok]
    return out


def had_cadre(scenario, previous: pd.DataFrame | None) -> np.ndarray:
    """Per firm of the scenario, whether the previous list gave it a cadre (gone or not)."""
    if previous is None:
        return np.zeros(len(scenario.firms), dtype=bool)
    return scenario.firms["id"].isin(previous["firm_id"]).to_numpy()


def change_labels(pairs: pd.DataFrame, previous: pd.DataFrame) -> np.ndarray:
    """``kept | moved | new`` for each pair of a plan against the previous list."""
    before = dict(zip(previous["firm_id"], previous["cadre_id"], strict=True))
    was = pairs["firm_id"].map(before)
    return np.where(was.isna(), "new", np.where(was == pairs["cadre_id"], "kept", "moved"))


def change_counts(pairs: pd.DataFrame, previous: pd.DataFrame) -> dict[str, int]:
    """``{kept, moved, new, dropped}``: dropped = previous pairs whose firm has no cadre now."""
    labels = change_labels(pairs, previous)
    return {
        "kept": int((labels == "kept").sum()),
        "moved": int((labels == "moved").sum()),
        "new": int((labels == "new").sum()),
        "dropped": int((~previous["firm_id"].isin(pairs["firm_id"])).sum()),
    }


def count_changes(pairs: pd.DataFrame, previous: pd.DataFrame, firm_ids: pd.Series) -> int:
    """Firms of the scenario (``firm_ids``) that had a cadre and do not keep it."""
    listed = previous[previous["firm_id"].isin(firm_ids)]
    now = dict(zip(pairs["firm_id"], pairs["cadre_id"], strict=True))
    return int(sum(now.get(f) != c for f, c in zip(listed["firm_id"], listed["cadre_id"],
                                                     strict=True)))
