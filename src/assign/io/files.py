"""Writing a file atomically: to a temporary file beside its target, renamed into place,
so an interrupted run never leaves a half-written file; and JSON written that way."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, data: Any, manifest: dict | None = None) -> Path:
    """Write JSON (UTF-8, non-ASCII kept) atomically; a ``manifest`` goes under that key."""
    if manifest is not None:
        data = {**data, "manifest": manifest}
    text = json.dumps(_nan_to_null(data), ensure_ascii=False, indent=2, default=_jsonable)
    return atomic_write(path, lambda p: p.write_text(text + "\n", encoding="utf-8"))


def _nan_to_null(o: Any) -> Any:
    """``o`` with every NaN float (undefined: a one-run interval, a rate of nothing) as None,
    so the file is valid JSON (``null``) rather than Python's ``NaN``."""
    if isinstance(o, float):
        return None if o != o else o
    if isinstance(o, dict):
        return {k: _nan_to_null(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_nan_to_null(v) for v in o]
    if hasattr(o, "item") and getattr(o, "ndim", 0) == 0:
        return _nan_to_null(o.item())
    return o


def _jsonable(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
