"""zhuqi.assign: who goes where. Optimal cadre-firm pairing with OR-Tools.

Typical use::

    from assign import load_scenario, solve
    pairing = solve(load_scenario("scenarios/yifeng-2020"))
    pairing.pairs.head()

Names are loaded on first use (PEP 562): ``import assign`` or ``from assign import
load_scenario`` imports the readers only, and the solvers (OR-Tools) load when ``solve``
is first reached, so commands that only read a scenario or simulate a pooled service
start faster.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

_WHERE: dict[str, str] = {
    "REASONS": ".candidates",
    "Candidates": ".candidates",
    "build_candidates": ".candidates",
    "CATEGORIES": ".categories",
    "CATEGORY_KEYS": ".categories",
    "read_previous": ".changes",
    "AssignmentConfig": ".config",
    "ScenarioConfig": ".config",
    "Problem": ".errors",
    "ScenarioError": ".errors",
    "ScenarioWarning": ".errors",
    "REGIONS": ".generate",
    "generate_scenario": ".generate",
    "synthetic_tables": ".generate",
    "write_scenario": ".generate",
    "haversine_km": ".geo",
    "Conflict": ".conflicts",
    "explain_infeasible": ".conflicts",
    "diff_pairings": ".insight.diff",
    "Explanation": ".insight.explain",
    "explain": ".insight.explain",
    "tradeoff": ".insight.tradeoff",
    "write_csv": ".io.export",
    "write_json": ".io.export",
    "write_pairs": ".io.export",
    "build_manifest": ".io.manifest",
    "check_manifest": ".io.manifest",
    "write_manifest": ".io.manifest",
    "Scenario": ".io.scenario",
    "build_scenario": ".io.scenario",
    "load_scenario": ".io.scenario",
    "parse_overrides": ".io.scenario",
    "Pairing": ".pairing",
    "read_pairing": ".pairing",
    "UnsupportedRule": ".problem",
    "compile_problem": ".problem",
    "choose_backend": ".solve",
    "solve": ".solve",
    "GapInstance": ".solvers.gap",
    "gap_scenario": ".solvers.gap",
    "read_gap": ".solvers.gap",
    "check_plan": ".validate",
}
"""Public name -> the module that defines it (relative to this package)."""

__all__ = sorted(_WHERE)

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from .candidates import REASONS as REASONS
    from .candidates import Candidates as Candidates
    from .candidates import build_candidates as build_candidates
    from .categories import CATEGORIES as CATEGORIES
    from .categories import CATEGORY_KEYS as CATEGORY_KEYS
    from .changes import read_previous as read_previous
    from .config import AssignmentConfig as AssignmentConfig
    from .config import ScenarioConfig as ScenarioConfig
    from .conflicts import Conflict as Conflict
    from .conflicts import explain_infeasible as explain_infeasible
    from .errors import Problem as Problem
    from .errors import ScenarioError as ScenarioError
    from .errors import ScenarioWarning as ScenarioWarning
    from .generate import REGIONS as REGIONS
    from .generate import generate_scenario as generate_scenario
    from .generate import synthetic_tables as synthetic_tables
    from .generate import write_scenario as write_scenario
    from .geo import haversine_km as haversine_km
    from .insight.diff import diff_pairings as diff_pairings
    from .insight.explain import Explanation as Explanation
    from .insight.explain import explain as explain
    from .insight.tradeoff import tradeoff as tradeoff
    from .io.export import write_csv as write_csv
    from .io.export import write_json as write_json
    from .io.export import write_pairs as write_pairs
    from .io.manifest import build_manifest as build_manifest
    from .io.manifest import check_manifest as check_manifest
    from .io.manifest import write_manifest as write_manifest
    from .io.scenario import Scenario as Scenario
    from .io.scenario import build_scenario as build_scenario
    from .io.scenario import load_scenario as load_scenario
    from .io.scenario import parse_overrides as parse_overrides
    from .pairing import Pairing as Pairing
    from .pairing import read_pairing as read_pairing
    from .problem import UnsupportedRule as UnsupportedRule
    from .problem import compile_problem as compile_problem
    from .solve import choose_backend as choose_backend
    from .solve import solve as solve
    from .solvers.gap import GapInstance as GapInstance
    from .solvers.gap import gap_scenario as gap_scenario
    from .solvers.gap import read_gap as read_gap
    from .validate import check_plan as check_plan


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'assign' has no attribute '{name}'")
    value = getattr(import_module(where, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


class _Package(ModuleType):
    """This package's module type: importing the submodule ``assign.solve`` must not hide
    the function ``assign.solve`` (the import system sets a package's attribute to each
    submodule it loads; the eager imports this replaces overwrote it with the function)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _WHERE.get(name) == f".{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
