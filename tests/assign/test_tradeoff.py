"""tradeoff: the Pareto front against brute-force enumeration of every plan on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from assign import build_scenario
from assign.candidates import build_candidates
from assign.categories import CATEGORY_KEYS
from assign.insight.tradeoff import tradeoff


def tiny(seed: int, m: int = 3, n: int = 5, workload: bool = False):
    rng = np.random.default_rng(seed)
    keys = list(CATEGORY_KEYS[:3])
    cadres = pd.DataFrame({
        "id": [f"c{i}" for i in range(m)],
        "lat": 24.9 + rng.uniform(0, 0.3, m), "lon": 118.5 + rng.uniform(0, 0.3, m),
        "skills": [";".join(rng.choice(keys, rng.integers(1, 3), replace=False)) for _ in range(m)],
        "max_firms": rng.integers(1, 4, m),
    })
    if workload:
        cadres["max_workload"] = np.round(rng.uniform(4, 9, m), 1)
    firms = pd.DataFrame({
        "id": [f"f{j}" for j in range(n)],
        "lat": 24.9 + rng.uniform(0, 0.3, n), "lon": 118.5 + rng.uniform(0, 0.3, n),
        "needs": [str(rng.choice(keys)) for _ in range(n)],
        "priority": 0,
    })
    return build_scenario(cadres, firms, mode="one_to_many", max_distance_km=25,
                          objective="distance")


def brute_front(sc, a: str, b: str, previous: dict | None = None) -> list[tuple[float, float]]:
    """Every plan enumerated; among those covering the most firms, the non-dominated values."""
    cand = build_candidates(sc)
    m, n = len(sc.cadres), len(sc.firms)
    cap = sc.cadres["max_firms"].to_numpy()
    work = sc.cadres["max_workload"].to_numpy(float)
    options = [[-1] + np.flatnonzero(cand.firm == f).tolist() for f in range(n)]
    primary = [t[0] for t in sc.firms["needs"]]
    held = [{k for k, _ in t} for t in sc.cadres["skills"]]
    plans = []
    for combo in itertools.product(*options):
        ps = [p for p in combo if p >= 0]
        cs = cand.cadre[ps]
        counts = np.bincount(cs, minlength=m)
        loads = np.bincount(cs, weights=cand.load[ps], minlength=m)
        if (counts > cap).any() or (loads > np.nan_to_num(work, nan=np.inf) + 1e-9).any():
            continue
        vals = {
            "distance": round(float(cand.distance_km[ps].sum()), 6),
            "balance": float(counts.max(initial=0)),
            "workload": round(float(loads.max(initial=0)), 6),
            "skill": float(sum(primary[cand.firm[p]] not in held[cand.cadre[p]] for p in ps)),
        }
        if previous is not None:
            now = {int(cand.firm[p]): int(cand.cadre[p]) for p in ps}
            vals["changes"] = float(sum(now.get(f) != c for f, c in previous.items()))
        plans.append((len(ps), vals[a], vals[b]))
    best = max(p[0] for p in plans)
    pts = sorted({(va, vb) for k, va, vb in plans if k == best})
    front, best_b = [], np.inf
    for va, vb in pts:
        if vb < best_b - 1e-9:
            front.append((va, vb))
            best_b = vb
    return front


def check(sc, between, previous=None, prev_dict=None):
    res = tradeoff(sc, between, points=50, previous=previous, time_limit=10)
    want = brute_front(sc, *between, previous=prev_dict)
    got = list(zip(res.front[between[0]], res.front[between[1]], strict=True))
    assert len(got) == len(want), (got, want)
    for (ga, gb), (wa, wb) in zip(got, want, strict=True):
        assert ga == pytest.approx(wa, abs=2e-3) and gb == pytest.approx(wb, abs=2e-3)
    assert (res.front["status"] == "optimal").all()
    # each point's plan has the front's values
    for plan, row in zip(res.plans, res.front.itertuples(), strict=True):
        if between[0] == "distance":
            assert plan.pairs["distance_km"].sum() == pytest.approx(row.distance, abs=2e-3)
    return res


@pytest.mark.parametrize("seed", range(4))
def test_distance_balance_flow_front_is_the_brute_force_front(seed):
    check(tiny(seed, m=3, n=6), ("distance", "balance"))
    check(tiny(seed, m=3, n=6), ("balance", "distance"))


@pytest.mark.parametrize("seed", range(3))
def test_distance_skill_front_is_the_brute_force_front(seed):
    check(tiny(seed + 10), ("distance", "skill"))


@pytest.mark.parametrize("seed", range(3))
def test_workload_fronts_are_the_brute_force_fronts(seed):
    sc = tiny(seed + 20, workload=True)
    check(sc, ("distance", "workload"))
    check(sc, ("balance", "skill"))


def test_changes_against_a_previous_plan():
    sc = tiny(31, m=3, n=5)
    rng = np.random.default_rng(1)
    cand = build_candidates(sc)
    prev, used = {}, set()
    for f in range(len(sc.firms)):
        ps = np.flatnonzero(cand.firm == f)
        if len(ps) and rng.random() < 0.8:
            prev[f] = int(cand.cadre[rng.choice(ps)])
    table = pd.DataFrame({"cadre_id": [f"c{c}" for c in prev.values()],
                          "firm_id": [f"f{f}" for f in prev]})
    del used
    check(sc, ("distance", "changes"), previous=table, prev_dict=prev)


def test_bad_objectives_are_errors():
    sc = tiny(0)
    with pytest.raises(ValueError, match="unknown objective"):
        tradeoff(sc, "distance,speed")
    with pytest.raises(ValueError, match="previous"):
        tradeoff(sc, "distance,changes")
