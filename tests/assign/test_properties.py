"""Property tests: whatever the input, a plan never breaks a limit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assign import CATEGORY_KEYS, build_candidates, build_scenario, haversine_km, solve

pytestmark = pytest.mark.filterwarnings("ignore::assign.errors.ScenarioWarning")

cats = st.lists(st.sampled_from(CATEGORY_KEYS[:5]), min_size=0, max_size=3, unique=True)


@st.composite
def scenarios(draw):
    m = draw(st.integers(1, 8))
    n = draw(st.integers(1, 15))
    coords = st.tuples(st.floats(39.0, 39.4), st.floats(116.0, 116.4))
    cadre_xy = draw(st.lists(coords, min_size=m, max_size=m))
    firm_xy = draw(st.lists(coords, min_size=n, max_size=n))
    cadres = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(m)],
            "lat": [p[0] for p in cadre_xy],
            "lon": [p[1] for p in cadre_xy],
            "skills": [";".join(draw(cats)) for _ in range(m)],
            "max_firms": draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)),
        }
    )
    if draw(st.booleans()):
        cadres["max_workload"] = draw(
            st.lists(st.floats(0.0, 12.0), min_size=m, max_size=m)
        )
    firms = pd.DataFrame(
        {
            "id": [f"f{j}" for j in range(n)],
            "lat": [p[0] for p in firm_xy],
            "lon": [p[1] for p in firm_xy],
            "needs": [";".join(draw(cats)) for _ in range(n)],
            "priority": draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        }
    )
    assignment = {
        "mode": "one_to_many",
        "max_distance_km": draw(st.sampled_from([5.0, 15.0, 60.0])),
        "require_skills": draw(st.sampled_from(["none", "primary", "all"])),
        "objective": draw(st.sampled_from(["distance", "cost"])),
        "time_limit_s": 5,
    }
    return build_scenario(cadres, firms, **assignment)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_plans_respect_every_limit(scenario):
    """No firm twice, no cadre over max_firms or max_workload, distance and skills kept."""
    pairing = solve(scenario)
    cfg = scenario.config.assignment
    pairs = pairing.pairs
    assert not pairs["firm_id"].duplicated().any()
    cadres = scenario.cadres.set_index("id")
    firms = scenario.firms.set_index("id")
    counts = pairs["cadre_id"].value_counts()
    for cid, k in counts.items():
        assert k <= cadres.at[cid, "max_firms"]
    if cadres["max_workload"].notna().any():
        work = pairs.groupby("cadre_id")["load"].sum()
        for cid, w in work.items():
            assert w <= cadres.at[cid, "max_workload"] + 1e-9  # as written, no slack
    c, f = cadres.loc[pairs["cadre_id"]], firms.loc[pairs["firm_id"]]
    d = haversine_km(c["lat"].to_numpy(), c["lon"].to_numpy(), f["lat"].to_numpy(),
                     f["lon"].to_numpy())
    assert (d <= cfg.max_distance_km + 1e-9).all()
    np.testing.assert_allclose(pairs["distance_km"], d, atol=1e-3)
    for skills, needs in zip(c["skills"], f["needs"], strict=True):
        held = {k for k, _ in skills}
        if cfg.require_skills == "primary" and needs:
            assert needs[0] in held
        if cfg.require_skills == "all":
            assert set(needs) <= held
    # every firm is either paired or reported uncovered, with a reason
    assert pairing.assigned + len(pairing.uncovered) == len(scenario.firms)
    assert pairing.uncovered["reason"].isin(
        ["no_cadre_in_reach", "no_cadre_with_skill", "capacity_used_up"]).all()
    assert abs(pairing.objective - pairs["cost"].sum()) < 1e-6


@settings(max_examples=25, deadline=None)
@given(scenarios())
def test_uncovered_reasons_are_true(scenario):
    """'no cadre in reach' really has no cadre within the limit; 'capacity used up' does."""
    pairing = solve(scenario)
    cand = build_candidates(scenario)
    ids = scenario.firms["id"].to_numpy()
    with_pair = set(ids[cand.firm])
    cadres, firms = scenario.cadres, scenario.firms.set_index("id")
    for fid, reason in zip(pairing.uncovered["firm_id"], pairing.uncovered["reason"], strict=True):
        d = haversine_km(cadres["lat"], cadres["lon"], firms.at[fid, "lat"], firms.at[fid, "lon"])
        if reason == "no_cadre_in_reach":
            assert (d > scenario.config.assignment.max_distance_km).all()
        elif reason == "capacity_used_up":
            assert fid in with_pair
        else:
            assert fid not in with_pair
