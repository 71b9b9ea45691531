"""Province-scale exact assignment: solve on each firm's nearest cadres, then prove it.

At Liaoning's scale (26,000 cadres, 2.55 million firms, 10 km reach) the admissible pair
table has a quarter of a billion rows: too many to hold in a min-cost flow in memory.
Most of them can never be used, since a firm goes to one of its nearest cadres unless
those are full. So:

1. Solve the count-limited flow (:mod:`assign.solvers.flow`) on a working set: each firm's
   :data:`NEAREST` nearest admissible cadres.
2. Price every admissible pair against the optimum's dual: the least integer cadre
   prices and firm profits that certify the plan
   (:func:`~assign.solvers.certificate.plan_dual`). A pair outside the working set with
   negative reduced cost could improve the plan; pairs are streamed in blocks from the
   k-d tree, so the full table never exists at once.
3. If no pair prices out, the working-set optimum is optimal for the full table
   (reduced-cost optimality with the same arc costs and coverage rewards). Otherwise
   the pairs that price out join the working set and the plan is repaired: only the
   firms around them are solved again (the others keep their cadres), growing that
   region until the whole plan's certificate holds (:func:`_repair`), or, failing that,
   the whole working set's flow is solved again.

The coverage rewards are fixed from the full table's cost bound before the first solve,
so every round solves the same objective the full table would.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..candidates import Candidates, PairRules
from ..geo import iter_pairs_within, nearest_within
from ..io.scenario import Scenario
from .certificate import Dual, plan_dual
from .coverage import COST_SCALE, linear_weights, priority_ranks, scaled
from .flow import count_capacity, solve_flow

log = logging.getLogger(__name__)

NEAREST = 16
"""Nearest admissible cadres per firm in the first working set."""

LARGE_PAIRS = 40_000_000
"""Estimated pair tables larger than this are solved by pricing (see :func:`estimate_pairs`)."""

MARGIN_KM = 1.0
"""Pairs priced within this many km of entering also join the working set: potentials
shift when pairs are added, and taking the near misses along saves rounds."""

MAX_ROUNDS = 30
"""Pricing rounds before giving up with status ``unknown``."""

REGION_TRIES = 12
"""Rounds after the first re-solve a region around the pairs that priced out, growing
it up to this many times until the whole plan is certified optimal (see
:func:`_repair`); the whole working set is solved again only if that fails."""

REGION_SHARE = 0.25
"""The regions tried in one round may hold this share of the firms in all (counted once
per try); beyond it the whole working set is solved instead, which then costs about as
much as the tries would."""


def estimate_pairs(scenario: Scenario, sample: int = 20_000, seed: int = 0,
                   max_km: float | None = None) -> float:
    """Expected number of cadre-firm pairs within reach (``max_km``, default the scenario's
    ``max_distance_km``), from a sample of firms."""
    if max_km is None:
        max_km = scenario.config.assignment.max_distance_km
    cadres, firms = scenario.cadres, scenario.firms
    if max_km is None:
        return float(len(cadres) * len(firms))
    n = len(firms)
    rows = np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False)
    count = sum(len(b[0]) for b in iter_pairs_within(
        firms["lat"].to_numpy()[rows], firms["lon"].to_numpy()[rows],
        cadres["lat"].to_numpy(), cadres["lon"].to_numpy(), max_km, sort=False))
    return count * n / max(len(rows), 1)


@dataclass
class PricedResult:
    """The working set the optimum was found on, the chosen pairs in it, and the story."""

    candidates: Candidates
    chosen: np.ndarray
    status: str
    rounds: int
    working_pairs: int
    admissible_pairs: int
    repairs: list[str]
    """How each round after the first was solved: "region of N firms" (re-solved around
    the pairs that priced out, certified) or "whole" (the working set's flow)."""
    certificate: dict[str, Any] | None = None
    """Why the plan is optimal, when it is: the dual it was priced against (``"least
    integer dual"`` or ``"shortest-path potentials"``), the pairs priced in the last round
    (every admissible pair that could enter; none priced out), and, for the least integer
    dual, the plan's value and the dual's in the reward objective's integer units (equal:
    LP duality; see :mod:`assign.solvers.certificate`)."""


def solve_priced(scenario: Scenario, nearest: int = NEAREST,
                 margin_km: float = MARGIN_KM, max_km: float | None = None,
                 executor: Any = None) -> PricedResult:
    """The exact coverage-first, least-km plan of a large count-limited scenario.

    ``max_km`` is the crow-fly reach of an admissible pair (default ``max_distance_km``; the
    compiled problem passes the smaller of it and the km ``max_travel_min`` covers).
    ``executor`` solves the flows' independent components (see
    :func:`~assign.solvers.flow.solve_flow`).
    """
    cfg = scenario.config.assignment
    if max_km is None:
        max_km = cfg.max_distance_km
    assert max_km is not None, "pricing needs a distance or travel limit"
    cadres, firms = scenario.cadres, scenario.firms
    m, n = len(cadres), len(firms)
    rules = PairRules.of(scenario)
    lat_c, lon_c = cadres["lat"].to_numpy(float), cadres["lon"].to_numpy(float)
    lat_f, lon_f = firms["lat"].to_numpy(float), firms["lon"].to_numpy(float)
    max_km = float(max_km)

    # working set: each firm's nearest cadres, kept when admissible
    i, j, km = nearest_within(lat_c, lon_c, lat_f, lon_f, max_km, nearest * 2)
    keep = rules.admit(i, j)
    i, j, km = i[keep], j[keep], km[keep]
    rank = _rank_within_firm(j, km)
    keep = rank < nearest
    i, j, km = i[keep], j[keep], km[keep]

    # fixed coverage rewards from the bound on any admissible pair's cost
    cost_bound = max_km + (cfg.skill_gap_km if cfg.objective == "cost" else 0.0)
    span = int(np.ceil(cost_bound * COST_SCALE)) + 1
    ranks = priority_ranks(firms["priority"].to_numpy())
    reward = linear_weights(ranks, (2 * min(m, n) + 2) * span)
    capacity = count_capacity(cadres["max_firms"].to_numpy(float), n)

    margin = int(margin_km * COST_SCALE)
    status, rounds, admissible = "unknown", 0, 0
    in_reach = np.zeros(n, dtype=bool)
    has_pair = np.zeros(n, dtype=bool)
    allowed_pair = np.zeros(n, dtype=bool)
    assign = np.full(n, -1, np.int64)
    repairs: list[str] = []
    new = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # pairs priced out last round
    last: Dual | None = None  # the dual the last round priced against
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 (rounds is reported)
        t0 = time.perf_counter()
        cost = scaled(rules.cost(km, rules.skill_match(i, j)), COST_SCALE)
        dual = None
        if rounds > 1:  # re-solve only around the pairs that priced out, if it certifies
            dual, how = _repair(i, j, cost, capacity, reward, ranks, assign, new, executor)
            repairs.append(how)
        if dual is None:
            flows = _flow(i, j, cost, capacity, ranks, executor)
            if flows is None:
                break
            chosen = np.flatnonzero(flows > 0)
            assign[:] = -1
            assign[j[chosen]] = i[chosen]
            dual = plan_dual(i, j, cost, capacity, reward, chosen)
        t1 = time.perf_counter()
        last = dual
        if dual.certified:
            d_cadre, d_firm = -dual.prices, dual.profit - reward
        else:  # an optimal flow whose least dual ran past the work limit
            used = assign[j] == i
            d_cadre, _, d_firm = _potentials(i, j, cost, used, assign, capacity, reward)
        # price every admissible pair, block by block
        add: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        seeds: list[tuple[np.ndarray, np.ndarray]] = []
        seen = priced_out = 0
        reach = max_km if rounds == 1 else _pricing_reach(d_firm, d_cadre, margin, max_km)
        for bi, bj, bkm in iter_pairs_within(lat_f, lon_f, lat_c, lon_c, reach, sort=False):
            bi, bj = bj, bi  # blocks of firms: i = cadre, j = firm
            in_reach[bj] = True
            ok = rules.keep(bi, bj)
            bi, bj, bkm = bi[ok], bj[ok], bkm[ok]
            has_pair[bj] = True
            ok = rules.allowed(bi, bj)
            bi, bj, bkm = bi[ok], bj[ok], bkm[ok]
            allowed_pair[bj] = True
            seen += len(bi)
            bc = scaled(rules.cost(bkm, rules.skill_match(bi, bj)), COST_SCALE)
            reduced = bc + d_firm[bj] - d_cadre[bi]
            out = assign[bj] != bi
            neg = (reduced < 0) & out
            priced_out += int(neg.sum())
            seeds.append((bi[neg], bj[neg]))
            near = (reduced < margin) & out
            if near.any():
                add.append((bi[near], bj[near], bkm[near]))
        t2 = time.perf_counter()
        if rounds == 1:
            admissible = seen
        log.info("pricing round %d: %d working pairs, %s %.1f s, pricing %d pairs %.1f s, "
                 "%d priced out", rounds, len(i), repairs[-1] if repairs else "flow",
                 t1 - t0, seen, t2 - t1, priced_out)
        if priced_out == 0:
            status = "optimal"
            break
        ni = np.concatenate([a[0] for a in add])
        nj = np.concatenate([a[1] for a in add])
        nkm = np.concatenate([a[2] for a in add])
        i, j, km = _merge(i, j, km, ni, nj, nkm)
        new = (np.unique(np.concatenate([a[0] for a in seeds])),
               np.unique(np.concatenate([a[1] for a in seeds])))

    reason = np.full(n, "", dtype=object)
    reason[~in_reach] = "no_cadre_in_reach"
    reason[in_reach & ~has_pair] = "no_cadre_with_skill"
    reason[has_pair & ~allowed_pair] = "excluded_by_rules"
    skill_match = rules.skill_match(i, j)
    cand = Candidates(i, j, km, skill_match, np.asarray(rules.cost(km, skill_match), float),
                      None, reason)
    chosen = np.flatnonzero(assign[j] == i) if status == "optimal" else np.zeros(0, np.int64)
    certificate = None
    if status == "optimal" and last is not None:
        certificate = {"dual": "least integer dual" if last.certified
                       else "shortest-path potentials",
                       "pairs_priced_last_round": seen, "priced_out": 0}
        if last.certified:
            plan = assign >= 0
            certificate["plan_value"] = int(
                reward[plan].sum() - cost[np.flatnonzero(assign[j] == i)].sum())
            certificate["dual_value"] = int(last.profit.sum()
                                            + (capacity * last.prices).sum())
    return PricedResult(cand, chosen, status, rounds, len(i), admissible, repairs,
                        certificate)


def _pricing_reach(d_firm: np.ndarray, d_cadre: np.ndarray, margin: int,
                   max_km: float) -> np.ndarray:
    """Per firm, the km beyond which none of its pairs can price out or come within the
    margin of it.

    A pair's reduced cost ``cost + d_firm - d_cadre`` is at least
    ``km * COST_SCALE - 1/2 + d_firm - max(d_cadre)``, since every cost is at least the
    pair's km (rounded to whole scaled units). Pairs farther than where that reaches
    ``margin`` need not be looked at: a covered firm near its cadre, with a cheap cadre,
    is priced only within a few km instead of the whole reach. The first round prices
    every admissible pair (counting them, and finding which firms have none).
    """
    top = max(0, int(d_cadre.max())) if len(d_cadre) else 0
    return np.minimum(max_km, (margin + 1 + top - d_firm) / COST_SCALE)


def _repair(i, j, cost, capacity, reward, ranks, assign, new,
            executor: Any = None) -> tuple[Dual | None, str]:
    """Re-solve only the firms near the pairs that priced out, the others kept in place.

    The previous round's plan is optimal for the previous working set; the pairs that
    price out change it near them. The region starts as the firms of those pairs, the
    firms their cadres hold and the uncovered firms those cadres could take; it is solved
    as its own flow over the places the fixed firms leave. The combined plan is kept
    only when its certificate (:func:`~assign.solvers.certificate.plan_dual`) holds over
    the whole working set; otherwise every firm that holds or could take a place at a
    cadre whose load changed joins the region and it is solved again, up to
    :data:`REGION_TRIES` times. ``assign`` is updated in place on success. Returns the
    dual and how the round was solved, or None to solve the whole working set.
    """
    m, n = len(capacity), len(reward)
    cptr = np.zeros(m + 1, np.int64)  # cadre -> rows of the table (sorted by cadre)
    np.cumsum(np.bincount(i, minlength=m), out=cptr[1:])
    order = np.argsort(j, kind="stable")  # firm -> rows, through order
    fptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(j, minlength=n), out=fptr[1:])
    new_cadres, new_firms = new
    touched = np.zeros(m, bool)
    touched[new_cadres] = True
    held = assign[new_firms]
    touched[held[held >= 0]] = True
    free = np.zeros(n, bool)
    free[new_firms] = True
    load = np.bincount(assign[assign >= 0], minlength=m)
    spent = 0
    for attempt in range(1, REGION_TRIES + 1):
        # firms the touched cadres hold or could take
        free |= (assign >= 0) & touched[np.maximum(assign, 0)]
        free[j[_ranges(cptr, np.flatnonzero(touched))]] = True
        size = int(free.sum())
        spent += size
        if spent > REGION_SHARE * n:
            return None, f"whole (regions of {spent} firms in all would be too large)"
        fs = np.flatnonzero(free)
        sel = order[_ranges(fptr, fs)]
        fixed = (assign >= 0) & ~free
        left = capacity - np.bincount(assign[fixed], minlength=m)
        f_map = np.full(n, -1, np.int64)
        f_map[fs] = np.arange(len(fs))
        flows = _flow(i[sel], f_map[j[sel]], cost[sel], left, ranks[fs], executor)
        if flows is None:
            return None, "whole (region flow failed)"
        trial = assign.copy()
        trial[fs] = -1
        picked = sel[flows > 0]
        trial[j[picked]] = i[picked]
        dual = plan_dual(i, j, cost, capacity, reward, np.flatnonzero(trial[j] == i))
        log.info("region of %d firms (try %d): %s", size, attempt, dual.reason)
        if dual.certified:
            assign[:] = trial
            return dual, f"region of {size} firms"
        grown = touched | (np.bincount(trial[trial >= 0], minlength=m) != load)
        chain = dual.chain
        grown[assign[chain][assign[chain] >= 0]] = True
        grown[trial[chain][trial[chain] >= 0]] = True
        if (grown == touched).all() and free[chain].all():
            break
        free[chain] = True
        touched = grown
    return None, "whole (region not certified)"


def _ranges(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(ptr[r], ptr[r + 1])`` over the given rows."""
    lo, hi = ptr[rows], ptr[rows + 1]
    lens = hi - lo
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.repeat(lo - np.cumsum(lens) + lens, lens)
    return starts + np.arange(total)


def _rank_within_firm(j: np.ndarray, km: np.ndarray) -> np.ndarray:
    """Rank of each pair by km among the pairs of the same firm (0 = nearest)."""
    order = np.lexsort((km, j))
    sj = j[order]
    first = np.r_[0, np.flatnonzero(sj[1:] != sj[:-1]) + 1]
    pos = np.arange(len(sj)) - np.repeat(first, np.diff(np.r_[first, len(sj)]))
    rank = np.empty(len(j), np.int64)
    rank[order] = pos
    return rank


def _merge(i, j, km, ni, nj, nkm):
    """The working set with new pairs added (no duplicates), sorted by (cadre, firm)."""
    ai, aj, akm = np.concatenate([i, ni]), np.concatenate([j, nj]), np.concatenate([km, nkm])
    key = ai.astype(np.int64) * (int(aj.max()) + 1) + aj
    _, first = np.unique(key, return_index=True)
    return ai[first], aj[first], akm[first]


def _flow(i, j, cost, capacity, ranks, executor: Any = None) -> np.ndarray | None:
    """Flows (0 or 1) on the pairs of a coverage-first, least-cost plan (None unless optimal).

    Solved without the coverage rewards, each group of connected components apart
    (:func:`~assign.solvers.flow.solve_flow`): its optimum is one of the reward objective's,
    which the certificate then checks."""
    chosen, status = solve_flow(i, j, cost, capacity, ranks, executor)
    if status != "optimal":
        return None
    flows = np.zeros(len(i), np.int64)
    flows[chosen] = 1
    return flows


def _potentials(i, j, cost, used, assign, capacity, reward):
    """Shortest-path potentials of the residual network of an optimal flow.

    Nodes: cadres, the sink and firms, all reachable from a virtual source at distance 0.
    Residual arcs: firm -> cadre (unused pair, +cost), cadre -> firm (used pair, -cost),
    cadre -> sink (spare capacity, 0), sink -> cadre (some flow, 0), firm -> sink (firm
    covered, +reward), sink -> firm (firm uncovered, -reward). A firm has one way in
    besides the source (its cadre, or the sink), so its distance follows from theirs and
    Bellman-Ford runs over cadres and the sink only.
    """
    m, n = len(capacity), len(reward)
    load = np.bincount(i[used], minlength=m)
    spare = load < capacity
    has_flow = load > 0
    covered = assign >= 0
    a_cost = np.zeros(n, np.int64)
    a_cost[j[used]] = cost[used]
    free = ~used  # unused pair arcs: firm -> cadre
    fi, fj, fc = i[free], j[free], cost[free]
    order = np.argsort(fi, kind="stable")
    fi, fj, fc = fi[order], fj[order], fc[order]
    starts = np.r_[0, np.flatnonzero(fi[1:] != fi[:-1]) + 1] if len(fi) else np.zeros(0, np.int64)
    targets = fi[starts] if len(fi) else np.zeros(0, np.int32)
    d_cadre = np.zeros(m, np.int64)
    d_sink = 0
    d_firm = np.zeros(n, np.int64)
    for _ in range(m + 3):
        d_firm = np.zeros(n, np.int64)
        d_firm[covered] = np.minimum(0, d_cadre[assign[covered]] - a_cost[covered])
        d_firm[~covered] = np.minimum(0, d_sink - reward[~covered])
        new = d_cadre.copy()
        if len(fi):
            best = np.minimum.reduceat(d_firm[fj] + fc, starts)
            new[targets] = np.minimum(new[targets], best)
        new[has_flow] = np.minimum(new[has_flow], d_sink)
        cand_sink = [d_sink]
        if spare.any():
            cand_sink.append(int(new[spare].min()))
        if covered.any():
            cand_sink.append(int((d_firm[covered] + reward[covered]).min()))
        new_sink = min(cand_sink)
        if new_sink == d_sink and np.array_equal(new, d_cadre):
            break
        d_cadre, d_sink = new, new_sink
    else:  # pragma: no cover - an optimal flow has no negative cycle
        raise RuntimeError("potentials did not settle: the flow is not optimal")
    return d_cadre, d_sink, d_firm
