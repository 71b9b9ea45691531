"""Run metrics from the issue log, and confidence intervals across replications."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

METRICS = (
    "issues_raised",
    "issues_resolved",
    "resolution_rate",
    "mean_wait_days",
    "mean_time_to_resolve_days",
    "p90_time_to_resolve_days",
    "escalation_share",
    "cadre_utilization",
)
"""Metric names, in report order."""


def issue_metrics(issues: pd.DataFrame, warmup: float, horizon: float) -> dict[str, float]:
    """Metrics of the issues raised in ``[warmup, horizon)``, as seen at the horizon.

    ``resolution_rate`` is resolved by the horizon over raised; ``mean_wait_days`` runs
    from raised to the first handler starting work (issues not started are left out);
    times to resolve are over resolved issues; ``escalation_share`` is the share of raised
    issues handed to a home unit by the horizon.
    """
    df = issues[(issues["raised"] >= warmup) & (issues["raised"] < horizon)]
    raised = len(df)
    resolved_mask = (df["resolved"] <= horizon).to_numpy()
    ttr = (df["resolved"] - df["raised"]).to_numpy()[resolved_mask]
    started = (df["started"] <= horizon).to_numpy()
    wait = (df["started"] - df["raised"]).to_numpy()[started]
    nan = math.nan
    return {
        "issues_raised": float(raised),
        "issues_resolved": float(resolved_mask.sum()),
        "resolution_rate": float(resolved_mask.sum() / raised) if raised else nan,
        "mean_wait_days": float(wait.mean()) if len(wait) else nan,
        "mean_time_to_resolve_days": float(ttr.mean()) if len(ttr) else nan,
        "p90_time_to_resolve_days": float(np.quantile(ttr, 0.9)) if len(ttr) else nan,
        "escalation_share": float((df["escalated"] <= horizon).sum() / raised) if raised else nan,
    }


def run_metrics(issues: pd.DataFrame, warmup: float, horizon: float, busy_hours: float,
                available_hours: float) -> dict[str, float]:
    """All metrics of one run, cadre utilisation included."""
    out = issue_metrics(issues, warmup, horizon)
    out["cadre_utilization"] = busy_hours / available_hours if available_hours > 0 else math.nan
    return out


def by_category(issues: pd.DataFrame, warmup: float, horizon: float) -> dict[str, dict]:
    """The issue metrics per category."""
    return {
        str(cat): issue_metrics(group, warmup, horizon)
        for cat, group in issues.groupby("category", sort=True)
    }


def mean_ci(values: np.ndarray, level: float = 0.95) -> dict[str, float | list[float]]:
    """Mean and Student-t confidence interval (NaN values left out)."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return {"mean": math.nan, "ci95": [math.nan, math.nan]}
    m = float(v.mean())
    if len(v) < 2:
        return {"mean": m, "ci95": [m, m]}
    from scipy.special import stdtrit  # Student t quantile, without scipy.stats' import cost

    half = float(stdtrit(len(v) - 1, 0.5 + level / 2) * v.std(ddof=1) / math.sqrt(len(v)))
    return {"mean": m, "ci95": [m - half, m + half]}
