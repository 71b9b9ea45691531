"""The model against queueing theory: Erlang C, a Jackson network, Ciw, Little's law."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import ServiceModel, erlang_c, mmc_mean_sojourn, mmc_mean_wait, simulate_scenario
from sim.metrics import mean_ci
from tests.sim.helpers import mmc_config, pooled_scenario


def erlang_c_by_sum(c: int, a: float) -> float:
    """Erlang C from its textbook sum (independent of the recursion in sim.erlang)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize("c,a", [(1, 0.5), (3, 2.4), (10, 9.0), (25, 20.0)])
def test_erlang_c_formula(c, a):
    assert erlang_c(c, a) == pytest.approx(erlang_c_by_sum(c, a), rel=1e-12)


def test_erlang_c_published_value():
    """lambda 9, mu 1, c 10: mean wait 0.6687 days (the figure benchmarks quote)."""
    assert mmc_mean_wait(9.0, 1.0, 10) == pytest.approx(0.6687, abs=1e-4)


@pytest.mark.parametrize(
    "c,lam,mu",
    [(1, 0.5, 1.0), (2, 1.4, 1.0), (4, 2.8, 0.875), (10, 9.0, 1.0)],
    ids=["c1-rho0.5", "c2-rho0.7", "c4-rho0.8", "c10-rho0.9"],
)
def test_mmc_mean_wait_matches_erlang_c(c, lam, mu):
    """Pooled, exponential, immediate, 24 h, no travel or escalation is M/M/c: the mean
    wait must lie within the simulation's 95% CI of Erlang C's value."""
    rho = lam / (c * mu)
    days = 4000.0 if rho < 0.85 else 12000.0
    cfg = mmc_config(lam, mu, days=days, warmup=200.0)
    res = simulate_scenario(pooled_scenario(c), None, cfg, replications=10, seed=11)
    est = res.summary()["metrics"]["mean_wait_days"]
    lo, hi = est["ci95"]
    expected = mmc_mean_wait(lam, mu, c)
    assert lo <= expected <= hi, (est, expected)
    # utilisation is rho, too
    util = res.summary()["metrics"]["cadre_utilization"]
    assert util["ci95"][0] - 0.01 <= rho <= util["ci95"][1] + 0.01


def network_config(lam, mu, p_cadre, home_days, p_home, dept_days, servers, days, warmup):
    return mmc_config(
        lam, mu, days=days, warmup=warmup,
        escalation={
            "enabled": True, "cadre_solve_prob": p_cadre, "unskilled_solve_prob": p_cadre,
            "home_unit": {"servers": servers[1], "mean_days": home_days, "solve_prob": p_home,
                          "delay_days": 0, "feedback_days": 0},
            "department": {"servers": servers[2], "mean_days": dept_days, "solve_prob": 1.0,
                           "delay_days": 0, "feedback_days": 0},
        },
    )


def sojourns(issues, lo, hi):
    """Time in system of issues raised in [lo, hi) (all resolved well before the horizon)."""
    sel = issues[(issues["raised"] >= lo) & (issues["raised"] < hi)]
    assert sel["resolved"].notna().all()
    return (sel["resolved"] - sel["raised"]).to_numpy()


NETWORK = dict(lam=4.0, mu=1.0, p_cadre=0.6, home_days=0.5, p_home=0.5, dept_days=1.5,
               servers=(6, 1, 2))


def jackson_time_in_system(lam, mu, p_cadre, home_days, p_home, dept_days, servers):
    """Open Jackson network: sum over nodes of visit ratio x M/M/c sojourn."""
    l2 = lam * (1 - p_cadre)
    l3 = l2 * (1 - p_home)
    return (mmc_mean_sojourn(lam, mu, servers[0])
            + (1 - p_cadre) * mmc_mean_sojourn(l2, 1 / home_days, servers[1])
            + (1 - p_cadre) * (1 - p_home) * mmc_mean_sojourn(l3, 1 / dept_days, servers[2]))


def run_network(days=3000.0, warmup=200.0, reps=8, seed=3):
    cfg = network_config(**NETWORK, days=days, warmup=warmup)
    scenario = pooled_scenario(NETWORK["servers"][0])
    means = []
    for r in range(reps):
        m = ServiceModel(scenario, None, cfg, np.random.SeedSequence(seed, spawn_key=(r,))).run()
        means.append(sojourns(m.issues(), warmup, days - 100).mean())
    return mean_ci(np.array(means))


def test_escalation_network_matches_jackson():
    """With exponential efforts and no delays the model is an open Jackson network."""
    est = run_network()
    expected = jackson_time_in_system(**NETWORK)
    lo, hi = est["ci95"]
    assert lo <= expected <= hi, (est, expected)


def ciw_time_in_system(days=3000.0, warmup=200.0, reps=8, seed=3):
    ciw = pytest.importorskip("ciw")
    lam, mu = NETWORK["lam"], NETWORK["mu"]
    pc, ph = NETWORK["p_cadre"], NETWORK["p_home"]
    means = []
    for r in range(reps):
        ciw.seed(seed * 1000 + r)
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(lam), None, None],
            service_distributions=[ciw.dists.Exponential(mu),
                                   ciw.dists.Exponential(1 / NETWORK["home_days"]),
                                   ciw.dists.Exponential(1 / NETWORK["dept_days"])],
            routing=[[0.0, 1 - pc, 0.0], [0.0, 0.0, 1 - ph], [0.0, 0.0, 0.0]],
            number_of_servers=list(NETWORK["servers"]),
        )
        q = ciw.Simulation(network)
        q.simulate_until_max_time(days)
        recs = q.get_all_records()
        first = {}
        last = {}
        for rec in recs:
            i = rec.id_number
            first[i] = min(first.get(i, math.inf), rec.arrival_date)
            last[i] = max(last.get(i, -math.inf), rec.exit_date)
        # customers still inside at the end have no final record; keep the window early
        times = [last[i] - first[i] for i in first if warmup <= first[i] < days - 100]
        means.append(float(np.mean(times)))
    return mean_ci(np.array(means))


def test_escalation_network_matches_ciw():
    """The same network simulated by Ciw gives the same mean time in system."""
    ours = run_network()
    theirs = ciw_time_in_system()
    # the two CIs overlap, and both contain the Jackson value's neighbourhood
    assert ours["ci95"][0] <= theirs["ci95"][1] and theirs["ci95"][0] <= ours["ci95"][1], (
        ours, theirs)


def test_littles_law_on_the_log():
    """Time-average open issues (live daily counts) = arrival rate x mean time in system."""
    lam, mu, c = 3.0, 1.0, 4
    days, warmup = 3000.0, 100.0
    cfg = mmc_config(lam, mu, days=days, warmup=warmup)
    m = ServiceModel(pooled_scenario(c), None, cfg, 7).run()
    issues = m.issues()
    series = m.datacollector.get_model_vars_dataframe()
    window = series.iloc[int(warmup):int(days)]
    L = window["open_issues"].mean()
    sel = issues[(issues["raised"] >= warmup) & (issues["raised"] < days)]
    lam_hat = len(sel) / (days - warmup)
    W = (sel["resolved"].fillna(days).clip(upper=days) - sel["raised"]).mean()
    assert L == pytest.approx(lam_hat * W, rel=0.03)
    assert W == pytest.approx(mmc_mean_sojourn(lam, mu, c), rel=0.05)
