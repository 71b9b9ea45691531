"""Peer: the bare pipeline for coverage-first, least-distance pairing with count limits.

pandas reads the two CSVs; scipy's cKDTree on unit vectors finds every pair within reach;
OR-Tools' SimpleMinCostFlow solves it (uncovered arcs priced by priority so coverage
comes first). No zhuqi code. Prints JSON: assigned, total_km, pairs, seconds.

Usage: python assign_bare.py FOLDER MAX_FIRMS MAX_KM
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

R = 6371.0088


def unit(lat, lon):
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def main() -> None:
    t0 = time.perf_counter()
    folder, cap, reach = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    cadres = pd.read_csv(f"{folder}/cadres.csv", usecols=["lat", "lon"], encoding="utf-8-sig")
    firms = pd.read_csv(f"{folder}/firms.csv", usecols=["lat", "lon", "priority"],
                        encoding="utf-8-sig")
    m, n = len(cadres), len(firms)
    chord = 2 * np.sin(reach / R / 2) * (1 + 1e-9)
    found = cKDTree(unit(cadres.lat, cadres.lon)).sparse_distance_matrix(
        cKDTree(unit(firms.lat, firms.lon)), chord, output_type="ndarray")
    i, j = found["i"].astype(np.int64), found["j"].astype(np.int64)
    km = 2 * R * np.arcsin(np.clip(found["v"] / 2, 0, 1))
    keep = km <= reach
    i, j, km = i[keep], j[keep], km[keep]
    cost = np.rint(km * 1000).astype(np.int64)
    _, rank = np.unique(firms.priority.to_numpy(), return_inverse=True)
    big = n * int(cost.max(initial=0)) + 1
    sink = n + m
    tails = np.concatenate([j, n + np.arange(m), np.arange(n)]).astype(np.int32)
    heads = np.concatenate([n + i, np.full(m, sink), np.full(n, sink)]).astype(np.int32)
    caps = np.concatenate([np.ones(len(i)), np.full(m, cap), np.ones(n)]).astype(np.int64)
    costs = np.concatenate([cost, np.zeros(m, np.int64), (rank + 1) * big]).astype(np.int64)
    f = min_cost_flow.SimpleMinCostFlow()
    f.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + m + 1, np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    f.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    assert f.solve() == f.OPTIMAL
    used = f.flows(np.arange(len(i), dtype=np.int32)) > 0
    print(json.dumps({"assigned": int(used.sum()), "total_km": float(km[used].sum()),
                      "pairs": int(len(i)), "seconds": time.perf_counter() - t0}))


main()
