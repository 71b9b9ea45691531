"""Helpers shared by the benchmarks: timed child processes, results files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
WORK = BENCH / "work"  # generated scenarios (not committed)
PY = sys.executable
ZHUQI = [PY, "-m", "zhuqi"]


@dataclass(frozen=True)
class Timed:
    """A finished child process: wall seconds, peak memory, exit code, output."""

    seconds: float
    peak_mib: float
    code: int
    stdout: str
    stderr: str


def run(cmd: list[str], cwd: Path = ROOT) -> Timed:
    """Run a command and read its own peak memory with ``os.wait4`` (Linux)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    chunks: dict[str, str] = {}

    def drain(name: str, stream) -> None:
        chunks[name] = stream.read()

    threads = [threading.Thread(target=drain, args=(n, s))
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Timed(seconds, usage.ru_maxrss / 1024.0, proc.returncode, chunks.get("out", ""),
                 chunks.get("err", ""))


def machine() -> dict:
    """What the numbers were measured on."""
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M:%S")}


def save(name: str, data: dict) -> Path:
    """Write a results file benchmarks/results/NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False))
    return path
