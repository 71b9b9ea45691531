"""The larger run of the differential test: every rule against every backend, explain and
tradeoff, on many more random tiny scenarios than ``make test`` keeps.

    python benchmarks/differential.py [--examples N]

Runs ``tests/assign/test_differential.py`` with ``ZHUQI_DIFF_EXAMPLES=N`` (default 1000 per
backend); a failing example hypothesis finds is printed with the scenario that fails, to be
kept as a named regression test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=1000)
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "ZHUQI_DIFF_EXAMPLES": str(args.examples)}
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                            str(root / "tests" / "assign" / "test_differential.py")],
                           cwd=root, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
