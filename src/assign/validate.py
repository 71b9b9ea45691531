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
    unknown = [c for c in pairs["cadre_id"] if c not in cadres.index]
    unknown += [f for f in pairs["firm_id"] if f not in firms.index]
    if unknown:
        return [f"unknown ids in the plan: {', '.join(map(str, unknown[:limit]))}"]
    twice = pairs["firm_id"][pairs["firm_id"].duplicated()].tolist()
    out += [f"firm {f} has more than one cadre" for f in twice]
    held = set(zip(pairs["cadre_id"], pairs["firm_id"], strict=True))
    pinned = set()
    if s.pinned is not None:
        pinned = set(zip(s.pinned["cadre_id"], s.pinned["firm_id"], strict=True))
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
    """Admissibility of every pair that is not pinned, re-derived from the tables."""
    s = problem.scenario
    a = s.config.assignment
    out: list[str] = []
    cadres = s.cadres.set_index("id")
    firms = s.firms.set_index("id")
    listed = given_min = given_cost = None
    if s.pairs is not None:
        keys = list(zip(s.pairs["cadre_id"], s.pairs["firm_id"], strict=True))
        listed = set(keys)
        given_cost = dict(zip(keys, s.pairs["cost"], strict=True))
        if "travel_min" in s.pairs:
            given_min = dict(zip(keys, s.pairs["travel_min"], strict=True))
    forbidden = set()
    if s.forbidden is not None:
        forbidden = set(zip(s.forbidden["cadre_id"], s.forbidden["firm_id"], strict=True))
    by_road = "travel_min" in pairs and "crow_km" in pairs
    for row in pairs.itertuples(index=False):
        c, f = row.cadre_id, row.firm_id
        if (c, f) in pinned:
            continue
        what = f"pair {c} - {f}"
        cr, fr = cadres.loc[c], firms.loc[f]
        if listed is not None and (c, f) not in listed:
            out.append(f"{what} is not in the pair table")
        km = float(_km(cr["lat"], cr["lon"], fr["lat"], fr["lon"]))
        road_km = float(row.distance_km) if by_road else km
        if a.max_distance_km is not None and not road_km <= a.max_distance_km + 1e-9:
            out.append(f"{what} is {road_km:.3f} km apart, beyond max_distance_km "
                       f"{a.max_distance_km:g}")
        if a.max_travel_min is not None:
            minutes = km / a.load.speed_kmh * 60.0
            if by_road:
                minutes = float(row.travel_min)
            elif given_min is not None and not pd.isna(given_min.get((c, f), np.nan)):
                minutes = float(given_min[(c, f)])
            if not minutes <= a.max_travel_min + 1e-6:
                out.append(f"{what} is {minutes:.1f} minutes apart, beyond max_travel_min "
                           f"{a.max_travel_min:g}")
        skills, needs = _keys(cr["skills"]), list(fr["needs"])
        if a.require_skills == "primary" and needs and needs[0] not in skills:
            out.append(f"{what}: the cadre lacks the firm's first need {needs[0]}")
        if a.require_skills == "all" and not set(needs) <= skills:
            out.append(f"{what}: the cadre lacks needs {sorted(set(needs) - skills)}")
        if not pd.isna(cr["max_firms"]) and cr["max_firms"] <= 0:
            out.append(f"{what}: the cadre takes no firms (max_firms {cr['max_firms']:g})")
        if (c, f) in forbidden:
            out.append(f"{what} is forbidden")
        for rule in a.conflicts:
            cv, fv = str(cr.get(rule.cadre, "")), str(fr.get(rule.firm, ""))
            if cv and cv != "nan" and cv == fv:
                out.append(f"{what}: {rule.cadre} equals the firm's {rule.firm} ({cv})")
        if given_cost is not None and a.objective == "cost" and (c, f) in given_cost:
            if abs(float(given_cost[(c, f)]) - float(row.cost)) > TOL:
                out.append(f"{what} costs {row.cost:g} in the plan but {given_cost[(c, f)]:g} "
                           "in the pair table")
        elif a.objective == "distance" and abs(round(road_km, 3) - float(row.cost)) > 1e-3 + TOL:
            out.append(f"{what} costs {row.cost:g} in the plan but is {road_km:.3f} km")
    return out


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
