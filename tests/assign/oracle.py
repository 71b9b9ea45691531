"""An enumeration oracle for tiny assignment scenarios, written independently of ``assign``.

It reads the same plain tables a test hands to ``build_scenario`` and decides, by listing
every plan (each firm: one cadre or none), what the optimum is under the documented rules:

1. a pair is admissible when the pair table lists it (if there is one), it is within
   ``max_distance_km`` (great-circle km) and ``max_travel_min`` (the pair table's minutes, else
   km at the load speed), the cadre holds the skills ``require_skills`` asks for, the cadre
   takes firms at all (``max_firms`` > 0), and no forbidden pair or conflict rule excludes it;
   pinned pairs are in every plan whatever these limits say;
2. every cadre within ``max_firms`` (``max_firms_per_cadre`` for blanks; 1 in one_to_one) and
   ``max_workload``; at most ``max_cadres`` cadres in use; at most ``max_changes`` changes;
3. cover as many firms as possible, higher priority first; then (``balance``) the smallest
   largest load (firms or hours over every cadre); then fewest changes (or the cost of
   changes at ``change_cost``); then least total cost.

A change is a firm that had a cadre in the previous plan (one still in the roster or not)
and does not keep it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

R_EARTH = 6371.0088


def km(lat1, lon1, lat2, lon2):
    """Great-circle km (haversine), written here rather than taken from assign."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(a))


@dataclass
class Case:
    """A tiny scenario as plain tables and settings."""

    cadres: pd.DataFrame
    firms: pd.DataFrame
    assignment: dict = field(default_factory=dict)
    pairs: pd.DataFrame | None = None
    pinned: pd.DataFrame | None = None
    forbidden: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None


@dataclass
class Answer:
    status: str  # "optimal" or "infeasible"
    covered: tuple = ()  # covered firms per priority level, highest first
    key: tuple = ()
    cost: float = 0.0
    plans: list = field(default_factory=list)  # every optimal plan (firm -> cadre index, -1)
    admissible: np.ndarray | None = None
    cost_matrix: np.ndarray | None = None
    load_matrix: np.ndarray | None = None


def matrices(case: Case):
    """Admissible mask, cost, load, minutes and km of every cadre x firm pair."""
    c, f, a = case.cadres, case.firms, case.assignment
    m, n = len(c), len(f)
    d = km(c["lat"].to_numpy(float)[:, None], c["lon"].to_numpy(float)[:, None],
           f["lat"].to_numpy(float)[None, :], f["lon"].to_numpy(float)[None, :])
    speed = 30.0
    minutes = d / speed * 60.0
    listed = np.ones((m, n), bool)
    given_cost = np.full((m, n), np.nan)
    given_load = np.full((m, n), np.nan)
    cid = {x: i for i, x in enumerate(c["id"])}
    fid = {x: j for j, x in enumerate(f["id"])}
    if case.pairs is not None:
        listed[:] = False
        for r in case.pairs.itertuples():
            i, j = cid[r.cadre_id], fid[r.firm_id]
            listed[i, j] = True
            given_cost[i, j] = r.cost
            if "load" in case.pairs and not pd.isna(r.load):
                given_load[i, j] = r.load
            if "travel_min" in case.pairs and not pd.isna(r.travel_min):
                minutes[i, j] = r.travel_min
    ok = listed.copy()
    if a.get("max_distance_km") is not None:
        ok &= d <= a["max_distance_km"]
    if a.get("max_travel_min") is not None:
        ok &= minutes <= a["max_travel_min"]
    skills = [set(s.split(";")) - {""} for s in c.get("skills", pd.Series([""] * m))]
    needs = [[x for x in s.split(";") if x] for s in f.get("needs", pd.Series([""] * n))]
    req = a.get("require_skills", "none")
    match = np.ones((m, n))
    for i in range(m):
        for j in range(n):
            nd = needs[j]
            if nd:
                match[i, j] = sum(x in skills[i] for x in nd) / len(nd)
            if req == "primary" and nd and nd[0] not in skills[i]:
                ok[i, j] = False
            if req == "all" and any(x not in skills[i] for x in nd):
                ok[i, j] = False
    caps = caps_of(case)
    ok &= (caps > 0)[:, None]
    ok &= ~exclusions(case)
    objective = a.get("objective", "distance")
    gap = a.get("skill_gap_km", 10.0)
    if objective == "cost":
        cost = np.where(np.isnan(given_cost), np.round(d + gap * (1 - match), 3), given_cost)
    else:
        cost = np.round(d, 3)
    # the load model at its default settings: a visit a week there and back at 30 km/h plus
    # an hour, and 0.13 issues a week at 4 hours each, divided by the cadre's proficiency in
    # the firm's needs (1 for a skill held, 0.5 for one not held; 1 without needs)
    prof = np.ones((m, n))
    for i in range(m):
        for j in range(n):
            if needs[j]:
                prof[i, j] = np.mean([1.0 if x in skills[i] else 0.5 for x in needs[j]])
    load = 1.0 * (2 * d / speed + 1.0) + 0.13 * 4.0 / prof
    load = np.where(np.isnan(given_load), np.round(load, 6), given_load)
    return ok, cost, load, d


def exclusions(case: Case) -> np.ndarray:
    """Pairs a forbidden pair or a conflict-of-interest rule excludes."""
    c, f = case.cadres, case.firms
    out = np.zeros((len(c), len(f)), bool)
    cid = {x: i for i, x in enumerate(c["id"])}
    fid = {x: j for j, x in enumerate(f["id"])}
    if case.forbidden is not None:
        for r in case.forbidden.itertuples():
            out[cid[r.cadre_id], fid[r.firm_id]] = True
    for rule in case.assignment.get("conflicts", []):
        cv = c[rule["cadre"]].astype(str).to_numpy()
        fv = f[rule["firm"]].astype(str).to_numpy()
        out |= (cv[:, None] == fv[None, :]) & (cv[:, None] != "")
    return out


def caps_of(case: Case) -> np.ndarray:
    a = case.assignment
    mf = pd.to_numeric(case.cadres.get("max_firms", pd.Series([np.nan] * len(case.cadres))),
                       errors="coerce").to_numpy(float)
    if a.get("mode", "one_to_one") == "one_to_one":
        return np.where(np.isnan(mf), 1, np.minimum(mf, 1))
    if a.get("max_firms_per_cadre") is not None:
        mf = np.where(np.isnan(mf), a["max_firms_per_cadre"], mf)
    return np.where(np.isnan(mf), np.inf, mf)


def all_plans(m: int, n: int) -> np.ndarray:
    """Every plan as rows (firm -> cadre index or -1)."""
    grids = np.meshgrid(*[np.arange(-1, m)] * n, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def solve(case: Case, forced: tuple[int, int] | None = None) -> Answer:
    """The optimum by enumeration (``forced``: a (cadre, firm) pair every plan must hold)."""
    a = case.assignment
    c, f = case.cadres, case.firms
    m, n = len(c), len(f)
    ok, cost, load, _ = matrices(case)
    excluded = exclusions(case)
    caps = caps_of(case)
    work = pd.to_numeric(c.get("max_workload", pd.Series([np.nan] * m)),
                         errors="coerce").to_numpy(float)
    cid = {x: i for i, x in enumerate(c["id"])}
    fid = {x: j for j, x in enumerate(f["id"])}
    pin = np.full(n, -1)
    if case.pinned is not None:
        for r in case.pinned.itertuples():
            pin[fid[r.firm_id]] = cid[r.cadre_id]
    for j in np.flatnonzero(pin >= 0):  # a pin on an excluded pair: the rules conflict
        if excluded[pin[j], j]:
            return Answer("infeasible")
    P = all_plans(m, n)
    on = P >= 0
    safe = np.where(on, P, 0)
    cols = np.arange(n)[None, :]
    good = np.all(~on | ok[safe, cols] | (P == pin[None, :]), axis=1)
    good &= np.all((pin[None, :] < 0) | (P == pin[None, :]), axis=1)
    if forced is not None:
        good &= P[:, forced[1]] == forced[0]
    counts = np.stack([(P == i).sum(axis=1) for i in range(m)], axis=1)
    pl = np.where(on, load[safe, cols], 0.0)
    loads = np.stack([np.where(P == i, pl, 0).sum(axis=1) for i in range(m)], axis=1)
    good &= np.all(counts <= caps[None, :], axis=1)
    wk = np.where(np.isnan(work), np.inf, work)
    good &= np.all(loads <= wk[None, :] + 1e-9, axis=1)
    if a.get("max_cadres") is not None:
        good &= (counts > 0).sum(axis=1) <= a["max_cadres"]
    changes = np.zeros(len(P), int)
    if case.previous is not None:
        prev = np.full(n, -2)  # -2: no previous cadre
        for r in case.previous.itertuples():
            if r.firm_id in fid:
                prev[fid[r.firm_id]] = cid.get(r.cadre_id, -3)  # -3: a cadre who left
        had = prev != -2
        changes = (had[None, :] & (P != prev[None, :])).sum(axis=1)
        if a.get("max_changes") is not None:
            good &= changes <= a["max_changes"]
    if not good.any():
        return Answer("infeasible")
    pri = pd.to_numeric(f.get("priority", pd.Series([np.nan] * n)),
                        errors="coerce").fillna(0).to_numpy(int)
    levels = sorted(set(pri), reverse=True)
    cover = np.stack([(on & (pri == lv)[None, :]).sum(axis=1) for lv in levels], axis=1)
    total = np.where(on, cost[safe, cols], 0.0).sum(axis=1)
    balance = a.get("balance", "none")
    top = np.zeros(len(P))
    if balance == "firms":
        top = counts.max(axis=1).astype(float)
    elif balance == "workload":
        top = np.round(loads.max(axis=1), 6)
    cc = a.get("change_cost")
    price = total + (cc * changes if cc is not None else 0.0)
    fewest = changes if (case.previous is not None and cc is None) else np.zeros(len(P), int)
    idx = np.flatnonzero(good)
    keys = [tuple(-cover[k]) + (top[k], fewest[k]) for k in idx]
    best_key = min(keys)
    tied = [k for k, kk in zip(idx, keys, strict=True) if kk == best_key]
    best_price = min(price[k] for k in tied)
    plans = [P[k] for k in tied if price[k] <= best_price + 1e-6]
    if n > 0 and cover[tied[0]].sum() == 0:  # a plan covering nothing is reported infeasible
        return Answer("infeasible")
    k0 = next(k for k in tied if price[k] <= best_price + 1e-6)
    return Answer("optimal", tuple(int(x) for x in cover[k0]), best_key, float(best_price),
                  plans, ok, cost, load)


def within(x: float, y: float, tol: float = 1e-6) -> bool:
    return math.isclose(x, y, rel_tol=0, abs_tol=tol)
