"""Chinese map coordinates against published reference points.

References: the outputs printed in the ``coordtransform`` library's own example
(wandergis/coordtransform, test/app.js) and the expected values of the ``gcoord``
library's unit tests (hujiulong/gcoord, test/unit/crs/GCJ02.spec.js).
"""

import numpy as np
import pytest

from assign.geo import haversine_km
from assign.io import crs


def metres(lat1, lon1, lat2, lon2) -> float:
    return float(np.max(haversine_km(lat1, lon1, lat2, lon2))) * 1000.0


# (lat, lon) in -> (lat, lon) out, published
WGS_TO_GCJ = [((39.915, 116.404), (39.91640428150164, 116.41024449916938))]
GCJ_TO_BD = [
    ((39.915, 116.404), (39.92133699351021, 116.41036949371029)),
    ((45.0, 123.0), (45.00636899, 123.00636499)),
]
BD_TO_GCJ = [((39.915, 116.404), (39.90865673957631, 116.39762729119315))]
GCJ_TO_WGS = [((45.0, 123.0), (44.99804071, 122.99395597))]


@pytest.mark.parametrize(("src", "want"), WGS_TO_GCJ)
def test_wgs84_to_gcj02_matches_published_point(src, want):
    got = crs.wgs84_to_gcj02(*src)
    assert metres(*got, *want) < 1.0


@pytest.mark.parametrize(("src", "want"), GCJ_TO_BD)
def test_gcj02_to_bd09_matches_published_points(src, want):
    got = crs.gcj02_to_bd09(*src)
    assert metres(*got, *want) < 1.0


@pytest.mark.parametrize(("src", "want"), BD_TO_GCJ)
def test_bd09_to_gcj02_matches_published_point(src, want):
    got = crs.bd09_to_gcj02(*src)
    assert metres(*got, *want) < 1.0


@pytest.mark.parametrize(("src", "want"), GCJ_TO_WGS)
def test_gcj02_to_wgs84_matches_published_point(src, want):
    got = crs.gcj02_to_wgs84(*src)
    assert metres(*got, *want) < 1.0


def test_offsets_are_hundreds_of_metres_inside_china():
    lat, lon = 38.93, 100.45  # Zhangye
    assert 100 < metres(*crs.wgs84_to_gcj02(lat, lon), lat, lon) < 1000
    assert 100 < metres(*crs.wgs84_to_bd09(lat, lon), lat, lon) < 2000


def test_inverse_by_iteration_within_a_tenth_of_a_metre():
    rng = np.random.default_rng(7)
    lat = rng.uniform(18.5, 53.0, 2000)
    lon = rng.uniform(74.0, 134.0, 2000)
    g = crs.wgs84_to_gcj02(lat, lon)
    assert metres(*crs.gcj02_to_wgs84(*g), lat, lon) < 0.1
    b = crs.wgs84_to_bd09(lat, lon)
    assert metres(*crs.bd09_to_wgs84(*b), lat, lon) < 0.1
    assert metres(*crs.to_wgs84(*b, "bd09"), lat, lon) < 0.1


def test_points_outside_china_unchanged_and_nan_kept():
    lat, lon = np.array([49.95, np.nan]), np.array([11.58, 116.0])  # Bayreuth
    for system in ("gcj02", "bd09"):
        got_lat, got_lon = crs.to_wgs84(lat, lon, system)
        assert got_lat[0] == lat[0] and got_lon[0] == lon[0]
        assert np.isnan(got_lat[1])


def test_unknown_system_is_an_error():
    with pytest.raises(ValueError, match="unknown coordinate system"):
        crs.to_wgs84(1.0, 2.0, "utm")
