"""Road travel benchmarks on generated road grids (``assign.io.roadgen.road_grid``).

- county: ~50,000 road nodes, 300 cadres, 3,000 firms, 30 min reach, objective
  travel_time: ``zhuqi solve`` as a whole process, loading the road folder included
  (target <= 10 s);
- engine: scipy's Dijkstra with ``limit`` against networkx's with ``cutoff`` from the same
  cadres on the county graph (the choice made by this measurement);
- province: the largest grid this machine holds, road reach of a share of the province's
  26,000 cadres, with the time per cadre to extrapolate from.

Usage: python benchmarks/bench_roads.py [--quick] [--province-side N] [--province-cadres N]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, WORK, ZHUQI, machine, run  # noqa: E402

from assign.io.roadgen import road_grid  # noqa: E402
from assign.io.roads import RoadTravel, network_from_frames  # noqa: E402

YAML = """\
name: {name}
cadres: cadres.csv
firms: firms.csv
roads: roads
assignment:
  mode: one_to_many
  max_firms_per_cadre: {cap}
  objective: travel_time
  max_travel_min: {minutes}
"""


def points(rng: np.random.Generator, nodes: pd.DataFrame, k: int, prefix: str) -> pd.DataFrame:
    lat = rng.uniform(nodes["lat"].min(), nodes["lat"].max(), k)
    lon = rng.uniform(nodes["lon"].min(), nodes["lon"].max(), k)
    return pd.DataFrame({"id": [f"{prefix}{i}" for i in range(k)], "lat": lat, "lon": lon})


def county_folder(side: int, cadres: int, firms: int, minutes: float, seed: int = 1) -> Path:
    folder = WORK / f"roads-county-{side}"
    nodes, edges = road_grid(38.93, 100.45, side, side, 250.0, seed=seed)
    (folder / "roads").mkdir(parents=True, exist_ok=True)
    nodes.to_csv(folder / "roads" / "nodes.csv", index=False)
    edges.to_csv(folder / "roads" / "edges.csv", index=False)
    rng = np.random.default_rng(seed)
    points(rng, nodes, cadres, "c").to_csv(folder / "cadres.csv", index=False)
    points(rng, nodes, firms, "f").to_csv(folder / "firms.csv", index=False)
    cap = int(np.ceil(firms / cadres))
    (folder / "scenario.yaml").write_text(YAML.format(name=folder.name, cap=cap, minutes=minutes))
    return folder


def bench_county(side: int = 224, cadres: int = 300, firms: int = 3000, minutes: float = 30.0):
    folder = county_folder(side, cadres, firms, minutes)
    summary = WORK / "roads-county-summary.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed = run([*ZHUQI, "solve", str(folder), "--summary", str(summary)])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    startup = run([*ZHUQI, "--help"])
    assert timed.code == 0, timed.stderr
    s = json.loads(summary.read_text())
    return {"nodes": side * side, "cadres": cadres, "firms": firms, "minutes": minutes,
            "seconds": round(timed.seconds, 2), "cpu_seconds": round(cpu, 2),
            "startup_seconds": round(startup.seconds, 2), "peak_mib": round(timed.peak_mib),
            "status": s["status"], "assigned": s["assigned"],
            "pairs": s["meta"]["candidate_pairs"]}


def bench_engine(side: int = 224, sources: int = 20, minutes: float = 30.0):
    """scipy csgraph.dijkstra(limit) vs networkx single_source_dijkstra_path_length(cutoff)."""
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    nodes, edges = road_grid(38.93, 100.45, side, side, 250.0, seed=1)
    net = network_from_frames(nodes, edges)
    rng = np.random.default_rng(2)
    src = rng.choice(np.flatnonzero(net.main), sources, replace=False)
    graph = net.graph
    t = time.perf_counter()
    d = dijkstra(graph, directed=True, indices=src, limit=minutes)
    t_scipy = time.perf_counter() - t
    g = net.to_networkx()
    t = time.perf_counter()
    reached = [nx.single_source_dijkstra_path_length(g, int(s), cutoff=minutes, weight="minutes")
               for s in src]
    t_nx = time.perf_counter() - t
    same = all(len(r) == int(np.isfinite(d[k]).sum()) for k, r in enumerate(reached))
    return {"sources": sources, "scipy_s": round(t_scipy, 3), "networkx_s": round(t_nx, 3),
            "ratio": round(t_nx / t_scipy, 1), "same_reach": same,
            "nodes_reached_mean": int(np.mean([len(r) for r in reached]))}


def bench_province(side: int, cadres: int, firms_per_cadre: int = 10, minutes: float = 30.0):
    """Reach of ``cadres`` cadres on a side x side grid (250 m), in process."""
    t = time.perf_counter()
    nodes, edges = road_grid(38.0, 104.0, side, side, 250.0, seed=3, prefix=None)
    net = network_from_frames(nodes, edges)
    t_build = time.perf_counter() - t
    rng = np.random.default_rng(3)
    c = points(rng, nodes, cadres, "c")
    f = points(rng, nodes, cadres * firms_per_cadre, "f")
    del nodes, edges
    t = time.perf_counter()
    travel = RoadTravel.snap(net, c, f)
    t_snap = time.perf_counter() - t
    t = time.perf_counter()
    c0 = time.process_time()
    i, _, _, _ = travel.pairs(minutes)
    t_pairs = time.perf_counter() - t
    cpu_pairs = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"nodes": net.n_nodes, "edges": net.n_edges, "cadres": cadres,
            "firms": cadres * firms_per_cadre, "build_s": round(t_build, 1),
            "snap_s": round(t_snap, 1), "pairs_s": round(t_pairs, 1), "pairs": int(len(i)),
            "pairs_cpu_s": round(cpu_pairs, 1), "cpu_s_per_cadre": round(cpu_pairs / cadres, 4),
            "s_per_cadre": round(t_pairs / cadres, 4), "peak_mib": round(peak)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["county", "engine", "province"])
    ap.add_argument("--province-side", type=int, default=2000)
    ap.add_argument("--province-cadres", type=int, default=2600)
    a = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": machine()}
    if a.only in (None, "county"):
        out["county"] = bench_county(60, 30, 300) if a.quick else bench_county()
        print("county", out["county"], flush=True)
    if a.only in (None, "engine"):
        out["engine"] = bench_engine(60, 5) if a.quick else bench_engine()
        print("engine", out["engine"], flush=True)
    if a.only in (None, "province"):
        out["province"] = (bench_province(300, 100) if a.quick else
                           bench_province(a.province_side, a.province_cadres))
        print("province", out["province"], flush=True)
    (RESULTS / "roads.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
