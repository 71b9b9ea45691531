"""The import graph of assign, sim and zhuqi: no cycle, no import against the layering.

``tools/layers.py`` reads the sources with ast (deferred imports inside functions count).
Readers (assign.io.scenario, tables, roads, crs, rule_tables, previous) import no solver,
rule interpreter or insight; solvers import neither assign.solve nor assign.insight;
assign.solve imports no insight; assign.config imports no solver.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "layers.py"


def run_layers(src: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), str(src)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_no_cycle_and_no_upward_import() -> None:
    """Failed before the layering was fixed: 4 cycles and 6 upward imports."""
    res = run_layers(ROOT / "src")
    bad = [line for line in res.stdout.splitlines() if not line.startswith("layers:")]
    assert bad == [], "\n".join(bad)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 import cycles, 0 imports against the layering" in res.stdout


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_tool_finds_a_deferred_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The check can fail: a cycle closed by an import inside a function, a reader that
    imports solve, and a solver that imports solve are all reported (exit code 1); an
    import under TYPE_CHECKING is not."""
    _write(tmp_path, {
        "assign/__init__.py": "",
        "assign/a.py": "from .b import f\n",
        "assign/b.py": "def f():\n    from .a import f as g\n    return g\n",
        "assign/solve.py": "def solve():\n    return 0\n",
        "assign/io/__init__.py": "",
        "assign/io/scenario.py": "def load():\n    from ..solve import solve\n    return solve()\n",
        "assign/io/tables.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from ..solve import solve
            """,
        "assign/solvers/__init__.py": "",
        "assign/solvers/flow.py": "from ..solve import solve\n",
    })
    res = run_layers(tmp_path)
    lines = res.stdout.splitlines()
    assert res.returncode == 1
    assert "cycle in assign: assign.a <-> assign.b" in lines
    assert "upward import: assign.io.scenario (layer 1) -> assign.solve (layer 4)" in lines
    assert "upward import: assign.solvers.flow (layer 3) -> assign.solve (layer 4)" in lines
    assert not any("assign.io.tables" in line for line in lines)
    assert lines[-1] == "layers: 1 import cycles, 2 imports against the layering, over 9 modules"


MOVED = [  # (old module, name, the module that now defines it)
    ("assign.solve", "cost_units", "assign.assemble"),
    ("assign.solve", "MAX_INT_COST", "assign.assemble"),
    ("assign.solve", "_pairing", "assign.assemble"),
    ("assign.solve", "_meta", "assign.assemble"),
    ("assign.insight.conflicts", "Conflict", "assign.conflicts"),
    ("assign.insight.conflicts", "pin_conflicts", "assign.conflicts"),
    ("assign.insight.conflicts", "explain_infeasible", "assign.conflicts"),
    ("assign.rules", "read_rule_tables", "assign.io.rule_tables"),
    ("assign.rules", "frame_rules", "assign.io.rule_tables"),
    ("assign.rules", "attach_rules", "assign.io.rule_tables"),
    ("assign.rules", "PIN_COLUMNS", "assign.io.rule_tables"),
    ("assign.rules", "FORBID_COLUMNS", "assign.io.rule_tables"),
    ("assign.changes", "read_previous", "assign.io.previous"),
    ("assign", "read_previous", "assign.io.previous"),
    ("assign.solvers.teams", "check_team_config", "assign.config"),
    ("assign.solvers.teams", "team_problems", "assign.io.scenario"),
    ("assign.io.export", "atomic_write", "assign.io.files"),
    ("assign.io.export", "write_json", "assign.io.files"),
    ("assign", "write_json", "assign.io.files"),
    ("assign.insight.explain", "UNITS", "assign.insight.inadmissible"),
    ("assign.insight.explain", "why_not", "assign.insight.inadmissible"),
    ("zhuqi.cli", "app", "zhuqi.options"),
    ("zhuqi.cli", "run_guarded", "zhuqi.options"),
    ("zhuqi.cli", "busy", "zhuqi.options"),
    ("zhuqi.cli", "out", "zhuqi.options"),
    ("zhuqi.cli", "err", "zhuqi.options"),
    ("zhuqi.cli", "EXIT_INVALID", "zhuqi.options"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED)
def test_moved_names_still_importable_from_their_old_module(old: str, name: str, new: str) -> None:
    """Names moved to a lower module are the same objects under their old import path."""
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new), name)


def test_cli_registers_every_command() -> None:
    """Commands defined outside zhuqi.cli are registered on its app."""
    from zhuqi.cli import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert {"check", "generate", "solve", "template", "explain", "diff", "tradeoff",
            "simulate"} <= names
