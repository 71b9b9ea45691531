"""Write the generated road graph of scenarios/zhangye-2022 (Ganzhou district, Zhangye).

Run from the project root: ``.venv/bin/python tools/zhangye_roads.py`` (also run by
``tools/seed_scenarios.py``). The graph is GENERATED, not surveyed: street grids around the
approximate centres of the district's towns, a 1 km grid of county roads across the
district, and straight-line stand-ins for the G30 expressway, the G312 and the G227 through
the city, joined where they come within reach of each other. Seeded; rerunning writes the
same files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assign.io.roadgen import join_roads, road_grid, road_line

FOLDER = Path(__file__).resolve().parents[1] / "scenarios" / "zhangye-2022" / "roads"

# (name, lat, lon, grid size): approximate town seats of Ganzhou district (to a km or two)
TOWNS = [
    ("甘州城区", 38.926, 100.455, 25),
    ("梁家墩镇", 38.965, 100.455, 8),
    ("上秦镇", 38.975, 100.500, 8),
    ("长安镇", 38.895, 100.500, 8),
    ("党寨镇", 38.850, 100.510, 8),
    ("碱滩镇", 38.900, 100.560, 8),
    ("三闸镇", 39.020, 100.470, 8),
    ("乌江镇", 39.070, 100.380, 8),
    ("沙井镇", 39.040, 100.300, 8),
    ("新墩镇", 38.940, 100.400, 8),
    ("小满镇", 38.860, 100.390, 8),
    ("大满镇", 38.830, 100.330, 8),
    ("甘浚镇", 38.900, 100.250, 8),
    ("明永镇", 39.020, 100.230, 8),
    ("靖安乡", 39.100, 100.430, 6),
    ("龙渠乡", 38.750, 100.320, 6),
    ("安阳乡", 38.720, 100.380, 6),
    ("花寨乡", 38.700, 100.450, 6),
]

# trunk roads as straight stretches between rough waypoints (lat, lon), speed km/h
TRUNKS = [
    ("G30", [(38.78, 100.75), (38.88, 100.50), (38.905, 100.42), (39.00, 100.26),
             (39.08, 100.15)], 100.0),
    ("G312", [(38.82, 100.72), (38.926, 100.455), (39.05, 100.22), (39.10, 100.15)], 60.0),
    ("G227", [(38.926, 100.455), (38.80, 100.50), (38.66, 100.55)], 60.0),
]


def main() -> None:
    parts = [road_grid(38.93, 100.45, 76, 96, 1000.0, seed=2022, drop=0.15, oneway=0.0,
                       arterial_every=8, street_kmh=40.0, arterial_kmh=60.0, prefix="R")]
    for k, (_, lat, lon, size) in enumerate(TOWNS):
        parts.append(road_grid(lat, lon, size, size, 200.0, seed=100 + k, drop=0.08,
                               oneway=0.08, arterial_every=6, street_kmh=25.0,
                               arterial_kmh=40.0, prefix=f"T{k}_"))
    for name, points, speed in TRUNKS:
        parts.append(road_line(points, 700.0, speed, prefix=f"{name}_"))
    nodes, edges = join_roads(parts, link_m=600.0, link_kmh=30.0)
    nodes["lat"] = np.round(nodes["lat"], 6)
    nodes["lon"] = np.round(nodes["lon"], 6)
    FOLDER.mkdir(parents=True, exist_ok=True)
    nodes.to_csv(FOLDER / "nodes.csv", index=False)
    edges.to_csv(FOLDER / "edges.csv", index=False)
    print(f"{FOLDER}: {len(nodes)} nodes, {len(edges)} edges")


if __name__ == "__main__":
    main()
