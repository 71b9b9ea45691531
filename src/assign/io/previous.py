"""Reading last round's pairing list (``--previous``, ``assignment.previous``).

What a plan changes against it is labelled in :mod:`assign.changes`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, ScenarioError, raise_if

ID_HEADERS = {"cadre_id": ("cadre_id", "干部编号"), "firm_id": ("firm_id", "企业编号")}
"""Headers accepted for the ids in a previous pairing list (English or Chinese)."""


def read_previous(path: str | Path, scenario=None) -> pd.DataFrame:
    """Read a pairing list written by zhuqi (``.csv`` or ``.xlsx``, English or Chinese headers).

    Returns a frame ``cadre_id, firm_id, line`` (line as in the file; the first sheet of a
    workbook). Pairs naming cadres or firms not in ``scenario`` are kept here and simply
    find no match when solving.

    Raises:
        ScenarioError: the file is missing, lacks an id column or pairs a firm twice.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ScenarioError([Problem(label, "file not found")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            raw = pd.read_excel(path, sheet_name=0, dtype=str)
        elif suffix == ".csv":
            import io

            from .tables import decode

            raw = pd.read_csv(io.StringIO(decode(path.read_bytes())), dtype=str,
                              keep_default_na=False)
        else:
            raise ScenarioError([Problem(label, f"unknown format '{suffix}'; use .csv or .xlsx")])
    except (ValueError, OSError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError([Problem(label, f"cannot be read: {exc}")]) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    out = pd.DataFrame(index=raw.index)
    problems = []
    for key, names in ID_HEADERS.items():
        found = [n for n in names if n in raw.columns]
        if not found:
            problems.append(Problem(label, "required column is missing", column=key))
        else:
            out[key] = raw[found[0]].fillna("").astype(str).str.strip()
    raise_if(problems)
    out["line"] = np.arange(len(out)) + 2
    out = out[(out["cadre_id"] != "") & (out["firm_id"] != "")]
    dup = out["firm_id"].duplicated().to_numpy()
    raise_if([Problem(label, f"firm '{out['firm_id'].iat[i]}' is paired twice",
                      int(out["line"].iat[i]), "firm_id") for i in np.flatnonzero(dup)[:20]])
    return out.reset_index(drop=True)
