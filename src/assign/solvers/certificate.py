"""The exact dual of a count-limited plan: a certificate of optimality, and prices.

For the count-limited assignment (:mod:`assign.solvers.flow`: cover firm ``f`` with
cadre ``k`` at ``cost``, or leave it uncovered at its coverage ``reward``), a plan is
optimal exactly when there are integer cadre prices ``P >= 0`` and firm profits ``pi``
with

- ``pi[f] + P[k] >= reward[f] - cost`` on every pair (no firm prefers another cadre),
- equality on the pairs in the plan, ``pi[f] = 0`` for uncovered firms and ``pi >= 0``
  (no covered firm is worth less than leaving it out),
- ``P[k] = 0`` for every cadre with spare places (complementary slackness).

:func:`plan_dual` finds the least such prices from the plan alone by label correcting
(a longest-path computation over the cadres, compiled with numba): it starts at zero
and raises a cadre's price only as far as some firm's better option forces it. If the
plan is optimal this ends with every condition met; a cadre with spare places that
would need a price, or a covered firm whose profit turns negative, shows an improving
exchange, and an improving cycle shows as prices that keep rising until the work limit.
The province path (:mod:`assign.solvers.priced`) prices pairs outside its working set
against these prices, and calls a repaired plan optimal only when its certificate holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

CERTIFIED = 0
OVER_CAPACITY = 1
SPARE_PRICED = 2
NEGATIVE_PROFIT = 3
WORK_LIMIT = 4
REASONS = {CERTIFIED: "certified", OVER_CAPACITY: "a cadre over its limit",
           SPARE_PRICED: "a cadre with spare places would need a price",
           NEGATIVE_PROFIT: "a covered firm is worth less than leaving it out",
           WORK_LIMIT: "prices still rising at the work limit"}


@njit(cache=True)
def certify(ptr, idx, ben, capacity, asg, work_limit):
    """Least integer dual of a plan, or failure.

    ``ben[e] = reward[f] - cost[e]``; ``asg[f]`` is firm ``f``'s arc or -1. Computes the
    least cadre prices ``P >= 0`` with firm profits ``pi[f] = ben[asg[f]] - P[cadre]``
    (covered) or 0 (uncovered) such that ``pi[f] + P[k] >= ben[e]`` on every arc, by label
    correcting from ``P = 0``. The plan is optimal exactly when this exists with ``P = 0``
    on cadres with spare places, ``pi >= 0`` and loads within capacity (complementary
    slackness); a cycle of improving exchanges makes the prices grow until the work limit.

    Returns ``(status, P, by, f)``: ``by[k]`` is the firm whose option last raised
    ``P[k]`` and ``f`` the firm being checked when it stopped; status 0 certified, 1 over
    capacity, 2 a cadre with spare places must be priced (not optimal), 3 a covered firm
    is worth less than uncovered (not optimal), 4 work limit (not proven).
    """
    n = len(ptr) - 1
    m = len(capacity)
    P = np.zeros(m, np.int64)
    by = np.full(m, -1, np.int64)  # the firm that last raised each price
    load = np.zeros(m, np.int64)
    for f in range(n):
        if asg[f] >= 0:
            load[idx[asg[f]]] += 1
    for k in range(m):
        if load[k] > capacity[k]:
            return 1, P, by, f
    # firms by their cadre
    fptr = np.zeros(m + 1, np.int64)
    for k in range(m):
        fptr[k + 1] = fptr[k] + load[k]
    fill = fptr[:-1].copy()
    held = np.empty(max(fptr[m], 1), np.int64)
    for f in range(n):
        if asg[f] >= 0:
            k = idx[asg[f]]
            held[fill[k]] = f
            fill[k] += 1
    q = np.arange(n + 1, dtype=np.int64)
    inq = np.ones(n, np.bool_)
    h = 0
    t = n
    work = 0
    while h != t:
        f = q[h]
        h = (h + 1) % (n + 1)
        inq[f] = False
        a = asg[f]
        pf = ben[a] - P[idx[a]] if a >= 0 else 0
        if pf < 0:
            return 3, P, by, f
        for e in range(ptr[f], ptr[f + 1]):
            if e == a:
                continue
            k = idx[e]
            need = ben[e] - pf
            if need > P[k]:
                if load[k] < capacity[k]:
                    return 2, P, by, f
                P[k] = need
                by[k] = f
                work += 1
                if work > work_limit:
                    return 4, P, by, f
                for r in range(fptr[k], fptr[k + 1]):
                    g = held[r]
                    if not inq[g]:
                        inq[g] = True
                        q[t] = g
                        t = (t + 1) % (n + 1)
    for f in range(n):
        if asg[f] >= 0 and ben[asg[f]] - P[idx[asg[f]]] < 0:
            return 3, P, by, f
    return 0, P, by, f



@dataclass
class Dual:
    """Outcome of :func:`plan_dual`: ``code`` 0 when the plan is certified optimal."""

    code: int
    prices: np.ndarray  # per cadre, cost units
    profit: np.ndarray  # per firm, cost units
    chain: np.ndarray  # when not certified: firms whose options forced the failing price

    @property
    def certified(self) -> bool:
        return self.code == CERTIFIED

    @property
    def reason(self) -> str:
        return REASONS[self.code]


def plan_dual(cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, capacity: np.ndarray,
              reward: np.ndarray, chosen: np.ndarray, work_factor: int = 8) -> Dual:
    """Certify a plan (``chosen``: indices of its pairs) and return its least exact dual.

    ``cost`` and ``reward`` are integers; at most one chosen pair per firm. Work is
    limited to ``work_factor`` times the number of pairs, firms and cadres.
    """
    m, n = len(capacity), len(reward)
    firm = np.asarray(firm, np.int64)
    order = np.argsort(firm, kind="stable")
    idx = np.asarray(cadre, np.int64)[order]
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(firm, minlength=n), out=ptr[1:])
    ben = np.asarray(reward, np.int64)[firm[order]] - np.asarray(cost, np.int64)[order]
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    asg = np.full(n, -1, np.int64)
    chosen = np.asarray(chosen, np.int64)
    asg[firm[chosen]] = rank[chosen]
    code, prices, by, last = certify(ptr, idx, ben, np.asarray(capacity, np.int64), asg,
                                     work_factor * (len(idx) + n + m))
    chain = []  # firms along the price raises that led to the failure
    if code in (SPARE_PRICED, NEGATIVE_PROFIT):
        f, seen = int(last), set()
        while f >= 0 and f not in seen and asg[f] >= 0:
            seen.add(f)
            chain.append(f)
            f = int(by[idx[asg[f]]])
        if f >= 0 and f not in seen:
            chain.append(f)
    profit = np.zeros(n, np.int64)
    covered = asg >= 0
    profit[covered] = ben[asg[covered]] - prices[idx[asg[covered]]]
    return Dual(int(code), prices, profit, np.asarray(chain, np.int64))
