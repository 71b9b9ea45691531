"""Great-circle distances, vectorised with numpy, and radius search on the sphere."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points (degrees), broadcasting like numpy."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere (n x 3) for latitudes and longitudes in degrees."""
    phi, lmb = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)])


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km for chord lengths between unit vectors."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0.0, 1.0))


def km_to_chord(km: float) -> float:
    """Chord length between unit vectors for a great-circle distance in km."""
    return float(2 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2))


PAIR_BLOCK = 2048
"""Points of ``a`` searched at a time in :func:`pairs_within` (bounds temporary memory)."""


def iter_pairs_within(
    lat_a, lon_a, lat_b, lon_b, max_km: float | np.ndarray, sort: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Blocks of the pairs (i in a, j in b) at most ``max_km`` apart.

    The points of ``a`` are searched :data:`PAIR_BLOCK` at a time against one k-d tree of
    ``b``, so memory stays a block's size. Yields int32 ``i``, ``j`` and float64 km, each
    block sorted by (i, j) when ``sort``; every pair of one point of ``a`` is in one block.

    ``max_km`` may be one radius per point of ``a`` (a point with a radius below 0 has no
    pairs). The points are then searched in bands of similar radius (:data:`RADIUS_BANDS`
    of them), each block with its band's largest radius, and pairs beyond a point's own
    radius are dropped: far less work than searching every point at the largest radius
    when most radii are small. Blocks then come band by band, not in order of ``i``.
    """
    lat_a, lon_a = np.asarray(lat_a, float), np.asarray(lon_a, float)
    lat_b, lon_b = np.asarray(lat_b, float), np.asarray(lon_b, float)
    from scipy.spatial import cKDTree  # here, not at import: `zhuqi simulate` needs no tree

    tb = cKDTree(unit_vectors(lat_b, lon_b))
    va = unit_vectors(lat_a, lon_a)
    radius = np.asarray(max_km, float)
    for rows, top in _bands(radius, len(va)):
        # a small margin: the chord test is exact in theory, rounding may drop a boundary pair
        chord = km_to_chord(top) * (1 + 1e-9)
        for lo in range(0, len(rows), PAIR_BLOCK):
            block = rows[lo:lo + PAIR_BLOCK]
            ta = cKDTree(va[block])
            found = ta.sparse_distance_matrix(tb, chord, output_type="ndarray")
            i = found["i"].astype(np.int32)
            j = found["j"].astype(np.int32)
            # the great-circle km from the chord the search measured: the same distance as
            # haversine_km up to about 1e-12 km, without looking up four coordinates a pair
            km = chord_to_km(found["v"])
            del found
            if sort:
                order = np.lexsort((j, i))
                i, j, km = i[order], j[order], km[order]
            i = block[i].astype(np.int32)
            keep = km <= (radius[i] if radius.ndim else top)
            yield i[keep], j[keep], km[keep]


RADIUS_BANDS = 16
"""Bands of similar radius searched together when each point has its own radius."""


def _bands(radius: np.ndarray, n: int) -> Iterator[tuple[np.ndarray, float]]:
    """The points of ``a`` (row indices, ascending) in groups with the radius to search."""
    if radius.ndim == 0:
        yield np.arange(n), float(radius)
        return
    if radius.shape != (n,):
        raise ValueError(f"one radius per point expected ({n}), got {radius.shape}")
    top = float(radius.max()) if n else 0.0
    if top < 0:
        return
    width = top / RADIUS_BANDS if top > 0 else 1.0
    band = np.where(radius < 0, -1, np.minimum(np.ceil(radius / width), RADIUS_BANDS))
    order = np.argsort(band, kind="stable")
    bounds = np.searchsorted(band[order], np.arange(-1, RADIUS_BANDS + 2))
    for b in range(RADIUS_BANDS + 1):
        rows = order[bounds[b + 1]:bounds[b + 2]]
        if len(rows):
            yield rows, min(top, b * width) if b < RADIUS_BANDS else top


def pairs_within(
    lat_a, lon_a, lat_b, lon_b, max_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs (i in a, j in b) at most ``max_km`` apart (see :func:`iter_pairs_within`).

    Returns:
        Index arrays ``i``, ``j`` (int32) and the great-circle distances in km, sorted by
        (i, j).
    """
    parts = list(iter_pairs_within(lat_a, lon_a, lat_b, lon_b, max_km))
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
    columns = [list(c) for c in zip(*parts, strict=True)]
    del parts
    out = []
    for col in columns:  # one column at a time: the blocks are freed as they are joined
        out.append(np.concatenate(col))
        col.clear()
    return out[0], out[1], out[2]


def nearest_within(
    lat_a, lon_a, lat_b, lon_b, max_km: float, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every point of ``b``, its ``k`` nearest points of ``a`` at most ``max_km`` away.

    Returns int32 ``i`` (in a), ``j`` (in b) and float64 km, sorted by (i, j).
    """
    lat_a, lon_a = np.asarray(lat_a, float), np.asarray(lon_a, float)
    lat_b, lon_b = np.asarray(lat_b, float), np.asarray(lon_b, float)
    k = max(1, min(k, len(lat_a)))
    from scipy.spatial import cKDTree

    ta = cKDTree(unit_vectors(lat_a, lon_a))
    _, idx = ta.query(unit_vectors(lat_b, lon_b), k=k,
                      distance_upper_bound=km_to_chord(max_km) * (1 + 1e-9))
    idx = idx.reshape(len(lat_b), k)
    found = idx < len(lat_a)
    i = idx[found].astype(np.int32)
    j = np.nonzero(found)[0].astype(np.int32)
    order = np.lexsort((j, i))
    i, j = i[order], j[order]
    km = haversine_km(lat_a[i], lon_a[i], lat_b[j], lon_b[j])
    keep = km <= max_km
    return i[keep], j[keep], km[keep]
