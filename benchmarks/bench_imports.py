"""CPU time of starting zhuqi: ``import zhuqi.cli`` and a short pooled ``simulate``.

Each command runs as a whole process, alternating between an earlier source tree (first
on ``PYTHONPATH``, e.g. ``git archive COMMIT src | tar -x -C /tmp/old``) and this one, and
reports user + system CPU seconds (``os.wait4``), which a shared machine's load disturbs
far less than wall time.

Usage: python benchmarks/bench_imports.py [--before /tmp/old/src] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess

from common import PY, ROOT

SIMULATE = [PY, "-m", "zhuqi", "simulate", "benchmarks/scenarios/mmc-c10", "--days", "2000",
            "--replications", "2", "--workers", "1"]
IMPORT = [PY, "-c", "import zhuqi.cli"]


def cpu_seconds(cmd: list[str], pythonpath: str) -> float:
    env = dict(os.environ, PYTHONPATH=pythonpath)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, cmd
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default=None, help="An earlier src folder to compare with.")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    trees = ([("before", args.before)] if args.before else []) + [("now", "")]
    res: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for label, path in trees:
            for what, cmd in (("import zhuqi.cli", IMPORT), ("simulate (pooled)", SIMULATE)):
                res.setdefault((what, label), []).append(cpu_seconds(cmd, path))
    for (what, label), v in sorted(res.items()):
        v = sorted(v)
        print(f"{what}, {label}: median {v[len(v) // 2]:.2f} s CPU, min {v[0]:.2f} s "
              f"({', '.join(f'{x:.2f}' for x in v)})")


if __name__ == "__main__":
    main()
