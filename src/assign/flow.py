"""Exact coverage-first, min-cost assignment with OR-Tools' min-cost flow.

Valid when the only limits are counts (``max_firms``). Network: each firm supplies one
unit; it flows to the sink either through an admissible cadre (pair cost) or through the
firm's "uncovered" arc, whose cost is the firm's coverage reward; cadre-to-sink arcs carry
the cadres' count limits.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from .coverage import linear_weights


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
    cmin, cmax = int(cost.min()), int(cost.max())
    shifted = cost - cmin
    # An improving exchange is one augmenting path of at most 2 min(m, n) + 1 pair arcs,
    # so a coverage reward above that many times the cost range puts coverage first.
    reward = linear_weights(ranks, (2 * min(m, n) + 2) * (cmax - cmin))
    sink = n + m
    tails = np.concatenate([firm, n + np.arange(m), np.arange(n)])
    heads = np.concatenate([n + cadre, np.full(m, sink), np.full(n, sink)])
    caps = np.concatenate([np.ones(len(firm)), np.minimum(capacity, n), np.ones(n)])
    costs = np.concatenate([shifted, np.zeros(m), reward])
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs.astype(np.int64)
    )
    nodes = np.arange(n + m + 1, dtype=np.int32)
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    smcf.set_nodes_supplies(nodes, supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        return np.zeros(0, np.int64), "unknown"
    flows = smcf.flows(np.arange(len(firm), dtype=np.int32))
    return np.flatnonzero(flows > 0), "optimal"
