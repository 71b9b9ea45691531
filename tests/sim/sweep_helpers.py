"""Tiny scenario folders and designs for the experiment tests."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pandas as pd
import yaml


def write_mmc_scenario(folder: Path, cadres: int = 10, firms: int = 10, lam: float = 4.0,
                       mu: float = 1.0, days: float = 150.0, warmup: float = 10.0,
                       service: str = "pooled") -> Path:
    """A scenario folder whose simulation is the M/M/c queue: ``lam`` issues a day in all,
    service rate ``mu`` a day per cadre, pooled, exponential, immediate, 24 h, no travel or
    escalation."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"c{i},unit,{30 + 0.01 * i:.3f},110.0,other" for i in range(cadres)]
    (folder / "cadres.csv").write_text("id,home_unit,lat,lon,skills\n" + "\n".join(rows) + "\n",
                                       encoding="utf-8")
    rows = [f"f{j},{30 + 0.01 * j:.3f},110.01,other" for j in range(firms)]
    (folder / "firms.csv").write_text("id,lat,lon,needs\n" + "\n".join(rows) + "\n",
                                      encoding="utf-8")
    config = {
        "name": folder.name, "cadres": "cadres.csv", "firms": "firms.csv",
        "assignment": {"mode": "one_to_many", "max_distance_km": 50},
        "simulation": {
            "days": days, "warmup_days": warmup,
            "arrival": {"rate_per_firm_day": lam / firms, "mix": {"other": 1}},
            "collection": "immediate", "service": service, "hours_per_day": 24,
            "effort": {"distribution": "exponential", "mean_hours": 24.0 / mu},
            "escalation": {"enabled": False}, "travel": False,
        },
    }
    (folder / "scenario.yaml").write_text(yaml.safe_dump(config, sort_keys=False),
                                          encoding="utf-8")
    return folder


def write_design(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def store_rows(path: Path) -> pd.DataFrame:
    """Every row of a store's runs table, straight from SQLite, indexed by run key."""
    with sqlite3.connect(path) as db:
        df = pd.read_sql_query("SELECT * FROM runs", db)
    return df.set_index("run_key").sort_index()


def erlang_c_by_sum(c: int, a: float) -> float:
    """Erlang C from its textbook sum (independent of sim.erlang's recursion)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def smallest_c_for_wait(lam: float, mu: float, target: float) -> int:
    """The smallest c whose M/M/c mean wait C(c, a) / (c mu - lam) is at most ``target``."""
    a = lam / mu
    c = int(a) + 1
    while erlang_c_by_sum(c, a) / (c * mu - lam) > target:
        c += 1
    return c


# --- executor helpers (module level, so spawned workers can import them) -------------------


def double_or_die(victim, marker, shared, task):
    """``2 * task``; the worker SIGKILLs itself on ``victim`` (every time, or only while the
    ``marker`` file does not exist yet: it is created first)."""
    import os
    import signal

    if task == victim:
        if marker is None or not Path(marker).exists():
            if marker is not None:
                Path(marker).write_text("died once", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
    return 2 * task


def die_on_key(victim_key, fn, shared, task):
    """``fn(shared, task)``, except that the worker SIGKILLs itself on the run ``victim_key``."""
    import os
    import signal

    if task.run_key == victim_key:
        os.kill(os.getpid(), signal.SIGKILL)
    return fn(shared, task)


def note_pid_and_sleep(folder, shared, seconds):
    """Write this worker's pid as a file name in ``folder``, then sleep."""
    import os
    import time

    (Path(folder) / f"pid-{os.getpid()}").write_text("", encoding="utf-8")
    time.sleep(seconds)
    return os.getpid()
