"""What changed between two pairing lists: per firm kept, moved, added or removed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem, ScenarioError
from ..io.export import HEADERS_ZH
from ..io.schema import headers_zh

STATUSES = ("moved", "added", "removed", "kept")
"""Per-firm change, in the order rows are listed."""

DIFF_COLUMNS = [
    "firm_id", "firm_name", "status", "from_cadre_id", "from_cadre_name", "to_cadre_id",
    "to_cadre_name", "old_distance_km", "new_distance_km", "distance_delta_km", "old_cost",
    "new_cost", "cost_delta",
]
"""Columns of :func:`diff_pairings`."""

DIFF_HEADERS_ZH = headers_zh("diff")
STATUS_ZH = {"kept": "未变", "moved": "改派", "added": "新增", "removed": "撤销"}


def read_plan(path: str | Path) -> pd.DataFrame:
    """A pairing list (CSV or XLSX, English or Chinese headers) as a table with cadre_id,
    firm_id and, when present, cadre_name, firm_name, distance_km and cost.

    Raises:
        ScenarioError: a missing column, an empty id or a firm listed twice (file, line).
    """
    from ..io.tables import read_pair_list

    label = str(path)
    if not Path(path).is_file():
        raise ScenarioError([Problem(label, "file not found")])
    df, problems = read_pair_list(path, label)
    if not problems:
        rows, sheet = df.attrs["rows"], df.attrs["sheet"]
        dup = df["firm_id"].duplicated()
        problems = [Problem(label, f"firm '{df['firm_id'].iat[i]}' is paired twice", int(rows[i]),
                            "firm_id", sheet=sheet) for i in np.flatnonzero(dup.to_numpy())[:20]]
    if problems:
        raise ScenarioError(problems)
    out = pd.DataFrame({"cadre_id": df["cadre_id"], "firm_id": df["firm_id"]})
    for col in ("cadre_name", "firm_name"):
        out[col] = df[col] if col in df.columns else ""
    for col in ("distance_km", "cost"):
        out[col] = df[col] if col in df.columns else np.nan
    return out


def _table(plan) -> pd.DataFrame:
    if isinstance(plan, (str, Path)):
        return read_plan(plan)
    df = plan.pairs if hasattr(plan, "pairs") else plan
    out = pd.DataFrame({"cadre_id": df["cadre_id"].astype(str), "firm_id": df["firm_id"].astype(str)})
    for col in ("cadre_name", "firm_name"):
        out[col] = df[col] if col in df.columns else ""
    for col in ("distance_km", "cost"):
        out[col] = pd.to_numeric(df[col], errors="coerce") if col in df.columns else np.nan
    return out


def diff_pairings(old, new) -> pd.DataFrame:
    """Per firm, how the new plan differs from the old one.

    Args:
        old, new: Pairing lists: paths (CSV/XLSX), DataFrames or :class:`Pairing` objects.

    Returns:
        One row per firm in either plan (:data:`DIFF_COLUMNS`): status kept / moved (from ->
        to) / added (only the new plan pairs it) / removed (only the old one does); deltas
        are new minus old, a firm absent from a plan counting 0, so the deltas sum to the
        change of the plans' totals. Rows are ordered moved, added, removed, kept.
    """
    a, b = _table(old), _table(new)
    m = a.merge(b, on="firm_id", how="outer", suffixes=("_old", "_new"), indicator=True)
    in_old = m["_merge"] != "right_only"
    in_new = m["_merge"] != "left_only"
    same = in_old & in_new & (m["cadre_id_old"] == m["cadre_id_new"])
    status = np.select([same, in_old & in_new, in_new], ["kept", "moved", "added"], "removed")

    def pick(col: str) -> pd.Series:
        return m[f"{col}_new"].where(in_new & (m[f"{col}_new"].fillna("") != ""), m[f"{col}_old"])

    out = pd.DataFrame({
        "firm_id": m["firm_id"], "firm_name": pick("firm_name").fillna(""), "status": status,
        "from_cadre_id": m["cadre_id_old"].where(in_old, ""),
        "from_cadre_name": m["cadre_name_old"].where(in_old, "").fillna(""),
        "to_cadre_id": m["cadre_id_new"].where(in_new, ""),
        "to_cadre_name": m["cadre_name_new"].where(in_new, "").fillna(""),
        "old_distance_km": m["distance_km_old"], "new_distance_km": m["distance_km_new"],
        "old_cost": m["cost_old"], "new_cost": m["cost_new"],
    })
    for col, o, n in (("distance_delta_km", "old_distance_km", "new_distance_km"),
                      ("cost_delta", "old_cost", "new_cost")):
        ov = out[o].where(in_old.to_numpy(), 0.0)
        nv = out[n].where(in_new.to_numpy(), 0.0)
        out[col] = (nv - ov).round(6)
    rank = pd.Series(status).map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
    out = out.iloc[np.lexsort((out["firm_id"].to_numpy(), rank))]
    return out[DIFF_COLUMNS].reset_index(drop=True)


def diff_counts(diff: pd.DataFrame) -> dict[str, int]:
    """Firms per status (every status listed, zeros included)."""
    counts = diff["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def headed_diff(diff: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The diff with Chinese headers and status words for ``lang="zh"``."""
    if lang != "zh":
        return diff
    return diff.assign(status=diff["status"].map(STATUS_ZH)).rename(
        columns={**HEADERS_ZH, **DIFF_HEADERS_ZH})


def write_diff(diff: pd.DataFrame, path: str | Path, lang: str = "en",
               manifest: dict | None = None) -> Path:
    """Write the diff as .csv or .xlsx (a second sheet holds the counts)."""
    from ..io.export import atomic_write, with_manifest, write_csv

    path = Path(path)
    suffix = path.suffix.lower()
    table = headed_diff(diff, lang)
    if suffix == ".csv":
        return write_csv(path, table, manifest)
    if suffix != ".xlsx":
        raise ValueError(f"{path}: unknown diff format '{suffix}'; use .csv or .xlsx")
    counts = pd.DataFrame(list(diff_counts(diff).items()), columns=["status", "firms"])
    if lang == "zh":
        counts = counts.assign(status=counts["status"].map(STATUS_ZH)).rename(
            columns={"status": "变化", "firms": "企业数"})

    def write(p: Path) -> None:
        from ..io.printing import page_title, print_ready

        keys = {"diff": list(diff.columns), "counts": ["status", "firms"]}
        with pd.ExcelWriter(p, engine="openpyxl") as xw:
            for kind, name, df in (("diff", "变化" if lang == "zh" else "diff", table),
                                   ("counts", "汇总" if lang == "zh" else "counts", counts)):
                df.to_excel(xw, sheet_name=name, index=False)
                # print-ready like the pairing list: title, page numbers, header repeated
                print_ready(xw.sheets[name], keys[kind][:len(df.columns)],
                            page_title("", name, None, lang), lang)

    return with_manifest(atomic_write(path, write), manifest)
