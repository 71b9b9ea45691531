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
    lat_a, lon_a, lat_b, lon_b, max_km: float, sort: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Blocks of the pairs (i in a, j in b) at most ``max_km`` apart.

    The points of ``a`` are searched :data:`PAIR_BLOCK` at a time against one k-d tree of
    ``b``, so memory stays a block's size. Yields int32 ``i``, ``j`` and float64 km, each
    block sorted by (i, j) when ``sort``; blocks come in order of ``i``.
    """
    lat_a, lon_a = np.asarray(lat_a, float), np.asarray(lon_a, float)
    lat_b, lon_b = np.asarray(lat_b, float), np.asarray(lon_b, float)
    from scipy.spatial import cKDTree  # here, not at import: `zhuqi simulate` needs no tree

    tb = cKDTree(unit_vectors(lat_b, lon_b))
    # a small margin: the chord test is exact in theory, rounding may drop a boundary pair
    chord = km_to_chord(max_km) * (1 + 1e-9)
    va = unit_vectors(lat_a, lon_a)
    for lo in range(0, len(va), PAIR_BLOCK):
        ta = cKDTree(va[lo:lo + PAIR_BLOCK])
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
        i += np.int32(lo)
        keep = km <= max_km
        yield i[keep], j[keep], km[keep]


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
