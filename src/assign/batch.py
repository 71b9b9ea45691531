"""Batch solves: many scenarios, each solved on its own, one table of how each went.

Each scenario's pairing list (``pairs.csv``, with ``pairs.csv.manifest.json`` beside it),
summary (``summary.json``, its manifest inside) and manifest (``manifest.json``: inputs'
SHA-256, versions, overrides, command) go to ``DIR/NAME/``, where
NAME is the scenario's folder name. A scenario that fails (invalid input, no plan, a solver
error) is reported in the table and the others are still solved.
"""

from __future__ import annotations

import glob
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ScenarioError, ScenarioWarning
from .io.export import write_csv, write_json, write_pairs
from .io.manifest import build_manifest, scenario_files, scenario_inputs
from .io.scenario import load_scenario, resolve_yaml

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


def solve_one(path: Path, out_dir: Path, name: str, overrides: dict[str, Any],
              backend: str | None = None, time_limit: float | None = None,
              lang: str = "en", command: str | list[str] | None = None) -> dict[str, Any]:
    """Solve one scenario into ``out_dir/name``; never raises, returns its batch row."""
    from .solve import solve

    t0 = time.perf_counter()
    started = time.time()
    row: dict[str, Any] = {"scenario": name, "path": str(path), "status": "error", "firms": None,
                           "covered": None, "cadres_used": None, "objective": None, "bound": None,
                           "backend": None, "seconds": None, "error": "", "out": ""}
    try:
        scenario = load_scenario(path, overrides)
    except (ScenarioError, FileNotFoundError, ValueError) as exc:
        text = ("; ".join(str(p) for p in exc.problems) if isinstance(exc, ScenarioError)
                else str(exc))
        row.update(status="invalid", error=text.replace("\n", " "),
                   seconds=round(time.perf_counter() - t0, 3))
        return row
    try:
        pairing = solve(scenario, backend=backend, time_limit=time_limit)  # type: ignore[arg-type]
        folder = out_dir / name
        manifest = build_manifest(scenario_inputs(scenario), command=command,
                                  overrides=overrides, started=started,
                                  seconds=time.time() - started)
        manifest["backend"] = pairing.backend
        if pairing.is_feasible():
            write_pairs(pairing, folder / "pairs.csv", lang, manifest)
        write_json(folder / "summary.json", pairing.summary(), manifest)
        write_json(folder / "manifest.json", manifest)
        row.update(status=pairing.status, firms=len(scenario.firms), covered=pairing.assigned,
                   cadres_used=int((pairing.cadre_loads["firms"] > 0).sum()),
                   objective=pairing.objective, bound=pairing.bound, backend=pairing.backend,
                   out=str(folder))
        if not pairing.is_feasible():
            reasons = pairing.uncovered["reason"].value_counts()
            row["error"] = "no plan: " + "; ".join(f"{n} firms: {r}" for r, n in reasons.items())
    except Exception as exc:  # noqa: BLE001 - one scenario's failure must not stop the batch
        row.update(status="error", error=f"{type(exc).__name__}: {exc}".replace("\n", " "))
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row


def solve_batch(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    overrides: dict[str, Any] | None = None,
    backend: str | None = None,
    time_limit: float | None = None,
    lang: str = "en",
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Solve each scenario into ``out_dir/NAME/``; write and return the batch table.

    The table (``out_dir/batch.csv``) has one row per scenario in argument order: scenario,
    path, status (optimal / feasible / infeasible / invalid / error), firms, covered,
    cadres_used, objective, bound, backend, seconds, error, out.
    """
    out_dir = Path(out_dir)
    scen = expand_paths(list(paths))
    if not scen:
        raise ValueError("no scenarios to solve")
    names = batch_names(scen)
    overrides = dict(overrides or {})
    command = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    started = time.time()
    args = [(p, out_dir, n, overrides, backend, time_limit, lang, command)
            for p, n in zip(scen, names, strict=True)]
    rows: list[dict[str, Any] | None] = [None] * len(args)
    done = 0
    if workers <= 1 or len(args) == 1:
        for i, a in enumerate(args):
            rows[i] = solve_one(*a)
            done += 1
            if progress:
                progress(done, len(args))
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(min(workers, len(args), os.cpu_count() or 1),
                                 mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(solve_one, *a): i for i, a in enumerate(args)}
            for fut in as_completed(futures):
                rows[futures[fut]] = fut.result()
                done += 1
                if progress:
                    progress(done, len(args))
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
