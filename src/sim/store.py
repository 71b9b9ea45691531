"""The results store: one SQLite file (WAL mode), one committed row per finished run.

Tables:

- ``runs``: ``run_key`` (UNIQUE), ``point`` (the design point as JSON), one column per
  factor, ``replication``, ``seed``, ``status`` (``ok`` / ``failed``), one column per metric,
  ``error`` (the traceback's last line), ``seconds``, ``worker``, ``finished`` (UTC),
  ``fingerprint`` (the scenario's, :func:`assign.fingerprint.fingerprint`),
  ``model_version``, ``versions`` (JSON: Python and the libraries) and ``executor``.
  Stores written before these four columns existed gain them (empty) when opened.
- ``design``: every design run against the store, with its manifest (versions, input
  hashes, command) and the time it was recorded.

A run is written in one transaction as it finishes, so a sweep killed at any moment leaves
no partial row. Rows are inserted with ``ON CONFLICT DO NOTHING`` (a failed row may only be
replaced by a retry), so a run delivered twice (Dask runs tasks at least once) is stored
once. Factor and metric columns are added as they first appear: whatever metrics the model
reports flow into the store.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .design import RESERVED

BASE_COLUMNS = ("run_key", "point", "replication", "seed", "status", "error", "seconds", "worker",
                "finished", "fingerprint", "model_version", "versions", "executor")
PROVENANCE = ("fingerprint", "model_version", "versions", "executor")
"""Columns saying what produced a run (added to stores written before they existed)."""


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    """A results store (open with :func:`open_store`; close it, or use ``with``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            raise FileNotFoundError(f"{self.path}: the folder {self.path.parent} does not exist")
        try:
            self.db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._create()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: not a zhuqi results store ({exc})") from None
        self._columns = self._read_columns()

    def _create(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS runs (run_key TEXT NOT NULL UNIQUE, point TEXT, "
            "replication INTEGER, seed INTEGER, status TEXT NOT NULL, error TEXT, "
            "seconds REAL, worker TEXT, finished TEXT, fingerprint TEXT, model_version TEXT, "
            "versions TEXT, executor TEXT)")
        existing = {r[1] for r in self.db.execute("PRAGMA table_info(runs)")}
        for name in PROVENANCE:
            if name not in existing:  # a store from before provenance was recorded
                try:
                    self.db.execute(f"ALTER TABLE runs ADD COLUMN {_q(name)} TEXT")
                except sqlite3.OperationalError as exc:  # another process added it just now
                    if "duplicate column" not in str(exc):
                        raise
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS design (id INTEGER PRIMARY KEY, kind TEXT, scenario TEXT, "
            "scenario_hash TEXT, factors TEXT, design TEXT, manifest TEXT, recorded TEXT)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS columns (name TEXT PRIMARY KEY, role TEXT NOT NULL)")

    def _read_columns(self) -> dict[str, str]:
        roles = dict(self.db.execute("SELECT name, role FROM columns").fetchall())
        for name in BASE_COLUMNS:
            roles.setdefault(name, "base")
        return roles

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # --- schema -------------------------------------------------------------------
    def ensure_columns(self, names: Iterable[str], role: str) -> None:
        """Add ``factor`` or ``metric`` columns not in the table yet."""
        new = [n for n in names if n not in self._columns]
        if not new:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._columns = self._read_columns()
            existing = {r[1] for r in self.db.execute("PRAGMA table_info(runs)")}
            for name in new:
                if name in self._columns:
                    continue
                if name not in existing:
                    kind = "REAL" if role == "metric" else ""
                    self.db.execute(f"ALTER TABLE runs ADD COLUMN {_q(name)} {kind}".rstrip())
                self.db.execute("INSERT OR IGNORE INTO columns VALUES (?, ?)", (name, role))
                self._columns[name] = role
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def factors(self) -> list[str]:
        """Factor columns, in the order they were added."""
        self._columns = self._read_columns()
        return [n for n, r in self._columns.items() if r == "factor"]

    def metrics(self) -> list[str]:
        """Metric columns, in the order they were added."""
        self._columns = self._read_columns()
        return [n for n, r in self._columns.items() if r == "metric"]

    # --- design -------------------------------------------------------------------
    def record_design(self, kind: str, scenario: str, content: str, factors: list[str],
                      design: dict[str, Any], manifest: dict[str, Any]) -> int:
        """Record a design (and its manifest); returns its id."""
        cur = self.db.execute(
            "INSERT INTO design (kind, scenario, scenario_hash, factors, design, manifest, recorded)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, scenario, content, json.dumps(factors), json.dumps(design, default=str),
             json.dumps(manifest, default=str, ensure_ascii=False), _now()))
        return int(cur.lastrowid or 0)

    def designs(self) -> pd.DataFrame:
        """The ``design`` table."""
        return pd.read_sql_query("SELECT * FROM design ORDER BY id", self.db)

    # --- runs ---------------------------------------------------------------------
    def status(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """``run_key`` to status, for the given keys (or all)."""
        if keys is None:
            return dict(self.db.execute("SELECT run_key, status FROM runs").fetchall())
        keys = list(keys)
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.db.execute(
                f"SELECT run_key, status FROM runs WHERE run_key IN ({marks})", chunk).fetchall())
        return out

    def values(self, keys: Iterable[str], metric: str) -> dict[str, float | None]:
        """``run_key`` to the value of ``metric`` for the ``ok`` runs among ``keys``."""
        keys = list(keys)
        if metric not in self.metrics():
            return {}
        out: dict[str, float | None] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.db.execute(
                f"SELECT run_key, {_q(metric)} FROM runs WHERE status = 'ok' AND run_key IN "
                f"({marks})", chunk).fetchall())
        return out

    def add(self, row: dict[str, Any]) -> bool:
        """Store one finished run in one transaction; returns False if it was there already.

        A row with the same run key is never duplicated: an ``ok`` row is kept as it is,
        a ``failed`` row is replaced by the new result (a retry).
        """
        factors = {k: v for k, v in row.get("factors", {}).items()}
        metrics = {k: _num(v) for k, v in row.get("metrics", {}).items()}
        for name in list(factors) + list(metrics):
            if name in RESERVED or name == "point":
                raise ValueError(f"'{name}' is a column of the store; it cannot be a factor or metric")
        self.ensure_columns(factors, "factor")
        self.ensure_columns(metrics, "metric")
        values = {
            "run_key": row["run_key"], "point": json.dumps(row.get("point", {}), sort_keys=True),
            "replication": row["replication"], "seed": row["seed"], "status": row["status"],
            "error": row.get("error"), "seconds": row.get("seconds"), "worker": row.get("worker"),
            "finished": _now(), **{k: row.get(k) for k in PROVENANCE},
            **{k: _sql(v) for k, v in factors.items()}, **metrics,
        }
        cols = ", ".join(_q(c) for c in values)
        marks = ", ".join("?" * len(values))
        update = ", ".join(f"{_q(c)}=excluded.{_q(c)}" for c in values if c != "run_key")
        cur = self.db.execute(
            f"INSERT INTO runs ({cols}) VALUES ({marks}) ON CONFLICT(run_key) DO UPDATE SET "
            f"{update} WHERE runs.status = 'failed'", list(values.values()))
        return cur.rowcount > 0

    def runs(self, status: str | None = None) -> pd.DataFrame:
        """The ``runs`` table as a DataFrame (optionally only one status)."""
        sql = "SELECT * FROM runs"
        params: tuple = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (status,)
        return pd.read_sql_query(sql + " ORDER BY point, replication", self.db, params=params)

    def count(self, status: str | None = None) -> int:
        """Number of stored runs (optionally of one status)."""
        if status is None:
            return int(self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        return int(self.db.execute("SELECT COUNT(*) FROM runs WHERE status=?", (status,))
                   .fetchone()[0])


def open_store(path: str | Path) -> Store:
    """Open (or create) a results store."""
    return Store(path)


def read_runs(path: str | Path, status: str | None = "ok") -> pd.DataFrame:
    """The runs of a store as a DataFrame (``ok`` runs by default)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such results store")
    with Store(path) as store:
        return store.runs(status)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _sql(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int | float | str) or v is None:
        return v
    if hasattr(v, "item"):
        return v.item()
    return json.dumps(v, default=str)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
