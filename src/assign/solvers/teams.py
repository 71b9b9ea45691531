"""Task forces per zone (专班): ``assignment.mode: teams``, solved with OR-Tools CP-SAT.

Firms carry a ``zone`` (a zone of an industrial park, a town). Every zone with firms gets
one team of cadres; each cadre joins at most one team; a cadre whose own ``zone`` is set
may join only that zone's team. Each firm is then *linked* to one member of its zone's
team, who is its contact (and, in the simulation with ``service: team``, the zone's
issues go to one queue served by all the team's members).

Rules:

- team size: ``team_size`` members exactly, or between ``team_size_min`` (default 1) and
  ``team_size_max`` (default: no limit);
- skills: with ``require_skills: primary`` the members together hold the primary (first)
  need of every firm of the zone; with ``all`` every need of every firm of the zone; a
  single link need not match the firm's needs;
- links: only pairs admissible under the scenario's pair rules other than skills (the
  distance limit, cadres that take firms at all); each member links at most ``max_firms``
  firms and at most ``max_workload`` hours a week.

Objective, lexicographic: (1) form every team (a hard rule: if impossible the plan is
``infeasible`` with the smallest set of rules that conflict, in plain words); (2) link as
many firms as possible, higher priority first; (3) minimise the sum, over linked firms,
of the pair cost between the firm and its linked member (km with ``objective: distance``).
Without count or workload limits every firm is thus linked to its nearest member; with
them, the links form a least-cost assignment within the members' limits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from ..categories import CATEGORY_KEYS, label
from ..config import check_team_config as check_team_config
from ..errors import Problem
from .coverage import priority_ranks, scaled_loads
from .cpsat import STATUS, make_solver

if TYPE_CHECKING:  # pragma: no cover
    from ..candidates import Candidates
    from ..config import AssignmentConfig
    from ..io.scenario import Scenario
    from ..pairing import Pairing

TEAM_COLUMNS = [
    "team", "zone", "members", "member_ids", "home_units", "skills_needed", "skills_covered",
    "zone_firms", "linked", "distance_km", "cost",
]
"""Columns of :attr:`Pairing.teams`, in order."""

def team_sizes(cfg: AssignmentConfig) -> tuple[int, int | None]:
    """Fewest and most members of a team (None: no upper limit)."""
    if cfg.team_size is not None:
        return cfg.team_size, cfg.team_size
    return cfg.team_size_min or 1, cfg.team_size_max


def team_problems(cadres: pd.DataFrame, firms: pd.DataFrame, labels: dict[str, str]
                  ) -> list[Problem]:
    """Input problems of a teams scenario: every firm needs a zone."""
    blank = (firms["zone"].fillna("").astype(str).str.strip() == "").to_numpy()
    rows = np.flatnonzero(blank)
    problems = [Problem(labels["firms"], "mode teams needs a zone for every firm", int(i) + 2,
                        "zone") for i in rows[:20]]
    if len(rows) > 20:
        problems.append(Problem(labels["firms"], f"... and {len(rows) - 20} more rows like these",
                                column="zone"))
    return problems


def zones_of(firms: pd.DataFrame) -> list[str]:
    """The zones with firms, in order of first appearance in the firm table."""
    return list(dict.fromkeys(firms["zone"].astype(str).str.strip()))


def _cat_bits(items: tuple) -> int:
    out = 0
    for item in items:
        key = item[0] if isinstance(item, tuple) else item
        out |= 1 << CATEGORY_KEYS.index(key)
    return out


def _keys(mask: int) -> list[str]:
    return [k for i, k in enumerate(CATEGORY_KEYS) if mask >> i & 1]


@dataclass(frozen=True)
class TeamProblem:
    """A teams instance as plain arrays (row indices of the scenario's tables).

    Attributes:
        zones: Zone names; team ``t`` serves ``zones[t]``.
        firm_zone: Zone index of each firm.
        eligible: Cadre x zone booleans: may the cadre join that zone's team.
        cadre_skills: Skill bit mask of each cadre.
        needed: Per zone, bit mask of the categories its team must hold.
        need_source: Per zone and category bit, the firms whose needs ask for it.
        size_min, size_max: Team size limits (size_max None = no limit).
    """

    zones: list[str]
    firm_zone: np.ndarray
    eligible: np.ndarray
    cadre_skills: np.ndarray
    needed: list[int]
    need_source: list[dict[int, list[int]]]
    size_min: int
    size_max: int | None

    @classmethod
    def of(cls, scenario: Scenario) -> TeamProblem:
        cfg = scenario.config.assignment
        cadres, firms = scenario.cadres, scenario.firms
        zones = zones_of(firms)
        index = {z: t for t, z in enumerate(zones)}
        firm_zone = np.array([index[z] for z in firms["zone"].astype(str).str.strip()], np.int64)
        own = cadres["zone"].fillna("").astype(str).str.strip().to_numpy()
        eligible = np.ones((len(cadres), len(zones)), dtype=bool)
        for c, z in enumerate(own):
            if z:
                eligible[c] = False
                if z in index:
                    eligible[c, index[z]] = True
        skills = np.array([_cat_bits(t) for t in cadres["skills"]], dtype=np.int64)
        needed = [0] * len(zones)
        source: list[dict[int, list[int]]] = [{} for _ in zones]
        for f, (t, needs) in enumerate(zip(firm_zone.tolist(), firms["needs"], strict=True)):
            if cfg.require_skills == "none" or not needs:
                continue
            asked = needs[:1] if cfg.require_skills == "primary" else needs
            for key in asked:
                bit = CATEGORY_KEYS.index(key)
                needed[t] |= 1 << bit
                source[t].setdefault(bit, []).append(f)
        lo, hi = team_sizes(cfg)
        return cls(zones, firm_zone, eligible, skills, needed, source, lo, hi)


@dataclass
class TeamResult:
    """Members of each team, chosen link pairs (indices into the pair arrays), status."""

    members: list[list[int]]
    chosen: np.ndarray
    status: str
    objective: int = 0
    bound: int = 0
    conflicts: list[str] = field(default_factory=list)


def _size_text(lo: int, hi: int | None) -> str:
    if hi == lo:
        return f"exactly {lo} member{'s' if lo != 1 else ''}"
    if hi is None:
        return f"at least {lo} member{'s' if lo != 1 else ''}"
    return f"{lo} to {hi} members"


class _Structure:
    """The team-forming part of the model, with one assumption literal per rule that may
    be at fault (size limits per zone, each needed skill per zone)."""

    def __init__(self, tp: TeamProblem, with_assumptions: bool) -> None:
        self.tp = tp
        m = len(tp.eligible)
        self.model = model = cp_model.CpModel()
        self.x: dict[tuple[int, int], Any] = {}
        for c in range(m):
            for t in np.flatnonzero(tp.eligible[c]).tolist():
                self.x[c, t] = model.new_bool_var(f"x{c}_{t}")
        by_cadre: dict[int, list] = {}
        by_zone: dict[int, list] = {t: [] for t in range(len(tp.zones))}
        for (c, t), v in self.x.items():
            by_cadre.setdefault(c, []).append(v)
            by_zone[t].append(v)
        for vs in by_cadre.values():
            if len(vs) > 1:
                model.add_at_most_one(vs)
        self.rules: list[tuple[Any, str]] = []  # (literal, plain-words rule)
        self.size_rule: dict[int, int] = {}  # zone -> index of its size literal
        self.skill_rule: dict[tuple[int, int], int] = {}  # (zone, category bit) -> index

        def rule(text: str):
            if not with_assumptions:
                return None
            lit = model.new_bool_var(text)
            self.rules.append((lit, text))
            return lit

        for t, zone in enumerate(tp.zones):
            vs = by_zone[t]
            lo, hi = tp.size_min, tp.size_max
            n_ok = len(vs)
            text = (f"zone {zone}: its team needs {_size_text(lo, hi)} "
                    f"({n_ok} cadre{'s' if n_ok != 1 else ''} may join it)")
            lit = rule(text)
            self.size_rule[t] = lit.index if lit is not None else -1
            ct = model.add(sum(vs) >= lo) if vs else model.add_bool_or([])
            if lit is not None:
                ct.only_enforce_if(lit)
            if hi is not None and hi < len(vs):
                ct = model.add(sum(vs) <= hi)
                if lit is not None:
                    ct.only_enforce_if(lit)
            for bit in _bits(tp.needed[t]):
                holders = [self.x[c, t] for c in range(m)
                           if (c, t) in self.x and tp.cadre_skills[c] >> bit & 1]
                firms = tp.need_source[t][bit]
                key = CATEGORY_KEYS[bit]
                text = (f"zone {zone}: a member must hold '{key}' ({label(key, 'zh')}), "
                        f"needed by {len(firms)} firm{'s' if len(firms) != 1 else ''}; "
                        f"{len(holders)} cadre{'s' if len(holders) != 1 else ''} who may join "
                        "hold it")
                lit = rule(text)
                self.skill_rule[t, bit] = lit.index if lit is not None else -1
                ct = model.add(sum(holders) >= 1) if holders else model.add_bool_or([])
                if lit is not None:
                    ct.only_enforce_if(lit)


def _bits(mask: int) -> list[int]:
    return [i for i in range(len(CATEGORY_KEYS)) if mask >> i & 1]


def _solver(seconds: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = make_solver(max(float(seconds), 0.05), workers, seed)
    # the LP relaxation of the skill-cover rows proves tight team rules impossible at once
    # where the default search wanders (measured on dadukou-2020 with too few permit holders)
    solver.parameters.linearization_level = 2
    return solver


def explain_infeasible(tp: TeamProblem, seconds: float = 10.0, seed: int = 0) -> list[str] | None:
    """The smallest set of team rules that cannot hold together, in plain words.

    Returns None when the teams can be formed. The set is minimal (dropping any one rule
    makes the rest satisfiable), found by deletion from CP-SAT's core of assumptions.
    """
    conflicts, _ = _form_teams(tp, seconds, seed)
    return conflicts


def _form_teams(tp: TeamProblem, seconds: float, seed: int
                ) -> tuple[list[str] | None, list[list[int]] | None]:
    """(conflicts, None) when the teams cannot be formed, else (None, some teams)."""
    start = time.perf_counter()
    pool = int(tp.eligible.any(axis=1).sum())
    if tp.size_min * len(tp.zones) > pool:  # counting alone rules it out
        return [f"{len(tp.zones)} zones need at least {tp.size_min} members each "
                f"({tp.size_min * len(tp.zones)} in all), but {pool} cadres may join a team",
                "each cadre joins at most one team"], None
    st = _Structure(tp, with_assumptions=True)
    if not st.rules:  # no zones
        return None, [[] for _ in tp.zones]
    lits = [lit for lit, _ in st.rules]
    text = {lit.index: t for lit, t in st.rules}
    st.model.add_assumptions(lits)
    solver = _solver(seconds, 1, seed)
    status = solver.solve(st.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, _members(tp, {key: solver.boolean_value(v) for key, v in st.x.items()})
    if status != cp_model.INFEASIBLE:
        return None, None
    core = list(solver.sufficient_assumptions_for_infeasibility())
    if not core:
        core = [lit.index for lit in lits]
    by_index = {lit.index: lit for lit in lits}
    # deletion filter: drop each rule whose removal keeps the rest infeasible
    kept = list(core)
    for idx in list(core):
        if time.perf_counter() - start > seconds:
            break
        trial = [i for i in kept if i != idx]
        st.model.clear_assumptions()
        st.model.add_assumptions([by_index[i] for i in trial])
        if _solver(seconds / 4, 1, seed).solve(st.model) == cp_model.INFEASIBLE:
            kept = trial
    conflicts = [text[i] for i in kept]
    zones = [t for t in range(len(tp.zones)) if st.size_rule[t] in kept]
    if len(zones) > 1:
        pool = int(tp.eligible[:, zones].any(axis=1).sum())
        conflicts.insert(0, f"{len(zones)} zones need at least {tp.size_min * len(zones)} "
                            f"members together, but {pool} cadres may join their teams")
    skill_zones: dict[int, list[int]] = {}
    for (t, bit), idx in st.skill_rule.items():
        if idx in kept:
            skill_zones.setdefault(bit, []).append(t)
    for bit, zs in skill_zones.items():
        if len(zs) > 1:
            holders = int((tp.eligible[:, zs].any(axis=1) & (tp.cadre_skills >> bit & 1 > 0)
                           ).sum())
            key = CATEGORY_KEYS[bit]
            conflicts.insert(0, f"{len(zs)} zones need a member holding '{key}' "
                                f"({label(key, 'zh')}), but {holders} cadres who may join "
                                "their teams hold it")
    conflicts.append("each cadre joins at most one team")
    return conflicts, None


def solve_team_problem(
    tp: TeamProblem,
    cadre: np.ndarray,
    firm: np.ndarray,
    cost: np.ndarray,
    load: np.ndarray | None,
    count: np.ndarray,
    work: np.ndarray,
    ranks: np.ndarray,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
) -> TeamResult:
    """Form the teams and link firms to members (see the module docstring).

    Args:
        tp: The teams instance.
        cadre, firm: Cadre and firm index of each admissible link (skills not required).
        cost: Integer cost of each link.
        load: Integer load of each link (None without workload limits).
        count, work: Per-cadre limits on links and on summed load (-1 = none).
        ranks: Priority rank of each firm (0 = lowest).
        time_limit: Seconds for all phases.
    """
    start = time.perf_counter()

    def left() -> float:
        return max(time_limit - (time.perf_counter() - start), 0.05)

    n_zones = len(tp.zones)
    if n_zones == 0:
        return TeamResult([], np.zeros(0, np.int64), "optimal")
    conflicts, formed = _form_teams(tp, min(10.0, left()), seed)
    if conflicts is not None:
        return TeamResult([[] for _ in tp.zones], np.zeros(0, np.int64), "infeasible",
                          conflicts=conflicts)
    keep = np.array([tp.eligible[c, tp.firm_zone[f]] for c, f in
                     zip(cadre.tolist(), firm.tolist(), strict=True)], dtype=bool)
    pairs = np.flatnonzero(keep)

    def build() -> tuple[_Structure, list, dict[int, Any]]:
        st = _Structure(tp, with_assumptions=False)
        model = st.model
        y = [model.new_bool_var(f"y{p}") for p in pairs.tolist()]
        by_firm: dict[int, list] = {}
        by_cadre: dict[int, list[int]] = {}
        for k, p in enumerate(pairs.tolist()):
            c, f = int(cadre[p]), int(firm[p])
            model.add_implication(y[k], st.x[c, int(tp.firm_zone[f])])
            by_firm.setdefault(f, []).append(y[k])
            by_cadre.setdefault(c, []).append(k)
        for vs in by_firm.values():
            if len(vs) > 1:
                model.add_at_most_one(vs)
        for c, ks in by_cadre.items():
            if 0 <= count[c] < len(ks):
                model.add(sum(y[k] for k in ks) <= int(count[c]))
            if load is not None and work[c] >= 0:
                loads = load[pairs[ks]]
                if int(loads.sum()) > work[c]:
                    model.add(sum(int(w) * y[k] for w, k in zip(loads.tolist(), ks, strict=True))
                              <= int(work[c]))
        covered = {f: sum(vs) for f, vs in by_firm.items()}
        return st, y, covered

    coverable = np.unique(firm[pairs]) if len(pairs) else np.zeros(0, np.int64)
    levels = sorted(set(ranks[coverable].tolist()), reverse=True)
    by_level = {lvl: coverable[ranks[coverable] == lvl] for lvl in levels}
    targets = {lvl: len(fs) for lvl, fs in by_level.items()}
    st, y, covered = build()
    hint_x: dict[tuple[int, int], bool] = {}
    hint_y: list[bool] | None = None
    linker = _Linker(tp, cadre, firm, cost, count, pairs) if load is None else None
    if linker is not None and formed is not None and linker.feasible(formed):
        members: list[list[int]] = formed  # these teams can link every coverable firm
        cover_proved = True
    else:
        # phase 1: link as many firms as possible, one priority level after another from
        # the highest (no weights: each level's count is maximised with the levels above
        # fixed), each solve stopped once every coverable firm of its level is linked
        cover_proved = True
        for lvl in levels:
            linked = sum(covered[f] for f in by_level[lvl].tolist())
            st.model.clear_objective()
            st.model.maximize(linked)
            if hint_y is not None:
                st.model.clear_hints()
                _add_hints(st, y, hint_x, hint_y)
            solver = _solver(left() / (3 * len(levels)), workers, seed)
            s1 = solver.solve(st.model, _StopAt(targets[lvl]))
            if s1 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return TeamResult([[] for _ in tp.zones], np.zeros(0, np.int64), STATUS[s1])
            targets[lvl] = int(round(solver.objective_value))
            cover_proved &= s1 == cp_model.OPTIMAL or targets[lvl] == len(by_level[lvl])
            st.model.add(linked >= targets[lvl])
            hint_x = {key: solver.boolean_value(v) for key, v in st.x.items()}
            hint_y = [solver.boolean_value(v) for v in y]
        members = _members(tp, hint_x)
    full = all(targets[lvl] == len(fs) for lvl, fs in by_level.items())
    if linker is not None and full:
        # a neighbourhood search over memberships, each team's links an exact assignment,
        # gives CP-SAT a good plan to start from (CP-SAT alone stalls on dadukou-2020)
        members = _search(tp, linker, members, min(left() / 3, 10.0), seed)
        on = set(linker.links(members).tolist())
        hint_y = [p in on for p in pairs.tolist()]
    hint_x = {(c, t): c in members[t] for (c, t) in st.x}
    # phase 2: that coverage, least cost
    st, y, covered = build()
    if full:
        for f in coverable.tolist():
            st.model.add(covered[f] == 1)
    else:
        for lvl, fs in by_level.items():
            st.model.add(sum(covered[f] for f in fs.tolist()) >= targets[lvl])
    st.model.minimize(sum(int(cost[p]) * v for p, v in zip(pairs.tolist(), y, strict=True)))
    assert hint_y is not None
    _add_hints(st, y, hint_x, hint_y)
    solver = _solver(left(), workers, seed)
    s2 = solver.solve(st.model)
    hinted = pairs[np.flatnonzero(hint_y)]
    if s2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or (
            solver.objective_value > int(cost[hinted].sum())):  # keep the plan CP-SAT started from
        bound = int(np.ceil(solver.best_objective_bound)) if s2 == cp_model.FEASIBLE else 0
        return TeamResult(_members(tp, hint_x), hinted, "feasible", int(cost[hinted].sum()), bound)
    chosen = pairs[np.flatnonzero([solver.boolean_value(v) for v in y])]
    members = _members(tp, {key: solver.boolean_value(v) for key, v in st.x.items()})
    status = STATUS[s2] if cover_proved else "feasible"
    return TeamResult(members, chosen, status, int(cost[chosen].sum()),
                      int(np.ceil(solver.best_objective_bound)))


def _add_hints(st: _Structure, y: list, hint_x: dict[tuple[int, int], bool],
               hint_y: list[bool]) -> None:
    for key, v in st.x.items():
        st.model.add_hint(v, hint_x[key])
    for v, b in zip(y, hint_y, strict=True):
        st.model.add_hint(v, b)


class _StopAt(cp_model.CpSolverSolutionCallback):
    """Stops the search once the objective reaches a value known to be the best possible."""

    def __init__(self, best: int) -> None:
        super().__init__()
        self.best = best

    def on_solution_callback(self) -> None:
        if self.objective_value >= self.best:
            self.stop_search()


class _Linker:
    """Exact least-cost links of one zone's firms to a given set of members: an assignment
    problem (members repeated ``max_firms`` times), solved with scipy's
    ``linear_sum_assignment``; every coverable firm of the zone must be linked."""

    def __init__(self, tp: TeamProblem, cadre, firm, cost, count, pairs: np.ndarray) -> None:
        self.tp = tp
        self.count = count
        self.zone_firms = [np.unique(firm[pairs][tp.firm_zone[firm[pairs]] == t])
                           for t in range(len(tp.zones))]
        self.pair: dict[tuple[int, int], tuple[int, int]] = {
            (int(cadre[p]), int(firm[p])): (int(p), int(cost[p])) for p in pairs.tolist()}
        self.cache: dict[tuple[int, tuple[int, ...]], tuple[float, list[int]]] = {}

    def zone(self, t: int, members: tuple[int, ...]) -> tuple[float, list[int]]:
        """(cost, chosen pairs) of zone ``t`` with these members; cost inf if some
        coverable firm cannot be linked."""
        key = (t, members)
        if key in self.cache:
            return self.cache[key]
        from scipy.optimize import linear_sum_assignment

        fs = self.zone_firms[t]
        big = np.iinfo(np.int64).max // 4
        cols, owner = [], []
        for c in members:
            k = len(fs) if self.count[c] < 0 else min(int(self.count[c]), len(fs))
            col = [self.pair.get((c, int(f)), (-1, big))[1] for f in fs]
            cols += [col] * k
            owner += [c] * k
        out: tuple[float, list[int]]
        if len(fs) == 0:
            out = (0.0, [])
        elif len(cols) < len(fs):
            out = (np.inf, [])
        else:
            matrix = np.array(cols, dtype=np.int64).T
            rows, picked = linear_sum_assignment(matrix)
            total = matrix[rows, picked]
            if (total >= big).any():
                out = (np.inf, [])
            else:
                out = (float(total.sum()), [self.pair[owner[j], int(fs[i])][0]
                                            for i, j in zip(rows, picked, strict=True)])
        self.cache[key] = out
        return out

    def feasible(self, members: list[list[int]]) -> bool:
        """Whether these teams can link every coverable firm."""
        return all(np.isfinite(self.zone(t, tuple(m))[0]) for t, m in enumerate(members))

    def links(self, members: list[list[int]]) -> np.ndarray:
        chosen: list[int] = []
        for t, mem in enumerate(members):
            chosen += self.zone(t, tuple(mem))[1]
        return np.array(sorted(chosen), dtype=np.int64)


def _search(tp: TeamProblem, linker: _Linker, members: list[list[int]], seconds: float,
            seed: int) -> list[list[int]]:
    """First-improvement search over memberships: add, drop, or replace a member (the
    newcomer may leave another team), keeping sizes and skills; exact links per team."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    lo, hi = tp.size_min, tp.size_max if tp.size_max is not None else len(tp.eligible)
    team = {c: t for t, mem in enumerate(members) for c in mem}
    sets = [set(m) for m in members]

    def ok(t: int, mem: set[int]) -> bool:
        if not lo <= len(mem) <= hi:
            return False
        held = 0
        for c in mem:
            held |= int(tp.cadre_skills[c])
        return tp.needed[t] & ~held == 0

    def zcost(t: int, mem: set[int]) -> float:
        return linker.zone(t, tuple(sorted(mem)))[0]

    current = [zcost(t, sets[t]) for t in range(len(sets))]
    improved = True
    while improved and time.perf_counter() - start < seconds:
        improved = False
        for t in rng.permutation(len(sets)).tolist():
            others = [c for c in np.flatnonzero(tp.eligible[:, t]).tolist() if c not in sets[t]]
            options: list[tuple[int | None, int | None]] = [(a, None) for a in sets[t]]
            options += [(a, b) for b in others for a in [None, *sets[t]]]
            for a, b in options:
                new_t = set(sets[t])
                if a is not None:
                    new_t.discard(a)
                if b is not None:
                    new_t.add(b)
                if not ok(t, new_t):
                    continue
                u = team.get(b, -1) if b is not None else -1
                new_u = None
                delta = zcost(t, new_t) - current[t]
                if u >= 0:  # b leaves team u, which takes a in exchange or no one
                    best = np.inf
                    for give in ([a] if a is not None and tp.eligible[a, u] else []) + [None]:
                        trial = (sets[u] - {b}) | ({give} if give is not None else set())
                        if ok(u, trial) and zcost(u, trial) - current[u] < best:
                            best, new_u = zcost(u, trial) - current[u], trial
                    if new_u is None:
                        continue
                    delta += best
                if delta < -1e-9:
                    sets[t] = new_t
                    current[t] = zcost(t, new_t)
                    if a is not None:
                        team.pop(a, None)
                    if b is not None:
                        team[b] = t
                    if new_u is not None:
                        sets[u] = new_u
                        current[u] = zcost(u, new_u)
                        if a is not None and a in new_u:
                            team[a] = u
                    improved = True
                    break
            if time.perf_counter() - start > seconds:
                break
    return [sorted(m) for m in sets]


def _members(tp: TeamProblem, x: dict[tuple[int, int], bool]) -> list[list[int]]:
    members: list[list[int]] = [[] for _ in tp.zones]
    for (c, t), on in x.items():
        if on:
            members[t].append(c)
    return [sorted(m) for m in members]


def link_candidates(scenario: Scenario, with_load: bool = True) -> Candidates:
    """The admissible links of a teams scenario: every pair rule but skills (in teams mode
    the team, not each link, holds the skills)."""
    from ..candidates import build_candidates

    return build_candidates(scenario.with_config(require_skills="none"), with_load=with_load)


def solve_teams(scenario: Scenario, backend: str | None = None, time_limit: float | None = None,
                seed: int = 0, previous: Any = None) -> Pairing:
    """Solve a scenario with ``assignment.mode: teams`` (called by :func:`assign.solve`).

    Forbidden pairs and conflict-of-interest rules hold for links (they are pair rules);
    pins, previous plans, ``max_changes``, ``change_cost``, ``balance`` and ``max_cadres``
    are not defined for task forces yet and are refused with a ValueError.
    """
    from ..pairing import Pairing
    from ..solve import _meta, _pairing, cost_units

    start = time.perf_counter()
    cfg = scenario.config.assignment
    if backend == "flow" or (backend is None and cfg.backend == "flow"):
        raise ValueError("mode teams is solved with CP-SAT; use --backend cpsat or auto")
    unsupported = [name for name, used in (
        ("pinned pairs", cfg.pinned is not None or getattr(scenario, "pinned", None) is not None),
        ("a previous plan", previous is not None or getattr(scenario, "previous", None) is not None),
        ("assignment.max_changes", cfg.max_changes is not None),
        ("assignment.change_cost", cfg.change_cost is not None),
        ("assignment.balance", cfg.balance != "none"),
        ("assignment.max_cadres", cfg.max_cadres is not None)) if used]
    if unsupported:
        raise ValueError(f"mode teams does not combine with {', '.join(unsupported)} yet")
    time_limit = float(time_limit if time_limit is not None else cfg.time_limit_s)
    cadres, firms = scenario.cadres, scenario.firms
    tp = TeamProblem.of(scenario)
    has_work = bool(cadres["max_workload"].notna().any())
    cand = link_candidates(scenario)
    cost, cost_scale, cost_exact = cost_units(cand.cost)
    max_firms = cadres["max_firms"].to_numpy(float)
    count = np.where(np.isnan(max_firms), -1, max_firms).astype(np.int64)
    load = None
    work = np.full(len(cadres), -1, np.int64)
    load_exact = True
    if has_work:
        assert cand.load is not None
        load, work, _, load_exact = scaled_loads(cand.load,
                                                 cadres["max_workload"].to_numpy(float))
    ranks = priority_ranks(firms["priority"].to_numpy())
    res = solve_team_problem(tp, cand.cadre, cand.firm, cost, load, count, work, ranks,
                             time_limit, cfg.workers, seed)
    bound = res.bound / cost_scale
    if res.status == "optimal" and not load_exact:  # loads rounded up: not proven optimal
        res.status = "feasible"
    if res.status == "optimal" and not cost_exact:  # costs rounded by half a unit at most
        res.status = "feasible"
        bound = float(cand.cost[res.chosen].sum()) - len(res.chosen) / cost_scale
    covered = np.zeros(len(firms), dtype=bool)
    covered[cand.firm[res.chosen]] = True
    reason = cand.reason.copy()
    blank = (reason == "") & ~covered
    reason[blank] = "team_out_of_reach" if res.status in ("optimal", "feasible") else "no_team"
    parts = _pairing(scenario, replace(cand, reason=reason), res.chosen, res.status, bound,
                     "cpsat")
    team_of_cadre = np.full(len(cadres), "", dtype=object)
    team_ids = [f"T{t + 1:02d}" for t in range(len(tp.zones))]
    for t, mem in enumerate(res.members):
        team_of_cadre[mem] = team_ids[t]
    pairs = parts["pairs"]
    zone_of = dict(zip(firms["id"], firms["zone"].astype(str).str.strip(), strict=True))
    pairs["zone"] = pairs["firm_id"].map(zone_of)
    pairs["team"] = pairs["zone"].map(dict(zip(tp.zones, team_ids, strict=True)))
    parts["cadre_loads"]["team"] = team_of_cadre
    parts["teams"] = team_table(tp, res.members, team_ids, cadres, pairs)
    parts["conflicts"] = res.conflicts
    if res.status == "infeasible":
        parts["status"] = "infeasible"
    meta = _meta(scenario, "cpsat", time_limit, seed, len(cand))
    lo, hi = tp.size_min, tp.size_max
    meta["teams"] = {"zones": len(tp.zones), "team_size_min": lo, "team_size_max": hi,
                     "link_cost": "sum over firms of the pair cost to the linked member"}
    return Pairing(**{**parts, "seconds": time.perf_counter() - start, "meta": meta})


def team_table(tp: TeamProblem, members: list[list[int]], team_ids: list[str],
               cadres: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per team: zone, members (names and ids), home units, skills needed and
    covered (category keys), firms in the zone, firms linked, their km and cost."""
    names = cadres["name"].astype(str).to_numpy()
    ids = cadres["id"].astype(str).to_numpy()
    units = cadres["home_unit"].fillna("").astype(str).to_numpy()
    firms_in = np.bincount(tp.firm_zone, minlength=len(tp.zones))
    by_team = pairs.groupby("team")
    rows = []
    for t, zone in enumerate(tp.zones):
        mem = members[t]
        held = 0
        for c in mem:
            held |= int(tp.cadre_skills[c])
        linked = by_team.get_group(team_ids[t]) if team_ids[t] in by_team.groups else None
        rows.append({
            "team": team_ids[t],
            "zone": zone,
            "members": "、".join(names[mem]),
            "member_ids": ";".join(ids[mem]),
            "home_units": "、".join(dict.fromkeys(u for u in units[mem] if u)),
            "skills_needed": ";".join(_keys(tp.needed[t])),
            "skills_covered": ";".join(_keys(tp.needed[t] & held)),
            "zone_firms": int(firms_in[t]),
            "linked": 0 if linked is None else len(linked),
            "distance_km": 0.0 if linked is None else round(float(
                linked["distance_km"].sum()), 4),
            "cost": 0.0 if linked is None else round(float(linked["cost"].sum()), 6),
        })
    return pd.DataFrame(rows, columns=TEAM_COLUMNS)


def team_members(pairing: Pairing, scenario: Scenario) -> dict[str, list[str]]:
    """Zone -> member cadre ids: from the plan's team table, or, for a pairing list read
    from a file, the cadres linked to the zone's firms."""
    teams = getattr(pairing, "teams", None)
    if teams is not None and len(teams):
        return {str(z): [m for m in str(ids).split(";") if m]
                for z, ids in zip(teams["zone"], teams["member_ids"], strict=True)}
    zone_of = dict(zip(scenario.firms["id"], scenario.firms["zone"].fillna("").astype(str)
                       .str.strip(), strict=True))
    out: dict[str, list[str]] = {}
    for cid, fid in zip(pairing.pairs["cadre_id"], pairing.pairs["firm_id"], strict=True):
        members = out.setdefault(zone_of[fid], [])
        if cid not in members:
            members.append(cid)
    return out
