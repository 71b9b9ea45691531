"""Summaries of a results store: mean and 95% CI of every metric per design point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .metrics import mean_ci
from .store import Store


def summarize(store: str | Path, by: list[str] | None = None,
              metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per group of ``ok`` runs: the group's factors, ``runs``, and for each metric
    its mean with the bounds of a Student-t 95% CI (``METRIC``, ``METRIC_lo``, ``METRIC_hi``).

    Args:
        store: The SQLite results store.
        by: Factors to group by (default: every factor of the store, i.e. per design point).
        metrics: Metrics to report (default: all).

    Raises:
        ValueError: naming an unknown factor or metric.
    """
    path = Path(store)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such results store")
    with Store(path) as st:
        factors, all_metrics = st.factors(), st.metrics()
        runs = st.runs("ok")
        failed = st.count("failed")
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
    out.attrs["failed"] = failed
    return out


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
        line, = ax.plot(xv, g[metric].to_numpy(float), marker="o", label=label)
        ax.fill_between(xv, g[f"{metric}_lo"].to_numpy(float), g[f"{metric}_hi"].to_numpy(float),
                        color=line.get_color(), alpha=0.2, linewidth=0)
        if not numeric:
            ax.set_xticks(xv, [str(v) for v in g[x]])
    ax.set_xlabel(x)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} by {x} (mean, 95% CI)")
    ax.grid(alpha=0.3)
    if others:
        ax.legend(fontsize=8)
    return save_figure(fig, path)
