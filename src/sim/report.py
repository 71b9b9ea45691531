"""Summaries of a results store: mean and 95% CI of every metric per design point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .metrics import mean_ci
from .store import Store

UNRECORDED = "unrecorded"
"""The fingerprint shown for runs stored before fingerprints were recorded."""


def summarize(store: str | Path, by: list[str] | None = None,
              metrics: list[str] | None = None, fingerprint: str = "latest") -> pd.DataFrame:
    """One row per group of ``ok`` runs: the group's factors, ``runs``, and for each metric
    its mean with the bounds of a Student-t 95% CI (``METRIC``, ``METRIC_lo``, ``METRIC_hi``;
    NaN bounds for a group of one run).

    Runs of different scenario versions (fingerprints) or model versions are never pooled:
    ``fingerprint="latest"`` summarises the runs of the version the store last wrote,
    ``"all"`` adds ``fingerprint`` and ``model_version`` as the first grouping columns, and
    any other value picks the fingerprint it begins (a prefix such as ``3fa2c1``).

    The table's ``attrs`` say what the store holds: ``versions`` (one dict per
    (fingerprint, model version): ``fingerprint``, ``model_version``, ``runs``,
    ``failed``, ``last``), ``fingerprints`` and ``model_versions`` (counts), ``shown``
    (the version summarised, None for ``all``) and ``failed`` (failed runs left out).

    Args:
        store: The SQLite results store.
        by: Factors to group by (default: every factor of the store, i.e. per design point).
        metrics: Metrics to report (default: all).
        fingerprint: ``latest``, ``all`` or the beginning of a fingerprint.

    Raises:
        ValueError: naming an unknown factor, metric or fingerprint.
    """
    path = Path(store)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such results store")
    with Store(path) as st:
        factors, all_metrics = st.factors(), st.metrics()
        runs = st.runs(None)
        order = st.db.execute("SELECT fingerprint, model_version FROM runs "
                              "ORDER BY finished DESC, rowid DESC LIMIT 1").fetchone()
    by = list(factors) if by is None else by
    for name in by:
        if name not in factors:
            raise ValueError(f"--by: '{name}' is not a factor of {path} "
                             f"(factors: {', '.join(factors) or 'none'})")
    metrics = list(all_metrics) if metrics is None else metrics
    for name in metrics:
        if name not in all_metrics:
            raise ValueError(f"'{name}' is not a metric of {path} "
                             f"(metrics: {', '.join(all_metrics) or 'none'})")
    for col in ("fingerprint", "model_version"):
        runs[col] = runs[col].fillna(UNRECORDED).astype(str)
    versions = _versions(runs)
    shown: tuple[str, str] | None = None
    if fingerprint == "all":
        by = ["fingerprint", "model_version", *by]
    else:
        if fingerprint == "latest":
            if order is not None:
                shown = (order[0] or UNRECORDED, order[1] or UNRECORDED)
        else:
            shown = _pick(versions, fingerprint, path)
        if shown is not None:
            runs = runs[(runs["fingerprint"] == shown[0]) & (runs["model_version"] == shown[1])]
    failed = int((runs["status"] == "failed").sum())
    runs = runs[runs["status"] == "ok"]
    rows: list[dict[str, Any]] = []
    groups = runs.groupby(by, dropna=False, sort=True) if by else [((), runs)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["runs"] = len(group)
        for m in metrics:
            ci = mean_ci(pd.to_numeric(group[m], errors="coerce").to_numpy(float))
            row[m] = ci["mean"]
            lo, hi = ci["ci95"]  # type: ignore[misc]
            row[f"{m}_lo"], row[f"{m}_hi"] = lo, hi
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*by, "runs", *[c for m in metrics
                                                    for c in (m, f"{m}_lo", f"{m}_hi")]])
    out.attrs.update(failed=failed, versions=versions, shown=shown,
                     fingerprints=len({v["fingerprint"] for v in versions}),
                     model_versions=len({v["model_version"] for v in versions}))
    return out


def _versions(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """Each (fingerprint, model version) the store holds, newest last."""
    out = []
    for (fp, mv), g in runs.groupby(["fingerprint", "model_version"], sort=False):
        out.append({"fingerprint": fp, "model_version": mv, "runs": int((g.status == "ok").sum()),
                    "failed": int((g.status == "failed").sum()), "last": str(g["finished"].max())})
    return sorted(out, key=lambda v: v["last"])


def _pick(versions: list[dict[str, Any]], prefix: str, path: Path) -> tuple[str, str]:
    found = [v for v in versions if v["fingerprint"].startswith(prefix.lower())]
    if not found:
        known = ", ".join(v["fingerprint"][:12] for v in versions) or "none"
        raise ValueError(f"--fingerprint: no runs of {path} have a fingerprint beginning "
                         f"'{prefix}' (it holds {known})")
    if len({v["fingerprint"] for v in found}) > 1:
        raise ValueError(f"--fingerprint: '{prefix}' begins {len(found)} fingerprints of "
                         f"{path}; give more characters")
    last = found[-1]  # of one fingerprint, the newest model version
    return last["fingerprint"], last["model_version"]


def write_summary(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a summary as CSV (UTF-8 with BOM) or XLSX."""
    from assign import write_csv
    from assign.io.export import atomic_write

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, table)
    if suffix == ".xlsx":
        return atomic_write(path, lambda p: table.to_excel(p, index=False, sheet_name="summary"))
    raise ValueError(f"{path}: the summary must be .csv or .xlsx")


def plot_summary(table: pd.DataFrame, metric: str, x: str, path: str | Path,
                 title: str | None = None) -> Path:
    """Plot ``metric`` against factor ``x`` with its 95% CI band, one line per other group."""
    from .plots import _pyplot, save_figure

    if x not in table.columns:
        raise ValueError(f"--x: '{x}' is not a grouping factor of the summary")
    if metric not in table.columns:
        raise ValueError(f"--metric: '{metric}' is not a metric of the store")
    others = [c for c in table.columns[: list(table.columns).index("runs")] if c != x]
    fig, ax = _pyplot().subplots(figsize=(7, 4.2), constrained_layout=True)
    groups = table.groupby(others, dropna=False, sort=True) if others else [((), table)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        g = g.sort_values(x)
        xs = pd.to_numeric(g[x], errors="coerce")
        numeric = not xs.isna().any()
        xv = xs.to_numpy(float) if numeric else np.arange(len(g))
        label = ", ".join(f"{k}={v}" for k, v in zip(others, key, strict=True)) or metric
        if g[f"{metric}_lo"].isna().any():
            label += " (95% CI n/a: fewer than 2 runs)"
        line, = ax.plot(xv, g[metric].to_numpy(float), marker="o", label=label)
        ax.fill_between(xv, g[f"{metric}_lo"].to_numpy(float), g[f"{metric}_hi"].to_numpy(float),
                        color=line.get_color(), alpha=0.2, linewidth=0)
        if not numeric:
            ax.set_xticks(xv, [str(v) for v in g[x]])
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} by {x} (mean, 95% CI)")
    ax.grid(alpha=0.3)
    if others or table[f"{metric}_lo"].isna().any():
        ax.legend(fontsize=8)
    return save_figure(fig, path)
