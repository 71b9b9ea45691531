"""Why this pairing: exact next-best alternatives, fixes for uncovered firms, bottleneck cadres.

On the flow path the explanation comes from the optimum's own certificate. The plan is a
flow in the network of :mod:`assign.solvers.flow` (firm -> cadre -> sink, plus each firm's priced
"uncovered" arc); forcing firm f onto cadre c, or giving cadre c one more place, changes
the optimum by the cost of the cheapest cycle through that arc in the residual graph
(every residual cycle of an optimal flow costs >= 0, so one cycle is the whole change).
Every residual path between cadres passes through firm nodes whose only entries are their
current cadre (or the sink), so the residual graph condenses onto the cadres and the sink:
an edge c' -> c'' moves one of c''s firms to c'', c' -> sink drops one (or uses a free
place), sink -> c covers an uncovered firm (or frees a place). All-pairs shortest paths on
that small graph (Johnson: Bellman-Ford potentials, then Dijkstra; :mod:`scipy.sparse.csgraph`)
give every figure at once:

- extra_cost(f, c) = cost(f, c) + dist(c -> cadre(f)) - cost(f, cadre(f));
- a place more for cadre c is worth -dist(sink -> c);
- an uncovered firm f is covered through a place more for X at
  min over its cadres c' of cost(f, c') + dist(c' -> X), less f's coverage reward.

Coverage comes first: firms' coverage rewards are multiples of a base B larger than twice
any cost change along a simple cycle, so each figure splits exactly into a coverage part
(which firms would lose or gain a cadre, read off the path) and a cost part. If the
given pairing is not optimal, its residual graph holds a negative cycle: the explanation
then says so, states the improvement, and prices alternatives exactly against the optimum.

Pinned pairs stay: the certificate is that of the rest of the plan, with the pinned firms
taken out and their cadres' limits reduced (as :mod:`assign.pins` solves it). With rules a
plain min-cost flow does not cover (workload limits, ``max_cadres``, ``max_changes``,
``balance``, a previous plan) each figure is a re-solve with the pair pinned
(:mod:`assign.insight.explain_resolve`), reported with the solver's status.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import NegativeCycleError, shortest_path

from ..candidates import REASONS, REASONS_ZH, Candidates, build_candidates
from ..errors import Problem as InputProblem
from ..errors import ScenarioError
from ..io.scenario import Scenario
from ..io.schema import headers_zh
from ..pairing import Pairing
from ..problem import Problem
from ..solve import cost_units
from ..solvers.coverage import priority_ranks
from ..solvers.flow import count_capacity, solve_flow
from .inadmissible import UNITS as UNITS  # shared with explain_resolve
from .inadmissible import _distances as _distances
from .inadmissible import _inadmissible_frame, _no_cadre_text, _stack
from .inadmissible import why_not as why_not

MOVE, DROP, COVER, SPARE, RELEASE = 0, 1, 2, 3, 4
"""Kinds of condensed residual edges: a firm moves between cadres, a firm loses its cadre,
an uncovered firm gains one, a cadre uses a free place, a cadre gives a place up."""


FLOYD_MAX = 400
"""Largest number of cadres for which all-pairs paths use Floyd-Warshall (else Johnson)."""


@dataclass(frozen=True)
class Explanation:
    """Why a plan is as it is, as tidy tables.

    Attributes:
        firms: One row per explained covered firm: firm_id, firm_name, cadre_id,
            cadre_name, distance_km, cost, pinned (pinned by the planner: no alternatives).
        alternatives: One row per (firm, alternative cadre): firm_id, rank, cadre_id,
            cadre_name, distance_km, cost, extra_cost (exact increase of the optimal
            objective with the firm forced to that cadre and everything else re-optimised;
            NaN when inadmissible), admissible, why, uncovers (firms that would lose their
            cadre, ";"-joined, when coverage cannot be kept), status (solver status).
        uncovered: One row per uncovered firm: firm_id, firm_name, priority, reason,
            detail, fix_cadre_id (the cadre whose one more place covers it, cheapest
            first), fix_extra_cost, fix_kind ("place": that place alone covers it when the
            plan is re-optimised; "place_and_pin": with the firm also pinned to
            fix_pin_cadre_id, at most that extra cost; "none": no cadre may serve it),
            fix_pin_cadre_id, fix (a sentence).
        candidates: One row per (uncovered firm, cadre that could serve it): firm_id,
            cadre_id, cadre_name, cost, firms (how many it serves now), max_firms, holds
            (the firms that fill it, ";"-joined).
        cadres: One row per cadre: cadre_id, cadre_name, firms, max_firms,
            marginal_value (objective saved by one more place for it; NaN for cadres
            with max_firms 0, who take no firms), firms_gained
            (firms it would cover), covers (those firms, ";"-joined).
        optimal: Whether the given pairing is optimal for the scenario.
        improvement: When not optimal, how much better the optimum is: firms (more
            covered) and objective (saved).
        unit: "km" (objective distance) or "cost".
        backend: the solver behind the figures: "flow" or "cpsat" (re-solves when the
            scenario's rules need them; each alternative's ``status`` says how sure it is).
        seconds: Wall time.
    """

    firms: pd.DataFrame
    alternatives: pd.DataFrame
    uncovered: pd.DataFrame
    candidates: pd.DataFrame
    cadres: pd.DataFrame
    optimal: bool
    improvement: dict[str, float]
    unit: str
    backend: str
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The explanation in the JSON layout of ``zhuqi explain --out FILE.json``."""
        alts = {f: g.drop(columns="firm_id") for f, g in self.alternatives.groupby(
            "firm_id", sort=False)}
        firms = []
        for row in self.firms.to_dict(orient="records"):
            g = alts.get(row["firm_id"])
            row["alternatives"] = [] if g is None else [_clean(a) for a in g.to_dict("records")]
            firms.append(_clean(row))
        cands = {f: g.drop(columns="firm_id") for f, g in self.candidates.groupby(
            "firm_id", sort=False)}
        uncovered = []
        for row in self.uncovered.to_dict(orient="records"):
            g = cands.get(row["firm_id"])
            row["candidates"] = [] if g is None else [_clean(a) for a in g.to_dict("records")]
            uncovered.append(_clean(row))
        return {
            "optimal": self.optimal,
            "improvement": self.improvement,
            "unit": self.unit,
            "backend": self.backend,
            "firms": firms,
            "uncovered": uncovered,
            "cadres": [_clean(r) for r in self.cadres.to_dict(orient="records")],
            "seconds": round(self.seconds, 3),
        }

    def sentences(self, lang: str = "zh") -> list[str]:
        """The explanation as sentences a reader can follow, one per line."""
        return _sentences(self, lang)


def _clean(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and math.isnan(v):
            v = None
        out[k] = v
    return out


def explain(
    scenario: Scenario | Problem,
    pairing: Pairing | pd.DataFrame,
    firms: list[str] | None = None,
    cadres: list[str] | None = None,
    top: int = 3,
    time_limit: float = 5.0,
    seed: int = 0,
) -> Explanation:
    """Explain a pairing of ``scenario``: alternatives, uncovered firms' fixes, cadres' value.

    Args:
        scenario: The scenario the pairing was made for.
        pairing: The plan (a :class:`Pairing` or a table with cadre_id and firm_id).
        firms: Firm ids to explain (default: all; with ``cadres`` only, their firms).
        cadres: Cadre ids to report (default: all); they are also priced as
            alternatives for every explained firm.
        top: Alternatives per firm (the cheapest by extra cost).
        time_limit: Seconds per re-solve on the CP-SAT path.
        seed: CP-SAT seed.

    Returns:
        The :class:`Explanation`.

    Raises:
        ScenarioError: the pairing names unknown ids, inadmissible pairs or overfull cadres.
    """
    from ..solve import choose_backend, province_scale

    if isinstance(scenario, Problem):  # the compiled problem: its previous plan included
        scenario = scenario.as_scenario()
    if scenario.config.assignment.mode == "teams":
        raise ValueError("explain covers pairings of single cadres; mode teams (task forces) "
                         "is not explained yet: see the teams table of the plan")
    if province_scale(scenario):
        from ..solve import LARGE_PAIRS, estimate_pairs

        raise ValueError(
            f"explain holds the whole pair table, and {scenario.name} has about "
            f"{int(estimate_pairs(scenario)):,} admissible pairs (more than {LARGE_PAIRS:,}): "
            "explain one city or county at a time (a scenario with its own cadres and "
            "firms), or set a shorter assignment.max_distance_km")
    start = time.perf_counter()
    table = pairing.pairs if isinstance(pairing, Pairing) else pairing
    cfg = scenario.config.assignment
    meta = {"scenario": scenario.name, "top": top}
    if (choose_backend(scenario) == "cpsat" or scenario.previous is not None
            or cfg.balance != "none"):
        from .explain_resolve import explain_resolve

        result = explain_resolve(scenario, table, firms, cadres, top, time_limit, seed)
        return Explanation(**result, seconds=time.perf_counter() - start, meta=meta)
    from ..pins import split_pins

    pins = split_pins(scenario)
    work: Scenario = pins.sub if pins.any else scenario  # type: ignore[assignment]
    pinned_ids = set(scenario.firms["id"].astype(str).to_numpy()[pins.pinned.firm])
    free = table[~table["firm_id"].astype(str).isin(pinned_ids)]
    # the whole scenario's pairs without the pinned firms: a pinned, full cadre keeps its
    # pairs (at no place left), so a place more for it is priced like any other
    cand = pins.restrict(build_candidates(scenario, with_load=False))
    source = pairing.meta.get("source", "pairing") if isinstance(pairing, Pairing) else "pairing"
    ctx = _Context.make(work, cand, free, str(source))
    want_firms, want_cadres = ctx.selection(
        [f for f in firms if f not in pinned_ids] if firms else firms, cadres)
    result = _explain_flow(ctx, want_firms, want_cadres, top)
    result["firms"]["pinned"] = False
    if pins.any:
        result = _add_pins(scenario, pins, result, firms, cadres)
    return Explanation(**result, seconds=time.perf_counter() - start, meta=meta)


def _add_pins(scenario: Scenario, pins, result: dict, firms, cadres) -> dict:
    """Put the pinned pairs back: listed as pinned (no alternative is open), counted in
    their cadres' firms."""
    p = pins.pinned
    fid = scenario.firms["id"].astype(str).to_numpy()
    cid = scenario.cadres["id"].astype(str).to_numpy()
    keep = np.ones(len(p), bool)
    if firms:
        keep &= np.isin(fid[p.firm], firms)
    elif cadres:
        keep &= np.isin(cid[p.cadre], cadres)
    rows = pd.DataFrame({
        "firm_id": fid[p.firm][keep], "firm_name": scenario.firms["name"].to_numpy()[p.firm][keep],
        "cadre_id": cid[p.cadre][keep], "cadre_name": scenario.cadres["name"].to_numpy()[p.cadre][keep],
        "distance_km": np.round(p.distance_km[keep], 4), "cost": np.round(p.cost[keep], 6),
        "pinned": True})
    firms_df = _stack(result["firms"], rows) if len(rows) else result["firms"]
    order = pd.Index(fid).get_indexer(firms_df["firm_id"])
    result["firms"] = firms_df.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    cad = result["cadres"].copy()
    extra = pd.Series(pins.count, index=cid)
    cad["firms"] = cad["firms"].to_numpy() + extra.reindex(cad["cadre_id"].astype(str)).to_numpy()
    cad["max_firms"] = scenario.cadres.set_index(scenario.cadres["id"].astype(str))[
        "max_firms"].reindex(cad["cadre_id"].astype(str)).to_numpy(float)
    result["cadres"] = cad
    return result


@dataclass
class _Context:
    """The scenario's pairs in integer units and the given plan on them."""

    scenario: Scenario
    cand: Candidates
    icost: np.ndarray
    scale: int
    capacity: np.ndarray
    ranks: np.ndarray
    chosen: np.ndarray
    own: np.ndarray  # pair index of each firm's cadre, -1 when uncovered
    unit: str

    @classmethod
    def make(cls, scenario: Scenario, cand: Candidates, table: pd.DataFrame,
             label: str = "pairing") -> _Context:
        cadres, firms = scenario.cadres, scenario.firms
        n = len(firms)
        icost, scale, _ = cost_units(cand.cost)
        capacity = count_capacity(scenario.cadres["max_firms"].to_numpy(float), n)
        ranks = priority_ranks(firms["priority"].to_numpy())
        ci = pd.Index(cadres["id"].astype(str)).get_indexer(table["cadre_id"].astype(str))
        fi = pd.Index(firms["id"].astype(str)).get_indexer(table["firm_id"].astype(str))
        problems = []
        for col, idx in (("cadre_id", ci), ("firm_id", fi)):
            for r in np.flatnonzero(idx < 0)[:20]:
                problems.append(InputProblem(label, f"unknown id '{table[col].iat[r]}'", int(r) + 2, col))
        if problems:
            raise ScenarioError(problems)
        key = cand.firm.astype(np.int64) * len(cadres) + cand.cadre
        order = np.argsort(key, kind="stable")
        want = fi.astype(np.int64) * len(cadres) + ci
        pos = np.searchsorted(key[order], want)
        pos = np.minimum(pos, len(order) - 1) if len(order) else pos
        found = (len(order) > 0) & (key[order][pos] == want) if len(order) else np.zeros(
            len(want), bool)
        for r in np.flatnonzero(~found)[:20]:
            problems.append(InputProblem(label, f"cadre '{table['cadre_id'].iat[r]}' may not serve "
                                    f"firm '{table['firm_id'].iat[r]}' under the scenario's "
                                    "rules", int(r) + 2, "cadre_id"))
        dup = pd.Series(fi).duplicated().to_numpy()
        for r in np.flatnonzero(dup)[:20]:
            problems.append(InputProblem(label, f"firm '{table['firm_id'].iat[r]}' is paired twice",
                                    int(r) + 2, "firm_id"))
        if problems:
            raise ScenarioError(problems)
        chosen = order[pos].astype(np.int64)
        count = np.bincount(cand.cadre[chosen], minlength=len(cadres))
        for c in np.flatnonzero(count > capacity)[:20]:
            problems.append(InputProblem(label, f"cadre '{cadres['id'].iat[c]}' has {count[c]} firms, "
                                    f"more than max_firms {capacity[c]}", None, "cadre_id"))
        if problems:
            raise ScenarioError(problems)
        own = np.full(n, -1, np.int64)
        own[cand.firm[chosen]] = chosen
        unit = UNITS.get(scenario.config.assignment.objective, "cost")
        return cls(scenario, cand, icost, scale, capacity, ranks, chosen, own, unit)

    def selection(self, firms: list[str] | None, cadres: list[str] | None):
        """Firm and cadre row indices to report."""
        fid = self.scenario.firms["id"].astype(str)
        cid = self.scenario.cadres["id"].astype(str)
        problems = []
        for what, ids, index in (("--firm", firms, fid), ("--cadre", cadres, cid)):
            for x in ids or []:
                if x not in set(index):
                    problems.append(InputProblem(what, f"unknown id '{x}'"))
        if problems:
            raise ScenarioError(problems)
        want_c = (np.flatnonzero(cid.isin(cadres).to_numpy()) if cadres
                  else np.arange(len(cid)))
        if firms:
            want_f = np.flatnonzero(fid.isin(firms).to_numpy())
        elif cadres:
            mine = np.isin(self.cand.cadre[self.chosen], want_c)
            want_f = np.sort(self.cand.firm[self.chosen][mine])
        else:
            want_f = np.arange(len(fid))
        return want_f, want_c

    def counts(self) -> np.ndarray:
        return np.bincount(self.cand.cadre[self.chosen], minlength=len(self.capacity))


def _base(ctx: _Context) -> tuple[int, np.ndarray]:
    """Coverage base B and each firm's reward (rank + 1) * B."""
    m = len(ctx.capacity)
    maxabs = int(np.abs(ctx.icost).max(initial=0))
    base = 2 * (m + 3) * (2 * maxabs + 1) + 1
    reward = (ctx.ranks.astype(np.int64) + 1) * base
    if float(reward.max(initial=0)) * (m + 3) >= 2.0**52:
        raise OverflowError("costs too large for an exact explanation; use coarser costs")
    return base, reward


@dataclass
class _Certificate:
    """All-pairs shortest paths on the condensed residual graph of a plan."""

    dist: np.ndarray  # (m+1) x (m+1), node m is the sink
    pred: np.ndarray
    keys: np.ndarray  # sorted u * (m+1) + v of the kept edges
    kind: np.ndarray
    firm: np.ndarray


def _certificate(ctx: _Context, own: np.ndarray, reward: np.ndarray) -> _Certificate:
    """Shortest paths in the plan's condensed residual graph (raises NegativeCycleError
    when the plan is not optimal)."""
    cand = ctx.cand
    m, n = len(ctx.capacity), len(own)
    sink = m
    chosen = own[own >= 0]
    count = np.bincount(cand.cadre[chosen], minlength=m)
    free = np.ones(len(cand), bool)
    free[chosen] = False
    p = np.flatnonzero(free)
    f = cand.firm[p]
    covered_f = own[f] >= 0
    src = np.where(covered_f, cand.cadre[np.where(covered_f, own[f], 0)], sink)
    w = np.where(covered_f, ctx.icost[p] - ctx.icost[np.where(covered_f, own[f], 0)],
                 ctx.icost[p] - reward[f])
    kind = np.where(covered_f, MOVE, COVER)
    cov = np.flatnonzero(own >= 0)
    spare = np.flatnonzero(count < ctx.capacity)
    busy = np.flatnonzero(count > 0)
    u = np.concatenate([src, cand.cadre[own[cov]], spare, np.full(len(busy), sink)])
    v = np.concatenate([cand.cadre[p], np.full(len(cov) + len(spare), sink), busy])
    wt = np.concatenate([w, reward[cov] - ctx.icost[own[cov]], np.zeros(len(spare) + len(busy),
                                                                          np.int64)])
    kd = np.concatenate([kind, np.full(len(cov), DROP), np.full(len(spare), SPARE),
                         np.full(len(busy), RELEASE)])
    fm = np.concatenate([f, cov, np.full(len(spare) + len(busy), -1)])
    keep = u != v
    u, v, wt, kd, fm = u[keep], v[keep], wt[keep], kd[keep], fm[keep]
    key = u.astype(np.int64) * (m + 1) + v
    order = np.lexsort((wt, key))
    key, wt, kd, fm = key[order], wt[order], kd[order], fm[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    key, wt, kd, fm = key[first], wt[first], kd[first], fm[first]
    # Explicit zeros are edges for scipy's sparse graphs; shift nothing, keep exact integers.
    graph = csr_matrix((wt.astype(float), (key // (m + 1), key % (m + 1))), shape=(m + 1, m + 1))
    graph.data[graph.data == 0] = 0.0  # keep explicit zeros as zero-cost edges
    # Floyd-Warshall is quickest on small graphs, Johnson (Bellman-Ford + Dijkstra) on large
    method = "FW" if m <= FLOYD_MAX else "J"
    dist, pred = shortest_path(graph, method=method, directed=True, return_predecessors=True)
    del n
    return _Certificate(dist, pred, key, kd, fm)


def _walk(cert: _Certificate, a: int, b: int, m: int) -> list[tuple[int, int]]:
    """(kind, firm) of the edges on the shortest path a -> b."""
    steps = []
    node = b
    while node != a:
        prev = int(cert.pred[a, node])
        if prev < 0:
            break
        i = int(np.searchsorted(cert.keys, prev * (m + 1) + node))
        steps.append((int(cert.kind[i]), int(cert.firm[i])))
        node = prev
    return steps[::-1]


def _at(values: np.ndarray, idx: np.ndarray, missing: int) -> np.ndarray:
    """``values[idx]`` where ``idx >= 0``, else ``missing`` (int64)."""
    out = np.full(len(idx), missing, np.int64)
    has = idx >= 0
    out[has] = values[idx[has]]
    return out


def _split(total: np.ndarray, base: int, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Coverage part (in base units) and objective part (in cost units) of cycle costs."""
    k = np.rint(np.asarray(total, float) / base)
    return k.astype(np.int64), (np.asarray(total, float) - k * base) / scale


def _explain_flow(ctx: _Context, want_f: np.ndarray, want_c: np.ndarray, top: int) -> dict:
    cand, scenario = ctx.cand, ctx.scenario
    m, n = len(ctx.capacity), len(scenario.firms)
    base, reward = _base(ctx)
    given_total = int(ctx.icost[ctx.chosen].sum()) + int(reward[ctx.own < 0].sum())
    own = ctx.own
    optimal = True
    try:
        cert = _certificate(ctx, own, reward)
    except NegativeCycleError:
        optimal = False
        chosen, _ = solve_flow(cand.cadre, cand.firm, ctx.icost, ctx.capacity, ctx.ranks)
        own = np.full(n, -1, np.int64)
        own[cand.firm[chosen]] = chosen
        cert = _certificate(ctx, own, reward)
    ref_total = int(ctx.icost[own[own >= 0]].sum()) + int(reward[own < 0].sum())
    offset = ref_total - given_total
    _, obj_gain = _split(np.array([-offset]), base, ctx.scale)
    improvement = {"firms": int((own >= 0).sum() - (ctx.own >= 0).sum()),
                   "objective": float(np.round(obj_gain[0], 6))}
    sink = m
    node = _at(ctx.cand.cadre, own, sink)
    own_cost = np.where(own >= 0, _at(ctx.icost, own, 0), reward)

    # forced alternatives for every pair of the explained covered firms
    explained = np.zeros(n, bool)
    explained[want_f] = True
    given_cadre = _at(cand.cadre, ctx.own, -1)
    covered_given = ctx.own >= 0
    sel = explained[cand.firm] & covered_given[cand.firm] & (cand.cadre != given_cadre[cand.firm])
    p = np.flatnonzero(sel)
    pf = cand.firm[p]
    same = node[pf] == cand.cadre[p]
    total = np.where(same, 0.0, ctx.icost[p] + cert.dist[cand.cadre[p], node[pf]] - own_cost[pf])
    total = total + offset
    k, extra = _split(total, base, ctx.scale)
    want_c_mask = np.zeros(m, bool)
    if len(want_c) < m:
        want_c_mask[want_c] = True
    order = np.lexsort((cand.cadre[p], total, pf))
    p, pf, k, extra, total = p[order], pf[order], k[order], extra[order], total[order]
    starts = np.searchsorted(pf, pf, side="left")
    rank_in = np.arange(len(p)) - starts
    keep = (rank_in < top) | want_c_mask[cand.cadre[p]]
    p, pf, k, extra = p[keep], pf[keep], k[keep], extra[keep]
    rank_kept = (np.arange(len(p)) - np.searchsorted(pf, pf, side="left")) + 1
    uncovers = []
    for i in range(len(p)):
        if k[i] > 0:
            steps = _walk(cert, int(cand.cadre[p[i]]), int(node[pf[i]]), m)
            lost = [s[1] for s in steps if s[0] == DROP]
            uncovers.append(";".join(map(str, scenario.firms["id"].to_numpy()[lost])))
        else:
            uncovers.append("")
    cid, cname = scenario.cadres["id"].to_numpy(), scenario.cadres["name"].to_numpy()
    fid = scenario.firms["id"].to_numpy()
    alts = pd.DataFrame({
        "firm_id": fid[pf], "rank": rank_kept.astype(np.int64), "cadre_id": cid[cand.cadre[p]],
        "cadre_name": cname[cand.cadre[p]], "distance_km": np.round(cand.distance_km[p], 4),
        "cost": np.round(cand.cost[p], 6), "extra_cost": np.round(extra, 6),
        "admissible": True, "why": "", "uncovers": uncovers, "status": "optimal",
    })
    bad = _inadmissible(ctx, want_f, top, want_c)
    if len(bad):
        alts = _stack(alts, bad)
    alts = alts.astype({"rank": np.int64, "distance_km": float, "cost": float,
                        "extra_cost": float, "admissible": bool})
    alts["_f"] = pd.Index(fid).get_indexer(alts["firm_id"])
    alts = alts.sort_values(["_f", "admissible", "rank"], ascending=[True, False, True],
                            kind="stable").drop(columns="_f").reset_index(drop=True)

    firm_rows = _firm_rows(ctx, want_f)
    places = _places(ctx, cert, base)
    place_covers: dict[int, list[int]] = {}
    for c, fs in enumerate(places[2]):
        if len(fs) - len(places[3][c]) > 0:
            for f in fs:
                place_covers.setdefault(f, []).append(c)
    unc, cands = _uncovered(ctx, want_f, cert, own, reward, base, node, place_covers)
    cad = _cadres(ctx, want_c, own, places)
    return {"firms": firm_rows, "alternatives": alts, "uncovered": unc, "candidates": cands,
            "cadres": cad, "optimal": optimal, "improvement": improvement, "unit": ctx.unit,
            "backend": "flow"}


def _firm_rows(ctx: _Context, want_f: np.ndarray) -> pd.DataFrame:
    cand, sc = ctx.cand, ctx.scenario
    f = want_f[ctx.own[want_f] >= 0]
    p = ctx.own[f]
    return pd.DataFrame({
        "firm_id": sc.firms["id"].to_numpy()[f], "firm_name": sc.firms["name"].to_numpy()[f],
        "cadre_id": sc.cadres["id"].to_numpy()[cand.cadre[p]],
        "cadre_name": sc.cadres["name"].to_numpy()[cand.cadre[p]],
        "distance_km": np.round(cand.distance_km[p], 4), "cost": np.round(cand.cost[p], 6),
    })


def _inadmissible(ctx: _Context, want_f: np.ndarray, top: int, want_c: np.ndarray) -> pd.DataFrame:
    """Cadres nearer than a firm's own that may not serve it (or named with --cadre), and why."""
    f = want_f[ctx.own[want_f] >= 0]
    crow = ctx.cand.crow_km  # great-circle km when distance_km is by road
    own_km = (crow if crow is not None else ctx.cand.distance_km)[ctx.own[f]]
    return _inadmissible_frame(ctx.scenario, ctx.cand, f, own_km, top, want_c)


def _uncovered(ctx, want_f, cert, own, reward, base, node, place_covers
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Uncovered firms: reason, who could serve them, and the cheapest one-place fix.

    A fix of kind "place" is exact: one more place for that cadre, and the re-optimised
    plan covers the firm at that extra cost (the firm is the best use of the place). When no
    single place does so on its own, the fix is of kind "place_and_pin": one more place
    plus pinning the firm to the cadre named in ``fix``, at most that extra cost.
    """
    cand, sc = ctx.cand, ctx.scenario
    m = len(ctx.capacity)
    fid, cid = sc.firms["id"].to_numpy(), sc.cadres["id"].to_numpy()
    f_un = want_f[ctx.own[want_f] < 0]
    count = ctx.counts()
    order = np.argsort(cand.firm, kind="stable")
    bounds = np.searchsorted(cand.firm[order], np.arange(len(sc.firms) + 1))
    fixes: list[str] = []
    fix_c: list[str | None] = []
    pins: list[str | None] = []
    fix_y: list[float] = []
    kinds: list[str] = []
    reasons: list[str] = []
    crow: list[np.ndarray] = []
    cfg = sc.config.assignment
    unit = " km" if ctx.unit == "km" else ""
    for f in f_un.tolist():
        ps = order[bounds[f]:bounds[f + 1]]
        reason = cand.reason[f] or "capacity_used_up"
        reasons.append(reason)
        crow.append(ps)
        if len(ps) == 0:
            fix_c.append(None)
            fix_y.append(np.nan)
            kinds.append("none")
            pins.append(None)
            fixes.append(_no_cadre_text(sc, f, reason, cfg))
            continue
        if own[f] >= 0:  # covered in the optimum, uncovered in the given plan
            pins.append(None)
            fix_c.append(cid[cand.cadre[own[f]]])
            fix_y.append(0.0)
            kinds.append("optimum")
            fixes.append("the optimal plan covers it: the given pairing is not optimal")
            continue
        places = place_covers.get(f)
        if places:
            x = min(places, key=lambda c: cert.dist[m, c])
            _, y = _split(np.array([cert.dist[m, x]]), base, ctx.scale)
            kinds.append("place")
            pins.append(None)
            fixes.append(f"one more place for cadre {cid[x]} covers it at {y[0]:+.3f}{unit}")
        else:
            via = ctx.icost[ps][:, None] + cert.dist[cand.cadre[ps], :m]
            best = np.unravel_index(int(np.argmin(via)), via.shape)
            _, y = _split(np.array([float(via[best]) - float(reward[f])]), base, ctx.scale)
            x, pin = int(best[1]), int(cand.cadre[ps[best[0]]])
            kinds.append("place_and_pin")
            pins.append(cid[pin])
            to = "it" if pin == x else f"cadre {cid[pin]}"
            fixes.append(f"one more place for cadre {cid[x]}, with the firm pinned to {to}, "
                         f"covers it at {y[0]:+.3f}{unit} or less")
        fix_c.append(cid[x])
        fix_y.append(float(np.round(y[0], 6)))
    unc = pd.DataFrame({
        "firm_id": fid[f_un], "firm_name": sc.firms["name"].to_numpy()[f_un],
        "priority": sc.firms["priority"].to_numpy()[f_un], "reason": reasons,
        "detail": [REASONS[r] for r in reasons], "fix_cadre_id": fix_c,
        "fix_extra_cost": fix_y, "fix_kind": kinds, "fix_pin_cadre_id": pins, "fix": fixes,
    })
    if len(unc):
        unc = unc.iloc[np.lexsort((np.arange(len(unc)), -unc["priority"].to_numpy()))]
        unc = unc.reset_index(drop=True)
    q = np.concatenate(crow) if crow else np.zeros(0, np.int64)
    cf, cc = cand.firm[q], cand.cadre[q]
    cands = pd.DataFrame({
        "firm_id": fid[cf], "cadre_id": cid[cc], "cadre_name": sc.cadres["name"].to_numpy()[cc],
        "cost": np.round(cand.cost[q], 6), "firms": count[cc],
        "max_firms": sc.cadres["max_firms"].to_numpy(float)[cc],
        "holds": holdings(ctx)[cc] if len(cc) else [],
    })
    if len(cands):
        cands = cands.iloc[np.lexsort((cands["cost"].to_numpy(), pd.Index(fid).get_indexer(
            cands["firm_id"])))].reset_index(drop=True)
    return unc, cands


def holdings(ctx: _Context) -> np.ndarray:
    """Per cadre, the firms the given plan gives it (";"-joined ids)."""
    fid = ctx.scenario.firms["id"].astype(str).to_numpy()
    c, f = ctx.cand.cadre[ctx.chosen], ctx.cand.firm[ctx.chosen]
    held = pd.Series(fid[f]).groupby(c).agg(";".join)
    out = np.full(len(ctx.capacity), "", dtype=object)
    out[held.index.to_numpy()] = held.to_numpy()
    return out


def _places(ctx, cert, base) -> tuple[np.ndarray, np.ndarray, list[list[int]], list[list[int]]]:
    """For every cadre, what one more place is worth: objective saved, coverage change, and
    the firms it would cover and uncover (read off the path sink -> cadre)."""
    m = len(ctx.capacity)
    t = cert.dist[m, :m]
    t = np.where(np.isfinite(t), np.minimum(t, 0.0), 0.0)
    k, saved = _split(-t, base, ctx.scale)
    got: list[list[int]] = [[] for _ in range(m)]
    lost: list[list[int]] = [[] for _ in range(m)]
    for c in np.flatnonzero(k != 0).tolist():
        steps = _walk(cert, m, c, m)
        got[c] = [s[1] for s in steps if s[0] == COVER]
        lost[c] = [s[1] for s in steps if s[0] == DROP]
    return saved, k, got, lost


def _cadres(ctx, want_c, own, places) -> pd.DataFrame:
    """Each cadre's firms and what one more place for it is worth."""
    sc = ctx.scenario
    m = len(ctx.capacity)
    saved, _, got, lost = places
    fid = sc.firms["id"].to_numpy()
    count = np.bincount(ctx.cand.cadre[own[own >= 0]], minlength=m)
    # a cadre takes firms when it has a place, or pairs (a pinned, full cadre keeps them)
    takes = (ctx.capacity > 0) | (np.bincount(ctx.cand.cadre, minlength=m) > 0)
    return pd.DataFrame({
        "cadre_id": sc.cadres["id"].to_numpy()[want_c],
        "cadre_name": sc.cadres["name"].to_numpy()[want_c],
        "firms": count[want_c], "max_firms": sc.cadres["max_firms"].to_numpy(float)[want_c],
        "marginal_value": np.where(takes[want_c], np.round(saved[want_c], 6), np.nan),
        "firms_gained": np.array([len(got[c]) - len(lost[c]) for c in want_c], np.int64),
        "covers": [";".join(map(str, fid[got[c]])) for c in want_c],
    })


def _sentences(ex: Explanation, lang: str) -> list[str]:
    zh = lang == "zh"
    km = ex.unit == "km"
    lines = []
    if not ex.optimal:
        lines.append(improvement_text(ex.improvement, ex.unit, lang))
    alts = {f: g for f, g in ex.alternatives.groupby("firm_id", sort=False)}
    for r in ex.firms.itertuples(index=False):
        head = (f"{r.firm_name}({r.firm_id}) 由 {r.cadre_name} 联系, 距离 {r.distance_km:.1f} 公里。"
                if zh else
                f"{r.firm_name} ({r.firm_id}) is served by {r.cadre_name}, {r.distance_km:.1f} km away.")
        parts = [head]
        g = alts.get(r.firm_id)
        for a in ([] if g is None else g.itertuples(index=False)):
            parts.append(_alt_sentence(a, zh, km))
        lines.append(" ".join(parts))
    for u in ex.uncovered.itertuples(index=False):
        detail = REASONS_ZH.get(u.reason, u.detail) if zh else u.detail
        lines.append(
            f"{u.firm_name}({u.firm_id}) 暂无干部: {detail}。{_fix_zh(u, km)}" if zh else
            f"{u.firm_name} ({u.firm_id}) has no cadre: {u.detail}. Fix: {u.fix}.")
    for c in ex.cadres.itertuples(index=False):
        if c.firms_gained > 0:
            lines.append(
                f"{c.cadre_name}({c.cadre_id}) 每多联系一家企业, 可多覆盖 {c.firms_gained} 家企业"
                f"({c.covers})。" if zh else
                f"One more place for {c.cadre_name} ({c.cadre_id}) covers {c.firms_gained} more "
                f"firm(s) ({c.covers}).")
        elif c.marginal_value > 0:
            lines.append(
                f"{c.cadre_name}({c.cadre_id}) 每多联系一家企业, 总{'距离' if km else '成本'}可减少 "
                f"{c.marginal_value:.3f}{' 公里' if km else ''}。" if zh else
                f"One more place for {c.cadre_name} ({c.cadre_id}) saves {c.marginal_value:.3f} "
                f"{ex.unit}.")
    return lines


def _alt_sentence(a, zh: bool, km: bool) -> str:
    if not a.admissible:
        return (f"{a.cadre_name} 距离 {a.distance_km:.1f} 公里, 但不能派: {_why_zh(a.why)}。" if zh
                else f"{a.cadre_name} ({a.distance_km:.1f} km) cannot serve it: {a.why}.")
    what = "总距离" if km else "总成本"
    unit = " 公里" if km else ""
    if a.uncovers:
        return (f"若改派{a.cadre_name}, 将有企业({a.uncovers})无人联系。" if zh else
                f"Moving it to {a.cadre_name} would leave {a.uncovers} without a cadre.")
    verb = "增加" if a.extra_cost >= 0 else "减少"
    return (f"若改派{a.cadre_name}, {what}{verb} {abs(a.extra_cost):.1f}{unit}。" if zh else
            f"Moving it to {a.cadre_name} changes the total by {a.extra_cost:+.1f}"
            f"{' km' if km else ''}.")


def _why_zh(why: str) -> str:
    if why.startswith("out of reach"):
        return "超出距离限制(" + why.split(": ", 1)[1].replace("limit", "上限") + ")"
    if why.startswith("lacks the skill"):
        return "不具备所需专长"
    if why.startswith("takes no firms"):
        return "不承担联系企业任务"
    if why.startswith("not listed"):
        return "结对表未列出该组合"
    return "按规则不允许"


def _fix_zh(u, km: bool) -> str:
    if u.fix_cadre_id is None or (isinstance(u.fix_cadre_id, float) and math.isnan(u.fix_cadre_id)):
        return ""
    unit = " 公里" if km else ""
    what = "总距离" if km else "总成本"
    if u.fix_kind == "optimum":
        return "最优方案可覆盖该企业。"
    if u.fix_kind == "place_and_pin":
        pin = u.fix_pin_cadre_id or u.fix_cadre_id
        who = "其" if pin == u.fix_cadre_id else f"干部 {pin} "
        return (f"若干部 {u.fix_cadre_id} 多联系一家企业, 并指定由{who}联系该企业, 即可覆盖, "
                f"{what}最多增加 {u.fix_extra_cost:.1f}{unit}。")
    return (f"若干部 {u.fix_cadre_id} 多联系一家企业, 即可覆盖该企业, "
            f"{what}增加 {u.fix_extra_cost:.1f}{unit}。")


def improvement_text(imp: dict, unit: str, lang: str = "en") -> str:
    """What a non-optimal plan misses, in words: more firms covered and/or a lower total.

    The optimum covers firms first, so it may cost *more* in total (its extra firms add
    distance); that is said as such, never as a negative saving.
    """
    firms, delta = int(imp["firms"]), float(imp["objective"])
    km = unit == "km"
    if lang == "zh":
        what, u = ("总距离", " 公里") if km else ("总成本", "")
        parts = [f"多覆盖 {firms} 家企业"] if firms > 0 else []
        if delta > 1e-9:
            parts.append(f"{what}减少 {delta:.3f}{u}")
        elif delta < -1e-9:
            parts.append(f"{what}因多覆盖的企业增加 {-delta:.3f}{u}" if firms > 0
                         else f"{what}增加 {-delta:.3f}{u}")
        return "注意: 该结对方案不是最优方案; 最优方案" + ("、".join(parts) or "与之相同") + "。"
    parts = [f"covers {firms} more firm{'s' if firms != 1 else ''}"] if firms > 0 else []
    if delta > 1e-9:
        parts.append(f"costs {delta:.3f} {unit} less in total")
    elif delta < -1e-9:
        parts.append(f"costs {-delta:.3f} {unit} more in total" +
                     (" (for the firms it adds)" if firms > 0 else ""))
    return "Note: this pairing is not optimal; the optimum " + (" and ".join(parts) or
                                                                "is the same") + "."


EXPLAIN_HEADERS_ZH = headers_zh("explanation")
"""Chinese headers of the explanation's own columns (the rest as in pairing lists)."""


def flat_table(ex: Explanation) -> pd.DataFrame:
    """One row per (firm, alternative), then one per uncovered firm with its fix."""
    alts = ex.alternatives.rename(columns={
        "cadre_id": "alt_cadre_id", "cadre_name": "alt_cadre_name",
        "distance_km": "alt_distance_km", "cost": "alt_cost"})
    rows = ex.firms.merge(alts, on="firm_id", how="left")
    unc = ex.uncovered.rename(columns={"detail": "why"})[
        ["firm_id", "firm_name", "why", "fix_cadre_id", "fix_extra_cost", "fix"]]
    return pd.concat([rows, unc], ignore_index=True)


def write_explanation(ex: Explanation, path, lang: str = "en", manifest: dict | None = None):
    """Write the explanation; the format follows the suffix (.json, .csv, .xlsx).

    JSON has the keys firms / uncovered / cadres (and the manifest inside); CSV is
    :func:`flat_table`; the workbook has a sheet of sentences (说明, in Chinese, plus one in
    English with ``lang="en"``), then firms and alternatives, uncovered firms, candidates
    and cadres.
    """
    from pathlib import Path

    from ..io.export import HEADERS_ZH, atomic_write, with_manifest, write_csv, write_json

    path = Path(path)
    suffix = path.suffix.lower()
    heads = {**HEADERS_ZH, **EXPLAIN_HEADERS_ZH}

    def headed(df: pd.DataFrame) -> pd.DataFrame:
        return df.rename(columns=heads) if lang == "zh" else df

    if suffix == ".json":
        return write_json(path, ex.to_json(), manifest)
    if suffix == ".csv":
        return write_csv(path, headed(flat_table(ex)), manifest)
    if suffix != ".xlsx":
        raise ValueError(f"{path}: unknown explanation format '{suffix}'; use .json, .csv or .xlsx")
    sheets = [("说明", pd.DataFrame({"说明": ex.sentences("zh")}))]
    if lang != "zh":
        sheets.append(("explanation", pd.DataFrame({"sentence": ex.sentences("en")})))
    names = (("备选干部", "未覆盖企业", "可服务干部", "干部名额") if lang == "zh" else
             ("alternatives", "uncovered", "candidates", "cadres"))
    tables = (ex.firms.merge(ex.alternatives.rename(columns={
        "cadre_id": "alt_cadre_id", "cadre_name": "alt_cadre_name",
        "distance_km": "alt_distance_km", "cost": "alt_cost"}), on="firm_id", how="left"),
        ex.uncovered, ex.candidates, ex.cadres)
    keys = {name: list(df.columns) for name, df in sheets}
    keys.update({n: list(t.columns) for n, t in zip(names, tables, strict=True)})
    sheets += [(n, headed(t)) for n, t in zip(names, tables, strict=True)]
    scenario = str(ex.meta.get("scenario", "") or "")
    plan = "optimal" if ex.optimal else "feasible"

    def write(p) -> None:
        from ..io.printing import page_title, print_ready

        lang_sheet = "zh" if lang == "zh" else "en"
        with pd.ExcelWriter(p, engine="openpyxl") as xw:
            for name, df in sheets:
                df.to_excel(xw, sheet_name=name, index=False)
                # print-ready like the pairing list: title, page numbers, header repeated
                print_ready(xw.sheets[name], keys[name],
                            page_title(scenario, name, plan, lang_sheet), lang_sheet)

    return with_manifest(atomic_write(path, write), manifest)
