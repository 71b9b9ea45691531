"""Commands load only what they need: simulating a pooled scenario loads no solver."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

POOLED = ROOT / "benchmarks" / "scenarios" / "mmc-c10"

PROBE = """
import json, sys
sys.argv = ["zhuqi", "simulate", sys.argv[1], "--days", "2000", "--replications", "2",
            "--workers", "1"]
from zhuqi.cli import app
try:
    app()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

SOLVER_MODULES = ("ortools", "assign.solve", "assign.solvers.flow", "assign.solvers.cpsat",
                  "assign.solvers.priced", "assign.solvers.teams", "assign.solvers.constrained",
                  "assign.insight.explain", "assign.insight.tradeoff")


def test_simulate_on_a_pooled_scenario_imports_no_solver():
    """`zhuqi simulate` of a pooled M/M/c scenario in a fresh process: OR-Tools and the
    assignment solvers stay unloaded (fails on the earlier code: `import assign` loaded
    every solver and insight, and validating a configuration loaded the teams solver)."""
    res = subprocess.run([sys.executable, "-c", PROBE, str(POOLED)], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["code"] in (0, None)
    loaded = [m for m in got["modules"]
              if any(m == s or m.startswith(s + ".") for s in SOLVER_MODULES)]
    assert loaded == []
    assert "sim.model" in got["modules"]  # it did simulate


def test_lazy_names_are_the_same_objects():
    """`from assign import solve` is the function even after the module assign.solve is
    imported (the import system sets a package's attribute to each submodule it loads)."""
    code = ("import assign.solve, assign, assign.solve as alias; from assign import solve, "
            "Pairing; from assign.solve import solve as direct; import assign.pairing as p; "
            "print(solve is direct is alias is assign.solve, Pairing is p.Pairing, "
            "set(assign.__all__) <= set(dir(assign)))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert res.stdout.split() == ["True", "True", "True"], res.stderr
