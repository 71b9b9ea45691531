"""Exact coverage-first, min-cost assignment with OR-Tools' min-cost flow.

Valid when the only limits are counts (``max_firms``). Network: each firm supplies one
unit; it flows to the sink either through an admissible cadre (pair cost) or through the
firm's "uncovered" arc, whose cost is the firm's coverage reward; cadre-to-sink arcs carry
the cadres' count limits.

Cadres and firms that share no pair, directly or through others, never compete, so the
pair graph's connected components are solved as separate flows (packed into groups of
about :data:`GROUP_PAIRS` pairs): the same optimum, with the solver's memory bounded by a
group rather than the whole province.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .coverage import linear_weights

GROUP_PAIRS = 500_000
"""Pair tables larger than this are split into groups of whole connected components.

Small components are packed together up to this many pairs; a larger component is a
group of its own. The flow solver's time grows faster than the network's size (on a
tenth of Liaoning, seven components solved apart take about 60% of the time of the same
components packed into two groups of up to 4 million pairs), so smaller groups pay."""


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
) -> tuple[np.ndarray, str]:
    """Solve the count-limited assignment exactly.

    Args:
        cadre: Cadre index of each admissible pair.
        firm: Firm index of each admissible pair.
        cost: Integer cost of each pair.
        capacity: Most firms each cadre may take (int64, one per cadre).
        ranks: Priority rank of each firm (0 = lowest).

    Returns:
        The indices of the chosen pairs and the status ("optimal" or "unknown").
    """
    n, m = len(ranks), len(capacity)
    if len(cost) == 0:
        return np.zeros(0, np.int64), "optimal"
    groups = pair_groups(cadre, firm, m, n)
    if len(groups) == 1:
        return _solve_group(cadre, firm, cost, capacity, ranks)
    chosen: list[np.ndarray] = []
    c_map = np.full(m, -1, np.int64)
    f_map = np.full(n, -1, np.int64)
    for idx in groups:
        ci, fi = cadre[idx], firm[idx]
        cadres, firms = _present(ci, m), _present(fi, n)
        c_map[cadres] = np.arange(len(cadres))
        f_map[firms] = np.arange(len(firms))
        picked, status = _solve_group(c_map[ci], f_map[fi], cost[idx], capacity[cadres],
                                      ranks[firms])
        if status != "optimal":
            return np.zeros(0, np.int64), status
        chosen.append(idx[picked])
    return np.sort(np.concatenate(chosen)), "optimal"


def _present(index: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``index`` (all in 0..size-1), sorted; a linear-time unique."""
    seen = np.zeros(size, bool)
    seen[index] = True
    return np.flatnonzero(seen)


def _solve_group(cadre, firm, cost, capacity, ranks) -> tuple[np.ndarray, str]:
    """One min-cost flow over the given cadres (0..m-1) and firms (0..n-1)."""
    n, m = len(ranks), len(capacity)
    cmin, cmax = int(cost.min()), int(cost.max())
    # An improving exchange is one augmenting path of at most 2 min(m, n) + 1 pair arcs,
    # so a coverage reward above that many times the cost range puts coverage first.
    reward = linear_weights(ranks, (2 * min(m, n) + 2) * (cmax - cmin))
    smcf, k = flow_arcs(cadre, firm, cost - cmin, capacity, reward)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        return np.zeros(0, np.int64), "unknown"
    flows = smcf.flows(np.arange(k, dtype=np.int32))
    return np.flatnonzero(flows > 0), "optimal"


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
