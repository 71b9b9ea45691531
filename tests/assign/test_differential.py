"""Every rule against every backend: random tiny scenarios drawing any combination of the
planning rules, solved through each backend that claims to support them, compared with the
enumeration oracle of :mod:`tests.assign.oracle` (independent of ``assign``).

The default run keeps a bounded number of examples with a fixed seed; the benchmarks run
more (``benchmarks/differential.py``).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assign import ScenarioError, ScenarioWarning, build_scenario, solve
from assign.problem import UnsupportedRule, compile_problem
from assign.validate import check_plan

from . import oracle

EXAMPLES = int(os.environ.get("ZHUQI_DIFF_EXAMPLES", "60"))
CATS = ["financing", "policy", "hiring"]


@st.composite
def cases(draw, teams: bool = False) -> oracle.Case:
    m = draw(st.integers(2, 4))
    n = draw(st.integers(3, 6 if m < 4 else 5))
    coords = st.floats(-0.06, 0.06, allow_nan=False)
    cadres = pd.DataFrame({
        "id": [f"c{i}" for i in range(m)],
        "lat": [26.0 + draw(coords) for _ in range(m)],
        "lon": [119.0 + draw(coords) for _ in range(m)],
        "home_unit": [draw(st.sampled_from(["u1", "u2", "u3"])) for _ in range(m)],
        "skills": [";".join(draw(st.sets(st.sampled_from(CATS), max_size=2))) for _ in range(m)],
    })
    firms = pd.DataFrame({
        "id": [f"f{j}" for j in range(n)],
        "lat": [26.0 + draw(coords) for _ in range(n)],
        "lon": [119.0 + draw(coords) for _ in range(n)],
        "regulator": [draw(st.sampled_from(["u1", "u2", "u9"])) for _ in range(n)],
        "needs": [";".join(draw(st.lists(st.sampled_from(CATS), max_size=2, unique=True)))
                  for _ in range(n)],
    })
    a: dict = {"mode": draw(st.sampled_from(["one_to_one", "one_to_many", "one_to_many"]))}
    if draw(st.booleans()):
        cadres["max_firms"] = [draw(st.sampled_from([np.nan, 0, 1, 2, 3])) for _ in range(m)]
    if draw(st.booleans()):
        firms["priority"] = [draw(st.sampled_from([np.nan, 0, 1, 2])) for _ in range(n)]
    def sometimes() -> bool:  # one draw in four: so that every backend meets many cases
        return draw(st.integers(0, 3)) == 0

    with_pairs = sometimes()
    if sometimes():
        half = draw(st.booleans())
        cadres["max_workload"] = [draw(st.sampled_from([np.nan, 2, 4, 5, 8]))
                                  + (0.5 if half else 0) for _ in range(m)]
    if draw(st.booleans()):
        a["max_distance_km"] = draw(st.sampled_from([4.0, 6.0, 9.0]))
    if draw(st.booleans()):
        a["max_travel_min"] = draw(st.sampled_from([8.0, 12.0, 30.0]))
    a["require_skills"] = draw(st.sampled_from(["none", "none", "primary", "all"]))
    a["objective"] = draw(st.sampled_from(["distance", "cost"]))
    pairs = None
    if with_pairs:
        rows = [(i, j) for i in range(m) for j in range(n) if draw(st.integers(0, 3)) > 0]
        if rows:
            pairs = pd.DataFrame({
                "cadre_id": [f"c{i}" for i, _ in rows], "firm_id": [f"f{j}" for _, j in rows],
                "cost": [draw(st.integers(1, 20)) for _ in rows],
                "load": [draw(st.sampled_from([1.0, 1.5, 2.0, 3.0])) for _ in rows],
                "travel_min": [draw(st.sampled_from([5.0, 10.0, 20.0, 90.0])) for _ in rows]})
    case = oracle.Case(cadres, firms, a, pairs)
    pair_list = [(i, j) for i in range(m) for j in range(n)]
    if draw(st.booleans()):
        k = draw(st.integers(1, 3))
        chosen = draw(st.lists(st.sampled_from(pair_list), min_size=1, max_size=k,
                               unique_by=lambda p: p[1]))
        case.pinned = pd.DataFrame({"cadre_id": [f"c{i}" for i, _ in chosen],
                                    "firm_id": [f"f{j}" for _, j in chosen]})
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(pair_list), min_size=1, max_size=4, unique=True))
        case.forbidden = pd.DataFrame({"cadre_id": [f"c{i}" for i, _ in chosen],
                                       "firm_id": [f"f{j}" for _, j in chosen]})
    if draw(st.booleans()):
        a["conflicts"] = [{"cadre": "home_unit", "firm": "regulator"}]
    if draw(st.booleans()):
        rows = [(draw(st.sampled_from([f"c{i}" for i in range(m)] + ["gone"])), f"f{j}")
                for j in range(n) if draw(st.booleans())]
        if rows:
            case.previous = pd.DataFrame({"cadre_id": [r[0] for r in rows],
                                          "firm_id": [r[1] for r in rows]})
            rule = draw(st.sampled_from(["fewest", "fewest", "max_changes", "change_cost"]))
            if rule == "max_changes":
                a["max_changes"] = draw(st.integers(0, 3))
            elif rule == "change_cost":
                a["change_cost"] = draw(st.sampled_from([0.5, 3.0, 50.0]))
    if sometimes():
        a["balance"] = draw(st.sampled_from(["firms", "workload"]))
    if sometimes():
        a["max_cadres"] = draw(st.integers(1, m))
    return case


def build(case: oracle.Case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return build_scenario(case.cadres, case.firms, case.pairs, pinned=case.pinned,
                              forbidden=case.forbidden, **case.assignment)


def plan_vector(pairing, case: oracle.Case) -> np.ndarray:
    cid = {x: i for i, x in enumerate(case.cadres["id"])}
    fid = {x: j for j, x in enumerate(case.firms["id"])}
    plan = np.full(len(case.firms), -1)
    for c, f in zip(pairing.pairs["cadre_id"], pairing.pairs["firm_id"], strict=True):
        plan[fid[f]] = cid[c]
    return plan


def compare(case: oracle.Case, backend: str) -> None:
    """Solve ``case`` on ``backend`` and check it against the oracle."""
    try:
        scenario = build(case)
    except ScenarioError:
        return  # the tables themselves were refused (e.g. a pin naming no pair's cadre)
    problem = compile_problem(scenario, previous=case.previous)
    if backend not in problem.backends():
        with pytest.raises(UnsupportedRule):
            solve(problem, backend=backend)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        got = solve(problem, backend=backend, time_limit=20)
    want = oracle.solve(case)
    if want.status == "infeasible":
        assert got.status == "infeasible", (backend, got)
        return
    assert got.status in ("optimal", "feasible"), (backend, got, got.conflicts)
    assert check_plan(problem, got) == []
    plan = plan_vector(got, case)
    pri = pd.to_numeric(case.firms.get("priority", pd.Series([np.nan] * len(case.firms))),
                        errors="coerce").fillna(0).to_numpy(int)
    levels = sorted(set(pri), reverse=True)
    covered = tuple(int(((plan >= 0) & (pri == lv)).sum()) for lv in levels)
    assert covered == want.covered, (backend, covered, want.covered)
    if got.status == "optimal":
        assert any((plan == p).all() for p in want.plans), (backend, plan, want.plans[:3])
        cost = want.cost_matrix
        objective = sum(cost[plan[j], j] for j in range(len(plan)) if plan[j] >= 0)
        assert got.objective == pytest.approx(objective, abs=1e-6)


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("backend", ["flow", "cpsat", "priced"])
@SETTINGS
@given(case=cases())
def test_every_backend_matches_the_oracle(backend, case):
    compare(case, backend)


def _pair_cost(case: oracle.Case, plan: np.ndarray) -> float:
    _, cost, _, _ = oracle.matrices(case)
    return float(sum(cost[plan[j], j] for j in range(len(plan)) if plan[j] >= 0))


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_explain_extra_cost_matches_forced_enumeration(case):
    """Each admissible alternative's extra cost is the optimum with that pair forced, found
    by enumeration, less the optimum (coverage first, as the plan's own objective)."""
    from assign import explain

    case.previous = None  # fewest changes would mix change counts into the cost
    case.assignment.pop("max_changes", None)
    case.assignment.pop("change_cost", None)
    try:
        scenario = build(case)
    except ScenarioError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        plan = solve(scenario, time_limit=20)
    if plan.status != "optimal":
        return
    base = oracle.solve(case)
    base_cost = _pair_cost(case, base.plans[0])
    ex = explain(scenario, plan, top=2, time_limit=10)
    cid = {x: i for i, x in enumerate(case.cadres["id"])}
    fid = {x: j for j, x in enumerate(case.firms["id"])}
    alts = ex.alternatives[ex.alternatives["admissible"].astype(bool)]
    for row in alts.itertuples():
        if row.status not in ("optimal", ""):
            continue
        forced = oracle.solve(case, forced=(cid[row.cadre_id], fid[row.firm_id]))
        assert forced.status == "optimal", row
        want = _pair_cost(case, forced.plans[0]) - base_cost
        assert row.extra_cost == pytest.approx(want, abs=1e-3), (row, want)
    # the first alternative of each firm, when it uncovers no firm, is the cheapest forced
    # optimum among the cadres whose forced optimum can keep every covered firm covered
    covered = {j for j in range(len(case.firms)) if base.plans[0][j] >= 0}
    for f, rows in alts.groupby("firm_id"):
        top_row = rows.sort_values("rank").iloc[0]
        if top_row.uncovers:
            continue
        j = fid[f]
        own = plan.firm_to_cadre()[f]
        clean = []
        for i in range(len(case.cadres)):
            if case.cadres["id"].iat[i] == own or not base.admissible[i, j]:
                continue
            forced = oracle.solve(case, forced=(i, j))
            if forced.status == "optimal" and any(
                    all(p[k] >= 0 for k in covered) for p in forced.plans):
                clean.append(_pair_cost(case, forced.plans[0]) - base_cost)
        assert clean and top_row.extra_cost == pytest.approx(min(clean), abs=1e-3), (f, clean)


@settings(max_examples=max(EXAMPLES // 4, 8), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_tradeoff_endpoints_match_enumeration(case):
    """The distance-balance front ends at the least-km optimum and at the least largest
    count (then least km), both found by enumeration with the same coverage."""
    from assign import tradeoff

    case.previous = None
    case.pinned = None
    for key in ("max_changes", "change_cost", "balance"):
        case.assignment.pop(key, None)
    case.assignment["objective"] = "distance"
    try:
        scenario = build(case)
    except ScenarioError:
        return
    plain = oracle.solve(case)
    if plain.status != "optimal":
        return
    res = tradeoff(scenario, "distance,balance", points=3, time_limit=10)
    if not len(res.front) or not (res.front["status"] == "optimal").all():
        return
    assert res.front["distance"].min() == pytest.approx(plain.cost, abs=1e-2)
    balanced = oracle.solve(oracle.Case(case.cadres, case.firms,
                                        {**case.assignment, "balance": "firms"}, case.pairs,
                                        None, case.forbidden, None))
    assert res.front["balance"].min() == pytest.approx(balanced.key[len(balanced.covered)])


@settings(max_examples=max(EXAMPLES // 4, 8), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 4), n=st.integers(2, 5),
       zones=st.integers(1, 2), forbid=st.booleans())
def test_teams_match_their_enumeration(seed, m, n, zones, forbid):
    """Task forces: random tiny cases (skills, sizes, distance limits, priorities, cadres'
    own zones, forbidden links) on the teams backend against the enumeration of every team
    partition and link (tests/assign/test_teams.py), and through the validator."""
    from .test_teams import brute_force, random_case

    rng = np.random.default_rng(seed)
    cadres, firms, a = random_case(rng, m, n, zones)
    forbidden = None
    if forbid:
        forbidden = pd.DataFrame({"cadre_id": ["c0"], "firm_id": ["f0"]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            scenario = build_scenario(cadres, firms, forbidden=forbidden, **a)
    except ScenarioError:
        return
    problem = compile_problem(scenario)
    assert problem.backends() == ["teams"]
    got = solve(problem)
    if forbidden is not None:  # enumeration without that link: it may serve nothing
        assert ("c0", "f0") not in set(zip(got.pairs["cadre_id"], got.pairs["firm_id"],
                                           strict=True))
        assert check_plan(problem, got) == [] or got.status not in ("optimal", "feasible")
        return
    best = brute_force(cadres, firms, a)
    if best is None or best[0] + best[1] == 0:  # no teams, or teams that reach no firm:
        assert got.status == "infeasible"       # a plan covering nothing is infeasible
        return
    assert got.status == "optimal", got
    assert check_plan(problem, got) == []
    prio = firms.set_index("id").loc[got.pairs["firm_id"], "priority"].to_numpy()
    assert ((prio == 1).sum(), (prio == 0).sum()) == best[:2]
    assert got.objective == pytest.approx(-best[2], abs=1e-2)


@settings(max_examples=max(EXAMPLES // 4, 8), deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(case=cases(), late=st.integers(0, 3))
def test_batches_match_the_oracle_period_by_period(case, late):
    """Cadre batches: cadre ``late`` starts on day 10. The first period is the oracle's
    optimum over the cadres serving then (rules on the late cadre wait for it); the second
    replans against the first with fewest changes, as the oracle does with that previous."""
    from sim.batches import plan_batches

    late = late % len(case.cadres)
    case.previous = None
    for key in ("max_changes", "change_cost", "max_cadres"):
        case.assignment.pop(key, None)
    case.cadres = case.cadres.assign(start_day=[10.0 if i == late else 0.0
                                                for i in range(len(case.cadres))])
    try:
        scenario = build(case)
    except ScenarioError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        plan = plan_batches(scenario, 30)
    serving = [c for i, c in enumerate(case.cadres["id"]) if i != late]

    def sub(table):
        return None if table is None else table[table["cadre_id"].isin(serving)]

    first = oracle.Case(case.cadres[case.cadres["id"].isin(serving)].reset_index(drop=True),
                        case.firms, case.assignment, sub(case.pairs), sub(case.pinned),
                        sub(case.forbidden), None)
    for period, want_case in ((plan.periods[0], first),):
        got = period.pairing
        want = oracle.solve(want_case)
        if want.status == "infeasible":
            assert got is None or got.status == "infeasible"
            continue
        vec = plan_vector(got, want_case)
        assert any((vec == p).all() for p in want.plans), (vec, want.plans[:3])
    second = plan.periods[1].pairing
    if second is None or plan.periods[0].pairing.status != "optimal":
        return
    again = oracle.Case(case.cadres.drop(columns="start_day"), case.firms, case.assignment,
                        case.pairs, case.pinned, case.forbidden,
                        plan.periods[0].pairing.pairs[["cadre_id", "firm_id"]])
    want = oracle.solve(again)
    if want.status == "infeasible":
        assert second.status == "infeasible"
        return
    vec = plan_vector(second, again)
    assert any((vec == p).all() for p in want.plans), (vec, want.plans[:3])


def test_explain_names_the_nearest_skilled_cadre_without_a_distance_limit():
    """Found by the larger differential run: explain crashed formatting a missing distance
    limit for a firm no listed cadre has the skill for (a pair table, no max_distance_km),
    and any pin crashed on a pair table without a load column (explain pins each pair)."""
    from assign import explain

    cadres = pd.DataFrame({"id": ["c0", "c1"], "lat": [26.0, 26.0], "lon": [119.0, 119.01],
                           "skills": ["hiring", ""]})
    firms = pd.DataFrame({"id": ["f0", "f1"], "lat": [26.0, 26.0], "lon": [119.0, 119.0],
                          "needs": ["", "hiring"]})
    pairs = pd.DataFrame({"cadre_id": ["c0", "c1"], "firm_id": ["f0", "f1"], "cost": [1, 1]})
    sc = build(oracle.Case(cadres, firms, {"mode": "one_to_one", "require_skills": "primary",
                                           "max_cadres": 1}, pairs))
    plan = solve(sc)
    assert plan.firm_to_cadre() == {"f0": "c0"}
    ex = explain(sc, plan)
    words = " ".join(ex.uncovered.astype(str).to_numpy().ravel())
    assert "among the cadres the pair table lists" in words and "c0 at 0.0 km" in words
