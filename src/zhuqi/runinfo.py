"""The manifest of one ``zhuqi`` command: its command line, inputs, overrides, seed, time."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assign.io.manifest import build_manifest, scenario_inputs


def command_line() -> str:
    """The command line as typed (``zhuqi ...``), or rebuilt from the parsed options."""
    prog = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    if prog.stem == "zhuqi" or (prog.stem == "__main__" and prog.parent.name == "zhuqi"):
        return shlex.join(["zhuqi", *sys.argv[1:]])
    ctx = _current_context()
    if ctx is None:
        return shlex.join(sys.argv)
    parts = [ctx.command_path]
    for key, value in ctx.params.items():
        if value in (None, False, [], ()):
            continue
        flag = "--" + key.rstrip("_").replace("_", "-")
        parts.append(flag if value is True else f"{flag}={value}")
    return " ".join(parts)


def run_manifest(
    scenario: Any | None = None,
    extra: Mapping[str, str | Path | None] | None = None,
    *,
    seed: int | None = None,
    started: float,
) -> dict[str, Any]:
    """The manifest for files written now by a command that began at ``started``.

    ``extra`` names further input files by role (e.g. ``{"pairing": path}``).
    """
    inputs: dict[str, str | Path] = dict(scenario_inputs(scenario)) if scenario is not None else {}
    for role, p in (extra or {}).items():
        if p is not None:
            inputs[role] = p
    overrides = getattr(scenario, "overrides", None)
    fp = None
    if scenario is not None:
        from assign.fingerprint import fingerprint

        fp = fingerprint(scenario)
    return build_manifest(inputs, command=command_line(), overrides=overrides, seed=seed,
                          started=started, seconds=time.time() - started, fingerprint=fp)


def _current_context() -> Any:
    """The running command's context (Typer bundles its own copy of click)."""
    import importlib

    try:
        module = importlib.import_module("typer._click.globals")
    except ImportError:  # older Typer: plain click
        module = importlib.import_module("click")
    return module.get_current_context(silent=True)
