"""Resumable sweeps: every design point x replication run once, stored as it finishes.

A run is identified by its run key, a hash of (scenario content, design point,
replication, master seed S, model version); its seed is a hash of (S, scenario content,
replication), plus the design point when ``common_random_numbers`` is off. Neither
depends on order, worker or executor, so a sweep gives bit-identical results in one
process, in local processes or on a Dask cluster, and rerunning the same command resumes
it: run keys already stored ``ok`` are skipped, ``failed`` ones are retried on request.

Typical use::

    from assign import load_scenario
    from sim.design import load_design
    from sim.sweep import run_sweep
    result = run_sweep(load_scenario("scenarios/zhangye-2022"), load_design("design.yaml"),
                       "results.sqlite", workers=2)
"""

from __future__ import annotations

import platform
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from assign import Scenario, ScenarioError
from assign.config import ScenarioConfig
from assign.errors import Problem
from assign.io.scenario import apply_overrides, validation_problems

from .batches import BatchPlan
from .config import SimulationConfig, simulation_config
from .design import CADRES, Design, canonical, run_key, run_seed, scenario_hash, sha256
from .executors import Executor, make_executor, worker_name
from .experiment import prepare_pairing, run_once
from .store import Store

Progress = Callable[[int, int], None]


def model_version() -> str:
    """The model's version as it enters run keys (zhuqi's package version)."""
    try:
        return "zhuqi " + metadata.version("zhuqi")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "zhuqi unknown"


# --- design points applied to a scenario -------------------------------------------------


def with_simulation(scenario: Scenario, config: SimulationConfig) -> Scenario:
    """The scenario with its ``simulation`` section replaced by ``config``."""
    return replace(scenario, config=scenario.config.model_copy(
        update={"simulation": config.model_dump()}))


def staffing_level(scenario: Scenario, cadres: int, pick: str = "first",
                   chosen: tuple[str, ...] | None = None) -> Scenario:
    """The scenario at a staffing level of ``cadres``, firm limits raised to cover all firms.

    ``pick="best"``: the cadres an optimal plan chooses under the cadre budget
    ``assignment.max_cadres`` (coverage first, then cost), as ``zhuqi compare --pick best``
    does; ``pick="first"``: the roster's first ``cadres``. ``chosen`` (cadre ids picked
    earlier, e.g. by :func:`choose_cadres` in the process that planned the sweep) is used as
    it is, so every worker serves with the same cadres.
    """
    from .experiment import staffing_scenario

    if pick not in ("first", "best"):
        raise ValueError(f"pick must be 'first' or 'best', not '{pick}'")
    if chosen is not None:
        if len(chosen) != cadres:
            raise ValueError(f"{len(chosen)} cadres chosen for a level of {cadres}")
        first = scenario.cadres["id"].isin(chosen).to_numpy()
        order = np.r_[np.flatnonzero(first), np.flatnonzero(~first)]
        scenario = replace(scenario, cadres=scenario.cadres.iloc[order].reset_index(drop=True))
        return staffing_scenario(scenario, cadres)
    return staffing_scenario(scenario, cadres, pick=pick)


def choose_cadres(scenario: Scenario, point: dict[str, Any], pick: str) -> tuple[str, ...] | None:
    """The cadre ids serving at a design point's staffing level (None without one, or
    when ``pick`` is ``first``: then the roster's first N serve)."""
    if CADRES not in point or pick == "first":
        return None
    level = apply_point(scenario, point, pick)
    return tuple(level.cadres["id"].astype(str))


def apply_point(scenario: Scenario, point: dict[str, Any], pick: str = "first",
                chosen: tuple[str, ...] | None = None) -> Scenario:
    """The scenario with a design point's keys set (``cadres`` sets the staffing level, its
    cadres picked as :func:`staffing_level` says).

    Raises:
        ScenarioError: when a key or value is not valid for the scenario.
    """
    sets = {k: v for k, v in point.items() if k != CADRES}
    if sets:
        data = apply_overrides(scenario.config.model_dump(), sets)
        try:
            config = ScenarioConfig.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(validation_problems(exc, None, sets)) from None
        scenario = replace(scenario, config=config, overrides={**scenario.overrides, **sets})
    if CADRES in point:
        scenario = staffing_level(scenario, int(point[CADRES]), pick, chosen)
    return scenario


def check_design(scenario: Scenario, design: Design) -> list[dict[str, Any]]:
    """Every design point, each checked against the scenario (keys, values, simulation).

    Raises:
        ScenarioError: naming the design file, the point and the key at fault.
    """
    points = design.points()
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, point in enumerate(points, start=1):
        try:
            simulation_config(apply_point(scenario, point))
        except ScenarioError as exc:
            for p in exc.problems:
                if p.message not in seen:
                    seen.add(p.message)
                    problems.append(Problem(design.source, f"design point {i} {canonical(point)}: "
                                            f"{p.message}", key=p.key))
        except ValueError as exc:
            problems.append(Problem(design.source, f"design point {i} {canonical(point)}: {exc}"))
    if problems:
        raise ScenarioError(problems)
    return points


# --- one run, on whichever worker ------------------------------------------------------


@dataclass(frozen=True)
class Shared:
    """What every worker receives once: the base scenario, its content hash (the
    fingerprint, plus how cadres are picked), what to keep, and the scenario's fingerprint."""

    scenario: Scenario
    content: str
    metrics: tuple[str, ...] | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class Task:
    """One run: a design point and a replication, with its key and seed."""

    point: dict[str, Any]
    replication: int
    seed: int
    run_key: str
    chosen: tuple[str, ...] | None = None


_PREPARED: OrderedDict[tuple, tuple] = OrderedDict()
_PREPARED_LOCK = threading.Lock()


def _prepare(shared: Shared, point: dict[str, Any], chosen: tuple[str, ...] | None) -> tuple:
    """The point's scenario, simulation settings and pairing (cached per worker)."""
    key = (shared.content, canonical(point), chosen)
    with _PREPARED_LOCK:  # Dask workers may run tasks in threads
        if key in _PREPARED:
            _PREPARED.move_to_end(key)
            return _PREPARED[key]
    scenario = apply_point(shared.scenario, point, "first", chosen)
    config = simulation_config(scenario)
    pairing = None
    if config.service in ("assigned", "team"):  # solved once per point, not once per run
        pairing = prepare_pairing(scenario, config)  # cadres in batches: each period's
        first = pairing.periods[0].pairing if isinstance(pairing, BatchPlan) else pairing
        if first is not None and not first.is_feasible():
            why = ("; ".join(map(str, first.conflicts[:3])) if first.conflicts
                   else "no firm can be covered")
            raise RuntimeError(f"no pairing for this design point: the solver says "
                               f"'{first.status}' ({why})")
    with _PREPARED_LOCK:
        _PREPARED[key] = (scenario, config, pairing)
        while len(_PREPARED) > 8:
            _PREPARED.popitem(last=False)
    return scenario, config, pairing


def execute(shared: Shared, task: Task) -> dict[str, Any]:
    """Run one task; never raises: a failure comes back as a ``failed`` row."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {"run_key": task.run_key, "point": task.point, "factors": task.point,
                           "replication": task.replication, "seed": task.seed,
                           "worker": worker_name()}
    try:
        scenario, config, pairing = _prepare(shared, task.point, task.chosen)
        result = run_once(scenario, pairing, config, task.seed, task.replication)
        metrics = dict(result.metrics)
        if shared.metrics:
            unknown = [m for m in shared.metrics if m not in metrics]
            if unknown:
                raise ValueError(f"the design keeps metrics the model does not report: "
                                 f"{', '.join(unknown)} (it reports {', '.join(metrics)})")
            metrics = {m: metrics[m] for m in shared.metrics}
        row.update(status="ok", metrics=metrics, error=None)
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, the sweep goes on
        row.update(status="failed", metrics={}, error=_last_line(exc))
    row["seconds"] = time.perf_counter() - t0
    return row


def _last_line(exc: BaseException) -> str:
    lines = traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).strip().splitlines()
    return text[-1] if text else type(exc).__name__


# --- the sweep -------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What a sweep did.

    Attributes:
        total: Runs in the design.
        skipped: Runs already stored ``ok`` (or ``failed`` without retry).
        ran: Runs executed now.
        ok: Runs now stored ``ok`` (all of the design).
        failed: Runs now stored ``failed`` (all of the design).
        errors: ``(point, replication, error)`` of runs that failed now.
        seconds: Wall time.
        store: The store's path.
    """

    total: int
    skipped: int
    ran: int
    ok: int
    failed: int
    errors: list[tuple[dict, int, str]] = field(default_factory=list)
    seconds: float = 0.0
    store: str = ""
    executor: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"total": self.total, "skipped": self.skipped, "ran": self.ran, "ok": self.ok,
                "failed": self.failed, "seconds": round(self.seconds, 3), "store": self.store,
                "executor": self.executor,
                "errors": [{"point": p, "replication": r, "error": e} for p, r, e in self.errors]}


def manifest(scenario: Scenario, content: str, design: Design | None = None,
             extra: dict[str, Any] | None = None, seed: int | None = None) -> dict[str, Any]:
    """The experiment's manifest (:func:`assign.io.manifest.build_manifest`: command, versions,
    inputs' SHA-256, overrides, seed) plus the run keys' content hash, the scenario's
    fingerprint (:func:`assign.fingerprint.fingerprint`) and the model version."""
    from assign.io.manifest import build_manifest, scenario_inputs

    inputs: dict[str, str | Path] = dict(scenario_inputs(scenario))
    if design is not None and Path(design.source).is_file():
        inputs["design"] = Path(design.source)
    out = build_manifest(inputs, overrides=scenario.overrides,
                         seed=design.seed if design is not None else seed)
    out["versions"] |= _extra_versions()
    return {**out, "scenario": scenario.name, "scenario_sha256": content,
            "fingerprint": scenario_hash(scenario), "model_version": model_version(),
            "host": platform.node(), **(extra or {})}


def _extra_versions() -> dict[str, str]:
    out = {}
    for pkg in ("dask", "distributed"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def plan_tasks(content: str, points: list[dict[str, Any]], replications: range | list[int],
               seed: int, common_random_numbers: bool = True,
               chosen: dict[str, tuple[str, ...] | None] | None = None) -> list[Task]:
    """The tasks of a design, with their run keys, seeds and (by canonical point) the
    cadres serving at each point."""
    version = model_version()
    chosen = chosen or {}
    return [Task(p, r, run_seed(seed, content, None if common_random_numbers else p, r),
                 run_key(content, p, r, seed, version), chosen.get(canonical(p)))
            for p in points for r in replications]


def content_key(scenario: Scenario, pick: str | None) -> str:
    """What run keys and seeds hash as the scenario: its content, plus how staffing levels
    pick their cadres when the design has any."""
    content = scenario_hash(scenario)
    return content if pick is None else sha256(f"{content}|pick={pick}")


def provenance(shared: Shared, executor: Executor) -> dict[str, str]:
    """What every stored row records about how it was produced: the scenario's fingerprint,
    the model version, the versions of Python and the libraries, the executor."""
    from assign.io.manifest import versions

    return {"fingerprint": shared.fingerprint or shared.content, "model_version": model_version(),
            "versions": canonical(versions() | _extra_versions()), "executor": executor.name}


def execute_tasks(store: Store, shared: Shared, tasks: list[Task], executor: Executor,
                  progress: Progress | None = None,
                  on_row: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Run tasks on an executor, storing each row as it comes back.

    ``on_row`` sees each run's row once (a duplicate delivery is stored once and not
    shown again); nothing else is kept, so memory stays flat. Returns the runs done.
    """
    total = len(tasks)
    if progress:
        progress(0, total)
    stamp = provenance(shared, executor)
    seen: set[str] = set()
    for task, row, exc in executor.map_unordered(execute, shared, tasks):
        if row is None:  # the executor lost the run (a worker died, Dask gave up on it)
            row = {"run_key": task.run_key, "point": task.point, "factors": task.point,
                   "replication": task.replication, "seed": task.seed, "status": "failed",
                   "metrics": {}, "error": _last_line(exc) if exc else "lost", "seconds": None,
                   "worker": None}
        row = {**row, **stamp}
        store.add(row)
        if task.run_key in seen:
            continue
        seen.add(task.run_key)
        if on_row:
            on_row(row)
        if progress:
            progress(len(seen), total)
    return len(seen)


def run_sweep(
    scenario: Scenario,
    design: Design,
    store: str | Path | Store,
    workers: int | None = 1,
    scheduler: Any = None,
    retry_failed: bool = False,
    progress: Progress | None = None,
    config: SimulationConfig | None = None,
    executor: Executor | None = None,
) -> SweepResult:
    """Run (or resume) a sweep of ``design`` over ``scenario`` into a SQLite store.

    Args:
        scenario: The base scenario.
        design: The design (factors, replications, seed).
        store: Path of the SQLite store (created if absent) or an open :class:`Store`.
        workers: Local processes (1 = this process).
        scheduler: A Dask scheduler address or ``distributed.Client``.
        retry_failed: Run again the runs stored ``failed``.
        progress: Called with (done, total) as runs finish.
        config: Simulation settings replacing the scenario's ``simulation`` section.
        executor: An executor to use instead of ``workers`` / ``scheduler``.

    Raises:
        ScenarioError: when a design point is not valid for the scenario.
    """
    t0 = time.perf_counter()
    if config is not None:
        scenario = with_simulation(scenario, config)
    points = check_design(scenario, design)
    staffed = CADRES in design.keys
    content = content_key(scenario, design.pick if staffed else None)
    chosen = {canonical(p): choose_cadres(scenario, p, design.pick) for p in points} \
        if staffed and design.pick == "best" else {}
    tasks = plan_tasks(content, points, range(design.replications), design.seed,
                       design.common_random_numbers, chosen)
    own_store = not isinstance(store, Store)
    st = Store(store) if not isinstance(store, Store) else store
    try:
        picked = {k: list(v) for k, v in chosen.items() if v is not None}
        st.record_design("sweep", scenario.name, content, design.keys, design.to_dict(),
                         manifest(scenario, content, design, {"cadres_chosen": picked}))
        st.ensure_columns(design.keys, "factor")
        done = st.status([t.run_key for t in tasks])
        todo = [t for t in tasks
                if done.get(t.run_key) is None or (retry_failed and done[t.run_key] == "failed")]
        ex = executor or make_executor(workers, scheduler)
        errors: list[tuple[dict, int, str]] = []

        def note(row: dict[str, Any]) -> None:
            if row["status"] != "ok" and len(errors) < 1000:  # the first thousand are plenty
                errors.append((row["point"], row["replication"], row["error"]))

        try:
            shared = Shared(scenario, content, design.metrics, scenario_hash(scenario))
            execute_tasks(st, shared, todo, ex, progress, note)
        finally:
            if executor is None:
                ex.close()
        final = st.status([t.run_key for t in tasks])
        ok = sum(1 for s in final.values() if s == "ok")
        failed = sum(1 for s in final.values() if s == "failed")
        return SweepResult(len(tasks), len(tasks) - len(todo), len(todo), ok, failed, errors,
                           time.perf_counter() - t0, str(st.path), ex.name)
    finally:
        if own_store:
            st.close()


def sweep_runs(store: str | Path | Store, status: str | None = "ok") -> pd.DataFrame:
    """The runs of a store (``ok`` ones by default), one row per run."""
    if isinstance(store, Store):
        return store.runs(status)
    from .store import read_runs

    return read_runs(store, status)
