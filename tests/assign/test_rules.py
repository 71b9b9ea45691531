"""Planning rules against independent methods: scipy's assignment solver on cost matrices
with exclusions set to a huge cost, pinned rows and columns removed and previous pairs
discounted; brute-force enumeration on tiny instances for budgets, caps on changes and
balance; closed-form Gini; and properties (no excluded pair, every pin kept)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from assign import ScenarioError, ScenarioWarning, build_scenario, haversine_km, solve
from assign.insight.conflicts import explain_infeasible
from assign.solvers.balance import fairness, gini

HUGE = 1e6


def tables(rng, m, n, max_firms=None, priority=None, units=3):
    cadres = pd.DataFrame({"id": [f"c{i}" for i in range(m)], "lat": rng.uniform(30, 30.5, m),
                           "lon": rng.uniform(110, 110.5, m),
                           "unit": [f"u{k}" for k in rng.integers(0, units, m)]})
    if max_firms is not None:
        cadres["max_firms"] = max_firms
    firms = pd.DataFrame({"id": [f"f{j}" for j in range(n)], "lat": rng.uniform(30, 30.5, n),
                          "lon": rng.uniform(110, 110.5, n),
                          "regulator": [f"u{k}" for k in rng.integers(0, units * 3, n)]})
    if priority is not None:
        firms["priority"] = priority
    return cadres, firms


def dist(cadres, firms):
    """Great-circle km in whole metres, as the solvers count them."""
    return np.round(haversine_km(
        cadres["lat"].to_numpy()[:, None], cadres["lon"].to_numpy()[:, None],
        firms["lat"].to_numpy()[None, :], firms["lon"].to_numpy()[None, :]), 3)


def build(cadres, firms, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return build_scenario(cadres, firms, **kw)


CONFLICT = [{"cadre": "unit", "firm": "regulator"}]


@pytest.mark.parametrize("seed", range(4))
def test_exclusions_match_linear_sum_assignment(seed):
    """Forbidden pairs and a conflict rule: scipy with those pairs at a huge cost."""
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(6, 15)), int(rng.integers(6, 15))
    cadres, firms = tables(rng, m, n)
    d = dist(cadres, firms)
    banned = rng.random((m, n)) < 0.3
    fi, fj = np.nonzero(banned)
    forbidden = pd.DataFrame({"cadre_id": cadres["id"].to_numpy()[fi],
                              "firm_id": firms["id"].to_numpy()[fj]})
    conflict = cadres["unit"].to_numpy()[:, None] == firms["regulator"].to_numpy()[None, :]
    excluded = banned | conflict
    pairing = solve(build(cadres, firms, mode="one_to_one", forbidden=forbidden,
                          conflicts=CONFLICT))
    cost = np.where(excluded, HUGE, d)
    r, c = linear_sum_assignment(cost)
    ok = ~excluded[r, c]
    assert pairing.status == "optimal"
    assert pairing.assigned == int(ok.sum())
    assert pairing.objective == pytest.approx(d[r, c][ok].sum(), abs=1e-3)
    ci = pairing.pairs["cadre_id"].str[1:].astype(int).to_numpy()
    fj_ = pairing.pairs["firm_id"].str[1:].astype(int).to_numpy()
    assert not excluded[ci, fj_].any()  # never a forbidden or conflicting pair


def test_excluded_by_rules_is_the_reason_when_only_rules_keep_cadres_away():
    rng = np.random.default_rng(5)
    cadres, firms = tables(rng, 3, 4)
    forbidden = pd.DataFrame({"cadre_id": ["c0", "c1", "c2"], "firm_id": ["f0"] * 3})
    firms["regulator"] = ["x", cadres["unit"].iat[0], "y", "z"]
    sc = build(cadres, firms, mode="one_to_many", forbidden=forbidden, conflicts=CONFLICT)
    p = solve(sc)
    reasons = dict(zip(p.uncovered["firm_id"], p.uncovered["reason"], strict=True))
    assert reasons == {"f0": "excluded_by_rules"}
    assert ("c0", "f1") not in set(zip(p.pairs["cadre_id"], p.pairs["firm_id"], strict=True))


@pytest.mark.parametrize("seed", range(4))
def test_pins_match_linear_sum_assignment_without_their_rows_and_columns(seed):
    """Pinned pairs are kept even out of reach; the rest is scipy's optimum on the matrix
    with the pinned cadres' and firms' rows and columns removed (one cadre a firm)."""
    rng = np.random.default_rng(10 + seed)
    m, n = int(rng.integers(6, 14)), int(rng.integers(6, 14))
    cadres, firms = tables(rng, m, n)
    d = dist(cadres, firms)
    k = 3
    pc, pf = rng.choice(m, k, replace=False), rng.choice(n, k, replace=False)
    pinned = pd.DataFrame({"cadre_id": cadres["id"].to_numpy()[pc],
                           "firm_id": firms["id"].to_numpy()[pf]})
    reach = float(np.quantile(d, 0.6))
    far = d[pc, pf] > reach
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sc = build(cadres, firms, mode="one_to_one", pinned=pinned, max_distance_km=reach)
        pairing = solve(sc)
    warned = [str(w.message) for w in caught if "beyond max_distance_km" in str(w.message)]
    assert len(warned) == int(far.sum())
    rest = np.delete(np.delete(d, pc, axis=0), pf, axis=1)
    cost = np.where(rest > reach, HUGE, rest)
    r, c = linear_sum_assignment(cost)
    ok = cost[r, c] < HUGE
    got = set(zip(pairing.pairs["cadre_id"], pairing.pairs["firm_id"], strict=True))
    assert set(zip(pinned["cadre_id"], pinned["firm_id"], strict=True)) <= got  # every pin kept
    assert pairing.assigned == k + int(ok.sum())
    assert pairing.objective == pytest.approx(d[pc, pf].sum() + rest[r, c][ok].sum(), abs=1e-3)


@pytest.mark.parametrize("backend", ["flow", "cpsat"])
def test_pins_with_several_firms_per_cadre_match_slot_expansion(backend):
    """A cadre of capacity 3 pinned to one firm has two slots left (scipy on the slots)."""
    rng = np.random.default_rng(21)
    m, n = 5, 12
    caps = np.array([3, 2, 3, 1, 2])
    cadres, firms = tables(rng, m, n, max_firms=caps)
    d = dist(cadres, firms)
    pinned = pd.DataFrame({"cadre_id": ["c0", "c0", "c3"], "firm_id": ["f4", "f7", "f1"]})
    pairing = solve(build(cadres, firms, mode="one_to_many", pinned=pinned), backend=backend,
                    time_limit=10)
    left = caps - np.array([2, 0, 0, 1, 0])
    keep = [j for j in range(n) if j not in (4, 7, 1)]
    slots = np.repeat(d[:, keep], left, axis=0)
    r, c = linear_sum_assignment(slots)
    assert pairing.assigned == n - 1 == 3 + len(r)
    assert pairing.objective == pytest.approx(d[0, 4] + d[0, 7] + d[3, 1] + slots[r, c].sum(),
                                              abs=1e-3)


@pytest.mark.parametrize("seed", range(3))
def test_previous_pairs_discounted_match_linear_sum_assignment(seed):
    """change_cost c: scipy on the km matrix with last round's pairs c cheaper gives the
    same km minus c per kept firm; counts add up."""
    rng = np.random.default_rng(30 + seed)
    m = n = int(rng.integers(6, 12))
    cadres, firms = tables(rng, m, n)
    d = dist(cadres, firms)
    before = rng.permutation(n)  # cadre i served firm before[i]
    previous = pd.DataFrame({"cadre_id": cadres["id"], "firm_id": firms["id"].to_numpy()[before]})
    change_cost = 5.0
    sc = build(cadres, firms, mode="one_to_one", change_cost=change_cost)
    pairing = solve(sc, previous=previous)
    prev = np.zeros((m, n), bool)
    prev[np.arange(m), before] = True
    r, c = linear_sum_assignment(d - change_cost * prev)
    kept = pairing.changes["kept"]
    assert pairing.objective - change_cost * kept == pytest.approx(
        (d - change_cost * prev)[r, c].sum(), abs=1e-3)
    ch = pairing.changes
    assert ch["kept"] + ch["moved"] + ch["new"] == pairing.assigned
    assert ch["kept"] + ch["moved"] + ch["dropped"] == len(previous)
    assert (pairing.pairs["change"] == "kept").sum() == kept


def test_default_change_cost_keeps_the_most_pairs_then_least_km():
    """No change_cost: fewest changes first (scipy with a discount above any km total)."""
    rng = np.random.default_rng(40)
    m = n = 9
    cadres, firms = tables(rng, m, n)
    d = dist(cadres, firms)
    before = rng.permutation(n)
    previous = pd.DataFrame({"cadre_id": cadres["id"], "firm_id": firms["id"].to_numpy()[before]})
    previous = previous.drop(index=[0]).assign(cadre_id=lambda f: f["cadre_id"].replace(
        {"c1": "gone"}))  # one firm had no cadre, one cadre left
    prev = np.zeros((m, n), bool)
    for i in range(2, m):
        prev[i, before[i]] = True
    sc = build(cadres, firms, mode="one_to_one")
    pairing = solve(sc, previous=previous)
    r, c = linear_sum_assignment(d - 1e4 * prev)
    assert pairing.changes["kept"] == int(prev[r, c].sum()) == m - 2
    assert pairing.objective == pytest.approx(d[r, c].sum(), abs=1e-3)
    assert pairing.changes["moved"] + pairing.changes["kept"] == len(previous)


def brute_force(d, caps, load=None, work=None, prev=None, max_changes=None, max_cadres=None,
                balance="none", priority=None, fewest=True):
    """Best plan by enumeration: coverage by priority, then balance, then changes, then km."""
    m, n = d.shape
    priority = np.zeros(n, int) if priority is None else priority
    best = None
    for plan in itertools.product(range(-1, m), repeat=n):
        plan = np.array(plan)
        on = plan >= 0
        counts = np.bincount(plan[on], minlength=m)
        if (counts > caps).any():
            continue
        loads = np.bincount(plan[on], weights=load[plan[on], np.flatnonzero(on)],
                            minlength=m) if load is not None else counts
        if work is not None and (loads > work + 1e-9).any():
            continue
        if max_cadres is not None and (counts > 0).sum() > max_cadres:
            continue
        changes = 0
        if prev is not None:
            had = prev >= 0
            changes = int((had & (plan != prev)).sum())
            if max_changes is not None and changes > max_changes:
                continue
        cover = tuple(int((on & (priority == lv)).sum()) for lv in sorted(set(priority),
                                                                             reverse=True))
        top = 0 if balance == "none" else float(
            (counts if balance == "firms" else loads).max(initial=0))
        km = float(d[plan[on], np.flatnonzero(on)].sum())
        key = (tuple(-x for x in cover), round(top, 6), changes if fewest else 0, km)
        if best is None or key < best[0]:
            best = (key, plan)
    return best


@pytest.mark.parametrize("seed", range(3))
def test_max_cadres_matches_brute_force(seed):
    rng = np.random.default_rng(50 + seed)
    m, n = 4, 5
    caps = rng.integers(1, 4, m)
    cadres, firms = tables(rng, m, n, max_firms=caps, priority=rng.integers(0, 2, n))
    d = dist(cadres, firms)
    sc = build(cadres, firms, mode="one_to_many", max_cadres=2)
    pairing = solve(sc, time_limit=10)
    key, plan = brute_force(d, caps, max_cadres=2, priority=firms["priority"].to_numpy())
    assert pairing.status == "optimal"
    assert pairing.assigned == int((plan >= 0).sum())
    assert pairing.objective == pytest.approx(key[-1], abs=1e-3)
    assert (pairing.cadre_loads["firms"] > 0).sum() <= 2


@pytest.mark.parametrize("change_cost", [0, None])
@pytest.mark.parametrize("seed", range(3))
def test_max_changes_matches_brute_force(seed, change_cost):
    rng = np.random.default_rng(60 + seed)
    m, n = 3, 5
    caps = np.array([2, 2, 2])
    cadres, firms = tables(rng, m, n, max_firms=caps)
    d = dist(cadres, firms)
    prev = np.array([0, 1, 2, -1, 0])
    previous = pd.DataFrame({"cadre_id": [f"c{c}" for c in prev if c >= 0],
                             "firm_id": [f"f{j}" for j in range(n) if prev[j] >= 0]})
    sc = build(cadres, firms, mode="one_to_many", max_changes=1, change_cost=change_cost)
    pairing = solve(sc, previous=previous, time_limit=10)
    # change_cost 0: changes only capped; None: fewest changes before km
    key, plan = brute_force(d, caps, prev=prev, max_changes=1, fewest=change_cost is None)
    assert pairing.status == "optimal"
    assert pairing.assigned == int((plan >= 0).sum())
    assert pairing.objective == pytest.approx(key[-1], abs=1e-3)
    moved_or_dropped = pairing.changes["moved"] + pairing.changes["dropped"]
    assert moved_or_dropped <= 1
    if change_cost is None:
        assert moved_or_dropped == key[2]


@pytest.mark.parametrize("balance", ["firms", "workload"])
@pytest.mark.parametrize("seed", range(3))
def test_balance_matches_brute_force(seed, balance):
    rng = np.random.default_rng(70 + seed)
    m, n = 3, 6
    caps = np.array([4, 4, 4])
    cadres, firms = tables(rng, m, n, max_firms=caps)
    d = dist(cadres, firms)
    sc = build(cadres, firms, mode="one_to_many", balance=balance)
    pairing = solve(sc, time_limit=10)
    from assign.candidates import build_candidates

    cand = build_candidates(sc)
    load = np.zeros((m, n))
    load[cand.cadre, cand.firm] = cand.load
    key, plan = brute_force(d, caps, load=load, balance=balance)
    assert pairing.status == "optimal"
    assert pairing.backend == ("flow" if balance == "firms" else "cpsat")
    top = pairing.cadre_loads["firms" if balance == "firms" else "load"].max()
    assert top == pytest.approx(key[1], abs=1e-3)
    assert pairing.objective == pytest.approx(key[-1], abs=1e-3)


def test_balance_firms_with_pins_and_priorities_matches_brute_force():
    rng = np.random.default_rng(80)
    m, n = 3, 6
    caps = np.array([3, 3, 2])
    cadres, firms = tables(rng, m, n, max_firms=caps, priority=rng.integers(0, 2, n))
    d = dist(cadres, firms)
    pinned = pd.DataFrame({"cadre_id": ["c0", "c0"], "firm_id": ["f0", "f1"]})
    pairing = solve(build(cadres, firms, mode="one_to_many", balance="firms", pinned=pinned))
    best = None
    for plan in itertools.product(range(m), repeat=n - 2):
        plan = np.array([0, 0, *plan])
        counts = np.bincount(plan, minlength=m)
        if (counts > caps).any():
            continue
        key = (counts.max(), d[plan, np.arange(n)].sum())
        best = key if best is None or key < best else best
    assert pairing.assigned == n
    assert pairing.cadre_loads["firms"].max() == best[0]
    assert pairing.objective == pytest.approx(best[1], abs=1e-3)


def test_gini_and_fairness_match_closed_forms():
    x = np.array([1.0, 2.0, 3.0, 10.0])
    mad = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert gini(x) == pytest.approx(mad)
    assert gini(np.array([4.0, 4.0, 4.0])) == pytest.approx(0.0)
    loads = pd.DataFrame({"firms": [0, 2, 3, 1], "load": [0.0, 1.0, 2.0, 3.0],
                          "distance_km": [0.0, 5.0, 7.5, 1.0]})
    f = fairness(loads)
    used = np.array([1.0, 2.0, 3.0])
    assert f == {"firms_max": 3, "firms_min": 1, "firms_mean": 2.0, "load_max": 3.0,
                 "load_gini": pytest.approx(
                     np.abs(used[:, None] - used[None, :]).sum() / (2 * 9 * 2.0), abs=1e-4),
                 "km_max": 7.5}


# --- infeasible: the smallest conflicting rules ----------------------------------------

def _relaxed(sc, rule):
    """The scenario with one named rule dropped."""
    from dataclasses import replace

    kind, _, arg = rule.partition(":")
    if kind == "pin":
        return replace(sc, pinned=sc.pinned.drop(index=int(arg)).reset_index(drop=True))
    if kind in ("max_firms", "max_workload"):
        cadres = sc.cadres.copy()
        cadres.loc[cadres["id"] == arg, kind] = np.nan
        return replace(sc, cadres=cadres)
    if kind in ("max_cadres", "max_changes"):
        return sc.with_config(**{kind: None})
    if kind == "forbidden":
        return replace(sc, forbidden=sc.forbidden.drop(index=int(arg)).reset_index(drop=True))
    raise AssertionError(rule)


def test_pins_over_limits_are_infeasible_with_minimal_reasons():
    rng = np.random.default_rng(90)
    cadres, firms = tables(rng, 4, 8, max_firms=[2, 3, 3, 3])
    cadres["max_workload"] = [40.0, 40.0, 3.0, 40.0]
    pinned = pd.DataFrame({"cadre_id": ["c0", "c0", "c0", "c1", "c2", "c2", "c3"],
                           "firm_id": ["f0", "f1", "f2", "f3", "f4", "f5", "f3"]})
    sc = build(cadres, firms, mode="one_to_many", pinned=pinned)
    pairing = solve(sc, time_limit=10)
    assert pairing.status == "infeasible" and pairing.assigned == 0
    text = "\n".join(pairing.conflicts)
    assert "firm f3 is pinned to two cadres, c1 and c3 (pinned, lines 5, 8)" in text
    assert "cadre c0 is pinned to 3 firms (f0, f1 and f2: pinned, lines 2, 3, 4) but may " \
           "serve 2 (max_firms)" in text
    assert "pinned to cadre c2 (pinned, lines 6, 7), whose max_workload is 3 h; their loads " \
           "sum to" in text
    from assign.insight.conflicts import pin_conflicts
    from assign.pins import pinned_candidates

    found = pin_conflicts(sc, pinned_candidates(sc))
    assert len(found) == 3
    for conflict in found:  # only its rules: infeasible; drop any one of them: feasible
        alone, renamed = _only(sc, conflict.rules)
        assert solve(alone, time_limit=5).status == "infeasible"
        for rule in conflict.rules:
            relaxed = _relaxed(alone, renamed.get(rule, rule))
            assert solve(relaxed, time_limit=5).status == "optimal", rule


def _only(sc, rules):
    """The scenario keeping only the named pins and limits (others dropped or lifted)."""
    from dataclasses import replace

    pins = [int(r.split(":")[1]) for r in rules if r.startswith("pin:")]
    cadres = sc.cadres.copy()
    for kind in ("max_firms", "max_workload"):
        keep = cadres["id"].isin([r.split(":")[1] for r in rules if r.startswith(kind + ":")])
        cadres.loc[~keep, kind] = np.nan
    # renumber: the kept pins become rows 0.. in the order given
    pinned = sc.pinned.iloc[pins].reset_index(drop=True)
    out = replace(sc, cadres=cadres, pinned=pinned)
    return out, {f"pin:{k}": f"pin:{i}" for i, k in enumerate(pins)}


def test_pin_on_forbidden_pair_and_budget_are_infeasible():
    rng = np.random.default_rng(91)
    cadres, firms = tables(rng, 4, 6)
    pinned = pd.DataFrame({"cadre_id": ["c0", "c1", "c2"], "firm_id": ["f0", "f1", "f2"]})
    forbidden = pd.DataFrame({"cadre_id": ["c1"], "firm_id": ["f1"], "reason": ["亲属"]})
    sc = build(cadres, firms, mode="one_to_many", pinned=pinned, forbidden=forbidden,
               max_cadres=2)
    p = solve(sc, time_limit=5)
    assert p.status == "infeasible"
    assert ("pinned, line 3 pins cadre c1 to firm f1, but forbidden, line 2 forbids that pair "
            "(亲属)") in p.conflicts
    assert any("pins name 3 different cadres" in c and "max_cadres is 2" in c
               for c in p.conflicts)


@pytest.mark.parametrize("seed", range(4))
def test_assumption_cores_are_minimal(seed):
    """Caps on changes against reduced limits and budgets: the reported rules conflict, and
    dropping any one of them leaves a feasible plan (checked by solving)."""
    rng = np.random.default_rng(100 + seed)
    m, n = 4, 8
    cadres, firms = tables(rng, m, n, max_firms=rng.integers(1, 3, m))
    prev_cadre = np.repeat(np.arange(m), 2)  # last round every cadre had two firms
    previous = pd.DataFrame({"cadre_id": [f"c{c}" for c in prev_cadre],
                             "firm_id": firms["id"]})
    sc = build(cadres, firms, mode="one_to_many", max_changes=int(rng.integers(0, 2)),
               max_cadres=int(rng.integers(2, 4)))
    p = solve(sc, previous=previous, time_limit=10)
    if p.status != "infeasible":
        assert (p.cadre_loads["firms"] > 0).sum() <= sc.config.assignment.max_cadres
        return
    (conflict,) = explain_infeasible(sc, previous, 10)
    assert conflict.rules and "these rules cannot all hold" in conflict.text
    assert p.conflicts == [conflict.text]
    every = [f"max_firms:c{i}" for i in range(m)] + ["max_cadres", "max_changes"]
    alone = sc
    for rule in every:  # keep only the conflict's rules: still infeasible
        if rule not in conflict.rules:
            alone = _relaxed(alone, rule)
    assert solve(alone, previous=previous, time_limit=10).status == "infeasible"
    for rule in conflict.rules:  # drop any one of them: feasible
        relaxed = solve(_relaxed(alone, rule), previous=previous, time_limit=10)
        assert relaxed.status in ("optimal", "feasible"), rule


def test_max_changes_forced_by_departed_cadres_counts_directly():
    rng = np.random.default_rng(7)
    cadres, firms = tables(rng, 3, 4)
    previous = pd.DataFrame({"cadre_id": ["gone1", "gone2", "c0"], "firm_id": ["f0", "f1", "f2"]})
    p = solve(build(cadres, firms, mode="one_to_many", max_changes=1), previous=previous)
    assert p.status == "infeasible"
    assert p.conflicts[0].startswith("assignment.max_changes is 1 but 2 firms must change cadre: "
                                     "f0 (its cadre gone1 is no longer listed)")


# --- input errors -----------------------------------------------------------------------

def test_unknown_ids_in_rule_tables_name_file_line_and_column():
    rng = np.random.default_rng(1)
    cadres, firms = tables(rng, 2, 2)
    with pytest.raises(ScenarioError) as e:
        build(cadres, firms, pinned=pd.DataFrame({"cadre_id": ["c0", "c9"],
                                                  "firm_id": ["f0", "f1"]}),
              forbidden=pd.DataFrame({"cadre_id": ["c0"], "firm_id": ["fx"]}))
    text = str(e.value)
    assert "pinned, line 3, column 'cadre_id': unknown id 'c9'" in text
    assert "forbidden, line 2, column 'firm_id': unknown id 'fx'" in text


def test_conflict_rule_on_missing_column_names_the_yaml_key(make_scenario):
    from assign import load_scenario

    root = make_scenario()
    y = root / "scenario.yaml"
    y.write_text(y.read_text() + "  conflicts:\n    - {cadre: home_unit, firm: regulator}\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(root)
    assert "key 'assignment.conflicts.0.firm': no column 'regulator' in" in str(e.value)


def test_missing_rule_file_and_previous_columns(make_scenario, tmp_path):
    from assign import load_scenario
    from assign.changes import read_previous

    root = make_scenario()
    with pytest.raises(ScenarioError, match="pinned.csv: file not found"):
        load_scenario(root, {"assignment.pinned": "pinned.csv"})
    bad = tmp_path / "old.csv"
    bad.write_text("cadre,firm_id\nc1,f1\nc2,f1\n")
    with pytest.raises(ScenarioError) as e:
        read_previous(bad)
    assert "old.csv, column 'cadre_id': required column is missing" in str(e.value)
    bad.write_text("干部编号,企业编号\nc1,f1\nc2,f1\n")
    with pytest.raises(ScenarioError, match="line 3, column 'firm_id': firm 'f1' is paired twice"):
        read_previous(bad)


def test_flow_backend_refuses_rules_it_cannot_hold():
    rng = np.random.default_rng(1)
    cadres, firms = tables(rng, 2, 2)
    with pytest.raises(ValueError, match="cannot honour assignment.max_cadres"):
        solve(build(cadres, firms, max_cadres=1), backend="flow")


@pytest.mark.parametrize("seed", range(2))
def test_pricing_honours_exclusions(seed):
    """The province path (each firm's two nearest cadres, then pricing) under forbidden and
    conflict rules: scipy's optimum with excluded and out-of-reach pairs at a huge cost."""
    from assign.solvers.priced import solve_priced

    rng = np.random.default_rng(110 + seed)
    m = n = 40
    cadres, firms = tables(rng, m, n, units=4)
    d = dist(cadres, firms)
    banned = rng.random((m, n)) < 0.2
    fi, fj = np.nonzero(banned)
    forbidden = pd.DataFrame({"cadre_id": cadres["id"].to_numpy()[fi],
                              "firm_id": firms["id"].to_numpy()[fj]})
    sc = build(cadres, firms, mode="one_to_one", forbidden=forbidden, conflicts=CONFLICT,
               max_distance_km=25)
    big = solve_priced(sc, nearest=2)
    excluded = banned | (cadres["unit"].to_numpy()[:, None] == firms["regulator"].to_numpy()[None])
    cost = np.where(excluded | (d > 25), HUGE, d)
    r, c = linear_sum_assignment(cost)
    ok = cost[r, c] < HUGE
    got = big.candidates
    assert big.status == "optimal"
    assert len(big.chosen) == int(ok.sum())
    assert got.cost[big.chosen].sum() == pytest.approx(d[r, c][ok].sum(), abs=1e-3)
    assert not excluded[got.cadre[big.chosen], got.firm[big.chosen]].any()


def test_some_assumption_cases_are_infeasible():
    """The minimality test above meets infeasible cases (it is not vacuous)."""
    statuses = []
    for seed in range(4):
        rng = np.random.default_rng(100 + seed)
        m, n = 4, 8
        cadres, firms = tables(rng, m, n, max_firms=rng.integers(1, 3, m))
        previous = pd.DataFrame({"cadre_id": [f"c{c}" for c in np.repeat(np.arange(m), 2)],
                                 "firm_id": firms["id"]})
        sc = build(cadres, firms, mode="one_to_many", max_changes=int(rng.integers(0, 2)),
                   max_cadres=int(rng.integers(2, 4)))
        statuses.append(solve(sc, previous=previous, time_limit=10).status)
    assert statuses.count("infeasible") >= 2


def test_exclusion_reasons_in_words():
    from assign.rules import exclusion_reason

    rng = np.random.default_rng(3)
    cadres, firms = tables(rng, 2, 2)
    firms["regulator"] = [cadres["unit"].iat[1], "none"]
    sc = build(cadres, firms, forbidden=pd.DataFrame(
        {"cadre_id": ["c0"], "firm_id": ["f1"], "reason": ["亲属在该企业任职"]}), conflicts=CONFLICT)
    assert exclusion_reason(sc, 0, 1) == "forbidden (forbidden, line 2: 亲属在该企业任职)"
    assert exclusion_reason(sc, 1, 0) == (
        f"conflict of interest: the cadre's unit and the firm's regulator are both "
        f"'{cadres['unit'].iat[1]}' (assignment.conflicts[0])")
    assert exclusion_reason(sc, 0, 0) is None or cadres["unit"].iat[0] == firms["regulator"].iat[0]


def test_max_changes_against_a_reduced_workload_is_explained():
    """Last round c0 served f0 and f1; now its max_workload fits one of them, and nothing
    may change: exactly those two rules conflict, each alone is satisfiable."""
    rng = np.random.default_rng(12)
    cadres, firms = tables(rng, 3, 4)
    sc0 = build(cadres, firms, mode="one_to_many")
    from assign.candidates import build_candidates

    cand = build_candidates(sc0)
    both = cand.load[(cand.cadre == 0) & (cand.firm <= 1)].sum()
    cadres["max_workload"] = [round(both - 0.01, 2), 50.0, 50.0]
    previous = pd.DataFrame({"cadre_id": ["c0", "c0", "c1"], "firm_id": ["f0", "f1", "f2"]})
    sc = build(cadres, firms, mode="one_to_many", max_changes=0)
    p = solve(sc, previous=previous, time_limit=10)
    assert p.status == "infeasible"
    (conflict,) = explain_infeasible(sc, previous, 10)
    assert set(conflict.rules) == {"max_workload:c0", "max_changes"}
    assert f"cadre c0's max_workload is {cadres['max_workload'].iat[0]:g} h" in conflict.text
    for rule in conflict.rules:
        assert solve(_relaxed(sc, rule), previous=previous, time_limit=10).is_feasible()


def test_pins_under_the_travel_time_objective_cost_minutes():
    """Objective travel_time: a pinned pair costs its minutes at the load speed, as every
    other pair does (scipy on the minutes matrix with the pinned row and column removed)."""
    rng = np.random.default_rng(13)
    cadres, firms = tables(rng, 5, 5)
    sc = build(cadres, firms, mode="one_to_one", objective="travel_time",
               pinned=pd.DataFrame({"cadre_id": ["c2"], "firm_id": ["f4"]}))
    p = solve(sc)
    speed = sc.config.assignment.load.speed_kmh
    minutes = np.round(dist(cadres, firms) / speed * 60, 3)
    rest = np.delete(np.delete(minutes, 2, axis=0), 4, axis=1)
    r, c = linear_sum_assignment(rest)
    assert p.objective == pytest.approx(minutes[2, 4] + rest[r, c].sum(), abs=0.01)
