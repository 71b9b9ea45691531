"""The independent validator finds each broken rule of a hand-made plan, with the messages
written out by hand here, in the plan's order (it checks a province's millions of pairs
column by column)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from assign import compile_problem
from assign.io.scenario import build_scenario
from assign.validate import check_plan

# three cadres on one meridian; firm f1 at c1, f2 0.1 degree (11.12 km) north of c1,
# f3 at c2, f4 at c3
CADRES = pd.DataFrame({"id": ["c1", "c2", "c3"], "lat": [30.0, 30.0, 30.0],
                       "lon": [110.0, 110.01, 110.02], "max_firms": [5, 5, 0],
                       "skills": ["permits", "hiring", "permits;hiring"],
                       "home_unit": ["u1", "u2", "u3"]})
FIRMS = pd.DataFrame({"id": ["f1", "f2", "f3", "f4"], "lat": [30.0, 30.1, 30.0, 30.0],
                      "lon": [110.0, 110.0, 110.01, 110.02], "priority": [1, 1, 1, 1],
                      "needs": ["permits", "permits", "permits", "permits"],
                      "regulator": ["u9", "u9", "u2", "u9"]})


def _plan(rows, objective):
    pairs = pd.DataFrame(rows, columns=["cadre_id", "firm_id", "distance_km", "cost"])
    return SimpleNamespace(pairs=pairs, objective=objective, status="optimal", bound=0.0)


def test_each_broken_rule_is_named_in_plan_order():
    forbidden = pd.DataFrame({"cadre_id": ["c1"], "firm_id": ["f1"]})
    sc = build_scenario(CADRES, FIRMS, forbidden=forbidden, mode="one_to_many",
                        max_distance_km=10, require_skills="primary", objective="distance",
                        conflicts=[{"cadre": "home_unit", "firm": "regulator"}])
    problem = compile_problem(sc)
    km12 = 2 * 6371.0088 * np.radians(0.1) / 2  # 0.1 degree of latitude
    plan = _plan([("c1", "f1", 0.0, 0.0),         # forbidden
                  ("c1", "f2", km12, 5.0),        # too far; cost is not its km
                  ("c2", "f3", 0.0, 0.0),         # lacks tax; u2 regulates f3
                  ("c3", "f4", 0.0, 0.0)],        # takes no firms
                 objective=5.0)
    got = check_plan(problem, plan)
    assert got == [
        "pair c1 - f1 is forbidden",
        f"pair c1 - f2 is {km12:.3f} km apart, beyond max_distance_km 10",
        f"pair c1 - f2 costs 5 in the plan but is {km12:.3f} km",
        "pair c2 - f3: the cadre lacks the firm's first need permits",
        "pair c2 - f3: home_unit equals the firm's regulator (u2)",
        "pair c3 - f4: the cadre takes no firms (max_firms 0)",
        "cadre c3 has 1 firms, more than max_firms 0",
    ]


def test_a_plan_keeping_every_rule_passes_and_pins_are_exempt():
    pinned = pd.DataFrame({"cadre_id": ["c1"], "firm_id": ["f2"]})
    sc = build_scenario(CADRES, FIRMS, pinned=pinned, mode="one_to_many", max_distance_km=10,
                        require_skills="all", objective="distance")
    problem = compile_problem(sc)
    km12 = 2 * 6371.0088 * np.radians(0.1) / 2
    plan = _plan([("c1", "f1", 0.0, 0.0), ("c1", "f2", km12, round(km12, 3))],
                 objective=round(km12, 3))
    assert check_plan(problem, plan) == []
    # the same far pair unpinned is out of reach; the pin missing is named
    plan = _plan([("c1", "f1", 0.0, 0.0)], objective=0.0)
    assert check_plan(problem, plan) == ["pin c1 - f2 is not in the plan"]


def test_the_pair_table_and_its_minutes():
    pairs = pd.DataFrame({"cadre_id": ["c1", "c2"], "firm_id": ["f1", "f3"],
                          "cost": [1.0, 2.0], "travel_min": [50, 10]})
    sc = build_scenario(CADRES, FIRMS, pairs=pairs, mode="one_to_many", max_travel_min=30,
                        objective="cost")
    problem = compile_problem(sc)
    plan = _plan([("c1", "f1", 0.0, 1.0), ("c2", "f3", 0.0, 2.5), ("c1", "f4", 1.9, 1.0)],
                 objective=4.5)
    km = 2 * 6371.0088 * np.arcsin(np.cos(np.radians(30.0)) * np.sin(np.radians(0.02) / 2))
    minutes = km / sc.config.assignment.load.speed_kmh * 60
    got = check_plan(problem, plan)
    assert got[:3] == [
        "pair c1 - f1 is 50.0 minutes apart, beyond max_travel_min 30",
        "pair c2 - f3 costs 2.5 in the plan but 2 in the pair table",
        "pair c1 - f4 is not in the pair table",
    ]
    assert minutes <= 30  # f4's minutes come from the load speed: within the limit
