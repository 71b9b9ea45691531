"""Batch solves: many scenarios, each solved on its own, one table of how each went.

Each scenario's pairing list (``pairs.csv``, with ``pairs.csv.manifest.json`` beside it),
summary (``summary.json``, its manifest inside) and manifest (``manifest.json``: inputs'
SHA-256, versions, overrides, command) go to ``DIR/NAME/``, where
NAME is the scenario's folder name. A scenario that fails (invalid input, no plan, a solver
error) is reported in the table and the others are still solved.

A rerun replaces each scenario's folder whole (built beside it, then renamed into place):
no output of an earlier run stays next to this run's summary. Scenarios run in this
process, in local processes, or on any executor of ``sim.executors`` (a Dask cluster),
one task each.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ScenarioError, ScenarioWarning
from .io.export import write_csv, write_json, write_pairs
from .io.manifest import build_manifest, scenario_files, scenario_inputs
from .io.scenario import load_scenario, resolve_yaml
from .problem import compile_problem

BATCH_COLUMNS = ("scenario", "path", "status", "firms", "covered", "cadres_used", "objective",
                 "bound", "backend", "seconds", "error", "out")
OK_STATUSES = ("optimal", "feasible")


def expand_paths(items: Sequence[str | Path]) -> list[Path]:
    """Scenario paths from arguments: folders or yaml files, globs, folders of scenario folders.

    Arguments that match nothing are kept as they are (reported as invalid when solved);
    files that are not yaml (a README picked up by ``scenarios/*``) are skipped with a warning.
    """
    out: list[Path] = []
    for item in items:
        text = str(item)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not matches:
            out.append(Path(text))
        for m in matches:
            p = Path(m)
            if p.is_file() and p.suffix.lower() not in (".yaml", ".yml"):
                # a shell glob such as scenarios/* also matches scenarios/README.md
                warnings.warn(f"{p}: not a scenario (a folder holding scenario.yaml, or a "
                              ".yaml file); skipped", ScenarioWarning, stacklevel=2)
                continue
            if p.is_dir() and not (p / "scenario.yaml").is_file():
                subs = sorted(d for d in p.iterdir() if (d / "scenario.yaml").is_file())
                out.extend(subs or [p])
            else:
                out.append(p)
    return out


def batch_names(paths: list[Path]) -> list[str]:
    """One distinct output folder name per scenario (its folder's name, numbered on clashes)."""
    names: list[str] = []
    for p in paths:
        yaml = resolve_yaml(p)
        base = (yaml.parent.name if yaml.name == "scenario.yaml" else yaml.stem) or "scenario"
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return names


def solve_one(path: Path, name: str, overrides: dict[str, Any],
              backend: str | None = None, time_limit: float | None = None,
              lang: str = "en", command: str | list[str] | None = None,
              ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Solve one scenario; never raises. Returns its batch row and its output files.

    The files (name -> bytes: ``pairs.csv`` and its manifest when there is a plan,
    ``summary.json``, ``manifest.json``) are rendered here and written by the caller with
    :func:`publish`, so a worker that dies mid-solve leaves nothing behind and a scenario
    run twice (Dask runs a task at least once) is still written once.
    """
    from .solve import solve

    t0 = time.perf_counter()
    started = time.time()
    row: dict[str, Any] = {"scenario": name, "path": str(path), "status": "error", "firms": None,
                           "covered": None, "cadres_used": None, "objective": None, "bound": None,
                           "backend": None, "seconds": None, "error": "", "out": ""}
    files: dict[str, bytes] = {}
    try:
        scenario = load_scenario(path, overrides)
    except (ScenarioError, FileNotFoundError, ValueError) as exc:
        text = ("; ".join(str(p) for p in exc.problems) if isinstance(exc, ScenarioError)
                else str(exc))
        row.update(status="invalid", error=text.replace("\n", " "),
                   seconds=round(time.perf_counter() - t0, 3))
        return row, files
    try:
        problem = compile_problem(scenario)
        pairing = solve(problem, backend=backend, time_limit=time_limit)  # type: ignore[arg-type]
        manifest = build_manifest(scenario_inputs(scenario), command=command,
                                  overrides=overrides, started=started,
                                  seconds=time.time() - started,
                                  fingerprint=problem.fingerprint)
        manifest["backend"] = pairing.backend
        with tempfile.TemporaryDirectory(prefix="zhuqi-batch-") as tmp:
            folder = Path(tmp)
            if pairing.is_feasible():
                write_pairs(pairing, folder / "pairs.csv", lang, manifest)
            write_json(folder / "summary.json", pairing.summary(), manifest)
            write_json(folder / "manifest.json", manifest)
            files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        row.update(status=pairing.status, firms=len(scenario.firms), covered=pairing.assigned,
                   cadres_used=int((pairing.cadre_loads["firms"] > 0).sum()),
                   objective=pairing.objective, bound=pairing.bound, backend=pairing.backend)
        if not pairing.is_feasible():
            reasons = pairing.uncovered["reason"].value_counts()
            row["error"] = "no plan: " + "; ".join(f"{n} firms: {r}" for r, n in reasons.items())
    except Exception as exc:  # noqa: BLE001 - one scenario's failure must not stop the batch
        row.update(status="error", error=f"{type(exc).__name__}: {exc}".replace("\n", " "))
        files = {}
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row, files


def publish(folder: str | Path, files: dict[str, bytes]) -> Path | None:
    """Make ``folder`` hold exactly ``files`` (name -> bytes), replacing what it held.

    The files are written into a temporary folder beside it, which is then renamed into
    place; the previous folder is renamed away first and removed after, so a reader never
    sees this run's summary next to an earlier run's pairing list, and an interrupted write
    leaves the earlier folder whole (or no folder). With no files the folder is removed
    (a scenario that now fails to load or to solve keeps no stale outputs). Returns the
    folder, or None when it was removed.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    new = None
    if files:
        new = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
        for name, data in files.items():
            (new / name).write_bytes(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(new, 0o777 & ~umask)  # mkdtemp makes folders private; give the usual mode
    old = None
    if folder.exists() or folder.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
        os.replace(folder, old / "previous")
    try:
        if new is not None:
            os.replace(new, folder)
    except BaseException:
        if new is not None:
            shutil.rmtree(new, ignore_errors=True)
        if old is not None and not folder.exists():
            os.replace(old / "previous", folder)  # put the earlier outputs back
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return folder if new is not None else None


def _solve_task(shared: dict[str, Any], task: tuple[int, Path, str]
                ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """One scenario as an executor task: ``shared`` holds the options common to all."""
    _, path, name = task
    return solve_one(path, name, **shared)


def _local_map(workers: int, shared: dict[str, Any], tasks: list[tuple[int, Path, str]]
               ) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """``map_unordered`` of ``sim.executors`` for this module: in this process or a pool."""
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            yield task, _solve_task(shared, task), None
        return
    import multiprocessing as mp

    with ProcessPoolExecutor(min(workers, len(tasks), os.cpu_count() or 1),
                             mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(_solve_task, shared, t): t for t in tasks}
        for fut in as_completed(futures):
            exc = fut.exception()
            yield futures[fut], (None if exc else fut.result()), exc


def solve_batch(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    overrides: dict[str, Any] | None = None,
    backend: str | None = None,
    time_limit: float | None = None,
    lang: str = "en",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    executor: Any = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Solve each scenario into ``out_dir/NAME/``; write and return the batch table.

    The table (``out_dir/batch.csv``) has one row per scenario in argument order: scenario,
    path, status (optimal / feasible / infeasible / invalid / error), firms, covered,
    cadres_used, objective, bound, backend, seconds, error, out.

    Args:
        workers: Local processes (1 = in this process); ignored with ``executor``.
        progress: Called with (scenarios done, scenarios in all) as each one finishes.
        executor: Where to run the scenarios, one task each: any object with the
            ``map_unordered(fn, shared, tasks)`` method of ``sim.executors`` (e.g. its
            ``DaskExecutor`` for a cluster). Workers need to read the scenarios' paths;
            outputs come back as bytes and are written here, each scenario once.
        on_row: Called with each scenario's batch row as it finishes (per-scenario progress).
    """
    out_dir = Path(out_dir)
    scen = expand_paths(list(paths))
    if not scen:
        raise ValueError("no scenarios to solve")
    names = batch_names(scen)
    overrides = dict(overrides or {})
    command = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    started = time.time()
    shared = {"overrides": overrides, "backend": backend, "time_limit": time_limit, "lang": lang,
              "command": command}
    tasks = [(i, p.resolve() if p.exists() else p, n)
             for i, (p, n) in enumerate(zip(scen, names, strict=True))]
    rows: list[dict[str, Any] | None] = [None] * len(tasks)
    outcomes = (executor.map_unordered(_solve_task, shared, tasks) if executor is not None
                else _local_map(workers, shared, tasks))
    done = 0
    for (i, _path, name), result, exc in outcomes:
        if rows[i] is not None:  # a second copy of a run (Dask runs tasks at least once)
            continue
        if exc is not None or result is None:
            row = {c: None for c in BATCH_COLUMNS} | {
                "scenario": name, "path": str(scen[i]), "status": "error", "out": "",
                "error": f"lost by the executor: {type(exc).__name__}: {exc}".replace("\n", " ")}
            files: dict[str, bytes] = {}
        else:
            row, files = result
            row["path"] = str(scen[i])
        where = publish(out_dir / name, files)
        row["out"] = str(where) if where is not None else ""
        rows[i] = row
        done += 1
        if on_row:
            on_row(row)
        if progress:
            progress(done, len(tasks))
    table = pd.DataFrame(rows, columns=list(BATCH_COLUMNS))
    inputs: dict[str, Path] = {}
    for name, p in zip(names, scen, strict=True):
        inputs |= {f"{name}/{role}": f for role, f in scenario_files(p).items() if f.is_file()}
    write_csv(out_dir / "batch.csv", table,
              build_manifest(inputs, command=command, overrides=overrides, started=started,
                             seconds=time.time() - started))
    return table


def batch_exit_code(table: pd.DataFrame) -> int:
    """0 when every scenario was solved, 2 when every one was invalid, 1 otherwise."""
    if table["status"].isin(OK_STATUSES).all():
        return 0
    if (table["status"] == "invalid").all():
        return 2
    return 1
