"""Explaining plans with workload limits: CP-SAT re-solves with the pair pinned.

Workload limits break the flow's certificate, so each figure is a re-solve (within a time
limit) and carries the solver's status: "optimal" when both the re-solve and the reference
plan are proven optimal, else "feasible" (an upper bound on the true extra cost).

- Alternatives: the ``2 * top`` admissible cadres with the cheapest pairs (plus cadres named
  with ``cadres``) are each pinned in turn; the ``top`` with the least extra cost are kept.
- One more place for a cadre: ``max_firms + 1`` and room in ``max_workload`` for the
  heaviest firm it could take.
- Uncovered firms: for the cheapest few cadres X that could serve it, one more place for X
  with the firm pinned to X; the cheapest is the fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .candidates import REASONS
from .coverage import scaled_loads
from .cpsat import Limits, coverage_key, solve_cpsat


def explain_cpsat(ctx, want_f: np.ndarray, want_c: np.ndarray, top: int, time_limit: float,
                  seed: int) -> dict:
    from .explain import _firm_rows, _inadmissible, _no_cadre_text, _stack, holdings

    cand, sc = ctx.cand, ctx.scenario
    m, n = len(ctx.capacity), len(sc.firms)
    cadres = sc.cadres
    workers = sc.config.assignment.workers
    mf = cadres["max_firms"].to_numpy(float)
    count = np.where(np.isnan(mf), -1, mf).astype(np.int64)
    mw = cadres["max_workload"].to_numpy(float)
    assert cand.load is not None
    load, work, _, _ = scaled_loads(cand.load, mw)
    levels = int(ctx.ranks.max(initial=-1)) + 1
    fid, cid = sc.firms["id"].to_numpy(), cadres["id"].to_numpy()
    cname = cadres["name"].to_numpy()

    def covered_weight(chosen: np.ndarray) -> tuple:
        return coverage_key(chosen, cand.firm, ctx.ranks, levels)

    def run(keep: np.ndarray, cnt: np.ndarray, wrk: np.ndarray):
        idx = np.flatnonzero(keep)
        res = solve_cpsat(cand.cadre[idx], cand.firm[idx], ctx.icost[idx], load[idx],
                          Limits(cnt, wrk), ctx.ranks, time_limit, workers, seed)
        return idx[res.chosen], res.status

    given = ctx.chosen
    given_w, given_obj = covered_weight(given), int(ctx.icost[given].sum())
    everything = np.ones(len(cand), bool)
    best, best_status = run(everything, count, work)
    best_w, best_obj = covered_weight(best), int(ctx.icost[best].sum())
    optimal = (best_w, -best_obj) <= (given_w, -given_obj)
    ref_status = best_status if optimal else "feasible"
    improvement = {"firms": 0, "objective": 0.0}
    if not optimal:
        improvement = {"firms": int(len(best) - len(given)),
                       "objective": float(np.round((given_obj - best_obj) / ctx.scale, 6))}

    def figure(chosen: np.ndarray, status: str) -> tuple[float, str, str]:
        """(extra cost against the given plan, firms that lose their cadre, status)."""
        lost = np.setdiff1d(cand.firm[given], cand.firm[chosen])
        extra = (int(ctx.icost[chosen].sum()) - given_obj) / ctx.scale
        st = "optimal" if status == "optimal" and ref_status == "optimal" else status
        return float(np.round(extra, 6)), ";".join(map(str, fid[lost])), st

    order = np.argsort(cand.firm, kind="stable")
    bounds = np.searchsorted(cand.firm[order], np.arange(n + 1))
    named = set(want_c.tolist()) if len(want_c) < m else set()
    rows = []
    for f in want_f[ctx.own[want_f] >= 0].tolist():
        ps = order[bounds[f]:bounds[f + 1]]
        mine = ctx.own[f]
        others = ps[ps != mine]
        tried = others[np.argsort(ctx.icost[others], kind="stable")][:2 * top]
        tried = np.union1d(tried, others[np.isin(cand.cadre[others], list(named))])
        got = []
        for p in tried.tolist():
            keep = everything.copy()
            keep[ps] = False
            keep[p] = True
            chosen, status = run(keep, count, work)
            if cand.firm[chosen].tolist().count(f) == 0:
                continue  # the pinned pair cannot be part of any plan within the limits
            extra, lost, st = figure(chosen, status)
            got.append((f, p, extra, lost, st))
        got.sort(key=lambda t: (bool(t[3]), t[2]))
        kept = [g for i, g in enumerate(got) if i < top or cand.cadre[g[1]] in named]
        rows += [(g, r + 1) for r, g in enumerate(kept)]
    alts = pd.DataFrame({
        "firm_id": [fid[g[0]] for g, _ in rows], "rank": [r for _, r in rows],
        "cadre_id": [cid[cand.cadre[g[1]]] for g, _ in rows],
        "cadre_name": [cname[cand.cadre[g[1]]] for g, _ in rows],
        "distance_km": [round(float(cand.distance_km[g[1]]), 4) for g, _ in rows],
        "cost": [round(float(cand.cost[g[1]]), 6) for g, _ in rows],
        "extra_cost": [g[2] for g, _ in rows], "admissible": True, "why": "",
        "uncovers": [g[3] for g, _ in rows], "status": [g[4] for g, _ in rows],
    }, columns=["firm_id", "rank", "cadre_id", "cadre_name", "distance_km", "cost",
                "extra_cost", "admissible", "why", "uncovers", "status"])
    bad = _inadmissible(ctx, want_f, top, want_c)
    if len(bad):
        alts = _stack(alts, bad)
    alts = alts.astype({"rank": np.int64, "distance_km": float, "cost": float,
                        "extra_cost": float, "admissible": bool})
    alts["_f"] = pd.Index(fid).get_indexer(alts["firm_id"])
    alts = alts.sort_values(["_f", "admissible", "rank"], ascending=[True, False, True],
                            kind="stable").drop(columns="_f").reset_index(drop=True)

    heaviest = np.zeros(m, np.int64)
    np.maximum.at(heaviest, cand.cadre, load)

    def one_more(c: int, extra_load: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        cnt, wrk = count.copy(), work.copy()
        if cnt[c] >= 0:
            cnt[c] += 1
        if wrk[c] >= 0:
            wrk[c] += int(heaviest[c] if extra_load is None else extra_load)
        return cnt, wrk

    # uncovered firms: one more place for one of its cheapest cadres, with the firm pinned
    counts_now = ctx.counts()
    unit = " km" if ctx.unit == "km" else ""
    un_rows, cand_rows = [], []
    for f in want_f[ctx.own[want_f] < 0].tolist():
        ps = order[bounds[f]:bounds[f + 1]]
        reason = cand.reason[f] or "capacity_used_up"
        cand_rows += [(f, p) for p in ps.tolist()]
        if len(ps) == 0:
            un_rows.append((f, reason, None, np.nan, "none", _no_cadre_text(sc, f, reason,
                                                                            sc.config.assignment)))
            continue
        best_fix = None
        for p in ps[np.argsort(ctx.icost[ps], kind="stable")][:top].tolist():
            c = int(cand.cadre[p])
            keep = everything.copy()
            keep[ps] = False
            keep[p] = True
            chosen, status = run(keep, *one_more(c, int(load[p])))
            if f not in set(cand.firm[chosen].tolist()):
                continue
            extra, _, st = figure(chosen, status)
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
    cands = pd.DataFrame({
        "firm_id": fid[cf], "cadre_id": cid[cc], "cadre_name": cname[cc],
        "cost": np.round(cand.cost[cp], 6) if len(cp) else [], "firms": counts_now[cc],
        "max_firms": mf[cc], "holds": holdings(ctx)[cc] if len(cc) else [],
    })

    # one more place per cadre
    values, gained, covers, statuses = [], [], [], []
    for c in want_c.tolist():
        if ctx.capacity[c] == 0:
            values.append(np.nan)
            gained.append(0)
            covers.append("")
            statuses.append("")
            continue
        chosen, status = run(everything, *one_more(c))
        ref = best if optimal else given
        new = np.setdiff1d(cand.firm[chosen], cand.firm[ref])
        saved = (int(ctx.icost[ref].sum()) - int(ctx.icost[chosen].sum())) / ctx.scale
        values.append(float(np.round(saved, 6)))
        gained.append(int(len(chosen) - len(ref)))
        covers.append(";".join(map(str, fid[new])) if len(chosen) > len(ref) else "")
        statuses.append(status)
    cad = pd.DataFrame({
        "cadre_id": cid[want_c], "cadre_name": cname[want_c], "firms": counts_now[want_c],
        "max_firms": mf[want_c], "marginal_value": values,
        "firms_gained": np.array(gained, np.int64), "covers": covers, "status": statuses,
    })
    return {"firms": _firm_rows(ctx, want_f), "alternatives": alts, "uncovered": unc,
            "candidates": cands, "cadres": cad, "optimal": bool(optimal),
            "improvement": improvement, "unit": ctx.unit, "backend": "cpsat"}
