"""Run metrics from the issue log, and confidence intervals across replications."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

SLA_DAYS = (7.0, 30.0)
"""Default service-level horizons N of the ``closed_within_Nd`` metrics."""


def sla_name(days: float) -> str:
    """The metric name of "closed within ``days`` days": ``closed_within_30d`` (a
    fraction's point becomes an underscore, ``closed_within_0_5d``, so the name stays an
    identifier, as targets and store columns need)."""
    return f"closed_within_{days:g}d".replace(".", "_")


def metric_names(sla_days: Sequence[float] = SLA_DAYS) -> tuple[str, ...]:
    """Metric names, in report order, with the ``closed_within_Nd`` of ``sla_days``."""
    return (
        "issues_raised",
        "issues_resolved",
        "resolution_rate",
        *(sla_name(d) for d in sla_days),
        "backlog_at_end",
        "mean_wait_days",
        "mean_time_to_resolve_days",
        "km_median_time_to_resolve_days",
        "p90_time_to_resolve_days",
        "escalation_share",
        "cadre_utilization",
    )


METRICS = metric_names()
"""Metric names, in report order (service levels at the default 7 and 30 days)."""


def km_median(durations: np.ndarray, observed: np.ndarray) -> float:
    """Kaplan-Meier median of right-censored durations.

    The product-limit estimate ``S(t) = prod over event times u <= t of (1 - d_u / n_u)``
    (``d_u`` events at ``u``, ``n_u`` durations ``>= u``: censored at ``u`` still count
    at risk there); the median is the first event time where ``S(t) <= 0.5``, NaN when
    the curve never gets there (fewer than half are known to end). Same convention as
    lifelines' ``median_survival_time_``.

    Args:
        durations: Time to the event, or to censoring.
        observed: True where the event happened (False: censored).
    """
    t = np.asarray(durations, float)
    e = np.asarray(observed, bool)
    if len(t) == 0:
        return math.nan
    if np.isnan(t).any():
        times, inverse = np.unique(t, return_inverse=True)
        deaths = np.bincount(inverse, weights=e, minlength=len(times))
        leaving = np.bincount(inverse, minlength=len(times))
    else:  # the same counts from two sorts, without np.unique's inverse (a stable argsort)
        ranked = np.sort(t)
        first = np.concatenate(([True], ranked[1:] != ranked[:-1]))
        times = ranked[first]
        starts = np.flatnonzero(first)
        leaving = np.diff(np.append(starts, len(t)))
        # events at each time: counted among the events, or as the durations there less
        # the censored ones, whichever set is smaller (most issues resolve, or most do not)
        few = np.sort(t[e] if 2 * e.sum() <= len(t) else t[~e])
        at = (np.searchsorted(few, times, side="right")
              - np.searchsorted(few, times, side="left"))
        deaths = (at if 2 * e.sum() <= len(t) else leaving - at).astype(float)
    at_risk = len(t) - np.concatenate(([0], np.cumsum(leaving)[:-1]))
    surv = np.cumprod(1.0 - deaths / at_risk)
    below = np.flatnonzero((surv <= 0.5) & (deaths > 0))
    return float(times[below[0]]) if len(below) else math.nan


def issue_metrics(issues: pd.DataFrame, warmup: float, horizon: float,
                  sla_days: Sequence[float] = SLA_DAYS) -> dict[str, float]:
    """Metrics of the issues raised in ``[warmup, horizon)``, as seen at the horizon.

    ``resolution_rate`` is resolved by the horizon over raised; ``closed_within_Nd`` is
    the share closed (resolved, or closed unresolved after its report-back) within N days
    of being raised, among the issues raised at least N days before the horizon (for the
    later ones the answer is not known yet; NaN when there are none);
    ``backlog_at_end`` counts the issues open at the horizon, whenever raised;
    ``mean_wait_days`` runs from raised to the first handler starting work (issues not
    started are left out); mean and p90 times to resolve are over resolved issues, and
    ``km_median_time_to_resolve_days`` is the Kaplan-Meier median over all of them, an
    issue not resolved by the horizon (open, or closed unresolved) counting as censored
    there; ``escalation_share`` is the share of raised issues handed to a home unit by
    the horizon.
    """
    raised, started, resolved, closed, escalated = (issues[c].to_numpy(float) for c in TIMES)
    return times_metrics(raised, started, resolved, closed, escalated, warmup, horizon,
                         sla_days)


TIMES = ("raised", "started", "resolved", "closed", "escalated")
"""The issue log's columns the metrics read (NaN: not yet)."""


def _five(times: Sequence[np.ndarray]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The five time columns of :data:`TIMES`, as a tuple of fixed length."""
    raised, started, resolved, closed, escalated = times
    return raised, started, resolved, closed, escalated


def times_metrics(raised: np.ndarray, started: np.ndarray, resolved: np.ndarray,
                  closed: np.ndarray, escalated: np.ndarray, warmup: float, horizon: float,
                  sla_days: Sequence[float] = SLA_DAYS) -> dict[str, float]:
    """:func:`issue_metrics` from the issue log's time columns as arrays (one element an
    issue, in the log's order), without a DataFrame."""
    before = raised < horizon
    backlog = int((before & ~(closed <= horizon)).sum())
    keep = (raised >= warmup) & before
    raised_at = raised[keep]
    started_at, resolved_at, closed_at = started[keep], resolved[keep], closed[keep]
    raised_n = len(raised_at)
    resolved_mask = resolved_at <= horizon
    ttr_all = resolved_at - raised_at
    ttr = ttr_all[resolved_mask]
    wait = (started_at - raised_at)[started_at <= horizon]
    closed_after = closed_at - raised_at
    nan = math.nan
    out = {
        "issues_raised": float(raised_n),
        "issues_resolved": float(resolved_mask.sum()),
        "resolution_rate": float(resolved_mask.sum() / raised_n) if raised_n else nan,
    }
    for days in sla_days:
        seen = raised_at <= horizon - days
        within = closed_after[seen] <= days
        out[sla_name(days)] = float(within.mean()) if seen.any() else nan
    escalated_n = (escalated[keep] <= horizon).sum()
    out |= {
        "backlog_at_end": float(backlog),
        "mean_wait_days": float(wait.mean()) if len(wait) else nan,
        "mean_time_to_resolve_days": float(ttr.mean()) if len(ttr) else nan,
        "km_median_time_to_resolve_days": km_median(
            np.where(resolved_mask, ttr_all, horizon - raised_at), resolved_mask),
        "p90_time_to_resolve_days": float(np.quantile(ttr, 0.9)) if len(ttr) else nan,
        "escalation_share": float(escalated_n / raised_n) if raised_n else nan,
    }
    return out


def run_metrics(issues: pd.DataFrame, warmup: float, horizon: float, busy_hours: float,
                available_hours: float, sla_days: Sequence[float] = SLA_DAYS) -> dict[str, float]:
    """All metrics of one run, cadre utilisation included."""
    out = issue_metrics(issues, warmup, horizon, sla_days)
    out["cadre_utilization"] = busy_hours / available_hours if available_hours > 0 else math.nan
    return out


def format_ci(lo: float, hi: float, spec: str = ".4g") -> str:
    """``[lo, hi]`` formatted, or ``n/a`` when the interval is undefined (NaN bounds)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    return f"[{lo:{spec}}, {hi:{spec}}]"


def by_category(issues: pd.DataFrame, warmup: float, horizon: float,
                sla_days: Sequence[float] = SLA_DAYS) -> dict[str, dict]:
    """The issue metrics per category."""
    cats = issues["category"]
    if len(cats) and cats.notna().all() and (cats == cats.iat[0]).all():  # one: no grouping
        return {str(cats.iat[0]): issue_metrics(issues, warmup, horizon, sla_days)}
    return {
        str(cat): issue_metrics(group, warmup, horizon, sla_days)
        for cat, group in issues.groupby("category", sort=True)
    }


def times_by_category(codes: np.ndarray, names: Sequence[str], times: Sequence[np.ndarray],
                      warmup: float, horizon: float,
                      sla_days: Sequence[float] = SLA_DAYS) -> dict[str, dict]:
    """:func:`by_category` from arrays: each issue's category code (an index into
    ``names``) and the time columns of :data:`TIMES`."""
    counts = np.bincount(codes, minlength=len(names))
    present = np.flatnonzero(counts)
    if len(present) == 1:  # one category: no grouping
        return {str(names[present[0]]): times_metrics(*_five(times), warmup, horizon,
                                                      sla_days)}
    order = np.argsort(codes, kind="stable")  # each category's issues together, in log order
    grouped = [t[order] for t in times]
    ends = np.cumsum(counts)
    out = {}
    for k in sorted(present.tolist(), key=lambda k: names[k]):
        lo, hi = ends[k] - counts[k], ends[k]
        out[str(names[k])] = times_metrics(*_five([t[lo:hi] for t in grouped]), warmup,
                                           horizon, sla_days)
    return out


def mean_ci(values: np.ndarray, level: float = 0.95) -> dict[str, float | list[float]]:
    """Mean and Student-t confidence interval (NaN values left out).

    With fewer than two values the interval is undefined: its bounds are NaN (tables show
    ``n/a``, JSON ``null``), never a zero-width interval around the one value.
    """
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return {"mean": math.nan, "ci95": [math.nan, math.nan]}
    m = float(v.mean())
    if len(v) < 2:
        return {"mean": m, "ci95": [math.nan, math.nan]}
    from scipy.special import stdtrit  # Student t quantile, without scipy.stats' import cost

    half = float(stdtrit(len(v) - 1, 0.5 + level / 2) * v.std(ddof=1) / math.sqrt(len(v)))
    return {"mean": m, "ci95": [m - half, m + half]}
