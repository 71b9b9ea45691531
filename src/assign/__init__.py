"""zhuqi.assign: who goes where. Optimal cadre-firm pairing with OR-Tools.

Typical use::

    from assign import load_scenario, solve
    pairing = solve(load_scenario("scenarios/yifeng-2020"))
    pairing.pairs.head()
"""

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
