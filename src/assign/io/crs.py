"""Chinese map coordinates: GCJ-02 (Amap, Tencent) and BD-09 (Baidu) to and from WGS-84.

Maps published in China shift WGS-84 positions by a deliberate, non-linear offset of a
few hundred metres: GCJ-02 ("Mars coordinates", used by Amap/高德 and Tencent) and BD-09
(Baidu/百度, a further rotation of GCJ-02). zhuqi works in WGS-84 (as OpenStreetMap and
GPS do), so rosters exported from those maps are converted on load
(``coordinates: gcj02 | bd09`` in ``scenario.yaml``).

The forward transforms are the published formulas (as in the widely used
``coordtransform`` and ``eviltransform`` libraries). They have no closed-form inverse; the
inverses here solve ``forward(x) = y`` by fixed-point iteration to better than 1 cm, where
the one-step approximation most libraries use is off by up to a few metres. Points outside
China's bounding box are left unchanged, as by the maps themselves. All functions take
and return latitudes and longitudes in degrees and broadcast like numpy.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

System = Literal["wgs84", "gcj02", "bd09"]

SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # semi-major axis of Krasovsky 1940, as the GCJ-02 formula uses
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

INVERSE_TOLERANCE_M = 0.005
"""The iterative inverses stop when the forward transform of the result is this close (m)."""

_M_PER_DEG = 111_320.0  # metres per degree of latitude (for the stopping rule only)


def in_china(lat, lon) -> np.ndarray:
    """Whether points fall inside the bounding box where the Chinese offsets apply."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 coordinates of WGS-84 points (the published forward formula)."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lat, lon)
    return np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon)


def gcj02_to_bd09(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 coordinates of GCJ-02 points (the published forward formula)."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    blat, blon = z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065
    inside = in_china(lat, lon)
    return np.where(inside, blat, lat), np.where(inside, blon, lon)


def _invert(forward, lat, lon, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) = (lat, lon)`` by fixed-point iteration ``x += y - forward(x)``.

    The offsets change by well under 1% per degree, so each step gains two or more digits;
    a handful of steps reach :data:`INVERSE_TOLERANCE_M`.
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    x_lat, x_lon = lat.copy(), lon.copy()
    for _ in range(max_iter):
        f_lat, f_lon = forward(x_lat, x_lon)
        e_lat, e_lon = lat - f_lat, lon - f_lon
        x_lat = x_lat + e_lat
        x_lon = x_lon + e_lon
        err = np.hypot(e_lat, e_lon * np.cos(np.radians(lat))) * _M_PER_DEG
        if not np.any(err > INVERSE_TOLERANCE_M):
            break
    return x_lat, x_lon


def gcj02_to_wgs84(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 coordinates of GCJ-02 points (exact inverse by iteration, < 1 cm)."""
    return _invert(wgs84_to_gcj02, lat, lon)


def bd09_to_gcj02(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 coordinates of BD-09 points (exact inverse by iteration, < 1 cm)."""
    return _invert(gcj02_to_bd09, lat, lon)


def wgs84_to_bd09(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 coordinates of WGS-84 points."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 coordinates of BD-09 points."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def to_wgs84(lat, lon, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert points given in ``system`` ("wgs84", "gcj02" or "bd09") to WGS-84.

    NaN coordinates stay NaN.
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    if system == "wgs84":
        return lat, lon
    if system == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if system == "bd09":
        return bd09_to_wgs84(lat, lon)
    raise ValueError(f"unknown coordinate system '{system}'; use one of {', '.join(SYSTEMS)}")
