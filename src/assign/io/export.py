"""Writing pairing lists and summaries: CSV (UTF-8 with BOM for Excel), JSON, XLSX.

Every file is written to a temporary file beside its target and renamed into place, so
an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..pairing import Pairing
from .files import _jsonable as _jsonable  # moved: shared with the manifest
from .files import atomic_write as atomic_write
from .files import write_json as write_json
from .schema import headers_zh

HEADERS_ZH = headers_zh("pairing", "cadre_loads", "uncovered", "teams")
"""Chinese column headers for pairing lists (``lang="zh"``)."""

CHANGES_ZH = {"kept": "保留", "moved": "调整", "new": "新增"}
"""The ``change`` column's values in Chinese."""


def lang_for(path: str | Path | None, lang: str | None = None) -> str:
    """The language of a written table: ``lang`` when given, else the one rule of every
    command: Chinese for a workbook (it goes to a county office), English keys otherwise."""
    if lang is not None:
        return lang
    return "zh" if path is not None and Path(path).suffix.lower() == ".xlsx" else "en"


def headed(df: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The table with headers (and reason texts) in ``lang`` ("en" keeps the column keys)."""
    if lang != "zh":
        return df
    if "reason" in df.columns and "detail" in df.columns:
        from ..candidates import REASONS_ZH

        df = df.assign(detail=df["reason"].map(REASONS_ZH).fillna(df["detail"]))
    if "change" in df.columns:
        df = df.assign(change=df["change"].map(CHANGES_ZH).fillna(df["change"]))
    return df.rename(columns=HEADERS_ZH)


def write_csv(path: str | Path, df: pd.DataFrame, manifest: dict | None = None) -> Path:
    """Write CSV in UTF-8 with BOM (Excel shows Chinese names) atomically, with its
    ``manifest`` (if given) beside it."""
    out = atomic_write(path, lambda p: df.to_csv(p, index=False, encoding="utf-8-sig"))
    return with_manifest(out, manifest)


def with_manifest(path: Path, manifest: dict | None) -> Path:
    """Write ``manifest`` beside a non-JSON output ``path`` (nothing when None)."""
    if manifest is not None:
        from .manifest import write_manifest

        write_manifest(path, manifest)
    return path


def write_pairs(pairing: Pairing, path: str | Path, lang: str | None = None,
                manifest: dict | None = None) -> Path:
    """Write the pairing list; the format follows the suffix (.csv, .json, .xlsx).

    Headers are Chinese by default in a workbook (it goes to a county office) and English
    keys in CSV; ``lang`` ("en" or "zh") chooses explicitly. A ``manifest`` goes inside
    JSON, beside other formats (``pairs.csv.manifest.json``).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    lang = lang_for(path, lang)
    if suffix == ".csv":
        return write_csv(path, headed(pairing.pairs, lang), manifest)
    if suffix == ".json":
        return write_json(path, {"pairs": pairing.pairs.to_dict(orient="records"),
                                 "summary": pairing.summary()}, manifest)
    if suffix == ".xlsx":
        return with_manifest(atomic_write(path, lambda p: _write_xlsx(pairing, p, lang)),
                             manifest)
    raise ValueError(f"{path}: unknown pairing format '{suffix}'; use .csv, .json or .xlsx")


def _write_xlsx(pairing: Pairing, path: Path, lang: str) -> None:
    """The pairing workbook, print-ready (see :mod:`assign.io.printing`)."""
    from .printing import page_title, print_ready, skill_words

    names = ("结对名单", "干部工作量", "未覆盖企业") if lang == "zh" else (
        "pairs", "cadres", "uncovered")
    listed = pairing.pairs.groupby("cadre_id", sort=False)["firm_name"].agg(
        lambda s: "、".join(map(str, s)))
    cadres = pairing.cadre_loads.assign(
        firm_list=pairing.cadre_loads["cadre_id"].map(listed).fillna(""))
    pairs = pairing.pairs
    if lang == "zh" and "skill_match" in pairs.columns:
        pairs = pairs.assign(skill_match=pairs["skill_match"].map(lambda v: skill_words(v, lang)))
    sheets = [pairs, cadres, pairing.uncovered]
    titles = list(names)
    if pairing.teams is not None:  # mode teams: one row per task force
        titles.append("专班" if lang == "zh" else "teams")
        sheets.append(_team_sheet(pairing.teams, lang))
    scenario = str(pairing.meta.get("scenario", "") or "")
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in zip(titles, sheets, strict=True):
            headed(df, lang).to_excel(xw, sheet_name=name, index=False)
            print_ready(xw.sheets[name], list(df.columns),
                        page_title(scenario, name, pairing.status, lang), lang)


def _team_sheet(teams: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The teams table for a workbook: skills as labels in ``lang``."""
    from ..categories import label

    def labels(keys: str) -> str:
        return ("、" if lang == "zh" else "; ").join(label(k, lang) for k in str(keys).split(";") if k)

    sep = "、" if lang == "zh" else "; "
    return teams.assign(skills_needed=teams["skills_needed"].map(labels),
                        skills_covered=teams["skills_covered"].map(labels),
                        member_ids=teams["member_ids"].map(
                            lambda s: sep.join(m for m in str(s).split(";") if m)))

