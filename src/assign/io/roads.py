"""Road travel: road graphs from OpenStreetMap, GraphML or CSV; snapping; bounded shortest paths.

A scenario's ``roads:`` key names one of

- an OpenStreetMap XML extract (``.osm``, ``.osm.gz``, ``.osm.bz2``), read with the standard
  library's streaming ``xml.etree.ElementTree.iterparse`` (no compiled dependency; memory
  grows with the nodes kept, not the file; a county extract reads in seconds);
- a GraphML file, as osmnx saves it (read with networkx): nodes with ``y``/``x`` (or
  ``lat``/``lon``), edges with ``length`` in metres and optionally ``speed_kph``,
  ``maxspeed``, ``highway``; a directed graph is taken as given (osmnx stores both
  directions of a two-way road), an undirected one is two-way everywhere;
- a folder holding ``nodes.csv`` (``id, lat, lon``) and ``edges.csv`` (``u, v, length_m``,
  optional ``speed_kmh`` and ``oneway``: yes/no/-1, default no).

From OSM the roads a car can use are kept (the classes of :data:`DEFAULT_SPEEDS_KMH`;
``service`` roads only with ``service_roads: true``; ``access=no/private`` dropped unless
motor vehicles are allowed), one-way rules honoured (``oneway=yes/1/true``, ``-1``/
``reverse``, roundabouts and motorways one-way unless tagged ``oneway=no``), speeds from
``maxspeed`` where tagged and from the per-class table otherwise. Lengths come from the
node coordinates (great circle between consecutive nodes). All coordinates are WGS-84.

Every cadre and firm is snapped to the nearest node of the largest strongly connected
component (so every snapped point can reach every other); the snap distance ``snap_m`` is
added to the trip as access at ``access_kmh`` (default 15 km/h: the last stretch along
yards, lanes and unmapped tracks). Travel times come from scipy's Dijkstra bounded by the
travel limit, run from blocks of cadres: never an all-pairs matrix.
"""

from __future__ import annotations

import bz2
import gzip
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from ..errors import Problem, ScenarioError, raise_if
from ..geo import chord_to_km, haversine_km, unit_vectors

DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0,
    "trunk": 80.0, "trunk_link": 50.0,
    "primary": 60.0, "primary_link": 40.0,
    "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 40.0, "tertiary_link": 30.0,
    "unclassified": 30.0, "residential": 25.0, "living_street": 10.0,
    "road": 30.0, "service": 15.0,
    "default": 40.0,
}
"""Speed (km/h) of each road class a car may use, where ``maxspeed`` is not tagged.

Free-flow speeds a little under the usual limits of each class. ``default`` is used for
GraphML and CSV edges without a class or speed. Override or extend it per scenario with
``roads: {path: ..., speeds_kmh: {residential: 20, track: 10}}``; a class added there
(e.g. ``track``) is kept as a car road.
"""

MAXSPEED_WORDS: dict[str, float] = {
    "urban": 50.0, "rural": 90.0, "walk": 7.0, "living_street": 10.0, "trunk": 100.0,
    "motorway": 120.0,
}
"""Speeds of worded ``maxspeed`` values (``CN:urban``, ``DE:rural``, ``walk``)."""

ACCESS_BLOCKED = {"no", "private"}
MOTOR_ALLOWED = {"yes", "designated", "permissive", "destination", "customers", "delivery"}
ONEWAY_YES = {"yes", "true", "1"}
ONEWAY_REVERSE = {"-1", "reverse"}
ONEWAY_NO = {"no", "false", "0"}

MINUTE_UNIT = 0.001
"""Edge times are whole multiples of this (minutes; 60 ms), lengths of :data:`METRE_UNIT`."""

METRE_UNIT = 0.1
"""Edge lengths are whole decimetres."""

_SHIFT = float(2**27)
"""One search finds the fastest path and its length: the edge weight is time (in units) times
this plus length (in units), exact in float64 for trips under 46 days and 13,000 km; among
equally fast paths the shorter wins."""

SUBGRAPH_MIN_NODES = 200_000
"""Graphs larger than this are searched per block of sources on the subgraph in reach."""

SUBGRAPH_BLOCK = 32
"""Sources per subgraph search (nearby sources share one subgraph)."""

SOURCE_BLOCK_ENTRIES = 4_000_000
"""Most (source, node) cells one Dijkstra call may allocate (sources per block = this / nodes)."""


@dataclass(frozen=True)
class RoadNetwork:
    """A directed road graph (every node a point, every edge a road stretch).

    Attributes:
        lat, lon: Node coordinates (WGS-84 degrees).
        tail, head: Node index of each directed edge's start and end (parallel edges merged,
            the fastest kept; no self-loops).
        length_m: Edge length, metres (whole decimetres, :data:`METRE_UNIT`).
        minutes: Edge travel time, minutes (whole :data:`MINUTE_UNIT`, at least one).
        source: Where the graph was read from.
    """

    lat: np.ndarray
    lon: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    minutes: np.ndarray
    source: str = ""
    file_sha256: str = ""
    """SHA-256 of the bytes the graph was read from (``""`` for a graph built in memory)."""

    @property
    def n_nodes(self) -> int:
        return len(self.lat)

    @property
    def n_edges(self) -> int:
        return len(self.tail)

    @cached_property
    def graph(self) -> csr_matrix:
        """Travel minutes as a sparse matrix (row: from, column: to)."""
        n = self.n_nodes
        return csr_matrix((self.minutes, (self.tail, self.head)), shape=(n, n))

    @cached_property
    def _timed(self) -> csr_matrix:
        """Edge weights encoding time and length together (see :data:`_SHIFT`)."""
        n = self.n_nodes
        w = (np.round(self.minutes / MINUTE_UNIT) * _SHIFT + np.round(self.length_m / METRE_UNIT))
        return csr_matrix((w, (self.tail, self.head)), shape=(n, n))

    @staticmethod
    def _limit_w(limit: float) -> float:
        if not np.isfinite(limit):
            return np.inf
        return (np.floor(limit / MINUTE_UNIT + 1e-9) + 1.0) * _SHIFT - 1.0

    @staticmethod
    def _decode(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minutes and km of encoded path weights (inf and NaN where not reached)."""
        units = np.floor(w / _SHIFT)
        minutes = units * MINUTE_UNIT
        km = np.full(w.shape, np.nan)
        ok = np.isfinite(w)
        km[ok] = (w[ok] - units[ok] * _SHIFT) * METRE_UNIT / 1000.0
        return minutes, km

    @cached_property
    def main(self) -> np.ndarray:
        """Whether each node lies in the largest strongly connected component."""
        if self.n_nodes == 0:
            return np.zeros(0, bool)
        _, labels = connected_components(self.graph, directed=True, connection="strong")
        return labels == np.argmax(np.bincount(labels))

    @cached_property
    def _edge_keys(self) -> np.ndarray:
        return self.tail.astype(np.int64) * self.n_nodes + self.head

    @cached_property
    def _tree(self) -> tuple[cKDTree, np.ndarray]:
        nodes = np.flatnonzero(self.main)
        return cKDTree(unit_vectors(self.lat[nodes], self.lon[nodes])), nodes

    def snap(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of the largest strongly connected component, and the distance (m).

        Points without coordinates (NaN) get node -1 and distance inf.
        """
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        node = np.full(len(lat), -1, np.int64)
        dist = np.full(len(lat), np.inf)
        ok = ~(np.isnan(lat) | np.isnan(lon))
        if ok.any() and self.n_nodes:
            tree, nodes = self._tree
            chord, k = tree.query(unit_vectors(lat[ok], lon[ok]))
            node[ok] = nodes[k]
            dist[ok] = chord_to_km(chord) * 1000.0
        return node, dist

    @cached_property
    def _csr_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Edges in CSR order: row starts, heads, edge index, and the largest out-degree."""
        order = np.lexsort((self.head, self.tail))
        starts = np.searchsorted(self.tail[order], np.arange(self.n_nodes + 1))
        degree = int(np.max(np.diff(starts))) if self.n_nodes else 0
        return starts, self.head[order], order, degree

    def edge_length_m(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Length of the edge from ``u`` to ``v`` (each pair must be an edge).

        Scans the few out-edges of each ``u`` (road nodes have a handful), which is faster
        than a search over all edges.
        """
        starts, heads, order, degree = self._csr_order
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        if degree > 16:  # a hub node: search all edges instead
            return self.length_m[np.searchsorted(self._edge_keys, u * self.n_nodes + v)]
        first = starts[u]
        count = starts[u + 1] - first
        pos = np.full(len(u), -1, np.int64)
        for k in range(degree):
            at = np.minimum(first + k, len(heads) - 1)
            hit = (k < count) & (heads[at] == v) & (pos < 0)
            pos[hit] = at[hit]
        if (pos < 0).any():
            raise ValueError("edge_length_m: some (u, v) are not edges")
        return self.length_m[order[pos]]

    def to_networkx(self) -> Any:
        """The graph as a networkx DiGraph (edge attributes ``minutes`` and ``length_m``)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(range(self.n_nodes))
        g.add_edges_from(
            (int(u), int(v), {"minutes": float(t), "length_m": float(m)})
            for u, v, t, m in zip(self.tail, self.head, self.minutes, self.length_m, strict=True)
        )
        return g

    def shortest(
        self, sources: np.ndarray, limit: float = np.inf
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Bounded Dijkstra from blocks of source nodes, with road km along each fastest path.

        Yields, per block: the block's positions in ``sources``, minutes (block x nodes;
        inf beyond ``limit``) and km along the fastest path (same shape, NaN where not
        reached).
        """
        sources = np.asarray(sources, np.int64)
        n = self.n_nodes
        per_block = max(1, SOURCE_BLOCK_ENTRIES // max(n, 1))
        for lo in range(0, len(sources), per_block):
            idx = np.arange(lo, min(lo + per_block, len(sources)))
            w = dijkstra(self._timed, directed=True, indices=sources[idx],
                         limit=self._limit_w(limit))
            yield (idx, *self._decode(w))

    @cached_property
    def _node_tree(self) -> cKDTree:
        return cKDTree(unit_vectors(self.lat, self.lon))

    @cached_property
    def crow_speed_km_min(self) -> float:
        """Fastest straight-line progress any edge allows, km per minute.

        No trip of T minutes ends farther than T times this from its start (as the crow
        flies), whatever lengths the edges were given: the bound that lets a bounded search
        look only at the nodes within that radius.
        """
        if self.n_edges == 0:
            return 0.0
        crow = haversine_km(self.lat[self.tail], self.lon[self.tail],
                            self.lat[self.head], self.lon[self.head])
        return float(np.max(crow / self.minutes))

    def shortest_local(
        self, sources: np.ndarray, limit: float = np.inf, block: int = SUBGRAPH_BLOCK
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Like :meth:`shortest`, but on large graphs searches only the nodes in reach.

        With a finite ``limit`` on a graph of more than :data:`SUBGRAPH_MIN_NODES` nodes,
        each block of ``block`` sources (give them in spatial order) searches the subgraph
        of nodes within ``limit * crow_speed_km_min`` km of the block (exact: no path
        within the limit leaves that disc), so the work per source no longer grows with
        the graph: the design for province graphs.

        Yields:
            The block's positions in ``sources``, the node ids of the columns, minutes and
            km (block x columns).
        """
        sources = np.asarray(sources, np.int64)
        if not np.isfinite(limit) or self.n_nodes <= SUBGRAPH_MIN_NODES:
            everything = np.arange(self.n_nodes)
            for idx, minutes, km in self.shortest(sources, limit):
                yield idx, everything, minutes, km
            return
        from ..geo import km_to_chord

        reach_km = limit * self.crow_speed_km_min
        tree = self._node_tree
        xyz = unit_vectors(self.lat[sources], self.lon[sources])
        for idx in _cell_blocks(self.lat[sources], self.lon[sources], max(reach_km / 2, 1.0),
                                block):
            centre = xyz[idx].mean(axis=0)
            centre /= np.linalg.norm(centre)
            spread = float(np.max(np.linalg.norm(xyz[idx] - centre, axis=1)))
            nodes = np.sort(np.asarray(tree.query_ball_point(
                centre, km_to_chord(reach_km) * (1 + 1e-9) + spread), dtype=np.int64))
            sub = self._timed[nodes][:, nodes]
            local = np.searchsorted(nodes, sources[idx])
            w = dijkstra(sub, directed=True, indices=local, limit=self._limit_w(limit))
            yield (idx, nodes, *self._decode(w))

    @cached_property
    def _minutes_cache(self) -> dict:
        return {}

    def minutes_between(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Fastest minutes from each source node to each target node (sources x targets).

        Remembered per (sources, targets), so repeated simulation runs pay for it once.
        """
        sources = np.asarray(sources, np.int64)
        targets = np.asarray(targets, np.int64)
        key = (sources.tobytes(), targets.tobytes())
        cached = self._minutes_cache.get(key)
        if cached is not None:
            return cached
        out = np.empty((len(sources), len(targets)))
        per_block = max(1, SOURCE_BLOCK_ENTRIES // max(self.n_nodes, 1))
        for lo in range(0, len(sources), per_block):
            block = sources[lo:lo + per_block]
            out[lo:lo + len(block)] = dijkstra(self.graph, directed=True, indices=block)[:, targets]
        if len(self._minutes_cache) > 8:
            self._minutes_cache.clear()
        self._minutes_cache[key] = out
        return out


def _cell_blocks(lat: np.ndarray, lon: np.ndarray, cell_km: float,
                 block: int) -> Iterator[np.ndarray]:
    """Positions of points grouped by square cells of ``cell_km``, at most ``block`` a group."""
    if len(lat) == 0:
        return
    deg = cell_km / 111.195
    cos = max(float(np.cos(np.radians(np.nanmean(lat)))), 0.05)
    row = np.floor(lat / deg).astype(np.int64)
    col = np.floor(lon * cos / deg).astype(np.int64)
    _, cell = np.unique(np.column_stack([row, col]), axis=0, return_inverse=True)
    order = np.argsort(cell.ravel(), kind="stable")
    bounds = np.flatnonzero(np.diff(cell.ravel()[order])) + 1
    for group in np.split(order, bounds):
        for lo in range(0, len(group), block):
            yield group[lo:lo + block]


def build_network(
    lat: np.ndarray, lon: np.ndarray, tail: np.ndarray, head: np.ndarray,
    length_m: np.ndarray, speed_kmh: np.ndarray, source: str = "",
) -> RoadNetwork:
    """A :class:`RoadNetwork` from directed edges; parallel edges merged keeping the fastest.

    Lengths are rounded to whole decimetres and times to whole :data:`MINUTE_UNIT` (at
    least one of each, so every edge takes time), which makes path sums exact.
    """
    tail, head = np.asarray(tail, np.int64), np.asarray(head, np.int64)
    length_m = np.maximum(np.round(np.asarray(length_m, float) / METRE_UNIT), 1.0) * METRE_UNIT
    minutes = length_m / 1000.0 / np.asarray(speed_kmh, float) * 60.0
    minutes = np.maximum(np.round(minutes / MINUTE_UNIT), 1.0) * MINUTE_UNIT
    keep = tail != head
    tail, head, length_m, minutes = tail[keep], head[keep], length_m[keep], minutes[keep]
    n = len(lat)
    key = tail * n + head
    order = np.lexsort((minutes, key))
    key, tail, head = key[order], tail[order], head[order]
    length_m, minutes = length_m[order], minutes[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    return RoadNetwork(
        np.asarray(lat, float), np.asarray(lon, float), tail[first].astype(np.int32),
        head[first].astype(np.int32), length_m[first], minutes[first], source,
    )


# --- reading -------------------------------------------------------------------------------


def speed_table(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """:data:`DEFAULT_SPEEDS_KMH` with a scenario's ``speeds_kmh`` applied."""
    return {**DEFAULT_SPEEDS_KMH, **(overrides or {})}


def parse_maxspeed(value: str | None) -> float | None:
    """km/h of an OSM ``maxspeed`` value (``50``, ``30 mph``, ``CN:urban``, ``50;70``), or None."""
    if not value:
        return None
    text = str(value).split(";")[0].strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", text)
    if m:
        v = float(m.group(1))
        v = v * 1.609344 if m.group(2) == "mph" else v
        return v if v > 0 else None
    word = text.split(":")[-1]
    return MAXSPEED_WORDS.get(word)


def _first(value: Any) -> str:
    """First entry of an osmnx list attribute (saved as "['a', 'b']") or the value."""
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].split(",")[0].strip().strip("'\"")
    return text


def _open(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def read_osm(
    path: Path, label: str, speeds: dict[str, float], service_roads: bool = False
) -> RoadNetwork:
    """Read the car roads of an OpenStreetMap XML extract (plain, .gz or .bz2)."""
    classes = {k for k in speeds if k != "default"}
    if not service_roads:
        classes.discard("service")
    node_ids: list[int] = []
    node_lat: list[float] = []
    node_lon: list[float] = []
    seg_u: list[int] = []
    seg_v: list[int] = []
    seg_speed: list[float] = []
    seg_dir: list[int] = []  # 0 both ways, 1 forward only, -1 backward only
    problems: list[Problem] = []
    try:
        with _open(path) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                tag = el.tag
                if tag == "node":
                    try:
                        nid = int(el.get("id", ""))
                        la, lo = float(el.get("lat", "")), float(el.get("lon", ""))
                    except ValueError:
                        problems.append(Problem(label, f"node {el.get('id')!r} lacks a numeric "
                                                       "id, lat or lon"))
                        el.clear()
                        continue
                    if not (-90 <= la <= 90 and -180 <= lo <= 180):
                        problems.append(Problem(label, f"node {nid}: lat/lon out of range"))
                    node_ids.append(nid)
                    node_lat.append(la)
                    node_lon.append(lo)
                    el.clear()
                elif tag == "way":
                    _way(el, classes, speeds, seg_u, seg_v, seg_speed, seg_dir, label, problems)
                    el.clear()
                elif tag == "relation":
                    el.clear()
                if len(problems) > 20:
                    break
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise ScenarioError([Problem(label, f"not valid OSM XML: {exc}", line)]) from None
    except (OSError, EOFError, ValueError) as exc:
        raise ScenarioError([Problem(label, f"cannot be read: {exc}")]) from None
    raise_if(problems[:20])
    ids = np.asarray(node_ids, np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    if len(sorted_ids) and (np.diff(sorted_ids) == 0).any():
        dup = sorted_ids[1:][np.diff(sorted_ids) == 0][0]
        raise ScenarioError([Problem(label, f"node {dup} appears more than once")])
    u, v = np.asarray(seg_u, np.int64), np.asarray(seg_v, np.int64)

    def index(ids_: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(sorted_ids, ids_)
        pos = np.minimum(pos, max(len(sorted_ids) - 1, 0))
        found = sorted_ids[pos] == ids_ if len(sorted_ids) else np.zeros(len(ids_), bool)
        return np.where(found, order[pos] if len(order) else -1, -1)

    ui, vi = index(u), index(v)
    known = (ui >= 0) & (vi >= 0)  # ways cut at the extract's edge refer to absent nodes
    ui, vi = ui[known], vi[known]
    speed = np.asarray(seg_speed, float)[known]
    direction = np.asarray(seg_dir, np.int64)[known]
    lat, lon = np.asarray(node_lat), np.asarray(node_lon)
    return _from_segments(lat, lon, ui, vi, speed, direction, label)


def _way(el, classes, speeds, seg_u, seg_v, seg_speed, seg_dir, label, problems) -> None:
    tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
    highway = tags.get("highway")
    if highway not in classes or tags.get("area") == "yes":
        return
    motor = tags.get("motor_vehicle") or tags.get("motorcar") or tags.get("vehicle")
    if motor in ACCESS_BLOCKED or (tags.get("access") in ACCESS_BLOCKED
                                  and motor not in MOTOR_ALLOWED):
        return
    refs = []
    for nd in el.iter("nd"):
        try:
            refs.append(int(nd.get("ref", "")))
        except ValueError:
            problems.append(Problem(label, f"way {el.get('id')!r}: node reference "
                                           f"{nd.get('ref')!r} is not a number"))
            return
    if len(refs) < 2:
        return
    speed = parse_maxspeed(tags.get("maxspeed")) or speeds[highway]
    oneway = (tags.get("oneway") or "").strip().lower()
    if oneway in ONEWAY_YES:
        d = 1
    elif oneway in ONEWAY_REVERSE:
        d = -1
    elif oneway in ONEWAY_NO:
        d = 0
    elif tags.get("junction") in ("roundabout", "circular") or highway == "motorway":
        d = 1
    else:
        d = 0
    seg_u.extend(refs[:-1])
    seg_v.extend(refs[1:])
    seg_speed.extend([speed] * (len(refs) - 1))
    seg_dir.extend([d] * (len(refs) - 1))


def _from_segments(lat, lon, u, v, speed, direction, label: str,
                   length_m: np.ndarray | None = None) -> RoadNetwork:
    """Directed edges from undirected segments with a direction flag; unused nodes dropped."""
    if len(u) == 0:
        raise ScenarioError([Problem(label, "no roads a car can use")])
    if length_m is None:
        length_m = haversine_km(lat[u], lon[u], lat[v], lon[v]) * 1000.0
    fwd = direction >= 0
    bwd = direction <= 0
    tail = np.concatenate([u[fwd], v[bwd]])
    head = np.concatenate([v[fwd], u[bwd]])
    length = np.concatenate([length_m[fwd], length_m[bwd]])
    spd = np.concatenate([speed[fwd], speed[bwd]])
    used, inverse = np.unique(np.concatenate([tail, head]), return_inverse=True)
    tail, head = inverse[: len(tail)], inverse[len(tail):]
    return build_network(lat[used], lon[used], tail, head, length, spd, label)


def read_graphml(path: Path, label: str, speeds: dict[str, float]) -> RoadNetwork:
    """Read a GraphML road graph (osmnx's layout, or plain lat/lon nodes and length edges)."""
    import networkx as nx

    try:
        g = nx.read_graphml(path)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise ScenarioError([Problem(label, f"not valid GraphML: {exc}", line)]) from None
    except Exception as exc:  # noqa: BLE001 - networkx raises many kinds on bad files
        raise ScenarioError([Problem(label, f"cannot be read as GraphML: {exc}")]) from None
    nodes = list(g.nodes)
    problems: list[Problem] = []
    lat = np.full(len(nodes), np.nan)
    lon = np.full(len(nodes), np.nan)
    for k, (node, data) in enumerate(g.nodes(data=True)):
        y = data.get("y", data.get("lat"))
        x = data.get("x", data.get("lon"))
        try:
            lat[k], lon[k] = float(y), float(x)
        except (TypeError, ValueError):
            problems.append(Problem(label, f"node '{node}' lacks numeric y/x (lat/lon)"))
            if len(problems) >= 20:
                break
            continue
        if not (-90 <= lat[k] <= 90 and -180 <= lon[k] <= 180):
            problems.append(Problem(label, f"node '{node}': lat/lon out of range"))
    raise_if(problems)
    pos = {node: k for k, node in enumerate(nodes)}
    u, v, length, speed = [], [], [], []
    for a, b, data in g.edges(data=True):
        u.append(pos[a])
        v.append(pos[b])
        raw_len = data.get("length", data.get("length_m"))
        try:
            ln = float(raw_len) if raw_len is not None else math.nan
        except (TypeError, ValueError):
            ln = -1.0
        if not (math.isnan(ln) or (ln >= 0 and math.isfinite(ln))):
            problems.append(Problem(label, f"edge '{a}'-'{b}': length {raw_len!r} is not a "
                                           "length in metres"))
        length.append(ln)
        spd = data.get("speed_kph", data.get("speed_kmh"))
        try:
            s = float(spd) if spd is not None else math.nan
        except (TypeError, ValueError):
            s = math.nan
        if not (s > 0 and math.isfinite(s)):
            s = (parse_maxspeed(_first(data["maxspeed"])) if "maxspeed" in data else None) or (
                speeds.get(_first(data.get("highway", "")), speeds["default"]))
        speed.append(s)
        if len(problems) >= 20:
            break
    raise_if(problems)
    ua, va = np.asarray(u, np.int64), np.asarray(v, np.int64)
    ln_arr = np.asarray(length, float)
    geo_len = haversine_km(lat[ua], lon[ua], lat[va], lon[va]) * 1000.0 if len(ua) else ln_arr
    ln_arr = np.where(np.isnan(ln_arr), geo_len, ln_arr)
    direction = np.full(len(ua), 1 if g.is_directed() else 0, np.int64)
    return _from_segments(lat, lon, ua, va, np.asarray(speed, float), direction, label, ln_arr)


def _fast_folder(path: Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The two tables read straight with pandas when they are clean, else None.

    Large road folders are read this way in a fraction of the time; anything unexpected
    (a bad number, a missing value, an unknown node, a stray column) returns None and the
    careful reader names every problem with its line and column.
    """
    ncols = {"id": str, "lat": float, "lon": float}
    ecols = {"u": str, "v": str, "length_m": float, "speed_kmh": float, "oneway": str}
    try:
        nodes = pd.read_csv(path / "nodes.csv", dtype=ncols, encoding="utf-8-sig",
                            keep_default_na=False, na_values=[""])
        edges = pd.read_csv(path / "edges.csv", dtype=ecols, encoding="utf-8-sig",
                            keep_default_na=False, na_values=[""])
    except Exception:  # noqa: BLE001 - any trouble: the careful reader explains it
        return None
    if list(nodes.columns) != list(ncols) or not set(edges.columns) <= set(ecols) or not (
            {"u", "v", "length_m"} <= set(edges.columns)) or len(nodes) == 0 or len(edges) == 0:
        return None
    if nodes.isna().any().any() or edges[["u", "v", "length_m"]].isna().any().any():
        return None
    lat, lon = nodes["lat"].to_numpy(), nodes["lon"].to_numpy()
    if not ((np.abs(lat) <= 90).all() and (np.abs(lon) <= 180).all()):
        return None
    if nodes["id"].duplicated().any() or (edges["length_m"].to_numpy() < 0).any():
        return None
    known = pd.Index(nodes["id"])
    if (known.get_indexer(edges["u"]) < 0).any() or (known.get_indexer(edges["v"]) < 0).any():
        return None
    if "speed_kmh" in edges and (edges["speed_kmh"].to_numpy() <= 0).any():
        return None
    if "oneway" in edges:
        text = edges["oneway"].fillna("").str.strip().str.lower()
        if not (text.isin(ONEWAY_YES | ONEWAY_REVERSE | ONEWAY_NO) | (text == "")).all():
            return None
    if not (np.isfinite(lat).all() and np.isfinite(edges["length_m"].to_numpy()).all()):
        return None
    return nodes, edges


def read_folder(path: Path, label: str, speeds: dict[str, float]) -> RoadNetwork:
    """Read ``nodes.csv`` (id, lat, lon) and ``edges.csv`` (u, v, length_m[, speed_kmh, oneway])."""
    from .tables import Column, read_table

    nlabel, elabel = str(path / "nodes.csv"), str(path / "edges.csv")
    fast = _fast_folder(path)
    if fast is not None:
        nodes, edges = fast
        return network_from_frames(nodes, edges, elabel, speeds["default"])
    nodes, p1 = read_table(path / "nodes.csv", [
        Column("id", "id", required=True),
        Column("lat", "float", required=True, low=-90, high=90),
        Column("lon", "float", required=True, low=-180, high=180)], nlabel)
    edges, p2 = read_table(path / "edges.csv", [
        Column("u", "text", required=True), Column("v", "text", required=True),
        Column("length_m", "float", required=True, low=0),
        Column("speed_kmh", "float", low=0), Column("oneway", "text")], elabel)
    raise_if(p1 + p2)
    problems: list[Problem] = []
    lines = np.arange(len(edges)) + 2
    for col in ("lat", "lon"):
        for i in np.flatnonzero(nodes[col].isna().to_numpy())[:20]:
            problems.append(Problem(nlabel, "a value is required", int(i) + 2, col))
    ids = pd.Index(nodes["id"])
    ui, vi = ids.get_indexer(edges["u"]), ids.get_indexer(edges["v"])
    for col, idx in (("u", ui), ("v", vi)):
        for i in np.flatnonzero(idx < 0)[:20]:
            problems.append(Problem(elabel, f"unknown node '{edges[col].iat[i]}'",
                                    int(lines[i]), col))
    length = edges["length_m"].to_numpy(float)
    for i in np.flatnonzero(np.isnan(length))[:20]:
        problems.append(Problem(elabel, "a value is required", int(lines[i]), "length_m"))
    if "speed_kmh" in edges:
        speed = edges["speed_kmh"].to_numpy(float)
        for i in np.flatnonzero(speed == 0)[:20]:
            problems.append(Problem(elabel, "speed must be above 0", int(lines[i]), "speed_kmh"))
        speed = np.where(np.isnan(speed), speeds["default"], speed)
    else:
        speed = np.full(len(edges), speeds["default"])
    direction = np.zeros(len(edges), np.int64)
    if "oneway" in edges:
        text = edges["oneway"].str.strip().str.lower()
        direction[text.isin(ONEWAY_YES).to_numpy()] = 1
        direction[text.isin(ONEWAY_REVERSE).to_numpy()] = -1
        bad = ~(text.isin(ONEWAY_YES | ONEWAY_REVERSE | ONEWAY_NO) | (text == "")).to_numpy()
        for i in np.flatnonzero(bad)[:20]:
            problems.append(Problem(elabel, f"'{edges['oneway'].iat[i]}' is not yes, no or -1",
                                    int(lines[i]), "oneway"))
    raise_if(problems)
    return _from_segments(nodes["lat"].to_numpy(float), nodes["lon"].to_numpy(float),
                          ui.astype(np.int64), vi.astype(np.int64), speed, direction, elabel,
                          length)


def load_roads(path: Path, label: str, speeds_kmh: dict[str, float] | None = None,
               service_roads: bool = False) -> RoadNetwork:
    """Read a road graph: OSM XML, GraphML or a folder of CSV files (by what ``path`` is).

    Raises:
        ScenarioError: naming the file (and line or row) of every problem.
    """
    speeds = speed_table(speeds_kmh)
    if path.is_dir():
        if not (path / "nodes.csv").is_file() and not (path / "edges.csv").is_file():
            raise ScenarioError([Problem(label, "a road folder must hold nodes.csv and edges.csv")])
        return _with_digest(read_folder(path, label, speeds), path)
    if not path.is_file():
        raise ScenarioError([Problem(label, "file not found")])
    name = path.name.lower()
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml", ".xml.gz", ".xml.bz2")):
        return _with_digest(read_osm(path, label, speeds, service_roads), path)
    if name.endswith((".graphml", ".graphml.gz", ".graphml.bz2")):
        return _with_digest(read_graphml(path, label, speeds), path)
    raise ScenarioError([Problem(label, "unknown road format; use .osm, .osm.gz, .osm.bz2, "
                                        ".graphml or a folder with nodes.csv and edges.csv")])


def _with_digest(network: RoadNetwork, path: Path) -> RoadNetwork:
    """The network with the SHA-256 of what it was read from (a folder: its two CSV files)."""
    import hashlib

    h = hashlib.sha256()
    files = [path / "nodes.csv", path / "edges.csv"] if path.is_dir() else [path]
    for f in (f for f in files if f.is_file()):
        h.update(f.name.encode("utf-8") + b"\x00")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return replace(network, file_sha256=h.hexdigest())


# --- travel between cadres and firms ----------------------------------------------------------


@dataclass(frozen=True)
class RoadTravel:
    """Cadres and firms snapped to a road network, with the access speed.

    Attributes:
        network: The road network.
        cadre_node, firm_node: Snapped node of each cadre and firm (-1 without coordinates).
        cadre_snap_m, firm_snap_m: Distance from each point to its node, metres.
        access_kmh: Speed of the snap distance.
        tolerance_m: Farthest snap allowed (firms beyond are ``off_network``).
    """

    network: RoadNetwork
    cadre_node: np.ndarray
    firm_node: np.ndarray
    cadre_snap_m: np.ndarray
    firm_snap_m: np.ndarray
    access_kmh: float
    tolerance_m: float

    @classmethod
    def snap(cls, network: RoadNetwork, cadres: pd.DataFrame, firms: pd.DataFrame,
             access_kmh: float = 15.0, tolerance_m: float = 1000.0) -> RoadTravel:
        cn, cd = network.snap(cadres["lat"].to_numpy(float), cadres["lon"].to_numpy(float))
        fn, fd = network.snap(firms["lat"].to_numpy(float), firms["lon"].to_numpy(float))
        return cls(network, cn, fn, cd, fd, access_kmh, tolerance_m)

    @property
    def firm_off(self) -> np.ndarray:
        """Firms farther than the tolerance from the network (or without coordinates)."""
        return ~(self.firm_snap_m <= self.tolerance_m)

    @property
    def cadre_off(self) -> np.ndarray:
        """Cadres farther than the tolerance from the network (or without coordinates)."""
        return ~(self.cadre_snap_m <= self.tolerance_m)

    def _access_min(self, metres: np.ndarray) -> np.ndarray:
        return metres / 1000.0 / self.access_kmh * 60.0

    def pairs(
        self, max_minutes: float | None = None, max_km: float | None = None,
        cadres: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cadre-firm pairs reachable within the limits (cadre -> firm), by road.

        Firms off the network are left out; cadres off the network still travel (their
        snap distance counts as access).

        Args:
            max_minutes: Longest trip, minutes (access included).
            max_km: Longest trip, road km (access included).
            cadres: Cadre rows to start from (default: all).

        Returns:
            int32 cadre and firm rows, road km and minutes, sorted by (cadre, firm).
        """
        net = self.network
        rows = np.arange(len(self.cadre_node)) if cadres is None else np.asarray(cadres)
        rows = rows[self.cadre_node[rows] >= 0]
        firm_ok = np.flatnonzero(~self.firm_off)
        f_nodes = self.firm_node[firm_ok]
        f_acc_min = self._access_min(self.firm_snap_m[firm_ok])
        f_acc_km = self.firm_snap_m[firm_ok] / 1000.0
        c_acc_min = self._access_min(self.cadre_snap_m[rows])
        c_acc_km = self.cadre_snap_m[rows] / 1000.0
        if max_minutes is None and max_km is not None and net.n_edges:
            # no trip of max_km road km takes longer than max_km at the slowest speed
            limit = max_km * 1000.0 / float(np.min(net.length_m / net.minutes))
        else:
            limit = np.inf if max_minutes is None else max_minutes
        out_i, out_j, out_km, out_min = [], [], [], []
        # spatial order (5 km cells, row by row), so a block's sources lie close together
        cn = self.cadre_node[rows]
        order = np.lexsort((net.lon[cn], np.floor(net.lat[cn] / 0.05)))
        rows, c_acc_min, c_acc_km = rows[order], c_acc_min[order], c_acc_km[order]
        f_sort = np.argsort(f_nodes, kind="stable")
        for idx, nodes, minutes, km in net.shortest_local(self.cadre_node[rows],
                                                          self._limit(limit, c_acc_min)):
            if len(nodes) == net.n_nodes:
                cols = np.arange(len(f_nodes))
            else:  # the firms whose node is in the searched subgraph
                fs = f_nodes[f_sort]
                cand = f_sort[np.searchsorted(fs, nodes[0]):np.searchsorted(fs, nodes[-1], "right")]
                at = np.searchsorted(nodes, f_nodes[cand])
                cols = cand[nodes[np.minimum(at, len(nodes) - 1)] == f_nodes[cand]]
            local = f_nodes[cols] if len(nodes) == net.n_nodes else np.searchsorted(
                nodes, f_nodes[cols])
            t = minutes[:, local] + c_acc_min[idx, None] + f_acc_min[None, cols]
            d = km[:, local] + c_acc_km[idx, None] + f_acc_km[None, cols]
            ok = np.isfinite(t)
            if max_minutes is not None:
                ok &= t <= max_minutes
            if max_km is not None:
                ok &= d <= max_km
            r, c = np.nonzero(ok)
            out_i.append(rows[idx[r]].astype(np.int32))
            out_j.append(firm_ok[cols[c]].astype(np.int32))
            out_km.append(d[r, c])
            out_min.append(t[r, c])
        if not out_i:
            return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0), np.zeros(0)
        i, j = np.concatenate(out_i), np.concatenate(out_j)
        km_all, min_all = np.concatenate(out_km), np.concatenate(out_min)
        o = np.lexsort((j, i))
        return i[o], j[o], km_all[o], min_all[o]

    @staticmethod
    def _limit(limit: float, c_acc_min: np.ndarray) -> float:
        if not np.isfinite(limit) or len(c_acc_min) == 0:
            return np.inf
        return float(limit - np.min(c_acc_min)) + 1e-9

    def minutes_matrix(self) -> np.ndarray:
        """Minutes from every cadre to every firm (inf where either is off the network or
        has no coordinates), access included."""
        c_ok = self.cadre_node >= 0
        f_ok = ~self.firm_off
        out = np.full((len(self.cadre_node), len(self.firm_node)), np.inf)
        if c_ok.any() and f_ok.any():
            core = self.network.minutes_between(self.cadre_node[c_ok], self.firm_node[f_ok])
            core = (core + self._access_min(self.cadre_snap_m[c_ok])[:, None]
                    + self._access_min(self.firm_snap_m[f_ok])[None, :])
            out[np.ix_(c_ok, f_ok)] = core
        return out

    def from_cadre(self, cadre: int) -> tuple[np.ndarray, np.ndarray]:
        """Minutes and road km from one cadre to every firm (inf/NaN for firms off the network)."""
        n = len(self.firm_node)
        minutes = np.full(n, np.inf)
        km = np.full(n, np.nan)
        node = self.cadre_node[cadre]
        ok = np.flatnonzero(~self.firm_off)
        if node < 0 or len(ok) == 0:
            return minutes, km
        for _, t, d in self.network.shortest(np.array([node])):
            f = self.firm_node[ok]
            minutes[ok] = (t[0, f] + self._access_min(self.cadre_snap_m[cadre])
                           + self._access_min(self.firm_snap_m[ok]))
            km[ok] = d[0, f] + (self.cadre_snap_m[cadre] + self.firm_snap_m[ok]) / 1000.0
        return minutes, km


def network_from_frames(nodes: pd.DataFrame, edges: pd.DataFrame, source: str = "generated",
                        default_kmh: float = DEFAULT_SPEEDS_KMH["default"]) -> RoadNetwork:
    """A network from node and edge tables laid out like a road folder's (already valid)."""
    same = nodes["id"].dtype.kind in "iu" and edges["u"].dtype.kind in "iu"
    ids = pd.Index(nodes["id"] if same else nodes["id"].astype(str))
    u = ids.get_indexer(edges["u"] if same else edges["u"].astype(str)).astype(np.int64)
    v = ids.get_indexer(edges["v"] if same else edges["v"].astype(str)).astype(np.int64)
    speed = (edges["speed_kmh"].to_numpy(float) if "speed_kmh" in edges
             else np.full(len(edges), default_kmh))
    speed = np.where(np.isnan(speed), default_kmh, speed)
    direction = np.zeros(len(edges), np.int64)
    if "oneway" in edges:
        text = edges["oneway"].astype(str).str.strip().str.lower()
        direction[text.isin(ONEWAY_YES).to_numpy()] = 1
        direction[text.isin(ONEWAY_REVERSE).to_numpy()] = -1
    return _from_segments(nodes["lat"].to_numpy(float), nodes["lon"].to_numpy(float), u, v,
                          speed, direction, source, edges["length_m"].to_numpy(float))
