"""Generated road graphs: street grids, trunk roads between towns, for tests and benchmarks.

The tables are those of a road folder (``nodes.csv``: id, lat, lon; ``edges.csv``: u, v,
length_m, speed_kmh, oneway), so a generated graph can be written out and read back like
a real one. Every random choice comes from the ``seed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..geo import EARTH_RADIUS_KM, haversine_km

M_PER_DEG_LAT = EARTH_RADIUS_KM * 1000.0 * np.pi / 180.0


def _offset(lat0: float, lon0: float, north_m: np.ndarray, east_m: np.ndarray):
    lat = lat0 + north_m / M_PER_DEG_LAT
    lon = lon0 + east_m / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    return lat, lon


def road_grid(
    lat0: float, lon0: float, rows: int, cols: int, spacing_m: float = 250.0, seed: int = 0,
    drop: float = 0.1, oneway: float = 0.05, arterial_every: int = 10,
    street_kmh: float = 30.0, arterial_kmh: float = 60.0, jitter: float = 0.2,
    prefix: str | None = "g",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A street grid centred on (lat0, lon0), roughly as a county's roads look to a router.

    Nodes sit on a ``rows`` x ``cols`` lattice ``spacing_m`` apart, moved by up to ``jitter``
    of the spacing; a share ``drop`` of the street segments is missing (blocks, rivers),
    a share ``oneway`` is one-way (direction random), every ``arterial_every``-th line is
    an arterial road at ``arterial_kmh`` (never dropped, so the grid stays connected
    through them), the rest streets at ``street_kmh``.

    Returns:
        ``nodes`` (id, lat, lon) and ``edges`` (u, v, length_m, speed_kmh, oneway); ids are
        ``prefix`` and a number, or plain integers with ``prefix=None`` (large grids).
    """
    rng = np.random.default_rng(seed)
    grid_r, grid_c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    r, c = grid_r.ravel(), grid_c.ravel()
    north = (r - (rows - 1) / 2 + rng.uniform(-jitter, jitter, r.size)) * spacing_m
    east = (c - (cols - 1) / 2 + rng.uniform(-jitter, jitter, c.size)) * spacing_m
    lat, lon = _offset(lat0, lon0, north, east)
    ids = np.arange(r.size).reshape(rows, cols)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    line = np.concatenate([np.repeat(np.arange(rows), cols - 1),
                           np.tile(np.arange(cols), rows - 1)])
    arterial = (line % max(arterial_every, 1)) == 0
    keep = arterial | (rng.random(u.size) >= drop)
    u, v, arterial = u[keep], v[keep], arterial[keep]
    speed = np.where(arterial, arterial_kmh, street_kmh)
    one = (~arterial) & (rng.random(u.size) < oneway)
    flip = one & (rng.random(u.size) < 0.5)
    u, v = np.where(flip, v, u), np.where(flip, u, v)
    length = haversine_km(lat[u], lon[u], lat[v], lon[v]) * 1000.0
    ids_out = np.arange(r.size) if prefix is None else [f"{prefix}{k}" for k in range(r.size)]
    nodes = pd.DataFrame({"id": ids_out, "lat": lat, "lon": lon})
    edges = pd.DataFrame({
        "u": nodes["id"].to_numpy()[u], "v": nodes["id"].to_numpy()[v],
        "length_m": np.round(length, 2), "speed_kmh": speed,
        "oneway": np.where(one, "yes", "no"),
    })
    return nodes, edges


def road_line(
    points: list[tuple[float, float]], step_m: float = 500.0, speed_kmh: float = 80.0,
    prefix: str = "t",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A two-way road through ``points`` (lat, lon), with a node every ``step_m``."""
    lats, lons = [points[0][0]], [points[0][1]]
    for (a_lat, a_lon), (b_lat, b_lon) in zip(points[:-1], points[1:], strict=True):
        km = float(haversine_km(a_lat, a_lon, b_lat, b_lon))
        k = max(1, int(np.ceil(km * 1000.0 / step_m)))
        t = np.arange(1, k + 1) / k
        lats.extend(a_lat + (b_lat - a_lat) * t)
        lons.extend(a_lon + (b_lon - a_lon) * t)
    lat, lon = np.asarray(lats), np.asarray(lons)
    ids = np.array([f"{prefix}{k}" for k in range(len(lat))])
    nodes = pd.DataFrame({"id": ids, "lat": lat, "lon": lon})
    length = haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:]) * 1000.0
    edges = pd.DataFrame({"u": ids[:-1], "v": ids[1:], "length_m": np.round(length, 2),
                          "speed_kmh": speed_kmh, "oneway": "no"})
    return nodes, edges


def join_roads(
    parts: list[tuple[pd.DataFrame, pd.DataFrame]], link_m: float = 1500.0,
    link_kmh: float = 30.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join road pieces: each piece's nodes link to the nearest node of every other piece
    within ``link_m`` (one link per node pair found), as junctions and slip roads would."""
    from ..geo import unit_vectors

    nodes = pd.concat([p[0] for p in parts], ignore_index=True)
    edges = [p[1] for p in parts]
    piece = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(parts)])
    xyz = unit_vectors(nodes["lat"].to_numpy(), nodes["lon"].to_numpy())
    chord = link_m / 1000.0 / EARTH_RADIUS_KM
    for k in range(len(parts)):
        mine = np.flatnonzero(piece == k)
        other = np.flatnonzero(piece != k)
        if len(other) == 0:
            continue
        dist, near = cKDTree(xyz[other]).query(xyz[mine], distance_upper_bound=chord)
        ok = np.isfinite(dist)
        if not ok.any():
            continue
        a, b = mine[ok], other[near[ok]]
        # one link per node of the other piece: its nearest node of this piece
        order = np.lexsort((dist[ok], b))
        a, b = a[order], b[order]
        first = np.ones(len(b), bool)
        first[1:] = b[1:] != b[:-1]
        a, b = a[first], b[first]
        lat, lon = nodes["lat"].to_numpy(), nodes["lon"].to_numpy()
        edges.append(pd.DataFrame({
            "u": nodes["id"].to_numpy()[a], "v": nodes["id"].to_numpy()[b],
            "length_m": np.round(haversine_km(lat[a], lon[a], lat[b], lon[b]) * 1000.0, 2),
            "speed_kmh": link_kmh, "oneway": "no"}))
    return nodes, pd.concat(edges, ignore_index=True)
