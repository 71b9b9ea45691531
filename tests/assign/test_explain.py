"""explain: every figure checked against re-solves with scipy's linear_sum_assignment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from assign import build_scenario, solve
from assign.insight.explain import explain

BIG = 1e9
REWARD = 1e6  # coverage first: any firm covered outweighs every cost


def lsa(cost: np.ndarray, cap: np.ndarray, force: tuple[int, int] | None = None,
        extra: int | None = None, cover: int | None = None,
        priority: np.ndarray | None = None) -> tuple[int, float, np.ndarray]:
    """Coverage-first optimum by linear_sum_assignment: (firms covered, total cost, cadre per
    firm or -1). ``cost`` is firms x cadres with NaN where inadmissible; ``force`` pins a
    firm to a cadre, ``extra`` gives a cadre one more place, ``cover`` forbids leaving a firm
    uncovered."""
    n, m = cost.shape
    cap = cap.copy()
    if extra is not None:
        cap[extra] += 1
    slots = np.repeat(np.arange(m), cap)
    mat = np.where(np.isnan(cost), BIG, cost)[:, slots]
    un = np.full((n, n), BIG)
    # coverage first, key firms first: a priority-1 firm outweighs every priority-0 firm
    pr = np.zeros(n) if priority is None else np.asarray(priority, float)
    np.fill_diagonal(un, REWARD * (n + 1) ** pr)
    if cover is not None:
        un[cover, cover] = BIG
    full = np.hstack([mat, un])
    if force is not None:
        f, c = force
        full[f, :] = BIG
        full[f, np.flatnonzero(slots == c)] = cost[f, c]
    rows, cols = linear_sum_assignment(full)
    assert full[rows, cols].max() < BIG
    who = np.full(n, -1)
    paired = cols < len(slots)
    who[rows[paired]] = slots[cols[paired]]
    total = float(sum(cost[f, who[f]] for f in range(n) if who[f] >= 0))
    return int(paired.sum()), total, who


def instance(seed: int, m: int = 4, n: int = 9, density: float = 0.6, levels: int = 1):
    """A random scenario with a pair table (costs with 3 decimals) and its cost matrix."""
    rng = np.random.default_rng(seed)
    priority = rng.integers(0, levels, n)
    cost = np.round(rng.uniform(1, 30, (n, m)), 3)
    cost[rng.random((n, m)) > density] = np.nan
    cap = rng.integers(0, 4, m)
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(m)], "max_firms": cap})
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(n)], "priority": priority})
    f, c = np.nonzero(~np.isnan(cost))
    pairs = pd.DataFrame({"cadre_id": [f"c{i}" for i in c], "firm_id": [f"f{j}" for j in f],
                          "cost": cost[f, c], "load": 1.0})
    sc = build_scenario(cadres, firms, pairs, mode="one_to_many", objective="cost")
    return sc, cost, cap


@pytest.mark.parametrize("floyd", [True, False], ids=["floyd-warshall", "johnson"])
@pytest.mark.parametrize("seed", range(8))
def test_figures_equal_resolves(seed, floyd, monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules["assign.insight.explain"], "FLOYD_MAX", 10**6 if floyd else 0)
    sc, cost, cap = instance(seed)
    pairing = solve(sc, backend="flow")
    ex = explain(sc, pairing, top=10)
    assert ex.optimal
    covered, total, _ = lsa(cost, cap)
    assert covered == pairing.assigned
    assert total == pytest.approx(pairing.objective, abs=1e-6)
    idx = {f"c{i}": i for i in range(cost.shape[1])}
    # every admissible alternative: forced re-solve minus the optimum
    for a in ex.alternatives[ex.alternatives["admissible"]].itertuples():
        f, c = int(a.firm_id[1:]), idx[a.cadre_id]
        cov2, tot2, _ = lsa(cost, cap, force=(f, c))
        assert tot2 - total == pytest.approx(a.extra_cost, abs=1e-6), (a.firm_id, a.cadre_id)
        assert (cov2 < covered) == bool(a.uncovers)
        assert len(a.uncovers.split(";")) == covered - cov2 if a.uncovers else True
    n_alts = ex.alternatives.groupby("firm_id").size()
    for fid in ex.firms["firm_id"]:
        f = int(fid[1:])
        others = int(np.sum(~np.isnan(cost[f]) & (cap > 0))) - 1
        assert n_alts.get(fid, 0) == others  # top=10 lists every admissible other cadre
    # one more place per cadre
    for r in ex.cadres.itertuples():
        c = idx[r.cadre_id]
        if cap[c] == 0:  # takes no firms: not priced
            assert np.isnan(r.marginal_value)
            continue
        cov2, tot2, _ = lsa(cost, cap, extra=c)
        assert cov2 - covered == r.firms_gained
        assert total - tot2 == pytest.approx(r.marginal_value, abs=1e-6), r.cadre_id
    # fixes for uncovered firms cover them when applied
    for u in ex.uncovered.itertuples():
        f = int(u.firm_id[1:])
        if u.fix_kind == "none":
            assert np.isnan(cost[f]).all() or (cap[~np.isnan(cost[f])] == 0).all()
            continue
        c = idx[u.fix_cadre_id]
        if u.fix_kind == "place":
            cov2, tot2, who = lsa(cost, cap, extra=c)
            assert who[f] >= 0 and cov2 == covered + 1
            assert tot2 - total == pytest.approx(u.fix_extra_cost, abs=1e-6)
        else:
            cov2, tot2, who = lsa(cost, cap, extra=c, cover=f)
            assert who[f] >= 0 and cov2 == covered + 1
            assert tot2 - total <= u.fix_extra_cost + 1e-6


def test_top_k_are_the_cheapest_and_named_cadres_are_priced():
    sc, cost, cap = instance(3, m=5, n=12, density=0.9)
    pairing = solve(sc, backend="flow")
    full = explain(sc, pairing, top=10).alternatives
    top2 = explain(sc, pairing, top=2).alternatives
    for fid, g in top2.groupby("firm_id"):
        want = full[full["firm_id"] == fid].nsmallest(2, "extra_cost")["extra_cost"].to_numpy()
        assert np.allclose(np.sort(g["extra_cost"].to_numpy()), np.sort(want))
    one = explain(sc, pairing, top=1, cadres=["c4"])
    assert set(one.cadres["cadre_id"]) == {"c4"}
    fids = set(pairing.pairs.loc[pairing.pairs["cadre_id"] == "c4", "firm_id"])
    assert set(one.firms["firm_id"]) == fids


def _worsened(seed: int):
    """A random instance and its optimal pairs with one firm moved to a dearer cadre."""
    sc, cost, cap = instance(seed, m=4, n=8, density=0.9)
    pairs = solve(sc, backend="flow").pairs[["cadre_id", "firm_id"]].copy()
    counts = pairs["cadre_id"].value_counts()
    for r in pairs.itertuples():
        f, now = int(r.firm_id[1:]), int(r.cadre_id[1:])
        for c in range(cost.shape[1]):
            if (c != now and not np.isnan(cost[f, c]) and cost[f, c] > cost[f, now]
                    and counts.get(f"c{c}", 0) < cap[c]):
                pairs.loc[r.Index, "cadre_id"] = f"c{c}"
                return sc, cost, cap, pairs
    return None


def test_non_optimal_pairing_is_detected_with_its_improvement():
    found = next(w for w in map(_worsened, range(5, 40)) if w is not None)
    sc, cost, cap, pairs = found
    covered, total, _ = lsa(cost, cap)
    ex = explain(sc, pairs)
    assert not ex.optimal
    pc, pf = pairs["cadre_id"].str[1:].astype(int), pairs["firm_id"].str[1:].astype(int)
    given = float(cost[pf.to_numpy(), pc.to_numpy()].sum())
    assert ex.improvement["firms"] == 0
    assert ex.improvement["objective"] == pytest.approx(given - total, abs=1e-6)
    # extra costs are now against the given plan: exact re-solves minus the given objective
    idx = {f"c{i}": i for i in range(cost.shape[1])}
    for a in ex.alternatives[ex.alternatives["admissible"]].itertuples():
        _, tot2, _ = lsa(cost, cap, force=(int(a.firm_id[1:]), idx[a.cadre_id]))
        assert tot2 - given == pytest.approx(a.extra_cost, abs=1e-6)


def test_inadmissible_cadres_say_why(make_scenario):
    from assign import load_scenario

    sc = load_scenario(make_scenario())
    pairing = solve(sc)
    ex = explain(sc, pairing, cadres=["c2"], firms=["f1", "f3"])
    bad = ex.alternatives[~ex.alternatives["admissible"]]
    assert len(bad) and bad["why"].str.startswith("lacks the skill").all()
    js = ex.to_json()
    assert {"firms", "uncovered", "cadres"} <= set(js)
    f = js["firms"][0]
    assert {"firm_id", "cadre_id", "cost", "alternatives"} <= set(f)
    assert all({"cadre_id", "extra_cost", "admissible", "why"} <= set(a) for a in f["alternatives"])
    assert any("若改派" in s or "不能派" in s for s in ex.sentences("zh"))


def test_unknown_or_inadmissible_pairs_are_errors():
    from assign import ScenarioError

    sc, cost, cap = instance(1)
    bad = pd.DataFrame({"cadre_id": ["c0", "zz"], "firm_id": ["f0", "f1"]})
    with pytest.raises(ScenarioError, match="unknown id 'zz'"):
        explain(sc, bad)
    f, c = np.argwhere(np.isnan(cost))[0]
    with pytest.raises(ScenarioError, match="may not serve"):
        explain(sc, pd.DataFrame({"cadre_id": [f"c{c}"], "firm_id": [f"f{f}"]}))


def test_cpsat_path_with_workloads_equals_brute_force():
    """With max_workload, each alternative is a pinned CP-SAT re-solve: compare with every
    plan enumerated."""
    import itertools

    from assign.candidates import build_candidates
    from tests.assign.test_tradeoff import tiny

    sc = tiny(21, m=3, n=5, workload=True)
    pairing = solve(sc, time_limit=10)
    assert pairing.backend == "cpsat"
    ex = explain(sc, pairing, top=5, time_limit=10)
    assert ex.backend == "cpsat" and ex.optimal
    cand = build_candidates(sc)
    m, n = len(sc.cadres), len(sc.firms)
    cap = sc.cadres["max_firms"].to_numpy()
    work = sc.cadres["max_workload"].to_numpy(float)
    plans = []
    for combo in itertools.product(*[[-1] + np.flatnonzero(cand.firm == f).tolist()
                                     for f in range(n)]):
        ps = [p for p in combo if p >= 0]
        cs = cand.cadre[ps]
        if (np.bincount(cs, minlength=m) > cap).any() or (
                np.bincount(cs, weights=cand.load[ps], minlength=m) > work + 1e-9).any():
            continue
        plans.append((len(ps), round(float(cand.cost[ps].sum()), 3), {int(cand.firm[p]): int(
            cand.cadre[p]) for p in ps}))
    best_k = max(p[0] for p in plans)
    best = min(p[1] for p in plans if p[0] == best_k)
    assert pairing.objective == pytest.approx(best, abs=2e-3)
    alts = ex.alternatives[ex.alternatives["admissible"]]
    assert len(alts)
    for a in alts.itertuples():
        f, c = int(a.firm_id[1:]), int(a.cadre_id[1:])
        forced = [p for p in plans if p[2].get(f) == c]
        k = max(p[0] for p in forced)
        want = min(p[1] for p in forced if p[0] == k)
        assert a.status == "optimal"
        if k == best_k:
            assert a.extra_cost == pytest.approx(want - best, abs=2e-3) and not a.uncovers
        else:
            assert a.uncovers


@pytest.mark.parametrize("seed", range(8))
def test_priorities_are_kept_first_in_every_figure(seed):
    """Two priority levels: re-solves rank coverage of key firms above everything else."""
    sc, cost, cap = instance(seed + 100, m=3, n=8, density=0.7, levels=2)
    pr = sc.firms["priority"].to_numpy()
    pairing = solve(sc, backend="flow")
    ex = explain(sc, pairing, top=10)
    assert ex.optimal
    _, total, who = lsa(cost, cap, priority=pr)

    def levels(w):
        return tuple(np.bincount(pr[w >= 0], minlength=2)[::-1])

    base = levels(who)
    idx = {f"c{i}": i for i in range(cost.shape[1])}
    for a in ex.alternatives[ex.alternatives["admissible"]].itertuples():
        _, tot2, w2 = lsa(cost, cap, force=(int(a.firm_id[1:]), idx[a.cadre_id]), priority=pr)
        if levels(w2) == base:
            assert not a.uncovers
            assert tot2 - total == pytest.approx(a.extra_cost, abs=1e-6)
        else:
            lost = set(a.uncovers.split(";"))
            assert lost and all(f"f{f}" in lost for f in np.flatnonzero((who >= 0) & (w2 < 0)))
    for r in ex.cadres.itertuples():
        c = idx[r.cadre_id]
        if cap[c] == 0:
            continue
        _, tot2, w2 = lsa(cost, cap, extra=c, priority=pr)
        assert int((w2 >= 0).sum() - (who >= 0).sum()) == r.firms_gained
        if r.firms_gained == 0:
            assert total - tot2 == pytest.approx(r.marginal_value, abs=1e-6)
        else:
            assert set(r.covers.split(";")) == {f"f{f}" for f in np.flatnonzero((w2 >= 0) & (who < 0))}
            assert total - tot2 == pytest.approx(r.marginal_value, abs=1e-6)


def test_firms_out_of_reach_name_the_nearest_cadre():
    cadres = pd.DataFrame({"id": ["c1", "c2"], "lat": [38.9, 38.95], "lon": [100.4, 100.5],
                           "max_firms": [1, 1]})
    firms = pd.DataFrame({"id": ["f1"], "lat": [30.0], "lon": [100.4]})
    sc = build_scenario(cadres, firms, mode="one_to_many", max_distance_km=5)
    ex = explain(sc, solve(sc))
    u = ex.uncovered.iloc[0]
    assert u["reason"] == "no_cadre_in_reach" and u["fix_kind"] == "none"
    assert "nearest is c1" in u["fix"]
    assert (ex.cadres["marginal_value"] == 0).all() and len(ex.alternatives) == 0


@pytest.mark.parametrize("seed", range(4))
def test_pinned_pairs_stay_and_the_rest_is_priced_around_them(seed):
    sc, cost, cap = instance(seed + 200, m=4, n=8, density=0.7)
    f0, c0 = next((f, c) for f in range(8) for c in range(4)
                  if not np.isnan(cost[f, c]) and cap[c] > 0)
    sc = _with_pin(seed + 200, f0, c0)
    pairing = solve(sc, backend="flow")
    ex = explain(sc, pairing, top=10)
    assert ex.optimal
    row = ex.firms.set_index("firm_id").loc[f"f{f0}"]
    assert bool(row["pinned"]) and row["cadre_id"] == f"c{c0}"
    assert f"f{f0}" not in set(ex.alternatives["firm_id"])
    _, total, _ = lsa(cost, cap, force=(f0, c0))
    assert total == pytest.approx(pairing.objective, abs=1e-6)
    idx = {f"c{i}": i for i in range(cost.shape[1])}
    for a in ex.alternatives[ex.alternatives["admissible"]].itertuples():
        f, c = int(a.firm_id[1:]), idx[a.cadre_id]
        # both pins at once: the planner's and the alternative's
        rows_cost = cost.copy()
        rows_cost[f0, [k for k in range(cost.shape[1]) if k != c0]] = np.nan
        cov2, tot2, _ = lsa(rows_cost, cap, force=(f, c), cover=f0)
        if not a.uncovers:
            assert tot2 - total == pytest.approx(a.extra_cost, abs=1e-6)
    used = ex.cadres.set_index("cadre_id").loc[f"c{c0}", "firms"]
    assert used == int((pairing.pairs["cadre_id"] == f"c{c0}").sum())


def _with_pin(seed: int, f0: int, c0: int):
    """The random instance of ``seed`` with firm f0 pinned to cadre c0."""
    sc, _, _ = instance(seed, m=4, n=8, density=0.7)
    pins = pd.DataFrame({"cadre_id": [f"c{c0}"], "firm_id": [f"f{f0}"]})
    cad = sc.cadres[["id", "max_firms"]]
    firms = sc.firms[["id", "priority"]]
    return build_scenario(cad, firms, sc.pairs[["cadre_id", "firm_id", "cost", "load"]],
                          mode="one_to_many", objective="cost", pinned=pins)


def test_previous_plan_is_explained_by_pinned_resolves():
    """With a previous plan (fewest changes first) each figure is a solve with the pair
    pinned: compare with brute force over every plan, ranked by changes then cost."""
    import itertools
    from dataclasses import replace

    from assign.candidates import build_candidates

    sc, cost, cap = instance(7, m=3, n=5, density=0.8)
    base = solve(sc, backend="flow")
    prev = base.pairs[["cadre_id", "firm_id"]].iloc[::2].assign(line=0)
    prev.loc[prev.index[0], "cadre_id"] = next(
        f"c{c}" for c in range(3) if f"c{c}" != prev["cadre_id"].iat[0]
        and not np.isnan(cost[int(prev["firm_id"].iat[0][1:]), c]))
    sc = replace(sc, previous=prev.reset_index(drop=True))
    pairing = solve(sc)
    ex = explain(sc, pairing, top=5)
    assert ex.optimal and ex.backend == "flow" and (ex.alternatives["status"] != "").any()
    cand = build_candidates(sc)
    was = dict(zip(prev["firm_id"], prev["cadre_id"], strict=True))
    plans = []
    for combo in itertools.product(*[[-1] + np.flatnonzero(cand.firm == f).tolist()
                                     for f in range(5)]):
        ps = [p for p in combo if p >= 0]
        if (np.bincount(cand.cadre[ps], minlength=3) > cap).any():
            continue
        now = {f"f{cand.firm[p]}": f"c{cand.cadre[p]}" for p in ps}
        changes = sum(now.get(f) != c for f, c in was.items())
        plans.append((-len(ps), changes, round(float(cand.cost[ps].sum()), 3), now))
    best = min(plans, key=lambda t: t[:3])
    assert pairing.objective == pytest.approx(best[2], abs=2e-3)
    for a in ex.alternatives[ex.alternatives["admissible"]].itertuples():
        forced = [t for t in plans if t[3].get(a.firm_id) == a.cadre_id]
        top = min(forced, key=lambda t: t[:3])
        if top[0] == best[0]:
            assert a.extra_cost == pytest.approx(top[2] - best[2], abs=2e-3)


def test_province_scale_tables_are_refused_with_a_reason(monkeypatch):
    """explain holds the whole pair table: above the province threshold it says so (exit 2
    in the CLI) instead of running out of memory."""
    import sys

    rng = np.random.default_rng(3)
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(4)], "name": "x",
                           "lat": 30 + rng.uniform(0, 0.1, 4), "lon": 120 + rng.uniform(0, 0.1, 4),
                           "max_firms": 3})
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(6)], "name": "y",
                          "lat": 30 + rng.uniform(0, 0.1, 6), "lon": 120 + rng.uniform(0, 0.1, 6)})
    scenario = build_scenario(cadres, firms, mode="one_to_many", max_distance_km=50)
    plan = solve(scenario)
    assert len(explain(scenario, plan).firms) == 6
    monkeypatch.setattr(sys.modules["assign.solve"], "LARGE_PAIRS", 0)
    with pytest.raises(ValueError, match=r"about \d+ admissible pairs \(more than 0\)"):
        explain(scenario, plan)
