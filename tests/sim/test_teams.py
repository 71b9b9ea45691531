"""Simulation with ``service: team``: a zone's issues go to one queue served by its team."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assign import ScenarioError, build_scenario, solve
from sim import ServiceModel, mmc_mean_wait, simulate_scenario, simulation_config
from tests.sim.helpers import mmc_config, pooled_scenario

pytestmark = pytest.mark.filterwarnings("ignore::assign.errors.ScenarioWarning")


def zoned(c: int, zones: list[str], firms_per_zone: int = 5):
    """``c`` cadres, ``firms_per_zone`` firms in each zone, mode teams."""
    rng = np.random.default_rng(3)
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(c)], "home_unit": "unit",
                           "lat": 30 + rng.uniform(0, 0.1, c), "lon": 110 + rng.uniform(0, 0.1, c),
                           "skills": "other"})
    n = firms_per_zone * len(zones)
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(n)], "lat": 30 + rng.uniform(0, 0.1, n),
                          "lon": 110 + rng.uniform(0, 0.1, n), "needs": "other",
                          "zone": np.repeat(zones, firms_per_zone)})
    return build_scenario(cadres, firms, mode="teams", team_size=c // len(zones))


def test_one_team_is_an_mmc_queue():
    """One zone served by a team of 3, exponential effort, immediate, 24 h, no travel or
    escalation: M/M/3; the mean wait must lie within the simulation's 95% CI of Erlang C."""
    lam, mu, c = 2.4, 1.0, 3
    scenario = zoned(c, ["Z"], firms_per_zone=10)
    cfg = mmc_config(lam, mu, days=3000.0, warmup=200.0, service="team")
    res = simulate_scenario(scenario, None, cfg, replications=8, seed=5)
    est = res.summary()["metrics"]["mean_wait_days"]
    lo, hi = est["ci95"]
    assert lo <= mmc_mean_wait(lam, mu, c) <= hi, est


def test_zone_issues_stay_with_the_zone_team():
    scenario = zoned(6, ["A", "B"])
    pairing = solve(scenario)
    cfg = simulation_config(scenario, days=60, service="team", arrival={"rate_per_firm_day": 0.3})
    issues = ServiceModel(scenario, pairing, cfg, seed=1).run().issues()
    members = {z: set(ids.split(";")) for z, ids in
               zip(pairing.teams["zone"], pairing.teams["member_ids"], strict=True)}
    zone_of = dict(zip(scenario.firms["id"], scenario.firms["zone"], strict=True))
    worked = issues.dropna(subset=["cadre_id"])
    assert len(worked) > 20
    for fid, cid in zip(worked["firm_id"], worked["cadre_id"], strict=True):
        assert cid in members[zone_of[fid]]
    # a member works on issues of firms linked to other members of the team, too
    linked = dict(zip(pairing.pairs["firm_id"], pairing.pairs["cadre_id"], strict=True))
    assert (worked["cadre_id"] != worked["firm_id"].map(linked)).any()


def test_team_service_from_a_pairing_list_file(tmp_path):
    """A pairing list read back (no teams table): a zone's team is the cadres linked to it."""
    from assign import read_pairing, write_pairs

    scenario = zoned(4, ["A", "B"])
    write_pairs(solve(scenario), tmp_path / "p.csv")
    pairing = read_pairing(tmp_path / "p.csv", scenario)
    cfg = simulation_config(scenario, days=30, service="team")
    issues = ServiceModel(scenario, pairing, cfg, seed=2).run().issues()
    assert issues["cadre_id"].notna().any()


def test_team_service_needs_teams_mode():
    with pytest.raises(ScenarioError, match="service 'team' needs assignment.mode 'teams'"):
        simulation_config(pooled_scenario(2), service="team")


def test_team_service_refuses_cadre_batches():
    scenario = zoned(4, ["A", "B"])
    cadres = scenario.cadres.copy()
    cadres["end_day"] = [30.0, 30.0, None, None]
    from dataclasses import replace

    batched = replace(scenario, cadres=cadres)
    with pytest.raises(ScenarioError, match="service 'team' does not model cadre batches"):
        simulation_config(batched, days=60, service="team")
    cfg = simulation_config(scenario, days=60, service="team")
    with pytest.raises(ValueError, match="service 'team' does not model cadre batches"):
        ServiceModel(batched, None, cfg, seed=0)
