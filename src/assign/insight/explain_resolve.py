"""Explaining plans by re-solving: for rules the flow's certificate does not cover.

With workload limits, ``max_cadres``, ``max_changes``, ``balance`` or a previous plan, the
objective is no longer a plain min-cost flow, so each figure is one :func:`assign.solve`
with the question added as a rule (a pin, one more place) and carries that solve's status:
"optimal" when it and the reference plan are proven optimal, else "feasible" (then the
extra cost is an upper bound). Because every figure goes through :func:`assign.solve`,
every planning rule of the scenario (pins, exclusions, change discounts, balance, budgets)
is honoured exactly as when the plan was made.

- The given pairing is evaluated by solving with all its pairs pinned; the optimum by a
  plain solve. If the optimum is better, the pairing is not optimal.
- Alternatives: the ``2 * top`` admissible cadres with the cheapest pairs (plus cadres named
  with ``cadres``) are each pinned in turn; the ``top`` with the least extra cost are kept.
- One more place for a cadre: ``max_firms + 1`` and room in ``max_workload`` for the
  heaviest firm it could take.
- Uncovered firms: for the ``top`` cheapest cadres X that could serve it, one more place for
  X with the firm pinned to X; the cheapest is the fix.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..candidates import REASONS, build_candidates
from ..io.scenario import Scenario
from ..problem import compile_problem
from ..validate import plan_key

MAX_TRIED = 40
"""Most alternative cadres re-solved per firm on the re-solve path (cheapest pairs first)."""


def _with_pins(scenario: Scenario, pairs: list[tuple[str, str]]) -> Scenario:
    rows = pd.DataFrame({"cadre_id": [c for c, _ in pairs], "firm_id": [f for _, f in pairs],
                         "note": "explain", "line": 0})
    old = scenario.pinned
    if old is not None and len(old):
        rows = pd.concat([old[~old["firm_id"].isin(rows["firm_id"])], rows], ignore_index=True)
    return replace(scenario, pinned=rows)


def explain_resolve(scenario: Scenario, table: pd.DataFrame, firms: list[str] | None,
                    cadres: list[str] | None, top: int, time_limit: float, seed: int) -> dict:
    from ..errors import Problem, ScenarioError
    from ..solve import solve
    from .inadmissible import UNITS, _inadmissible_frame, _no_cadre_text

    sc = scenario
    fid = sc.firms["id"].astype(str).to_numpy()
    cid = sc.cadres["id"].astype(str).to_numpy()
    cname = sc.cadres["name"].to_numpy()
    m, n = len(cid), len(fid)
    problems = [Problem("--firm", f"unknown id '{x}'") for x in firms or [] if x not in set(fid)]
    problems += [Problem("--cadre", f"unknown id '{x}'") for x in cadres or []
                 if x not in set(cid)]
    if problems:
        raise ScenarioError(problems)

    def run(s: Scenario):
        return solve(s, time_limit=time_limit, seed=seed)

    given_pairs = list(zip(table["cadre_id"].astype(str), table["firm_id"].astype(str),
                           strict=True))
    given = run(_with_pins(sc, given_pairs))
    if not given.is_feasible() or given.assigned != len(given_pairs):
        why = "; ".join(given.conflicts) or "the pairs break the scenario's limits"
        raise ScenarioError([Problem("pairing", f"the pairing cannot be held: {why}")])
    best = run(sc)

    problem = compile_problem(sc)
    given_obj = float(given.objective)
    # the whole lexicographic objective: coverage, balance, changes, cost
    optimal = plan_key(problem, given.pairs) <= plan_key(problem, best.pairs)
    ref_ok = given.status == "optimal" if optimal else False
    improvement = {"firms": 0, "objective": 0.0}
    if not optimal:
        improvement = {"firms": int(best.assigned - given.assigned),
                       "objective": float(np.round(given_obj - best.objective, 6))}
    covered = set(given.pairs["firm_id"].astype(str))
    own = dict(zip(given.pairs["firm_id"].astype(str), given.pairs["cadre_id"].astype(str),
                   strict=True))

    def figure(p) -> tuple[float, str, str]:
        lost = sorted(covered - set(p.pairs["firm_id"].astype(str)))
        st = "optimal" if p.status == "optimal" and ref_ok else p.status
        return float(np.round(p.objective - given_obj, 6)), ";".join(lost), st

    cand = build_candidates(sc, with_load=True)
    assert cand.load is not None
    order = np.argsort(cand.firm, kind="stable")
    bounds = np.searchsorted(cand.firm[order], np.arange(n + 1))
    want_c = (np.flatnonzero(np.isin(cid, cadres)) if cadres else np.arange(m))
    named = set(want_c.tolist()) if len(want_c) < m else set()
    if firms:
        want_f = np.flatnonzero(np.isin(fid, firms))
    elif cadres:
        want_f = np.flatnonzero([own.get(f) in set(cid[want_c]) for f in fid])
    else:
        want_f = np.arange(n)
    pinned = set() if sc.pinned is None else set(sc.pinned["firm_id"].astype(str))

    rows, firm_rows = [], []
    gp = given.pairs.set_index("firm_id")
    for f in want_f.tolist():
        if fid[f] not in covered:
            continue
        r = gp.loc[fid[f]]
        firm_rows.append((fid[f], sc.firms["name"].iat[f], r["cadre_id"], r["cadre_name"],
                          r["distance_km"], r["cost"], fid[f] in pinned))
        if fid[f] in pinned:
            continue  # the planner pinned it: no alternative is open
        ps = order[bounds[f]:bounds[f + 1]]
        others = ps[cid[cand.cadre[ps]] != own[fid[f]]]
        # every other admissible cadre is tried, cheapest pair first, up to MAX_TRIED: the
        # cheapest pairs may belong to full cadres whose figure uncovers another firm, while
        # the real next-best is a free cadre farther down
        tried = others[np.argsort(cand.cost[others], kind="stable")][:max(MAX_TRIED, 2 * top)]
        tried = np.union1d(tried, others[np.isin(cand.cadre[others], list(named))])
        got = []
        for p in tried.tolist():
            c = int(cand.cadre[p])
            res = run(_with_pins(sc, [(cid[c], fid[f])]))
            if not res.is_feasible() or fid[f] not in set(res.pairs["firm_id"].astype(str)):
                continue
            got.append((f, p, *figure(res)))
        got.sort(key=lambda t: (bool(t[3]), t[2]))
        kept = [g for i, g in enumerate(got) if i < top or int(cand.cadre[g[1]]) in named]
        rows += [(g, k + 1) for k, g in enumerate(kept)]
    alts = pd.DataFrame({
        "firm_id": [fid[g[0]] for g, _ in rows], "rank": [k for _, k in rows],
        "cadre_id": [cid[cand.cadre[g[1]]] for g, _ in rows],
        "cadre_name": [cname[cand.cadre[g[1]]] for g, _ in rows],
        "distance_km": [round(float(cand.distance_km[g[1]]), 4) for g, _ in rows],
        "cost": [round(float(cand.cost[g[1]]), 6) for g, _ in rows],
        "extra_cost": [g[2] for g, _ in rows], "admissible": True, "why": "",
        "uncovers": [g[3] for g, _ in rows], "status": [g[4] for g, _ in rows],
    }, columns=["firm_id", "rank", "cadre_id", "cadre_name", "distance_km", "cost",
                "extra_cost", "admissible", "why", "uncovers", "status"])
    own_idx = np.full(n, -1, np.int64)
    pos = pd.Index(cid).get_indexer([own.get(f, "") for f in fid])
    own_idx[:] = pos
    movable = np.array([fid[f] in covered and fid[f] not in pinned for f in want_f.tolist()],
                       bool)
    km_col = "crow_km" if "crow_km" in gp.columns else "distance_km"  # great-circle km
    own_km = np.array([float(gp.loc[fid[f], km_col]) if fid[f] in covered else np.nan
                       for f in want_f.tolist()])
    bad = _inadmissible_frame(sc, cand, want_f[movable], own_km[movable], top, want_c)
    alts = _merge_alts(alts, bad, fid)

    # one more place per cadre
    heaviest = np.zeros(m)
    np.maximum.at(heaviest, cand.cadre, cand.load)
    counts = given.cadre_loads.set_index("cadre_id")["firms"].reindex(cid).fillna(0).astype(int)

    def one_more(c: int, extra_load: float | None = None) -> Scenario:
        cad = sc.cadres.copy()
        if pd.notna(cad["max_firms"].iat[c]):
            cad.loc[cad.index[c], "max_firms"] = cad["max_firms"].iat[c] + 1
        if pd.notna(cad["max_workload"].iat[c]):
            cad.loc[cad.index[c], "max_workload"] = cad["max_workload"].iat[c] + (
                heaviest[c] if extra_load is None else extra_load)
        return replace(sc, cadres=cad)

    ref = best if not optimal else given
    ref_firms = set(ref.pairs["firm_id"].astype(str))
    values, gained, covers, statuses = [], [], [], []
    for c in want_c.tolist():
        if sc.cadres["max_firms"].fillna(np.inf).iat[c] <= 0:
            values.append(np.nan)
            gained.append(0)
            covers.append("")
            statuses.append("")
            continue
        res = run(one_more(c))
        new = sorted(set(res.pairs["firm_id"].astype(str)) - ref_firms)
        values.append(float(np.round(ref.objective - res.objective, 6)))
        gained.append(int(res.assigned - ref.assigned))
        covers.append(";".join(new) if res.assigned > ref.assigned else "")
        statuses.append(res.status)
    cad = pd.DataFrame({
        "cadre_id": cid[want_c], "cadre_name": cname[want_c],
        "firms": counts.to_numpy()[want_c],
        "max_firms": sc.cadres["max_firms"].to_numpy(float)[want_c], "marginal_value": values,
        "firms_gained": np.array(gained, np.int64), "covers": covers, "status": statuses,
    })

    # uncovered firms
    unit = " km" if sc.config.assignment.objective == "distance" else ""
    reason_of = dict(zip(given.uncovered["firm_id"].astype(str),
                         given.uncovered["reason"].astype(str), strict=True))
    un_rows, cand_rows = [], []
    for f in want_f.tolist():
        if fid[f] in covered:
            continue
        ps = order[bounds[f]:bounds[f + 1]]
        reason = cand.reason[f] or reason_of.get(fid[f], "capacity_used_up")
        reason = reason if reason in REASONS else "capacity_used_up"
        cand_rows += [(f, p) for p in ps.tolist()]
        if len(ps) == 0:
            un_rows.append((f, reason, None, np.nan, "none",
                            _no_cadre_text(sc, f, reason, sc.config.assignment)))
            continue
        best_fix = None
        for p in ps[np.argsort(cand.cost[ps], kind="stable")][:top].tolist():
            c = int(cand.cadre[p])
            res = run(_with_pins(one_more(c, float(cand.load[p])), [(cid[c], fid[f])]))
            if not res.is_feasible() or fid[f] not in set(res.pairs["firm_id"].astype(str)):
                continue
            extra, _, st = figure(res)
            if best_fix is None or extra < best_fix[1]:
                best_fix = (c, extra, st)
        if best_fix is None:
            un_rows.append((f, reason, None, np.nan, "none", REASONS[reason]))
        else:
            c, extra, st = best_fix
            un_rows.append((f, reason, cid[c], extra, "place_and_pin",
                            f"one more place for cadre {cid[c]}, with the firm pinned to it, "
                            f"covers it at {extra:+.3f}{unit} ({st})"))
    unc = pd.DataFrame({
        "firm_id": [fid[r[0]] for r in un_rows],
        "firm_name": [sc.firms["name"].iat[r[0]] for r in un_rows],
        "priority": [sc.firms["priority"].iat[r[0]] for r in un_rows],
        "reason": [r[1] for r in un_rows], "detail": [REASONS[r[1]] for r in un_rows],
        "fix_cadre_id": [r[2] for r in un_rows], "fix_extra_cost": [r[3] for r in un_rows],
        "fix_kind": [r[4] for r in un_rows], "fix_pin_cadre_id": [r[2] for r in un_rows],
        "fix": [r[5] for r in un_rows],
    })
    cf = np.array([r[0] for r in cand_rows], np.int64)
    cp = np.array([r[1] for r in cand_rows], np.int64)
    cc = cand.cadre[cp] if len(cp) else np.zeros(0, np.int64)
    holds = given.pairs.groupby("cadre_id")["firm_id"].agg(lambda s: ";".join(map(str, s)))
    cands = pd.DataFrame({
        "firm_id": fid[cf], "cadre_id": cid[cc], "cadre_name": cname[cc],
        "cost": np.round(cand.cost[cp], 6) if len(cp) else [],
        "firms": counts.to_numpy()[cc], "max_firms": sc.cadres["max_firms"].to_numpy(float)[cc],
        "holds": [holds.get(c, "") for c in cid[cc]],
    })
    firm_df = pd.DataFrame(firm_rows, columns=["firm_id", "firm_name", "cadre_id", "cadre_name",
                                               "distance_km", "cost", "pinned"])
    return {"firms": firm_df, "alternatives": alts, "uncovered": unc, "candidates": cands,
            "cadres": cad, "optimal": bool(optimal), "improvement": improvement,
            "unit": UNITS.get(sc.config.assignment.objective, "cost"),
            "backend": given.backend}


def _merge_alts(alts: pd.DataFrame, bad: pd.DataFrame, fid: np.ndarray) -> pd.DataFrame:
    from .inadmissible import _stack

    if len(bad):
        alts = _stack(alts, bad)
    alts = alts.astype({"rank": np.int64, "distance_km": float, "cost": float,
                        "extra_cost": float, "admissible": bool})
    alts["_f"] = pd.Index(fid).get_indexer(alts["firm_id"])
    return alts.sort_values(["_f", "admissible", "rank"], ascending=[True, False, True],
                            kind="stable").drop(columns="_f").reset_index(drop=True)
