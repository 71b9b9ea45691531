"""An independent check of a plan against every rule of its :class:`~assign.problem.Problem`.

:func:`check_plan` does not use the solvers' code or their pair table: it re-derives each
rule from the scenario's own tables and settings (km from coordinates, minutes from the pair
table or the load speed, skills from the rosters, exclusions from the rule tables) and
recomputes the objective from the plan's pairs. ``solve`` runs it on every plan before
reporting it; a plan that fails is reported with status ``rejected``, never ``optimal`` or
``feasible``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .pairing import Pairing
    from .problem import Problem

TOL = 1e-6
"""Slack allowed on sums of hours and costs (they are sums of floats)."""


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin((np.radians(lon2) - np.radians(lon1)) / 2) ** 2)
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def _keys(items) -> set[str]:
    return {t[0] if isinstance(t, tuple) else t for t in items}


def check_plan(problem: Problem, pairing: Pairing, limit: int = 20) -> list[str]:
    """The rules ``pairing`` breaks, in words (empty when it holds every one).

    Checks: known ids, each firm at most once, every pin held, every other pair admissible
    (pair table, distance and travel limits, skills, cadres that take firms, forbidden pairs,
    conflict rules), count and workload limits, the cadre budget, the cap on changes, each
    pair's cost, the objective as the sum of the pairs' costs, and the bound below it.
    """
    s = problem.scenario
    a = s.config.assignment
    pairs = pairing.pairs
    out: list[str] = []
    cadres = s.cadres.set_index("id")
    firms = s.firms.set_index("id")
    unknown = pairs["cadre_id"][~pairs["cadre_id"].isin(cadres.index)].tolist()
    unknown += pairs["firm_id"][~pairs["firm_id"].isin(firms.index)].tolist()
    if unknown:
        return [f"unknown ids in the plan: {', '.join(map(str, unknown[:limit]))}"]
    twice = pairs["firm_id"][pairs["firm_id"].duplicated()].tolist()
    out += [f"firm {f} has more than one cadre" for f in twice]
    pinned = set()
    if s.pinned is not None:
        pinned = set(zip(s.pinned["cadre_id"], s.pinned["firm_id"], strict=True))
    held = set(zip(pairs["cadre_id"], pairs["firm_id"], strict=True)) if pinned else set()
    out += [f"pin {c} - {f} is not in the plan" for c, f in sorted(pinned - held)]
    if a.mode != "teams":
        out += _pair_rules(problem, pairs, pinned)
    counts = pairs["cadre_id"].value_counts()
    for c, k in counts.items():
        cap = cadres.at[c, "max_firms"]
        if not pd.isna(cap) and k > cap:
            out.append(f"cadre {c} has {k} firms, more than max_firms {cap:g}")
    if "load" in pairs:
        hours = pairs.groupby("cadre_id")["load"].sum()
        for c, h in hours.items():
            cap = cadres.at[c, "max_workload"]
            if not pd.isna(cap) and h > cap + TOL:
                out.append(f"cadre {c} has {h:.6g} hours a week, more than max_workload {cap:g}")
    if a.max_cadres is not None and len(counts) > a.max_cadres:
        out.append(f"{len(counts)} cadres in use, more than max_cadres {a.max_cadres}")
    if problem.previous is not None and a.max_changes is not None:
        changes = count_changes(problem, pairs)
        if changes > a.max_changes:
            out.append(f"{changes} firms change cadre, more than max_changes {a.max_changes}")
    total = float(pairs["cost"].sum())
    if abs(total - float(pairing.objective)) > TOL * max(1.0, abs(total)):
        out.append(f"objective {pairing.objective:.9g} is not the sum of the pairs' costs "
                   f"{total:.9g}")
    if pairing.status in ("optimal", "feasible") and pairing.bound > total + TOL * max(1, total):
        out.append(f"bound {pairing.bound:.9g} is above the plan's cost {total:.9g}")
    return out[:limit] if len(out) > limit else out


def count_changes(problem: Problem, pairs: pd.DataFrame) -> int:
    """Firms of the scenario that had a cadre in the previous plan and do not keep it."""
    if problem.previous is None:
        return 0
    now = dict(zip(pairs["firm_id"], pairs["cadre_id"], strict=True))
    firms = set(problem.scenario.firms["id"])
    return sum(1 for c, f in zip(problem.previous["cadre_id"], problem.previous["firm_id"],
                                 strict=True) if f in firms and now.get(f) != c)


def _pair_rules(problem: Problem, pairs: pd.DataFrame, pinned: set) -> list[str]:
    """Admissibility of every pair that is not pinned, re-derived from the tables.

    Column by column over the plan's pairs (a province's plan has millions); the messages
    come in the plan's order, each pair's in the order of the checks."""
    s = problem.scenario
    a = s.config.assignment
    if pinned:
        free = np.array([(c, f) not in pinned for c, f in
                         zip(pairs["cadre_id"], pairs["firm_id"], strict=True)], dtype=bool)
        pairs = pairs[free]
    pairs = pairs.reset_index(drop=True)
    if pairs.empty:
        return []
    cr = s.cadres.iloc[pd.Index(s.cadres["id"]).get_indexer(pairs["cadre_id"])]
    fr = s.firms.iloc[pd.Index(s.firms["id"]).get_indexer(pairs["firm_id"])]
    cr, fr = cr.reset_index(drop=True), fr.reset_index(drop=True)
    key = pd.MultiIndex.from_arrays([pairs["cadre_id"], pairs["firm_id"]])
    found: list[tuple[int, int, str]] = []  # (pair, check, message)

    def report(check: int, bad: np.ndarray, text) -> None:
        for r in np.flatnonzero(bad):
            found.append((int(r), check, f"pair {pairs.at[r, 'cadre_id']} - "
                                        f"{pairs.at[r, 'firm_id']}{text(r)}"))

    given = None
    if s.pairs is not None:
        given = s.pairs.set_index(["cadre_id", "firm_id"])
        given = given[~given.index.duplicated(keep="last")]
        report(0, ~key.isin(given.index), lambda r: " is not in the pair table")
    km = _km(cr["lat"].to_numpy(float), cr["lon"].to_numpy(float),
             fr["lat"].to_numpy(float), fr["lon"].to_numpy(float))
    by_road = "travel_min" in pairs and "crow_km" in pairs
    road_km = pairs["distance_km"].to_numpy(float) if by_road else km
    if a.max_distance_km is not None:
        report(1, ~(road_km <= a.max_distance_km + 1e-9),
               lambda r: f" is {road_km[r]:.3f} km apart, beyond max_distance_km "
                         f"{a.max_distance_km:g}")
    if a.max_travel_min is not None:
        minutes = km / a.load.speed_kmh * 60.0
        if by_road:
            minutes = pairs["travel_min"].to_numpy(float)
        elif given is not None and "travel_min" in given:
            listed = given["travel_min"].reindex(key).to_numpy(float)
            minutes = np.where(np.isnan(listed), minutes, listed)
        report(2, ~(minutes <= a.max_travel_min + 1e-6),
               lambda r: f" is {minutes[r]:.1f} minutes apart, beyond max_travel_min "
                         f"{a.max_travel_min:g}")
    if a.require_skills in ("primary", "all"):
        skills = [_keys(k) for k in cr["skills"]]
        needs = [list(n) for n in fr["needs"]]
        if a.require_skills == "primary":
            report(3, np.array([bool(n) and n[0] not in k for k, n in
                                zip(skills, needs, strict=True)], dtype=bool),
                   lambda r: f": the cadre lacks the firm's first need {needs[r][0]}")
        else:
            report(3, np.array([not set(n) <= k for k, n in zip(skills, needs, strict=True)],
                               dtype=bool),
                   lambda r: f": the cadre lacks needs {sorted(set(needs[r]) - skills[r])}")
    mf = cr["max_firms"].to_numpy(float)
    report(4, ~np.isnan(mf) & (mf <= 0),
           lambda r: f": the cadre takes no firms (max_firms {mf[r]:g})")
    if s.forbidden is not None:
        banned = pd.MultiIndex.from_arrays([s.forbidden["cadre_id"], s.forbidden["firm_id"]])
        report(5, key.isin(banned), lambda r: " is forbidden")
    for rule in a.conflicts:
        if rule.cadre not in cr or rule.firm not in fr:
            continue
        cv, fv = cr[rule.cadre].astype(str), fr[rule.firm].astype(str)
        clash = ((cv != "") & (cv != "nan") & (cv == fv)).to_numpy()
        report(6, clash, lambda r, rule=rule, cv=cv: f": {rule.cadre} equals the firm's "
                                                     f"{rule.firm} ({cv.iat[r]})")
    cost = pairs["cost"].to_numpy(float)
    if given is not None and a.objective == "cost":
        listed_cost = given["cost"].reindex(key).to_numpy(float)
        report(7, ~np.isnan(listed_cost) & (np.abs(listed_cost - cost) > TOL),
               lambda r: f" costs {cost[r]:g} in the plan but {listed_cost[r]:g} "
                         "in the pair table")
    elif a.objective == "distance":
        report(7, np.abs(np.round(road_km, 3) - cost) > 1e-3 + TOL,
               lambda r: f" costs {cost[r]:g} in the plan but is {road_km[r]:.3f} km")
    return [m for _, _, m in sorted(found, key=lambda x: (x[0], x[1]))]


def plan_key(problem: Problem, pairs: pd.DataFrame) -> tuple:
    """The plan's place in the lexicographic objective, smaller is better: firms left
    uncovered per priority level (highest first), then with ``balance`` the largest load,
    then against a previous plan the changes (when ``change_cost`` is not set), then the cost
    (with ``change_cost`` per change). Rounded to 1e-6 so that sums of floats compare."""
    s = problem.scenario
    a = s.config.assignment
    priority = s.firms.set_index("id")["priority"]
    levels = sorted(set(s.firms["priority"]), reverse=True)
    got = priority.reindex(pairs["firm_id"]).value_counts()
    key: list[float] = [-int(got.get(v, 0)) for v in levels]
    if a.balance == "firms":
        key.append(float(pairs["cadre_id"].value_counts().max()) if len(pairs) else 0.0)
    elif a.balance == "workload":
        key.append(round(float(pairs.groupby("cadre_id")["load"].sum().max()), 6)
                   if len(pairs) else 0.0)
    changes = count_changes(problem, pairs)
    price = float(pairs["cost"].sum())
    if problem.previous is not None:
        if a.change_cost is None:
            key.append(changes)
        else:
            price += a.change_cost * changes
    key.append(round(price, 6))
    return tuple(key)
