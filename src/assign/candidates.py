"""The pair table: every admissible (cadre, firm) pair with its cost and load.

Built with vectorised numpy (no Python object per pair): a k-d tree on unit vectors
finds the pairs within the distance limit, bit masks check skills.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .categories import CATEGORY_INDEX, CATEGORY_KEYS
from .geo import haversine_km, pairs_within
from .io.scenario import Scenario
from .solvers.coverage import LOAD_DECIMALS

MASK = np.int32 if len(CATEGORY_KEYS) < 31 else np.int64
"""Integer type of skill bit masks (one bit per category)."""

DENSE_LIMIT = 20_000_000
"""Most cadre x firm pairs enumerated without a distance limit."""

UNSKILLED_PROFICIENCY = 0.5
"""Proficiency assumed for a category the cadre does not hold (effort doubles)."""

REASONS = {
    "no_cadre_in_reach": "no cadre within the distance limit",
    "no_cadre_with_skill": "no cadre in reach holds the required skill",
    "no_admissible_pair": "the pair table lists no cadre for this firm",
    "capacity_used_up": "every cadre who could serve it is at capacity",
    "team_out_of_reach": "no member of its zone's team is in reach with capacity left",
    "no_team": "its zone's task force cannot be formed (see the conflicts)",
    "not_in_list": "the pairing list read from file gives it no cadre",
    "off_network": "the firm lies farther than snap_tolerance_m from the road network",
    "excluded_by_rules": "only forbidden pairs or conflict-of-interest rules keep every cadre away",
    "rules_conflict": "the planning rules conflict, so no plan can be made (see conflicts)",
}
"""Reason keys for uncovered firms, with their explanations."""

ROAD_REACH = "no cadre within the travel limit by road"
"""The explanation of ``no_cadre_in_reach`` when pairs are measured by road."""

REASONS_ZH = {
    "no_cadre_in_reach": "距离限制内没有干部",
    "no_cadre_with_skill": "可达干部均不具备所需专长",
    "no_admissible_pair": "结对表未列出可服务该企业的干部",
    "capacity_used_up": "可服务该企业的干部均已满额",
    "team_out_of_reach": "所在片区专班无可达且未满额的成员",
    "no_team": "所在片区无法组建专班(见冲突说明)",
    "not_in_list": "读入的结对名单未给该企业安排干部",
    "off_network": "企业距路网过远（超过 snap_tolerance_m）",
    "excluded_by_rules": "可服务的干部均因禁止结对或利益冲突规则被排除",
    "rules_conflict": "结对规则相互矛盾, 无法形成方案 (见冲突说明)",
}
"""The explanations in Chinese, for pairing lists with ``lang="zh"``."""


@dataclass(frozen=True)
class Candidates:
    """Admissible pairs as parallel arrays, plus why firms without any pair have none.

    Attributes:
        cadre: Cadre row index of each pair.
        firm: Firm row index of each pair.
        distance_km: Great-circle distance (NaN without coordinates).
        skill_match: Share of the firm's needs the cadre holds (1 when the firm lists none).
        cost: The objective's cost of each pair (km for objective ``distance``).
        load: Weekly hours the firm costs the cadre (None when not computed).
        reason: Per firm, a key of :data:`REASONS` when it has no admissible pair, else "".
        crow_km: Great-circle km of each pair when ``distance_km`` is road km, else None.
        travel_min: Minutes from cadre to firm (by road with roads, else at the load speed),
            or None when no rule needs them.
        by_road: Whether ``distance_km`` and ``travel_min`` are by road.
    """

    cadre: np.ndarray
    firm: np.ndarray
    distance_km: np.ndarray
    skill_match: np.ndarray
    cost: np.ndarray
    load: np.ndarray | None
    reason: np.ndarray
    crow_km: np.ndarray | None = None
    travel_min: np.ndarray | None = None
    by_road: bool = False

    def __len__(self) -> int:
        return len(self.cadre)

    def frame(self) -> pd.DataFrame:
        """The pairs as a DataFrame (one row per admissible pair)."""
        return pd.DataFrame(
            {
                "cadre": self.cadre,
                "firm": self.firm,
                "distance_km": self.distance_km,
                "skill_match": self.skill_match,
                "cost": self.cost,
                "load": self.load if self.load is not None else np.nan,
            }
        )


def skill_masks(items: pd.Series) -> np.ndarray:
    """Bit mask (:data:`MASK`) of the categories in each row's tuple of keys or (key, level)."""
    bits = {k: 1 << i for k, i in CATEGORY_INDEX.items()}

    def mask(t: tuple) -> int:
        m = 0
        for item in t:
            m |= bits[item[0] if isinstance(item, tuple) else item]
        return m

    codes, uniques = pd.factorize(items.map(tuple))
    return np.array([mask(t) for t in uniques], dtype=MASK)[codes] if len(items) else np.zeros(
        0, MASK
    )


def skill_levels(skills: pd.Series) -> np.ndarray:
    """Cadre x category proficiency matrix; categories not held get UNSKILLED_PROFICIENCY."""
    out = np.full((len(skills), len(CATEGORY_KEYS)), UNSKILLED_PROFICIENCY)
    for i, t in enumerate(skills):
        for key, level in t:
            out[i, CATEGORY_INDEX[key]] = level
    return out


def need_weights(needs: pd.Series) -> np.ndarray:
    """Firm x category weights, each row summing to 1 over the firm's needs (0 if none)."""
    out = np.zeros((len(needs), len(CATEGORY_KEYS)))
    for i, t in enumerate(needs):
        for key in t:
            out[i, CATEGORY_INDEX[key]] = 1.0 / len(t)
    return out


@dataclass(frozen=True)
class PairRules:
    """Which cadre-firm pairs are admissible and what they cost: the one place for pair rules.

    :meth:`keep` applies the skill rule and the cadres' availability, :meth:`allowed` the
    planner's exclusions (``forbidden.csv``, conflict-of-interest rules), :meth:`admit`
    both; :meth:`is_previous` marks last round's pairs (their change discount).

    Attributes:
        cadre_mask: Skill bit mask of each cadre.
        need_mask: Bit mask of each firm's needs.
        primary: Bit of each firm's first need (0 without needs).
        usable: Whether each cadre may take firms at all (``max_firms`` > 0).
        require: The scenario's ``require_skills``.
        objective: The scenario's ``objective``.
        skill_gap_km: Cost added per share of needs the cadre lacks (objective ``cost``).
        n_firms: Number of firms (pair keys are ``cadre * n_firms + firm``).
        forbid: Sorted keys of the forbidden pairs.
        conflicts: Per conflict rule, codes of the cadres' and firms' values (-1 = empty).
        prev_cadre: Per firm, its previous cadre (-1 = none).
    """

    cadre_mask: np.ndarray
    need_mask: np.ndarray
    primary: np.ndarray
    usable: np.ndarray
    require: str
    objective: str
    skill_gap_km: float
    n_firms: int = 0
    forbid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    conflicts: tuple = ()
    prev_cadre: np.ndarray | None = None

    @classmethod
    def of(cls, scenario: Scenario, previous: pd.DataFrame | None = None) -> PairRules:
        """The rules of a scenario (and, for replanning, last round's pairs)."""
        from .changes import previous_cadre
        from .rules import conflict_codes, pair_keys

        cfg = scenario.config.assignment
        cadres, firms = scenario.cadres, scenario.firms
        primary = np.array([1 << CATEGORY_INDEX[t[0]] if t else 0 for t in firms["needs"]], MASK)
        return cls(skill_masks(cadres["skills"]), skill_masks(firms["needs"]), primary,
                   cadres["max_firms"].fillna(np.inf).to_numpy() > 0, cfg.require_skills,
                   cfg.objective, cfg.skill_gap_km, len(firms),
                   pair_keys(scenario, scenario.forbidden), tuple(conflict_codes(scenario)),
                   previous_cadre(scenario, previous) if previous is not None else None)

    def allowed(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Whether each pair is neither forbidden nor caught by a conflict-of-interest rule."""
        ok = np.ones(len(i), dtype=bool)
        if len(self.forbid):
            key = i.astype(np.int64) * self.n_firms + j
            pos = np.minimum(np.searchsorted(self.forbid, key), len(self.forbid) - 1)
            ok &= self.forbid[pos] != key
        for cc, fc in self.conflicts:
            a = cc[i]
            ok &= ~((a >= 0) & (a == fc[j]))
        return ok

    def admit(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """:meth:`keep` and :meth:`allowed` together."""
        ok = self.keep(i, j)
        if len(self.forbid) or self.conflicts:
            ok &= self.allowed(i, j)
        return ok

    def is_previous(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Whether each pair is last round's pair of its firm."""
        if self.prev_cadre is None:
            return np.zeros(len(i), dtype=bool)
        return self.prev_cadre[j] == i

    def keep(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Whether each pair meets the skill rule and its cadre takes firms at all."""
        if self.require == "primary":
            p = self.primary[j]
            keep = (self.cadre_mask[i] & p) == p
        elif self.require == "all":
            f = self.need_mask[j]
            keep = (self.cadre_mask[i] & f) == f
        else:
            keep = np.ones(len(i), dtype=bool)
        keep &= self.usable[i]
        return keep

    def skill_match(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Share of the firm's needs the cadre holds (1 when the firm lists none)."""
        fm = self.need_mask[j]
        n_needs = np.bitwise_count(fm)
        held = np.bitwise_count(self.cadre_mask[i] & fm)
        del fm
        out = np.ones(len(i))
        has = n_needs > 0
        out[has] = held[has] / n_needs[has]
        return out

    def cost(self, dist: np.ndarray, skill_match: np.ndarray) -> np.ndarray:
        """The objective's cost of each pair from its km (or minutes, objective travel_time)
        and skill match, rounded to thousandths (so that solvers work on exact integers; see
        :data:`assign.solvers.coverage.COST_SCALE`)."""
        if self.objective in ("distance", "travel_time"):
            return np.round(dist, 3)
        return np.round(dist + self.skill_gap_km * (1.0 - skill_match), 3)


def build_candidates(scenario: Scenario, with_load: bool = True) -> Candidates:
    """Enumerate the admissible pairs of a scenario with their cost and load.

    Args:
        scenario: The scenario.
        with_load: Compute every pair's load (needed for workload limits; skipping it
            saves time and memory at province scale).
    """
    cfg = scenario.config.assignment
    cadres, firms = scenario.cadres, scenario.firms
    m, n = len(cadres), len(firms)
    reason = np.full(n, "", dtype=object)
    given_cost = given_load = given_min = None
    road = road_reach(scenario)
    if road is not None:
        i, j, dist, minutes, crow, given_cost, given_load = road
        reason[:] = road_reasons(scenario)
    elif scenario.pairs is not None:
        ci = pd.Index(cadres["id"]).get_indexer(scenario.pairs["cadre_id"])
        fi = pd.Index(firms["id"]).get_indexer(scenario.pairs["firm_id"])
        i, j = ci.astype(np.int32), fi.astype(np.int32)
        given_cost = scenario.pairs["cost"].to_numpy(float)
        given_load = (scenario.pairs["load"].to_numpy(float) if "load" in scenario.pairs
                      else np.full(len(i), np.nan))
        given_min = (scenario.pairs["travel_min"].to_numpy(float)
                     if "travel_min" in scenario.pairs else None)
        dist = haversine_km(
            cadres["lat"].to_numpy()[i], cadres["lon"].to_numpy()[i],
            firms["lat"].to_numpy()[j], firms["lon"].to_numpy()[j],
        )
        reason[np.bincount(j, minlength=n) == 0] = "no_admissible_pair"
        if cfg.max_distance_km is not None:
            keep = dist <= cfg.max_distance_km
            i, j, dist = i[keep], j[keep], dist[keep]
            given_cost, given_load = given_cost[keep], given_load[keep]
            given_min = given_min[keep] if given_min is not None else None
    elif cfg.max_distance_km is not None:
        i, j, dist = pairs_within(
            cadres["lat"].to_numpy(), cadres["lon"].to_numpy(),
            firms["lat"].to_numpy(), firms["lon"].to_numpy(), cfg.max_distance_km,
        )
    else:
        if m * n > DENSE_LIMIT:
            raise ValueError(
                f"{m} cadres x {n} firms is too many pairs to enumerate; "
                "set assignment.max_distance_km to prune them"
            )
        i = np.repeat(np.arange(m, dtype=np.int32), n)
        j = np.tile(np.arange(n, dtype=np.int32), m)
        dist = haversine_km(
            cadres["lat"].to_numpy()[i], cadres["lon"].to_numpy()[i],
            firms["lat"].to_numpy()[j], firms["lon"].to_numpy()[j],
        )
    if road is None:
        crow = None
        minutes = np.nan_to_num(dist) / cfg.load.speed_kmh * 60.0
        if scenario.pairs is not None and given_min is not None:
            # the pair table's own minutes, where it gives them, over the load speed's
            minutes = np.where(np.isnan(given_min), minutes, given_min)

    def take(mask: np.ndarray) -> None:
        """Keep the pairs where ``mask`` holds, in every per-pair array."""
        nonlocal i, j, dist, minutes, crow, given_cost, given_load
        i, j, dist, minutes = i[mask], j[mask], dist[mask], minutes[mask]
        crow = crow[mask] if crow is not None else None
        if given_cost is not None and given_load is not None:
            given_cost, given_load = given_cost[mask], given_load[mask]

    if road is None and cfg.max_travel_min is not None:
        take(minutes <= cfg.max_travel_min)
    in_reach = np.bincount(j, minlength=n) > 0
    reason[(reason == "") & ~in_reach] = "no_cadre_in_reach"

    rules = PairRules.of(scenario)
    take(rules.keep(i, j))
    reason[(reason == "") & (np.bincount(j, minlength=n) == 0)] = "no_cadre_with_skill"
    if len(rules.forbid) or rules.conflicts:
        take(rules.allowed(i, j))
        reason[(reason == "") & (np.bincount(j, minlength=n) == 0)] = "excluded_by_rules"
    skill_match = rules.skill_match(i, j)
    basis = minutes if cfg.objective == "travel_time" else dist
    cost = given_cost if given_cost is not None and cfg.objective == "cost" else rules.cost(
        basis, skill_match)
    if given_load is not None and not np.isnan(given_load).all():
        # a blank load in pairs.csv means the load model's estimate for that pair
        load = given_load.copy()
        blank = np.isnan(load)
        if blank.any():
            load[blank] = pair_load(scenario, i[blank], j[blank], dist[blank],
                                    minutes[blank] if road is not None else None)
    elif with_load:
        load = pair_load(scenario, i, j, dist, minutes if road is not None else None)
    else:
        load = None
    return Candidates(i, j, dist, skill_match, np.asarray(cost, float), load, reason, crow,
                      minutes, road is not None)


# --- road travel (assign.io.roads): reach and distance by road ----------------------------------


def road_reach(scenario: Scenario) -> tuple | None:
    """Pairs reachable by road within the limits, or None when the scenario is not by road.

    Returns (i, j, road km, minutes, crow km, given cost, given load); the given cost and
    load are those of the pair table (None without one), whose pairs out of reach drop out.
    """
    from .io.roads import RoadTravel
    from .io.scenario import uses_roads

    if not uses_roads(scenario):
        return None
    cfg = scenario.config
    a = cfg.assignment
    assert scenario.roads is not None
    travel = RoadTravel.snap(scenario.roads, scenario.cadres, scenario.firms,
                             cfg.roads.access_kmh if cfg.roads else 15.0, a.snap_tolerance_m)
    starts = None
    if scenario.pairs is not None:
        starts = np.unique(pd.Index(scenario.cadres["id"]).get_indexer(scenario.pairs["cadre_id"]))
    if (a.max_travel_min is None and a.max_distance_km is None and scenario.pairs is None
            and len(scenario.cadres) * len(scenario.firms) > DENSE_LIMIT):
        raise ValueError(
            f"{len(scenario.cadres)} cadres x {len(scenario.firms)} firms is too many pairs to "
            "enumerate; set assignment.max_travel_min or max_distance_km to prune them")
    i, j, km, minutes = travel.pairs(a.max_travel_min, a.max_distance_km, starts)
    given_cost = given_load = None
    if scenario.pairs is not None:
        ci = pd.Index(scenario.cadres["id"]).get_indexer(scenario.pairs["cadre_id"])
        fi = pd.Index(scenario.firms["id"]).get_indexer(scenario.pairs["firm_id"])
        n = len(scenario.firms)
        listed = pd.Index(ci.astype(np.int64) * n + fi)
        at = listed.get_indexer(i.astype(np.int64) * n + j)
        keep = at >= 0
        i, j, km, minutes, at = i[keep], j[keep], km[keep], minutes[keep], at[keep]
        given_cost = scenario.pairs["cost"].to_numpy(float)[at]
        given_load = (scenario.pairs["load"].to_numpy(float)[at] if "load" in scenario.pairs
                      else np.full(len(at), np.nan))
    c, f = scenario.cadres, scenario.firms
    crow = haversine_km(c["lat"].to_numpy()[i], c["lon"].to_numpy()[i],
                        f["lat"].to_numpy()[j], f["lon"].to_numpy()[j])
    return i, j, km, minutes, crow, given_cost, given_load


def road_values(scenario: Scenario, i: np.ndarray, j: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """Road km and minutes of given pairs (NaN when the firm is off the network), or None
    when the scenario is not by road. For pins, which hold whatever the limits."""
    from .io.roads import RoadTravel
    from .io.scenario import uses_roads

    if not uses_roads(scenario) or len(i) == 0:
        return None
    cfg = scenario.config
    assert scenario.roads is not None
    travel = RoadTravel.snap(scenario.roads, scenario.cadres, scenario.firms,
                             cfg.roads.access_kmh if cfg.roads else 15.0,
                             cfg.assignment.snap_tolerance_m)
    ri, rj, km, minutes = travel.pairs(cadres=np.unique(i))
    n = len(scenario.firms)
    at = pd.Index(ri.astype(np.int64) * n + rj).get_indexer(np.asarray(i, np.int64) * n + j)
    found = at >= 0
    out_km, out_min = np.full(len(i), np.nan), np.full(len(i), np.nan)
    out_km[found], out_min[found] = km[at[found]], minutes[at[found]]
    return out_km, out_min


def road_reasons(scenario: Scenario) -> np.ndarray:
    """Per firm: "off_network" beyond the snap tolerance, "no_admissible_pair" when the pair
    table lists none for it, else ""."""
    n = len(scenario.firms)
    reason = np.full(n, "", dtype=object)
    if scenario.pairs is not None:
        fi = pd.Index(scenario.firms["id"]).get_indexer(scenario.pairs["firm_id"])
        reason[np.bincount(fi, minlength=n) == 0] = "no_admissible_pair"
    assert scenario.roads is not None
    _, snap_m = scenario.roads.snap(scenario.firms["lat"].to_numpy(float),
                                       scenario.firms["lon"].to_numpy(float))
    reason[~(snap_m <= scenario.config.assignment.snap_tolerance_m)] = "off_network"
    return reason


def pair_load(scenario: Scenario, i: np.ndarray, j: np.ndarray, dist: np.ndarray,
              travel_min: np.ndarray | None = None) -> np.ndarray:
    """Expected weekly hours firm ``j`` costs cadre ``i`` (see :class:`~assign.config.LoadConfig`).

    Travel is there and back at the load speed, or twice the road minutes when given.
    """
    lc = scenario.config.assignment.load
    firms = scenario.firms
    if travel_min is not None:
        travel = 2 * np.nan_to_num(travel_min) / 60.0
    else:
        travel = 2 * np.nan_to_num(dist) / lc.speed_kmh
    rate = firms["rate_per_day"].to_numpy(float)
    issues_week = np.where(np.isnan(rate), lc.issues_per_week, rate * 7.0)
    levels = skill_levels(scenario.cadres["skills"])
    weights = need_weights(firms["needs"])
    prof = np.ones(len(i))
    has_needs = weights.sum(axis=1) > 0
    for start in range(0, len(i), 1_000_000):
        s = slice(start, start + 1_000_000)
        ii, jj = i[s], j[s]
        p = (levels[ii] * weights[jj]).sum(axis=1)
        prof[s] = np.where(has_needs[jj], p, 1.0)
    hours = lc.visits_per_week * (travel + lc.hours_per_visit) + issues_week[j] * lc.hours_per_issue / prof
    return np.round(hours, LOAD_DECIMALS)
