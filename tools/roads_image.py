"""Render docs/zhangye-roads.png: Zhangye's generated road graph and the road routes of a
pairing within 20 minutes (README, road travel).

Run from the project root: ``.venv/bin/python tools/roads_image.py``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from assign import load_scenario, solve  # noqa: E402
from assign.io.roads import RoadTravel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    s = load_scenario(ROOT / "scenarios" / "zhangye-2022", {"assignment.max_travel_min": 20})
    pairing = solve(s)
    net = s.roads
    travel = RoadTravel.snap(net, s.cadres, s.firms)
    fig, ax = plt.subplots(figsize=(9, 7.5), dpi=110)
    speed = net.length_m / 1000 / (net.minutes / 60)
    segs = np.stack([np.column_stack([net.lon[net.tail], net.lat[net.tail]]),
                     np.column_stack([net.lon[net.head], net.lat[net.head]])], axis=1)
    for lo, hi, colour, width in ((0, 45, "#d0d0d0", 0.4), (45, 70, "#a0a0a0", 0.9),
                                  (70, 999, "#e08030", 1.6)):
        pick = (speed >= lo) & (speed < hi)
        ax.add_collection(LineCollection(segs[pick], colors=colour, linewidths=width))
    cid = {c: k for k, c in enumerate(s.cadres["id"])}
    fid = {f: k for k, f in enumerate(s.firms["id"])}
    colours = plt.cm.tab20(np.linspace(0, 1, 20))
    for n, row in enumerate(pairing.pairs.itertuples()):
        c, f = cid[row.cadre_id], fid[row.firm_id]
        src, dst = travel.cadre_node[c], travel.firm_node[f]
        _, pred = dijkstra(net.graph, indices=src, return_predecessors=True)
        path = [dst]
        while path[-1] != src:
            path.append(pred[path[-1]])
        ax.plot(net.lon[path], net.lat[path], color=colours[n % 20], lw=1.8)
    ax.scatter(s.cadres["lon"], s.cadres["lat"], marker="s", s=16, c="#1f3b73", zorder=3,
               label="cadres")
    un = s.firms["id"].isin(pairing.uncovered["firm_id"])
    ax.scatter(s.firms["lon"][~un], s.firms["lat"][~un], s=14, c="#2a9d3a", zorder=3,
               label="firms paired (route by road)")
    ax.scatter(s.firms["lon"][un], s.firms["lat"][un], s=18, c="#c0392b", marker="x", zorder=3,
               label="firms with no cadre within 20 min by road")
    ax.set_xlim(100.05, 100.85)
    ax.set_ylim(38.62, 39.2)
    ax.set_aspect(1 / np.cos(np.radians(38.93)))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title("zhangye-2022, generated road graph: pairs within 20 minutes "
                 f"({len(pairing.pairs)} of {len(s.firms)} firms)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(ROOT / "docs" / "zhangye-roads.png")


if __name__ == "__main__":
    main()
