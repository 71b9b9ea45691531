"""Charts of simulation results (matplotlib, from the ``viz`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from assign.io.export import atomic_write

from .experiment import ComparisonResult, SimulationResult


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ValueError("plots need matplotlib: pip install 'zhuqi[viz]'") from exc
    return plt


CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP",
             "Source Han Sans SC", "SimHei", "Microsoft YaHei", "PingFang SC")
"""Fonts that draw Chinese, most wanted first."""


def cjk_font() -> str | None:
    """A font family on this machine that draws Chinese, for chart labels (None if none).

    Matplotlib's font list is cached when it is first built; a font installed after that
    is found by scanning the system's font files once."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in CJK_FONTS if n in names), None)

    found = known()
    if found is None:
        for path in font_manager.findSystemFonts():
            low = Path(path).name.lower()
            if any(k in low for k in ("wqy", "notosanscjk", "sourcehansans", "simhei", "msyh")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


def comparison_figure(result: ComparisonResult) -> Any:
    """Resolution rate and time to resolution against cadres, with 95% bands."""
    plt = _pyplot()
    t = result.table()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, metric, label in (
        (axes[0], "resolution_rate", "resolved by the horizon (share)"),
        (axes[1], "mean_time_to_resolve_days", "mean days to resolution (resolved issues)"),
    ):
        ax.plot(t["cadres"], t[metric], marker="o", color="C0")
        undefined = t[f"{metric}_lo"].isna().any()
        ax.fill_between(t["cadres"], t[f"{metric}_lo"], t[f"{metric}_hi"], alpha=0.25,
                        color="C0", label="95% CI" + (" (n/a: fewer than 2 replications)"
                                                      if undefined else ""))
        ax.set_xlabel("cadres")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"{result.meta.get('scenario', '')}: staffing levels "
                 f"({result.meta.get('replications')} replications each)")
    return fig


def simulation_figure(result: SimulationResult) -> Any:
    """Open issues over time (mean and 95% band) and the time-to-resolution histogram."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    ts = result.timeseries
    g = ts.groupby("day")["open_issues"]
    mean, sd, n = g.mean(), g.std(ddof=1).fillna(0.0), g.count()
    half = 1.96 * sd / np.sqrt(np.maximum(n, 1))
    axes[0].plot(mean.index, mean.to_numpy(), color="C1")
    axes[0].fill_between(mean.index, mean - half, mean + half, alpha=0.25, color="C1",
                         label="95% CI of the mean")
    axes[0].set_xlabel("day")
    axes[0].set_ylabel("open issues")
    axes[0].grid(alpha=0.3)
    axes[0].legend()
    if result.issues is not None:
        ttr = (result.issues["resolved"] - result.issues["raised"]).dropna()
        axes[1].hist(ttr, bins=40, color="C2")
    axes[1].set_xlabel("time to resolution (days)")
    axes[1].set_ylabel("issues")
    axes[1].grid(alpha=0.3)
    fig.suptitle(f"{result.meta.get('scenario', '')}: {result.meta.get('replications')} "
                 "replications")
    return fig


def save_figure(fig: Any, path: str | Path) -> Path:
    """Save a figure atomically (the format follows the suffix)."""
    plt = _pyplot()
    suffix = Path(path).suffix or ".png"

    def write(tmp: Path) -> None:
        fig.savefig(tmp, dpi=120, format=suffix.lstrip("."))

    try:
        return atomic_write(path, write)
    finally:
        plt.close(fig)
