"""Exact coverage-first, min-cost assignment with OR-Tools' min-cost flow.

Valid when the only limits are counts (``max_firms``). Network: firm -> admissible cadre
(capacity 1, the pair's cost) -> sink (the cadre's count limit). Coverage comes first
without any big-M cost (:func:`cover_flows`): OR-Tools' cost scaling takes time growing
with the log of the largest unit cost, and a coverage reward large enough to dominate
every cost exchange made it several times slower.

- One priority level: a maximum flow of least cost
  (``SimpleMinCostFlow.solve_max_flow_with_min_cost``), which is exactly "cover as many
  firms as possible, then least cost".
- Several levels: the covered sets of firms are the independent sets of a transversal
  matroid, so the lexicographically best coverage is the greedy one: the number of firms
  covered at priority ``r`` is ``rank(levels >= r) - rank(levels > r)``, each rank one
  maximum flow (``SimpleMaxFlow``) over the firms of those levels. A min-cost flow then
  sends exactly that many units from each level's node through its firms: every optimal
  plan of the earlier reward encoding (the same counts, then least cost) and no other.

The earlier encoding (each firm's "uncovered" arc to the sink at a coverage reward,
:func:`flow_arcs`) is kept as :data:`ENCODING` ``"reward"`` for the benchmark that compares
the two (``benchmarks/flow_encoding.py``); the province method's certificate
(:mod:`assign.solvers.certificate`) still prices against those rewards, whose optima are
exactly the plans found here.

Cadres and firms that share no pair, directly or through others, never compete, so the
pair graph's connected components are solved as separate flows (packed into groups of
about :data:`GROUP_PAIRS` pairs): the same optimum, with the solver's memory bounded by a
group rather than the whole province.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .coverage import linear_weights

log = logging.getLogger(__name__)

GROUP_PAIRS = 500_000
"""Pair tables larger than this are split into groups of whole connected components.

Small components are packed together up to this many pairs; a larger component is a
group of its own. The flow solver's time grows faster than the network's size (on a
tenth of Liaoning, seven components solved apart take about 60% of the time of the same
components packed into two groups of up to 4 million pairs), so smaller groups pay."""


ENCODING = "levels"
"""How a flow puts coverage first: ``"levels"`` (no big-M, see the module's text) or
``"reward"`` (the earlier encoding: a coverage reward on each firm's uncovered arc)."""


def count_capacity(max_firms: np.ndarray, n: int) -> np.ndarray:
    """Most firms each cadre may take (int64): its ``max_firms``, or all ``n`` when unset."""
    mf = np.asarray(max_firms, float)
    return np.where(np.isnan(mf), n, np.minimum(mf, n)).astype(np.int64)


def pair_groups(cadre: np.ndarray, firm: np.ndarray, m: int, n: int,
                size: int | None = None) -> list[np.ndarray]:
    """Pair indices in groups of whole connected components of the pair graph.

    Components are taken in label order and packed so that a group closes once it holds
    ``size`` pairs (default :data:`GROUP_PAIRS`); one group (all pairs) when the table is
    no larger than ``size``.
    """
    size = GROUP_PAIRS if size is None else size
    if len(cadre) <= size:
        return [np.arange(len(cadre))]
    graph = coo_matrix((np.ones(len(cadre), np.int8), (cadre, firm.astype(np.int64) + m)),
                       shape=(m + n, m + n))
    _, label = connected_components(graph, directed=False)
    del graph
    comp = label[cadre]
    sizes = np.bincount(comp, minlength=int(label.max()) + 1)
    group_of = ((np.cumsum(sizes) - sizes) // size).astype(np.int32)
    pair_group = group_of[comp]
    del comp
    order = np.argsort(pair_group, kind="stable")
    bounds = np.searchsorted(pair_group[order], np.arange(int(group_of.max()) + 2))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def solve_flow(
    cadre: np.ndarray,
    firm: np.ndarray,
    cost: np.ndarray,
    capacity: np.ndarray,
    ranks: np.ndarray,
    executor: Any = None,
) -> tuple[np.ndarray, str]:
    """Solve the count-limited assignment exactly.

    Args:
        cadre: Cadre index of each admissible pair.
        firm: Firm index of each admissible pair.
        cost: Integer cost of each pair.
        capacity: Most firms each cadre may take (int64, one per cadre).
        ranks: Priority rank of each firm (0 = lowest).
        executor: Where to solve the groups of connected components (see
            :func:`pair_groups`), one task each, largest first: any object with the
            ``map_unordered(fn, shared, tasks)`` method of ``sim.executors`` (local
            processes, a Dask cluster). Default: one after another in this process. A group
            the executor loses is solved here; the plan is the same either way.

    Returns:
        The indices of the chosen pairs and the status ("optimal" or "unknown").
    """
    n, m = len(ranks), len(capacity)
    if len(cost) == 0:
        return np.zeros(0, np.int64), "optimal"
    groups = pair_groups(cadre, firm, m, n)
    if len(groups) == 1:
        return _solve_group(cadre, firm, cost, capacity, ranks)
    groups.sort(key=len, reverse=True)  # largest first: the longest tasks start first

    def tasks() -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                  np.ndarray]]:
        c_map = np.full(m, -1, np.int64)
        f_map = np.full(n, -1, np.int64)
        for k, idx in enumerate(groups):
            ci, fi = cadre[idx], firm[idx]
            cadres, firms = _present(ci, m), _present(fi, n)
            c_map[cadres] = np.arange(len(cadres))
            f_map[firms] = np.arange(len(firms))
            yield (k, c_map[ci], f_map[fi], np.asarray(cost)[idx], capacity[cadres],
                   np.asarray(ranks)[firms])

    outcomes: Iterable[tuple[Any, Any, BaseException | None]] = (
        ((t, _group_task(None, t), None) for t in tasks()) if executor is None
        else executor.map_unordered(_group_task, None, tasks()))
    chosen: list[np.ndarray | None] = [None] * len(groups)
    for task, result, exc in outcomes:
        k = task[0]
        if chosen[k] is not None:  # a second copy of a task (Dask runs tasks at least once)
            continue
        if exc is not None or result is None:  # lost by the executor: solved here
            log.warning("part %d of %d lost by the executor (%s: %s); solved here", k + 1,
                        len(groups), type(exc).__name__, exc)
            result = _group_task(None, task)
        picked, status = result[1]
        if status != "optimal":
            return np.zeros(0, np.int64), status
        chosen[k] = groups[k][picked]
    return np.sort(np.concatenate([c for c in chosen if c is not None])), "optimal"


def _group_task(_shared: Any, task: tuple) -> tuple[int, tuple[np.ndarray, str]]:
    """One group of components as an executor task: ``(k, cadre, firm, cost, capacity,
    ranks)`` in the group's own numbering, to ``(k, (chosen pairs, status))``."""
    k, cadre, firm, cost, capacity, ranks = task
    return k, _solve_group(cadre, firm, cost, capacity, ranks)


def _present(index: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``index`` (all in 0..size-1), sorted; a linear-time unique."""
    seen = np.zeros(size, bool)
    seen[index] = True
    return np.flatnonzero(seen)


def _solve_group(cadre, firm, cost, capacity, ranks) -> tuple[np.ndarray, str]:
    """One min-cost flow over the given cadres (0..m-1) and firms (0..n-1)."""
    flows = cover_flows(cadre, firm, cost, capacity, ranks)
    if flows is None:
        return np.zeros(0, np.int64), "unknown"
    return np.flatnonzero(flows > 0), "optimal"


def cover_flows(cadre, firm, cost, capacity, ranks,
                encoding: str | None = None) -> np.ndarray | None:
    """The flow (0 or 1) on each pair of a coverage-first, least-cost plan.

    Args:
        cadre, firm: Cadre (0..m-1) and firm (0..n-1) of each pair.
        cost: Integer cost of each pair.
        capacity: Most firms each cadre may take (int64, one per cadre).
        ranks: Priority rank of each firm (0 = lowest).
        encoding: ``"levels"`` or ``"reward"``; default :data:`ENCODING`.

    Returns:
        One int per pair, or None when OR-Tools does not report an optimal flow.
    """
    n, m, k = len(ranks), len(capacity), len(cost)
    if k == 0:
        return np.zeros(0, np.int64)
    cost = np.asarray(cost, np.int64)
    cmin, cmax = int(cost.min()), int(cost.max())
    if (encoding or ENCODING) == "reward":
        # An improving exchange is one augmenting path of at most 2 min(m, n) + 1 pair arcs,
        # so a coverage reward above that many times the cost range puts coverage first.
        reward = linear_weights(ranks, (2 * min(m, n) + 2) * (cmax - cmin))
        smcf, k = flow_arcs(cadre, firm, cost - cmin, capacity, reward)
        if smcf.solve() != smcf.OPTIMAL:
            return None
        return smcf.flows(np.arange(k, dtype=np.int32))
    ranks = np.asarray(ranks, np.int64)
    has = _present(firm, n)
    levels = np.unique(ranks[has])  # levels of firms that have a pair
    sink = n + m
    if len(levels) > 1:  # several levels: each level's node supplies its greedy count
        covered = level_counts(cadre, firm, capacity, ranks, levels)
        level_node = np.full(int(ranks.max()) + 1, -1, np.int64)
        level_node[levels] = sink + 1 + np.arange(len(levels))
        has = has[covered[np.searchsorted(levels, ranks[has])] > 0]
        extra = (level_node[ranks[has]].astype(np.int32), has.astype(np.int32))
        supplies = np.zeros(sink + 1 + len(levels), np.int64)
        supplies[sink] = -int(covered.sum())
        supplies[sink + 1:] = covered
    else:  # one level: every firm supplies a unit, and the flow is the largest of least cost
        extra = (np.zeros(0, np.int32), np.zeros(0, np.int32))
        supplies = np.zeros(sink + 1, np.int64)
        supplies[:n] = 1
        supplies[sink] = -n
    # arcs: pairs (arc p is pair p), cadre -> sink, then level node -> firm
    tails = np.concatenate([firm.astype(np.int32), np.arange(n, n + m, dtype=np.int32), extra[0]])
    heads = np.concatenate([(cadre + n).astype(np.int32), np.full(m, sink, np.int32), extra[1]])
    caps = np.concatenate([np.ones(k, np.int64), np.minimum(capacity, n).astype(np.int64),
                           np.ones(len(extra[0]), np.int64)])
    costs = np.concatenate([cost - cmin, np.zeros(m + len(extra[0]), np.int64)])
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    del tails, heads, caps, costs, extra
    smcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    status = smcf.solve() if len(levels) > 1 else smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        return None
    return smcf.flows(np.arange(k, dtype=np.int32))


def level_counts(cadre, firm, capacity, ranks, levels) -> np.ndarray:
    """Firms covered at each priority level (``levels``, ascending) in the lexicographically
    best coverage: ``rank(levels >= r) - rank(levels > r)`` in the transversal matroid of
    coverable firms, each rank a maximum flow source -> firm -> cadre -> sink."""
    n, m, k = len(ranks), len(capacity), len(cadre)
    source, sink = n + m, n + m + 1
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(
        np.concatenate([np.full(n, source, np.int32), firm.astype(np.int32),
                        np.arange(n, n + m, dtype=np.int32)]),
        np.concatenate([np.arange(n, dtype=np.int32), (cadre + n).astype(np.int32),
                        np.full(m, sink, np.int32)]),
        np.concatenate([np.zeros(n, np.int64), np.ones(k, np.int64),
                        np.minimum(capacity, n).astype(np.int64)]))
    ranks = np.asarray(ranks, np.int64)
    prefix = np.zeros(len(levels) + 1, np.int64)  # prefix[t]: rank of levels[t:]
    for t in range(len(levels) - 1, -1, -1):
        opened = np.flatnonzero(ranks == levels[t])
        smf.set_arcs_capacity(opened.astype(np.int32), np.ones(len(opened), np.int64))
        if smf.solve(source, sink) != smf.OPTIMAL:
            raise RuntimeError("maximum flow failed")
        prefix[t] = smf.optimal_flow()
    return prefix[:-1] - prefix[1:]


def flow_arcs(cadre, firm, cost, capacity, reward) -> tuple[min_cost_flow.SimpleMinCostFlow, int]:
    """The network, ready to solve: firms 0..n-1 (supply 1), cadres n..n+m-1, the sink.

    Pair arcs come first (arc k is pair k), then cadre -> sink (capacity), then each
    firm's "uncovered" arc to the sink at its reward. Returns the solver and the number of
    pair arcs.
    """
    n, m = len(reward), len(capacity)
    sink = n + m
    k = len(firm)
    tails = np.concatenate([firm.astype(np.int32), np.arange(n, n + m, dtype=np.int32),
                            np.arange(n, dtype=np.int32)])
    heads = np.concatenate([(cadre + n).astype(np.int32), np.full(m + n, sink, np.int32)])
    caps = np.concatenate([np.ones(k, np.int64), np.minimum(capacity, n).astype(np.int64),
                           np.ones(n, np.int64)])
    costs = np.concatenate([cost, np.zeros(m, np.int64), reward]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    del tails, heads, caps, costs
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    smcf.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    return smcf, k
