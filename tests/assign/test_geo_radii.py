"""Radius search with one radius per point, and the province path's pricing reach, against
brute force."""

from __future__ import annotations

import numpy as np
import pytest

from assign.geo import haversine_km, iter_pairs_within


@pytest.mark.parametrize("seed", range(6))
def test_pairs_within_per_point_radii_match_brute_force(seed, monkeypatch):
    """Every pair within its own point's radius, and no other, whatever the bands and the
    block size (small blocks so that bands span several)."""
    import assign.geo as geo

    monkeypatch.setattr(geo, "PAIR_BLOCK", 7)
    rng = np.random.default_rng(seed)
    na, nb = int(rng.integers(1, 80)), int(rng.integers(1, 60))
    lat_a, lon_a = rng.uniform(41, 41.2, na), rng.uniform(123, 123.3, na)
    lat_b, lon_b = rng.uniform(41, 41.2, nb), rng.uniform(123, 123.3, nb)
    radius = rng.uniform(-2, 12, na)
    radius[rng.random(na) < 0.2] = 0.0
    got = set()
    for i, j, km in iter_pairs_within(lat_a, lon_a, lat_b, lon_b, radius, sort=bool(seed % 2)):
        assert np.allclose(km, haversine_km(lat_a[i], lon_a[i], lat_b[j], lon_b[j]), atol=1e-9)
        for a, b in zip(i.tolist(), j.tolist(), strict=True):
            assert (a, b) not in got
            got.add((a, b))
    d = haversine_km(lat_a[:, None], lon_a[:, None], lat_b[None, :], lon_b[None, :])
    # pairs on a radius's edge (within rounding) may go either way
    sure = {(a, b) for a, b in zip(*np.nonzero(d <= radius[:, None] - 1e-9), strict=True)}
    maybe = {(a, b) for a, b in zip(*np.nonzero(d <= radius[:, None] + 1e-9), strict=True)}
    assert sure <= got <= maybe


def test_one_radius_keeps_blocks_in_order():
    """With one radius for all, blocks come in order of ``i``, as before."""
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(41, 41.1, 5000), rng.uniform(123, 123.1, 5000)
    firsts = [int(i[0]) for i, _, _ in iter_pairs_within(lat, lon, lat[:50], lon[:50], 3.0)
              if len(i)]
    assert firsts == sorted(firsts)


@pytest.mark.parametrize("seed", range(20))
def test_pricing_reach_keeps_every_pair_that_could_enter(seed):
    """No pair beyond a firm's pricing reach has a reduced cost under the margin, for any
    duals and any costs at least the pair's km (skill gaps add to them)."""
    from assign.solvers.coverage import COST_SCALE, scaled
    from assign.solvers.priced import _pricing_reach

    rng = np.random.default_rng(seed)
    m, n, k = 30, 200, 3000
    i, j = rng.integers(0, m, k), rng.integers(0, n, k)
    km = rng.uniform(0, 10, k)
    cost = scaled(np.round(km + rng.choice([0.0, 2.5, 10.0], k), 3), COST_SCALE)
    d_cadre = -rng.integers(0, 4000, m) * (rng.random(m) < 0.7)
    if seed % 3 == 0:
        d_cadre[0] = 500  # a positive potential: the reach widens by it
    d_firm = -rng.integers(0, 12_000, n)
    margin = 1000
    reach = _pricing_reach(d_firm, d_cadre, margin, 10.0)
    enters = cost + d_firm[j] - d_cadre[i] < margin
    assert (km[enters] <= reach[j[enters]]).all()
    assert (reach <= 10.0).all()
