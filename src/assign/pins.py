"""Pinned pairs as fixed flow: the pinned firms leave the problem, their cadres' limits shrink.

Fixing a pair's flow at one is exact for every backend: the rest of the plan is the optimum
of the remaining firms under the cadres' remaining count and workload limits, and the
pinned pairs are added back. Pins beyond the distance or skill limits are kept (the planner
decided) with a warning; pins that no plan can hold are reported by :mod:`assign.conflicts`
before solving.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .candidates import Candidates, PairRules, pair_load, road_values
from .errors import ScenarioWarning
from .geo import haversine_km
from .rules import rule_label

if TYPE_CHECKING:
    from .io.scenario import Scenario


@dataclass(frozen=True)
class Pins:
    """A scenario split into its pinned pairs and the rest.

    Attributes:
        sub: The scenario without the pinned firms, cadres' limits reduced by their pins.
        keep_firms: Index (in the full scenario) of each firm of ``sub``.
        pinned: The pinned pairs as candidates (full scenario indices).
        count: Pinned firms per cadre.
        load: Pinned weekly hours per cadre.
    """

    sub: Scenario
    keep_firms: np.ndarray
    pinned: Candidates
    count: np.ndarray
    load: np.ndarray

    @property
    def any(self) -> bool:
        return len(self.pinned) > 0

    def restrict(self, cand: Candidates) -> Candidates:
        """The pairs of ``cand`` (the whole scenario's) whose firms are not pinned, indexed in
        :attr:`sub`; each firm keeps the reason it has in the whole scenario (a firm only a
        pinned, full cadre may serve is short of capacity, not of skills)."""
        if not self.any:
            return cand
        n = len(cand.reason)
        new_index = np.full(n, -1, np.int64)
        new_index[self.keep_firms] = np.arange(len(self.keep_firms))
        keep = new_index[cand.firm] >= 0

        def take(a):
            return None if a is None else a[keep]

        return Candidates(cand.cadre[keep], new_index[cand.firm[keep]].astype(np.int32),
                          cand.distance_km[keep], cand.skill_match[keep], cand.cost[keep],
                          take(cand.load), cand.reason[self.keep_firms], take(cand.crow_km),
                          take(cand.travel_min), cand.by_road)

    def merge(self, cand: Candidates, chosen: np.ndarray) -> tuple[Candidates, np.ndarray]:
        """Candidates of the full scenario (``sub``'s, then the pins) and the chosen pairs."""
        if not self.any:
            return cand, chosen
        n = len(self.keep_firms) + len(self.pinned)
        reason = np.full(n, "", dtype=object)
        reason[self.keep_firms] = cand.reason
        p = self.pinned
        load = None
        if cand.load is not None:
            load = np.concatenate([cand.load, p.load])
        full = Candidates(
            np.concatenate([cand.cadre, p.cadre]).astype(np.int32),
            np.concatenate([self.keep_firms[cand.firm], p.firm]).astype(np.int32),
            np.concatenate([cand.distance_km, p.distance_km]),
            np.concatenate([cand.skill_match, p.skill_match]),
            np.concatenate([cand.cost, p.cost]), load, reason,
            *_road_columns(cand, p))
        picked = np.concatenate([np.asarray(chosen, np.int64),
                                 np.arange(len(cand), len(cand) + len(p), dtype=np.int64)])
        return full, picked


def _road_columns(cand: Candidates, pins: Candidates) -> tuple:
    """crow_km, travel_min and by_road of the merged candidates (by road when both are)."""
    if not (cand.by_road and pins.by_road):
        return None, None, False
    return (np.concatenate([cand.crow_km, pins.crow_km]),
            np.concatenate([cand.travel_min, pins.travel_min]), True)


def pinned_candidates(scenario) -> Candidates:
    """The pinned pairs with distance, skill match, cost and load, as :class:`Candidates`."""
    pins = scenario.pinned
    cadres, firms = scenario.cadres, scenario.firms
    if pins is None or len(pins) == 0:
        e = np.zeros(0)
        return Candidates(e.astype(np.int32), e.astype(np.int32), e, e, e, e,
                          np.zeros(len(firms), dtype=object))
    i = pd.Index(cadres["id"]).get_indexer(pins["cadre_id"]).astype(np.int32)
    j = pd.Index(firms["id"]).get_indexer(pins["firm_id"]).astype(np.int32)
    dist = haversine_km(cadres["lat"].to_numpy(float)[i], cadres["lon"].to_numpy(float)[i],
                        firms["lat"].to_numpy(float)[j], firms["lon"].to_numpy(float)[j])
    rules = PairRules.of(scenario)
    match = rules.skill_match(i, j)
    crow = minutes = None
    road = road_values(scenario, i, j)  # by road when the scenario has roads
    if road is not None:
        crow, (dist, minutes) = dist, road
    elif scenario.config.assignment.objective == "travel_time":  # as the pair table does
        minutes = np.nan_to_num(dist) / scenario.config.assignment.load.speed_kmh * 60.0
    basis = minutes if minutes is not None and scenario.config.assignment.objective == \
        "travel_time" else dist
    cost = rules.cost(np.nan_to_num(basis), match)
    load = pair_load(scenario, i, j, dist, minutes)
    if scenario.pairs is not None:  # a pairs table gives cost and load where it lists the pin
        given = scenario.pairs.set_index(["cadre_id", "firm_id"])
        key = pd.MultiIndex.from_arrays([pins["cadre_id"], pins["firm_id"]])
        pos = given.index.get_indexer(key)
        has = pos >= 0
        if scenario.config.assignment.objective == "cost":
            cost = np.where(has, given["cost"].to_numpy(float)[np.maximum(pos, 0)], cost)
        if "load" in given:  # a pair table without loads: the load model's estimate
            gl = given["load"].to_numpy(float)[np.maximum(pos, 0)]
            load = np.where(has & ~np.isnan(gl), gl, load)
    return Candidates(i, j, np.nan_to_num(dist, nan=np.nan), match, np.asarray(cost, float),
                      np.asarray(load, float), np.full(len(firms), "", dtype=object),
                      crow, minutes if road is not None else None, road is not None)


def warn_pins(scenario, pinned: Candidates) -> None:
    """Warn about pins beyond the distance limit or without the required skills."""
    if len(pinned) == 0:
        return
    cfg = scenario.config.assignment
    label = rule_label(scenario, "pinned")
    lines = scenario.pinned["line"].to_numpy()
    ids_c, ids_f = scenario.cadres["id"].to_numpy(), scenario.firms["id"].to_numpy()
    notes = []
    if cfg.max_distance_km is not None:
        far = np.flatnonzero(pinned.distance_km > cfg.max_distance_km)
        notes += [(k, f"{pinned.distance_km[k]:.1f} km apart, beyond max_distance_km "
                      f"{cfg.max_distance_km:g}") for k in far]
    skill_ok = PairRules.of(scenario).keep(pinned.cadre, pinned.firm)
    unusable = scenario.cadres["max_firms"].fillna(np.inf).to_numpy()[pinned.cadre] <= 0
    notes += [(k, f"the cadre lacks the skills require_skills '{cfg.require_skills}' asks for")
              for k in np.flatnonzero(~skill_ok & ~unusable)]
    for k, text in sorted(notes)[:20]:
        warnings.warn(f"{label}, line {int(lines[k])}: pin {ids_c[pinned.cadre[k]]} - "
                      f"{ids_f[pinned.firm[k]]} is {text}; kept as pinned",
                      ScenarioWarning, stacklevel=3)


def split_pins(scenario) -> Pins:
    """Split off the pinned pairs (assumes :func:`assign.conflicts.pin_conflicts` found none)."""
    m, n = len(scenario.cadres), len(scenario.firms)
    pinned = pinned_candidates(scenario)
    count = np.bincount(pinned.cadre, minlength=m).astype(np.int64)
    load = np.bincount(pinned.cadre, weights=pinned.load, minlength=m) if len(pinned) else (
        np.zeros(m))
    if len(pinned) == 0:
        return Pins(scenario, np.arange(n), pinned, count, load)
    warn_pins(scenario, pinned)
    keep = np.ones(n, dtype=bool)
    keep[pinned.firm] = False
    keep_firms = np.flatnonzero(keep)
    cadres = scenario.cadres.copy()
    cadres["max_firms"] = cadres["max_firms"] - count
    cadres["max_workload"] = (cadres["max_workload"] - load).clip(lower=0)
    firms = scenario.firms.iloc[keep_firms].reset_index(drop=True)
    pairs = scenario.pairs
    if pairs is not None:
        pairs = pairs[pairs["firm_id"].isin(firms["id"])].reset_index(drop=True)
    sub = replace(scenario, cadres=cadres, firms=firms, pairs=pairs, pinned=None)
    return Pins(sub, keep_firms, pinned, count, load)
