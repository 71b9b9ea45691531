"""Which N cadres: `pick="best"` against every N-subset of the roster (each solved by the
min-cost flow, itself checked against scipy), `pick="first"` keeps the roster's order."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from assign import build_scenario, solve
from sim.experiment import staffing_scenario


@pytest.mark.parametrize("seed", range(3))
def test_best_pick_matches_every_subset(seed):
    rng = np.random.default_rng(seed)
    m, n, k = 6, 8, 3
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(m)], "lat": rng.uniform(30, 30.5, m),
                           "lon": rng.uniform(110, 110.5, m)})
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(n)], "lat": rng.uniform(30, 30.5, n),
                          "lon": rng.uniform(110, 110.5, n)})
    sc = build_scenario(cadres, firms, mode="one_to_one", time_limit_s=10)
    best = staffing_scenario(sc, k, "best")
    first = staffing_scenario(sc, k, "first")
    assert list(first.cadres["id"]) == ["c0", "c1", "c2"]
    assert len(best.cadres) == k
    got = solve(best)
    options = []
    for subset in itertools.combinations(range(m), k):
        roster = replace(sc, cadres=sc.cadres.iloc[list(subset)].reset_index(drop=True))
        p = solve(staffing_scenario(roster, k, "first"))
        options.append((-p.assigned, round(p.objective, 6)))
    assert (-got.assigned, round(got.objective, 6)) == min(options)
