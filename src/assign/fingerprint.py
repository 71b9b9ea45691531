"""The fingerprint of a scenario: one SHA-256 of every input a plan or a run depends on.

What enters it:

- the validated configuration (overrides applied; conflict rules, solver settings and the
  ``simulation`` section included), with the names of the files whose content is hashed
  below left out, so renaming or moving a file changes nothing;
- every table as loaded: cadres, firms, pairs, pinned, forbidden, previous plan;
- the road graph: the SHA-256 of the bytes it was read from (recorded when it was loaded),
  or of its arrays for a graph built in memory.

The same content gives the same fingerprint wherever the folder lives and in every process;
changing any rule file, table, road graph or setting gives a new one. Experiment run keys
and every cache of prepared plans are keyed by it, so a changed input is never answered
from an old run.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

TABLES = ("cadres", "firms", "pairs", "pinned", "forbidden", "previous")
"""The scenario's tables, in the order they are hashed."""

_FILE_KEYS = {"cadres", "firms", "pairs"}
_ASSIGNMENT_FILE_KEYS = {"pinned", "forbidden", "previous"}


def fingerprint(scenario: Any) -> str:
    """SHA-256 (hex) of everything ``scenario`` holds that a plan or a simulation reads.

    Deterministic, independent of the folder's location, and cheap (one pass over the
    tables; the road graph's file hash was taken when it was read).
    """
    h = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        h.update(label.encode("ascii") + b"\x00" + str(len(data)).encode("ascii") + b"\x00")
        h.update(data)

    part("config", _canonical(config_content(scenario.config)).encode("utf-8"))
    for name in TABLES:
        table = getattr(scenario, name, None)
        part(name, b"-" if table is None else table_bytes(table))
    part("roads", roads_digest(getattr(scenario, "roads", None)).encode("ascii"))
    return h.hexdigest()


def config_content(config: Any) -> dict[str, Any]:
    """The configuration as plain data, without the names of files hashed by content."""
    data = config.model_dump(mode="json")
    for key in _FILE_KEYS:
        data.pop(key, None)
    assignment = data.get("assignment")
    if isinstance(assignment, dict):
        for key in _ASSIGNMENT_FILE_KEYS:
            assignment.pop(key, None)
    if isinstance(data.get("roads"), dict):
        data["roads"].pop("path", None)
    return data


def table_bytes(table: pd.DataFrame) -> bytes:
    """A table's content as bytes: its shape, then per column the name, the dtype and every
    value (numbers as their machine bytes with one NaN, anything else as text)."""
    out = [f"{table.shape[0]}x{table.shape[1]}".encode("ascii")]
    for name, col in table.items():
        out.append(_canonical([str(name), str(col.dtype)]).encode("utf-8"))
        values = col.to_numpy()
        if values.dtype.kind in "biuf":
            arr = np.ascontiguousarray(values)
            if arr.dtype.kind == "f":
                arr = np.where(np.isnan(arr), np.nan, arr)  # one NaN bit pattern
            out.append(arr.tobytes())
        else:
            out.append("\x1f".join(map(str, values.tolist())).encode("utf-8", "surrogatepass"))
    return b"\x1e".join(out)


def roads_digest(network: Any) -> str:
    """The road graph's share of the fingerprint: its file's SHA-256 (taken on load), else
    the SHA-256 of its arrays; ``-`` without a graph."""
    if network is None:
        return "-"
    digest = getattr(network, "file_sha256", "") or ""
    if digest:
        return "file:" + digest
    h = hashlib.sha256()
    for name in ("lat", "lon", "tail", "head", "length_m", "minutes"):
        arr = np.ascontiguousarray(getattr(network, name))
        h.update(f"{name}:{arr.dtype.str}:{arr.shape}".encode("ascii"))
        h.update(arr.tobytes())
    return "arrays:" + h.hexdigest()


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
