"""Reading last round's pairing list (``--previous``, ``assignment.previous``).

What a plan changes against it is labelled in :mod:`assign.changes`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, ScenarioError, raise_if


def read_previous(path: str | Path, scenario=None) -> pd.DataFrame:
    """Read a pairing list written by zhuqi (``.csv`` or ``.xlsx``, English or Chinese headers).

    Returns a frame ``cadre_id, firm_id, line`` (line as in the file; the first sheet of a
    workbook). Pairs naming cadres or firms not in ``scenario`` are kept here and simply
    find no match when solving.

    Raises:
        ScenarioError: the file is missing, lacks an id column or pairs a firm twice.
    """
    from .tables import read_pair_list

    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ScenarioError([Problem(label, "file not found")])
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ScenarioError([Problem(label, f"unknown format '{suffix}'; use .csv or .xlsx")])
    df, problems = read_pair_list(path, label)
    raise_if(problems)
    sheet = df.attrs["sheet"]
    out = pd.DataFrame({"cadre_id": df["cadre_id"], "firm_id": df["firm_id"],
                        "line": np.asarray(df.attrs["rows"], dtype=np.int64)})
    dup = out["firm_id"].duplicated().to_numpy()
    raise_if([Problem(label, f"firm '{out['firm_id'].iat[i]}' is paired twice",
                      int(out["line"].iat[i]), "firm_id", sheet=sheet)
              for i in np.flatnonzero(dup)[:20]])
    return out.reset_index(drop=True)
