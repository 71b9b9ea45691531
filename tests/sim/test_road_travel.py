"""The simulation's travel uses road minutes when the scenario has roads."""

from __future__ import annotations

import networkx as nx
import pytest

from assign import load_scenario, solve
from sim import ServiceModel
from tests.assign.test_roads import grid_scenario


def test_visit_travel_is_twice_the_road_minutes(tmp_path):
    folder, ref, cnodes, fnodes = grid_scenario(tmp_path)
    s = load_scenario(folder)
    model = ServiceModel(s, solve(s), seed=1)
    for c in range(3):
        for f in range(3):
            want = 2 * nx.dijkstra_path_length(ref, cnodes[c], fnodes[f], weight="w") / 60
            assert model.trip_hours(c, f) == pytest.approx(want, rel=1e-9)
    crow = load_scenario(folder, {"assignment.distance": "great_circle"})
    plain = ServiceModel(crow, solve(crow), seed=1)
    assert plain.trip_hours(0, 0) == pytest.approx(2 * plain.distance_km(0, 0) / plain.speed_kmh)
    model.run_for(30)  # runs with road travel
    assert model.raised_count() >= 0
