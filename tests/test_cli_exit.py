"""A finished `zhuqi` command exits without the interpreter's teardown: its output is
complete, its exit code kept, and the atexit handlers still run."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

MMC = ROOT / "benchmarks" / "scenarios" / "mmc-c10"

PROBE = """
import atexit, sys
atexit.register(lambda: print("atexit ran", file=sys.stderr, flush=True))
sys.argv = ["zhuqi", *sys.argv[1:]]
from zhuqi.cli import main
main()
print("not reached", file=sys.stderr)
"""


def _zhuqi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_finished_command_writes_everything_and_keeps_its_code(tmp_path):
    out = tmp_path / "sim.json"
    res = _zhuqi("simulate", str(MMC), "--days", "1500", "--replications", "2", "--workers", "1",
                 "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["metrics"]["issues_raised"]["mean"] > 0  # stdout flushed
    assert json.loads(out.read_text())["runs"][1]["replication"] == 1
    assert "atexit ran" in res.stderr and "not reached" not in res.stderr


def test_failed_command_keeps_its_exit_code(tmp_path):
    res = _zhuqi("simulate", str(tmp_path / "nowhere"))
    assert res.returncode == 2
    assert "error" in res.stderr and "atexit ran" in res.stderr
