"""Run manifests: what produced a file, so a result can be traced and its inputs checked.

A manifest records the command line, the versions of zhuqi and its libraries, the SHA-256
of every input file read, the overrides, the seed, the start time and the duration. It is
written beside each output as the file's full name plus ``.manifest.json``
(``pairs.csv`` -> ``pairs.csv.manifest.json``); JSON outputs carry it inside, under the
``manifest`` key. :func:`check_manifest` tells whether the inputs on disk still match.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shlex
import sys
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

SUFFIX = ".manifest.json"
"""Appended to an output's full file name to name its manifest."""

LIBRARIES = ("zhuqi", "ortools", "numpy", "pandas", "scipy", "networkx", "mesa", "pydantic")
"""Distributions whose versions a manifest records (with Python's)."""

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def versions() -> dict[str, str]:
    """Installed versions of zhuqi, its main libraries and Python."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["python"] = platform.python_version()
    return out


def scenario_inputs(scenario: Scenario) -> dict[str, Path]:
    """The files a loaded scenario was read from, by role (scenario, cadres, firms, pairs).

    Empty for a scenario built in memory.
    """
    if scenario.path is None:
        return {}
    base = Path(scenario.path)
    files = {"scenario": base / "scenario.yaml", "cadres": base / scenario.config.cadres,
             "firms": base / scenario.config.firms}
    if scenario.config.pairs:
        files["pairs"] = base / scenario.config.pairs
    for role in ("pinned", "forbidden", "previous"):  # planning rules' files
        rel = getattr(scenario.config.assignment, role)
        if rel:
            files[role] = base / rel
    if scenario.config.roads is not None:
        files.update(road_files(base / scenario.config.roads.path))
    return {role: p for role, p in files.items() if p.is_file()}


def road_files(path: Path) -> dict[str, Path]:
    """The road graph's files by role: ``roads`` for a file, ``roads/NAME`` for each file of
    a folder (so a changed road graph is seen by :func:`check_manifest`)."""
    if path.is_dir():
        return {f"roads/{p.relative_to(path)}": p for p in sorted(path.rglob("*")) if p.is_file()}
    return {"roads": path}


def scenario_files(path: str | Path) -> dict[str, Path]:
    """The files a scenario folder (or yaml) names, by role, read from its yaml without
    validating anything (so a changed or broken table can still be compared)."""
    import yaml

    from .scenario import resolve_yaml

    ypath = resolve_yaml(path)
    files = {"scenario": ypath}
    try:
        data = yaml.safe_load(ypath.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return files
    if isinstance(data, dict):
        for role in ("cadres", "firms", "pairs"):
            if isinstance(data.get(role), str):
                files[role] = ypath.parent / data[role]
        assignment = data.get("assignment")
        for role in ("pinned", "forbidden", "previous"):
            if isinstance(assignment, dict) and isinstance(assignment.get(role), str):
                files[role] = ypath.parent / assignment[role]
        roads = data.get("roads")
        if isinstance(roads, dict):
            roads = roads.get("path")
        if isinstance(roads, str):
            files.update(road_files(ypath.parent / roads))
    return files


def _entries(inputs: Mapping[str, str | Path] | Iterable[str | Path]) -> list[dict[str, Any]]:
    items = (list(inputs.items()) if isinstance(inputs, Mapping)
             else [(None, p) for p in inputs])
    out = []
    seen: set[Path] = set()
    for role, p in items:
        path = Path(p)
        if path.is_dir() and (path / "scenario.yaml").is_file():
            found = {r: p for r, p in scenario_files(path).items() if p.is_file()}
            out += [e for e in _entries(found) if Path(e["path"]).resolve() not in seen]
            seen |= {Path(e["path"]).resolve() for e in out}
            continue
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        entry: dict[str, Any] = {"path": str(path), "absolute": str(resolved)}
        if role is not None:
            entry["role"] = str(role)
        entry["bytes"] = path.stat().st_size
        entry["sha256"] = sha256_file(path)
        out.append(entry)
    return out


def build_manifest(
    inputs: Mapping[str, str | Path] | Iterable[str | Path],
    *,
    command: str | list[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    seed: int | None = None,
    started: float | datetime | None = None,
    seconds: float | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """A manifest for the files written by one run.

    Args:
        inputs: The input files read: paths, or a mapping role -> path (e.g.
            :func:`scenario_inputs`); a scenario folder stands for its yaml and tables.
        command: The command line (a string or argv list; default: this process's argv).
        overrides: ``--set`` keys applied to the scenario.
        seed: The run's random seed (None when nothing random was drawn).
        started: Start time (UNIX seconds or a datetime; default: now).
        seconds: Duration of the run (default: 0).
        fingerprint: The scenario's fingerprint (:func:`assign.fingerprint.fingerprint`:
            every table, rule file, road graph and override), the same the experiment
            store keys its runs by.

    Returns:
        A JSON-ready dict: command, versions, inputs (path, absolute, role, bytes, sha256),
        overrides, seed, started (ISO 8601, UTC), seconds.
    """
    if command is None:
        command = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    if not isinstance(command, str):
        command = shlex.join([str(a) for a in command])
    if started is None:
        started = time.time()
    if not isinstance(started, datetime):
        started = datetime.fromtimestamp(float(started), UTC)
    out = {
        "command": command,
        "versions": versions(),
        "inputs": _entries(inputs),
        "overrides": dict(overrides or {}),
        "seed": seed,
        "started": started.astimezone(UTC).isoformat(timespec="seconds"),
        "seconds": round(float(seconds or 0.0), 3),
    }
    if fingerprint:
        out["fingerprint"] = fingerprint
    return out


def manifest_path(output: str | Path) -> Path:
    """Where the manifest of ``output`` goes: its full name plus ``.manifest.json``."""
    output = Path(output)
    return output.with_name(output.name + SUFFIX)


def write_manifest(output: str | Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest`` beside ``output`` (atomically) and return the manifest's path."""
    from .files import write_json

    return write_json(manifest_path(output), {"output": Path(output).name, **manifest})


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A manifest from a ``.manifest.json`` file or from a JSON output that embeds one.

    Raises:
        ValueError: the file holds no manifest.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if isinstance(data, dict) and isinstance(data.get("manifest"), dict):
        data = data["manifest"]
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), list):
        raise ValueError(f"{path}: no manifest found (expected an 'inputs' list)")
    return data


def check_manifest(
    manifest: Mapping[str, Any] | str | Path, scenario_path: str | Path | None = None
) -> list[dict[str, Any]]:
    """Compare a manifest's inputs with the files on disk now.

    Args:
        manifest: A manifest dict, or the path of a manifest (or of a JSON output).
        scenario_path: A scenario folder (or yaml) to check against: inputs recorded with
            a role (scenario, cadres, firms, pairs) are compared with that scenario's files
            of the same role; other inputs with the file at their recorded path.

    Returns:
        One row per input: role, path (the file compared), status ("same", "changed",
        "missing"), recorded and current SHA-256.
    """
    if not isinstance(manifest, Mapping):
        manifest = read_manifest(manifest)
    current = scenario_files(scenario_path) if scenario_path is not None else {}
    rows = []
    for entry in manifest["inputs"]:
        role = entry.get("role")
        path = current.get(role) if role in current else None
        if path is None:
            path = Path(entry.get("absolute") or entry["path"])
            if not path.is_file():
                path = Path(entry["path"])
        now = sha256_file(path) if path.is_file() else None
        status = "missing" if now is None else ("same" if now == entry["sha256"] else "changed")
        rows.append({"role": role or "", "path": str(path), "status": status,
                     "recorded": entry["sha256"], "current": now})
    return rows
