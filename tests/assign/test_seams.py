"""Where two features meet: each case failed before the scenario was compiled into one
``Problem`` read by every path. Checked against hand computation, scipy or enumeration."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from assign import ScenarioWarning, build_scenario, explain, haversine_km, solve
from assign.problem import UnsupportedRule, compile_problem


def quiet_build(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return build_scenario(*args, **kw)


def test_province_path_honours_max_travel_min(monkeypatch):
    """Item 1: the province path used only max_distance_km; a 12-minute limit at 30 km/h
    allows 6 km, and no pair beyond it may be used (it used pairs up to 11 km)."""
    rng = np.random.default_rng(3)
    m, n = 12, 60
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(m)], "lat": rng.uniform(26, 26.04, m),
                           "lon": rng.uniform(119, 119.04, m), "max_firms": 6})
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(n)], "lat": rng.uniform(26, 26.15, n),
                          "lon": rng.uniform(119, 119.15, n)})
    sc = quiet_build(cadres, firms, mode="one_to_many", max_distance_km=20, max_travel_min=12)
    whole = solve(sc, backend="flow")
    monkeypatch.setattr(sys.modules["assign.solve"], "LARGE_PAIRS", 0)
    priced = solve(sc)
    assert priced.backend == "priced"
    assert priced.pairs["distance_km"].max() <= 6.0 + 1e-9
    # the optimum, by scipy on slots (6 a cadre), pairs beyond 6 km priced out
    d = haversine_km(cadres["lat"].to_numpy()[:, None], cadres["lon"].to_numpy()[:, None],
                     firms["lat"].to_numpy()[None, :], firms["lon"].to_numpy()[None, :])
    cost = np.where(d <= 6.0, np.round(d, 3), 1e6)
    r, c = linear_sum_assignment(np.repeat(cost, 6, axis=0))
    covered = int((cost[r // 6, c] < 1e6).sum())
    assert priced.assigned == whole.assigned == covered


def test_pair_table_minutes_meet_the_travel_limit():
    """Item 2: a pair table's own travel_min was ignored (minutes came from km): a 90-minute
    pair was used under a 30-minute limit."""
    cadres = pd.DataFrame({"id": ["a", "b"], "lat": [26.0, 26.0], "lon": [119.0, 119.2]})
    firms = pd.DataFrame({"id": ["x"], "lat": [26.0], "lon": [119.0]})
    pairs = pd.DataFrame({"cadre_id": ["a", "b"], "firm_id": ["x", "x"], "cost": [1, 5],
                          "travel_min": [90, 20]})
    sc = quiet_build(cadres, firms, pairs, objective="cost", max_travel_min=30)
    for backend in ("flow", "cpsat"):
        p = solve(sc, backend=backend)
        assert p.firm_to_cadre() == {"x": "b"}, backend
        assert p.objective == 5


def test_pin_on_a_cadre_of_a_later_batch():
    """Item 3: a pin on a cadre who starts on day 10 crashed the batch plan (negative index in
    pins); the first period is planned without that cadre, the second holds the pin."""
    from sim.batches import plan_batches

    cadres = pd.DataFrame({"id": ["a", "b"], "lat": [26.0, 26.0], "lon": [119.0, 119.01],
                           "start_day": [0, 10]})
    firms = pd.DataFrame({"id": ["x", "y"], "lat": [26.0, 26.0], "lon": [119.0, 119.01]})
    sc = quiet_build(cadres, firms, pinned=pd.DataFrame({"cadre_id": ["b"], "firm_id": ["y"]}),
                     mode="one_to_many")
    plan = plan_batches(sc, 30)
    first, second = plan.periods[0].pairing, plan.periods[1].pairing
    assert set(first.pairs["cadre_id"]) == {"a"} and first.assigned == 2
    assert second.firm_to_cadre()["y"] == "b"


def _full_pinned():
    cadres = pd.DataFrame({"id": ["a", "b"], "lat": [26.0, 26.0], "lon": [119.0, 119.3],
                           "max_firms": [1, 1], "skills": ["financing", ""]})
    firms = pd.DataFrame({"id": ["p", "x"], "lat": [26.0, 26.0], "lon": [119.0, 119.0 + 0.02],
                          "needs": ["", "financing"]})
    return quiet_build(cadres, firms, pinned=pd.DataFrame({"cadre_id": ["a"], "firm_id": ["p"]}),
                       mode="one_to_many", require_skills="primary")


def test_firm_only_a_full_pinned_cadre_serves_is_short_of_capacity():
    """Item 4: the firm was reported no_cadre_with_skill, and explain said a place more for
    the pinned cadre gains nothing; it gains firm x at its km (about 2 km)."""
    sc = _full_pinned()
    p = solve(sc)
    assert p.uncovered.set_index("firm_id").at["x", "reason"] == "capacity_used_up"
    ex = explain(sc, p)
    a = ex.cadres.set_index("cadre_id").loc["a"]
    assert a["firms_gained"] == 1 and "x" in a["covers"]
    km = float(haversine_km(26.0, 119.0, 26.0, 119.02))
    assert -a["marginal_value"] == pytest.approx(round(km, 3), abs=1e-3)


def test_explain_under_balance_sees_an_unbalanced_plan():
    """Item 5: a hand-made plan with 4 firms on one cadre was called optimal under balance
    firms, where the optimum has at most 2 a cadre."""
    cadres = pd.DataFrame({"id": ["a", "b"], "lat": [26.0, 26.0], "lon": [119.0, 119.05]})
    firms = pd.DataFrame({"id": list("wxyz"), "lat": [26.0] * 4, "lon": [119.0] * 4})
    sc = quiet_build(cadres, firms, mode="one_to_many", balance="firms")
    best = solve(sc)
    assert best.cadre_loads["firms"].max() == 2
    hand = pd.DataFrame({"cadre_id": ["a"] * 4, "firm_id": list("wxyz")})
    ex = explain(sc, hand)
    assert not ex.optimal


def test_explain_on_the_cpsat_path_finds_the_free_cadre():
    """Item 7: with a workload cap (even a slack one) explain re-solves, and tried only the
    2 x top cheapest pairs: all of full cadres whose move uncovers another firm. The free
    cadre at +3 km is the real next-best."""
    # firm f0 served by c0 at 0 km; c1..c6 near but each holding its own firm that only it
    # can serve; c7 free, 3 km farther
    m = 8
    lon = [119.0] + [119.0 + 0.001 * k for k in range(1, 7)] + [119.0 + 3 / 100.0]
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(m)], "lat": 26.0, "lon": lon,
                           "max_firms": 1, "max_workload": 100.0})
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(7)], "lat": 26.0,
                          "lon": [119.0] + lon[1:7]})
    forbidden = pd.DataFrame({"cadre_id": [f"c{i}" for i in range(m) for j in range(1, 7)
                                           if i != j],
                              "firm_id": [f"f{j}" for i in range(m) for j in range(1, 7)
                                          if i != j]})
    sc = quiet_build(cadres, firms, forbidden=forbidden, mode="one_to_many")
    assert compile_problem(sc).backends() == ["cpsat"]
    p = solve(sc)
    assert p.firm_to_cadre()["f0"] == "c0"
    ex = explain(sc, p, firms=["f0"], top=3)
    alts = ex.alternatives[ex.alternatives["admissible"]]
    first = alts.sort_values("rank").iloc[0]
    assert first["cadre_id"] == "c7" and first["uncovers"] == ""
    km = float(haversine_km(26.0, 119.0, 26.0, lon[7]))
    assert first["extra_cost"] == pytest.approx(round(km, 3), abs=2e-3)


def test_backends_refuse_rules_they_cannot_honour():
    """A backend asked for a rule it cannot hold names the rule and the backends that can."""
    cadres = pd.DataFrame({"id": ["a"], "lat": [26.0], "lon": [119.0], "max_workload": [5]})
    firms = pd.DataFrame({"id": ["x"], "lat": [26.0], "lon": [119.0]})
    sc = quiet_build(cadres, firms)
    with pytest.raises(UnsupportedRule, match="max_workload limits.*cpsat"):
        solve(sc, backend="flow")
    with pytest.raises(UnsupportedRule, match="distance or travel limit"):
        solve(sc.with_config(max_distance_km=None), backend="priced")


def test_a_plan_that_breaks_a_rule_is_never_reported_optimal():
    """The validator is independent: a plan whose pair breaks the distance limit is invalid."""
    from dataclasses import replace

    from assign.solve import checked

    cadres = pd.DataFrame({"id": ["a"], "lat": [26.0], "lon": [119.0]})
    firms = pd.DataFrame({"id": ["x"], "lat": [26.0], "lon": [119.2]})
    sc = quiet_build(cadres, firms)
    good = solve(sc)
    assert good.status == "optimal"
    tight = compile_problem(sc.with_config(max_distance_km=5))
    bad = checked(tight, replace(good))
    assert bad.status == "rejected" and "max_distance_km" in bad.conflicts[0]


def test_tradeoff_honours_the_cadre_budget_and_counts_departed_cadres():
    """Item 6: tradeoff ignored max_cadres (budget 1, fronts used 3 cadres), and did not count
    a firm whose previous cadre has left as a change. Checked by enumeration."""
    import itertools

    from assign import tradeoff

    cadres = pd.DataFrame({"id": ["a", "b", "c"], "lat": 26.0, "lon": [119.0, 119.02, 119.04],
                           "max_firms": 3})
    firms = pd.DataFrame({"id": ["x", "y", "z"], "lat": 26.0, "lon": [119.0, 119.02, 119.04]})
    sc = quiet_build(cadres, firms, mode="one_to_many", max_cadres=1)
    res = tradeoff(sc, "distance,balance", points=3)
    for plan in res.plans:
        assert plan.pairs["cadre_id"].nunique() <= 1
    # by enumeration: one cadre for all three firms, least km is b (2 + 0 + 2 km)
    d = haversine_km(26.0, np.array([119.0, 119.02, 119.04])[:, None], 26.0,
                     np.array([119.0, 119.02, 119.04])[None, :])
    best = min(d[k].sum() for k in range(3))
    assert res.front["distance"].min() == pytest.approx(best, abs=1e-2)

    sc2 = quiet_build(cadres, firms, mode="one_to_many")
    previous = pd.DataFrame({"cadre_id": ["gone", "a"], "firm_id": ["x", "z"]})
    res2 = tradeoff(sc2, "distance,changes", previous=previous, points=3)
    fewest = res2.front["changes"].min()
    # by enumeration: x must change (its cadre left); z kept with a: 1 change at best
    plans = itertools.product(range(3), repeat=3)
    want = min(int(p[0] != -9) + int(p[2] != 0) for p in plans)
    assert fewest == want == 1
