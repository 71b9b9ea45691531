"""Great-circle distances, vectorised with numpy, and radius search on the sphere."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

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


def pairs_within(
    lat_a, lon_a, lat_b, lon_b, max_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs (i in a, j in b) at most ``max_km`` apart.

    The points of ``a`` are searched in blocks against one k-d tree of ``b``, so the
    temporary arrays stay a block's size; the result is int32 indices and float64 km.

    Returns:
        Index arrays ``i``, ``j`` and the great-circle distances in km, sorted by (i, j).
    """
    lat_a, lon_a = np.asarray(lat_a, float), np.asarray(lon_a, float)
    lat_b, lon_b = np.asarray(lat_b, float), np.asarray(lon_b, float)
    tb = cKDTree(unit_vectors(lat_b, lon_b))
    # a small margin: the chord test is exact in theory, rounding may drop a boundary pair
    chord = km_to_chord(max_km) * (1 + 1e-9)
    va = unit_vectors(lat_a, lon_a)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for lo in range(0, len(va), PAIR_BLOCK):
        ta = cKDTree(va[lo:lo + PAIR_BLOCK])
        found = ta.sparse_distance_matrix(tb, chord, output_type="ndarray")
        i = found["i"].astype(np.int32)
        j = found["j"].astype(np.int32)
        del found
        order = np.lexsort((j, i))
        i, j = i[order] + np.int32(lo), j[order]
        km = haversine_km(lat_a[i], lon_a[i], lat_b[j], lon_b[j])
        keep = km <= max_km
        parts.append((i[keep], j[keep], km[keep]))
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
    columns = [list(c) for c in zip(*parts, strict=True)]
    del parts
    out = []
    for col in columns:  # one column at a time: the blocks are freed as they are joined
        out.append(np.concatenate(col))
        col.clear()
    return out[0], out[1], out[2]
