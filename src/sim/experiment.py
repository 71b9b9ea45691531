"""Experiments: replications of a scenario, and staffing levels compared.

Replication ``r`` of seed ``S`` always uses the seed sequence ``(S, spawn_key=(r,))``,
whichever executor runs it and however many processes there are, so results do not
depend on the number of workers. Staffing levels share those seeds (common random
numbers): each level sees the same issues.
"""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from assign import Pairing, Scenario
from assign.categories import CATEGORY_KEYS

from .batches import BatchPlan, has_batches, plan_batches
from .config import SimulationConfig, simulation_config
from .metrics import mean_ci, metric_names, times_by_category, times_metrics
from .model import ServiceModel

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunResult:
    """One replication: metrics, per-category metrics, daily series, optional issue log."""

    replication: int
    metrics: dict[str, float]
    categories: dict[str, dict[str, float]]
    timeseries: pd.DataFrame
    issues: pd.DataFrame | None = None


def prepare_pairing(scenario: Scenario, config: SimulationConfig,
                    pairing: Pairing | BatchPlan | None = None) -> Pairing | BatchPlan | None:
    """What the runs of a scenario need, computed once for all replications: the pairing
    (solved when None and service is assigned or team), or each period's when cadres serve in
    batches (``start_day`` / ``end_day``; a given pairing is the first period's)."""
    if isinstance(pairing, BatchPlan):
        return pairing
    if has_batches(scenario):
        return plan_batches(scenario, config.days, pairing, assigned=config.service == "assigned")
    if pairing is None and config.service in ("assigned", "team"):
        return _solve(scenario)
    return pairing


def run_once(
    scenario: Scenario,
    pairing: Pairing | BatchPlan | None,
    config: SimulationConfig,
    seed: int,
    replication: int,
    keep_issues: bool = False,
) -> RunResult:
    """Run one replication with the seed sequence ``(seed, spawn_key=(replication,))``."""
    ss = np.random.SeedSequence(seed, spawn_key=(replication,))
    model = ServiceModel(scenario, pairing, config, ss).run()
    log = model.log  # metrics straight from the log's arrays: the issue table only if kept
    times = (log.raised, log.started, log.resolved, log.closed, log.escalated)
    categories = times_by_category(log.category, CATEGORY_KEYS, times, config.warmup_days,
                                   config.days, config.sla_days)
    if len(categories) == 1:  # one category: its metrics are the run's
        metrics = dict(next(iter(categories.values())))
    else:
        metrics = times_metrics(*times, config.warmup_days, config.days, config.sla_days)
    available = model.available_hours()
    metrics["cadre_utilization"] = model.busy_hours() / available if available > 0 else math.nan
    issues = model.issues() if keep_issues else None
    series = model.datacollector.get_model_vars_dataframe()
    series.insert(0, "day", np.arange(len(series), dtype=float))
    return RunResult(replication, metrics, categories, series, issues)


def _run_job(args: tuple) -> RunResult:
    return run_once(*args)


def run_many(
    jobs: list[tuple],
    workers: int = 1,
    progress: Progress | None = None,
    scheduler: str | None = None,
) -> list[RunResult]:
    """Run ``run_once`` argument tuples in-process, in local processes, or on Dask.

    Args:
        jobs: Argument tuples for :func:`run_once`.
        workers: Local processes (1 = in this process).
        progress: Called with (done, total) as runs finish.
        scheduler: Address of a Dask distributed scheduler (``tcp://host:8786``).
    """
    total = len(jobs)
    results: list[RunResult] = []
    if scheduler is not None:
        try:
            from distributed import Client, as_completed
        except ImportError as exc:  # pragma: no cover - optional extra
            raise ValueError("--scheduler needs the dask extra: pip install 'zhuqi[dask]'") from exc
        with Client(scheduler) as client:
            futures = client.map(_run_job, jobs, pure=False)
            for done, _ in enumerate(as_completed(futures), start=1):
                if progress:
                    progress(done, total)
            results = client.gather(futures)
    elif workers <= 1 or total <= 1:
        for job in jobs:
            results.append(_run_job(job))
            if progress:
                progress(len(results), total)
    else:
        import multiprocessing as mp
        import os

        from .executors import die_with_parent

        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=ctx,
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            for res in pool.map(_run_job, jobs):
                results.append(res)
                if progress:
                    progress(len(results), total)
    return results


def versions() -> dict[str, str]:
    """Versions of zhuqi and the libraries that shape its results."""
    out = {"python": platform.python_version()}
    for pkg in ("zhuqi", "mesa", "numpy", "ortools"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


@dataclass
class SimulationResult:
    """Replications of one configuration.

    Attributes:
        runs: One row per replication: replication, seed, and every metric.
        categories: One row per replication and category with the issue metrics.
        timeseries: Daily series (open issues, resolution rate, utilisation...) per run.
        issues: The issue logs (with a replication column) when kept.
        meta: Seed, versions and parameters.
    """

    runs: pd.DataFrame
    categories: pd.DataFrame
    timeseries: pd.DataFrame
    issues: pd.DataFrame | None
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Mean and 95% CI of every metric, overall and per category."""
        names = [c for c in self.runs.columns if c not in ("replication", "seed")]
        metrics = {m: mean_ci(self.runs[m].to_numpy()) for m in names}
        cats: dict[str, dict] = {}
        for cat, group in self.categories.groupby("category", sort=True):
            cats[str(cat)] = {
                m: mean_ci(group[m].to_numpy()) for m in names if m in group.columns
            }
        return {"metrics": metrics, "by_category": cats}

    def to_json(self) -> dict[str, Any]:
        """The contract JSON: metrics, by_category, runs, meta."""
        s = self.summary()
        runs = [{k: _plain(v) for k, v in row.items()} for row in self.runs.to_dict("records")]
        return {"metrics": s["metrics"], "by_category": s["by_category"], "runs": runs,
                "meta": self.meta}


def _plain(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    return v.item() if hasattr(v, "item") else v


def _collect(results: Iterable[RunResult], seed: int, keep_issues: bool) -> tuple:
    results = sorted(results, key=lambda r: r.replication)
    runs = pd.DataFrame(
        [{"replication": r.replication, "seed": seed, **r.metrics} for r in results]
    )
    cats = pd.DataFrame(
        [{"replication": r.replication, "category": c, **m}
         for r in results for c, m in r.categories.items()]
    )
    series = pd.concat(
        [r.timeseries.assign(replication=r.replication) for r in results], ignore_index=True
    )
    issues = None
    if keep_issues:
        issues = pd.concat([r.issues.assign(replication=r.replication) for r in results
                            if r.issues is not None], ignore_index=True)
    return runs, cats, series, issues


def simulate_scenario(
    scenario: Scenario,
    pairing: Pairing | BatchPlan | None = None,
    config: SimulationConfig | None = None,
    replications: int = 10,
    seed: int = 0,
    workers: int = 1,
    keep_issues: bool = False,
    progress: Progress | None = None,
    scheduler: str | None = None,
) -> SimulationResult:
    """Run ``replications`` independent replications of a scenario.

    Args:
        scenario: The scenario.
        pairing: Who serves which firm; solved once when None and service is assigned or
            team (each period's, when cadres serve in batches: see :func:`prepare_pairing`).
        config: Simulation settings (default: the scenario's section).
        replications: Number of replications.
        seed: Master seed; replication ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
        workers: Local processes.
        keep_issues: Keep every issue log (memory grows with issues x replications).
        progress: Called with (done, total).
        scheduler: Dask scheduler address, to run on a cluster.
    """
    config = config or simulation_config(scenario)
    plan = prepare_pairing(scenario, config, pairing)
    jobs = [(scenario, plan, config, seed, r, keep_issues) for r in range(replications)]
    started = time.perf_counter()
    results = run_many(jobs, workers, progress, scheduler)
    run_seconds = time.perf_counter() - started
    runs, cats, series, issues = _collect(results, seed, keep_issues)
    meta = {
        "scenario": scenario.name,
        "run_seconds": run_seconds,  # the replications: models built, run, measured
        "seed": seed,
        "replications": replications,
        "seeding": "numpy SeedSequence(seed, spawn_key=(replication,)), spawned into "
        "arrival, issue and model streams",
        "versions": versions(),
        "parameters": config.model_dump(),
        "overrides": scenario.overrides,
        "cadres": int(len(scenario.cadres)),
        "firms": int(len(scenario.firms)),
        "pairing": None if plan is None else plan.summary() | {"meta": None},
    }
    return SimulationResult(runs, cats, series, issues, meta)


def staffing_scenario(scenario: Scenario, cadres: int, pick: str = "first") -> Scenario:
    """The scenario with ``cadres`` cadres, firm limits raised to cover all firms.

    ``pick="first"`` keeps the roster's first cadres; ``pick="best"`` keeps the ones an
    optimal plan with ``assignment.max_cadres`` set to the level chooses (coverage first,
    then cost; with ``mode: teams`` the teams' members, the budget honoured by the teams
    solver), topped up in roster order if the plan needs fewer.
    Where the scenario sets no ``max_firms_per_cadre`` (or pairs one to one), each cadre
    may take ``ceil(firms / cadres)`` firms. A teams scenario stays a teams scenario: its
    teams are formed again from the level's cadres, so the full roster is the scenario
    itself.
    """
    if not 1 <= cadres <= len(scenario.cadres):
        raise ValueError(
            f"staffing level {cadres} is outside 1..{len(scenario.cadres)} (the scenario's cadres)"
        )
    if pick not in ("first", "best"):
        raise ValueError(f"pick must be 'first' or 'best', not '{pick}'")
    if pick == "best" and cadres < len(scenario.cadres):
        plan = _solve(_raised(scenario, cadres).with_config(max_cadres=cadres))
        serving = plan.pairs["cadre_id"]
        if scenario.config.assignment.mode == "teams":  # members serve, linked or not
            loads = plan.cadre_loads
            serving = loads.loc[loads["team"].fillna("").astype(str) != "", "cadre_id"]
        chosen = scenario.cadres["id"].isin(serving).to_numpy()
        for k in np.flatnonzero(~chosen)[: cadres - int(chosen.sum())]:
            chosen[k] = True
        order = np.r_[np.flatnonzero(chosen), np.flatnonzero(~chosen)]
        scenario = replace(scenario, cadres=scenario.cadres.iloc[order].reset_index(drop=True))
    return _raised(scenario.with_cadres(cadres), cadres)


def _raised(scenario: Scenario, level: int) -> Scenario:
    """Firm limits raised so ``level`` cadres can cover every firm (see staffing_scenario)."""
    cfg = scenario.config.assignment
    if cfg.mode == "teams":  # the teams solver re-forms the teams; links keep their limits
        return scenario
    if cfg.mode == "one_to_one" or cfg.max_firms_per_cadre is None:
        per = math.ceil(len(scenario.firms) / level)
        own = scenario.cadres["max_firms"]
        if cfg.mode == "one_to_one":
            own = pd.Series(np.nan, index=own.index)
        scenario = replace(
            scenario.with_config(mode="one_to_many", max_firms_per_cadre=per),
            cadres=scenario.cadres.assign(max_firms=own.fillna(per)),
        )
    return scenario


@dataclass
class ComparisonResult:
    """Staffing levels compared: one row per (level, replication) and summaries."""

    runs: pd.DataFrame
    levels: list[dict[str, Any]]
    meta: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The contract JSON: ``{"levels": [{"cadres": N, "metrics": {...}}], "meta": ...}``."""
        return {"levels": self.levels, "meta": self.meta}

    def table(self) -> pd.DataFrame:
        """One row per level: mean and CI bounds of every metric."""
        rows = []
        for lv in self.levels:
            row: dict[str, Any] = {"cadres": lv["cadres"], "covered": lv["covered"]}
            for m, v in lv["metrics"].items():
                row[m] = v["mean"]
                row[f"{m}_lo"], row[f"{m}_hi"] = v["ci95"]
            rows.append(row)
        return pd.DataFrame(rows)


def compare_staffing(
    scenario: Scenario,
    levels: list[int],
    replications: int = 10,
    seed: int = 0,
    workers: int = 1,
    config: SimulationConfig | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
    pick: str = "best",
) -> ComparisonResult:
    """Simulate each staffing level (N cadres, re-solved pairing), common seeds.

    ``pick="best"`` lets an optimal plan choose which N cadres (``assignment.max_cadres``);
    ``pick="first"`` keeps the roster's first N. A level with no plan (say, too few cadres
    to form every team) is simulated as it is, every firm unserved, and its level carries a
    ``warning`` naming why.
    """
    config = config or simulation_config(scenario)
    jobs, covered, unplanned = [], {}, {}
    # progress counts each level's plan, then each run, against one known total
    total = len(levels) * (1 + replications)
    for k, n in enumerate(levels):
        if progress:
            progress(k, total)
        sc = staffing_scenario(scenario, n, pick)
        pairing = prepare_pairing(sc, config)
        covered[n] = (pairing.assigned if pairing is not None and config.service in (
            "assigned", "team") else len(sc.firms))
        if isinstance(pairing, Pairing) and not pairing.is_feasible():
            unplanned[n] = (f"no plan at {n} cadres ({pairing.status}): "
                            + ("; ".join(map(str, pairing.conflicts[:3])) or "no firm covered"))
        jobs += [(sc, pairing, config, seed, r, False) for r in range(replications)]
    planned = len(levels)

    def runs_done(done: int, _total: int) -> None:
        if progress:
            progress(planned + done, total)

    results = run_many(jobs, workers, runs_done, scheduler)
    rows, out_levels = [], []
    for k, n in enumerate(levels):
        chunk = results[k * replications:(k + 1) * replications]
        runs, _, _, _ = _collect(chunk, seed, False)
        runs.insert(0, "cadres", n)
        rows.append(runs)
        out_levels.append({
            "cadres": n,
            "covered": covered[n],
            **({"warning": unplanned[n]} if n in unplanned else {}),
            "metrics": {m: mean_ci(runs[m].to_numpy()) for m in metric_names(config.sla_days)},
        })
    meta = {"scenario": scenario.name, "seed": seed, "replications": replications, "pick": pick,
            "versions": versions(), "parameters": config.model_dump(),
            "overrides": scenario.overrides}
    return ComparisonResult(pd.concat(rows, ignore_index=True), out_levels, meta)


def _solve(*args, **kwargs) -> Pairing:
    """:func:`assign.solve`, imported on first use: a pooled run never loads the solvers."""
    from assign.solve import solve

    return solve(*args, **kwargs)
