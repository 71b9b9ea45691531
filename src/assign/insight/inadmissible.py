"""Why pairs are not in a plan, in words: pairs the rules exclude (and nearer cadres that
may not serve a firm), and why a firm has no admissible cadre at all. Shared by
:mod:`assign.insight.explain` (the flow's certificate) and
:mod:`assign.insight.explain_resolve` (re-solving).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..candidates import REASONS, Candidates
from ..categories import label as category_label
from ..geo import haversine_km
from ..io.scenario import Scenario
from ..rules import exclusion_reason

UNITS = {"distance": "km", "travel_time": "min", "cost": "cost"}
"""Unit of the objective's figures, by objective."""

def _stack(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``b`` under ``a`` (same columns), column by column so all-NaN columns of
    either keep their float type."""
    return pd.DataFrame({c: np.concatenate([a[c].to_numpy(object), b[c].to_numpy(object)])
                         for c in a.columns})


def why_not(scenario: Scenario, ci: np.ndarray, fi: np.ndarray, dist: np.ndarray) -> list[str]:
    """Why each (cadre, firm) pair is inadmissible, in words."""
    from ..candidates import PairRules

    cfg = scenario.config.assignment
    from dataclasses import replace

    rules = PairRules.of(scenario)
    skills_ok = replace(rules, usable=np.ones(len(rules.usable), bool)).keep(ci, fi)
    listed = None
    if scenario.pairs is not None:
        listed = set(zip(scenario.pairs["cadre_id"].astype(str),
                         scenario.pairs["firm_id"].astype(str), strict=True))
    cid = scenario.cadres["id"].astype(str).to_numpy()
    fid = scenario.firms["id"].astype(str).to_numpy()
    needs = scenario.firms["needs"].to_numpy()
    out = []
    for i, (c, f) in enumerate(zip(ci.tolist(), fi.tolist(), strict=True)):
        if not rules.usable[c]:
            out.append("takes no firms (max_firms 0)")
        elif listed is not None and (cid[c], fid[f]) not in listed:
            out.append("not listed in the pair table")
        elif cfg.max_distance_km is not None and dist[i] > cfg.max_distance_km:
            out.append(f"out of reach: {dist[i]:.1f} km > limit {cfg.max_distance_km:g} km")
        elif not skills_ok[i]:
            held = {k for k, _ in scenario.cadres["skills"].iat[c]}
            lacking = [x for x in (needs[f][:1] if cfg.require_skills == "primary" else needs[f])
                       if x not in held]
            out.append("lacks the skill " + ", ".join(category_label(x) for x in lacking))
        else:
            why = exclusion_reason(scenario, c, f)
            if why is None and getattr(scenario.config, "roads", None) is not None:
                why = "out of reach by road (the scenario's travel limits)"
            out.append(why or "excluded by the scenario's rules")
    return out


def _distances(scenario: Scenario, f: np.ndarray) -> np.ndarray:
    """Great-circle km from each of the firms ``f`` to every cadre (len(f) x m)."""
    c, fr = scenario.cadres, scenario.firms
    return haversine_km(fr["lat"].to_numpy(float)[f][:, None], fr["lon"].to_numpy(float)[f][:, None],
                        c["lat"].to_numpy(float)[None, :], c["lon"].to_numpy(float)[None, :])


def _inadmissible_frame(sc: Scenario, cand: Candidates, f: np.ndarray, own_km: np.ndarray,
                        top: int, want_c: np.ndarray) -> pd.DataFrame:
    """For firms ``f`` served at ``own_km``: nearer cadres that may not serve them (at most
    ``top`` each) and the named cadres ``want_c`` that may not, with why."""
    m = len(sc.cadres)
    cols = ["firm_id", "rank", "cadre_id", "cadre_name", "distance_km", "cost", "extra_cost",
            "admissible", "why", "uncovers", "status"]
    if len(f) == 0 or sc.cadres["lat"].isna().any() or sc.firms["lat"].isna().any():
        return pd.DataFrame(columns=cols)
    adm = np.sort(cand.firm.astype(np.int64) * m + cand.cadre)

    def admissible(keys: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(adm, keys), max(len(adm) - 1, 0))
        return (adm[pos] == keys) if len(adm) else np.zeros(keys.shape, bool)

    rows_f, rows_c, rows_d = [], [], []
    named = want_c if len(want_c) < m else np.zeros(0, np.int64)
    kk = min(top + 1, m)
    for s in range(0, len(f), 2048):
        ff = f[s:s + 2048]
        d = _distances(sc, ff)
        own_d = np.nan_to_num(np.asarray(own_km, float)[s:s + 2048], nan=np.inf)
        near = (np.argpartition(d, kk - 1, axis=1)[:, :kk] if kk < m
                else np.tile(np.arange(m), (len(ff), 1)))
        near = np.take_along_axis(near, np.argsort(np.take_along_axis(d, near, 1), 1), 1)
        nd = np.take_along_axis(d, near, 1)
        bad = (nd < own_d[:, None]) & ~admissible(ff[:, None].astype(np.int64) * m + near)
        take = bad & (np.cumsum(bad, axis=1) <= top)
        r, k = np.nonzero(take)
        rows_f.append(ff[r])
        rows_c.append(near[r, k])
        rows_d.append(nd[r, k])
        if len(named):
            grid = ff[:, None].astype(np.int64) * m + named[None, :]
            r2, k2 = np.nonzero(~admissible(grid))
            rows_f.append(ff[r2])
            rows_c.append(named[k2])
            rows_d.append(d[r2, named[k2]])
    if not rows_f:
        return pd.DataFrame(columns=cols)
    fi, ci = np.concatenate(rows_f), np.concatenate(rows_c)
    dist = np.concatenate(rows_d)
    key = fi.astype(np.int64) * m + ci
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    fi, ci, dist = fi[first], ci[first], dist[first]
    return pd.DataFrame({
        "firm_id": sc.firms["id"].to_numpy()[fi], "rank": np.zeros(len(fi), np.int64),
        "cadre_id": sc.cadres["id"].to_numpy()[ci], "cadre_name": sc.cadres["name"].to_numpy()[ci],
        "distance_km": np.round(dist, 4), "cost": np.nan, "extra_cost": np.nan,
        "admissible": False, "why": why_not(sc, ci, fi, dist), "uncovers": "", "status": "",
    }, columns=cols)


def _no_cadre_text(sc: Scenario, f: int, reason: str, cfg) -> str:
    limit = cfg.max_distance_km
    if sc.cadres["lat"].isna().any() or pd.isna(sc.firms["lat"].iat[f]):
        return REASONS[reason]
    d = _distances(sc, np.array([f]))[0]
    if reason == "no_cadre_with_skill" and cfg.require_skills != "none":
        from ..candidates import PairRules

        rules = PairRules.of(sc)
        ok = rules.keep(np.arange(len(d)), np.full(len(d), f))
        if not ok.any():
            return "no cadre holds the skill it needs"
        c = int(np.argmin(np.where(ok, d, np.inf)))
        where = (f"within {limit:g} km" if limit is not None else
                 "among the cadres the pair table lists" if sc.pairs is not None else "in reach")
        return (f"no cadre holds the skill {where}; the nearest who does is "
                f"{sc.cadres['id'].iat[c]} at {d[c]:.1f} km")
    if reason == "no_cadre_in_reach" and limit is not None:
        c = int(np.argmin(d))
        return f"no cadre within {limit:g} km; the nearest is {sc.cadres['id'].iat[c]} at {d[c]:.1f} km"
    return REASONS[reason]
