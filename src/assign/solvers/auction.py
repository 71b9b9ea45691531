"""Exact coverage-first assignment by a forward/reverse auction with epsilon-scaling.

The count-limited assignment (:mod:`assign.flow`) is a transportation problem: each firm
takes at most one cadre, cadre ``k`` at most ``capacity[k]`` firms, and covering firm
``f`` with cadre ``k`` is worth ``a = reward[f] - cost[f, k]`` (leaving it uncovered is
worth 0). Its dual has one price per cadre, so an auction (Bertsekas) solves it:

- **Forward step** (a firm bids): an uncovered firm takes the cheapest place of the cadre
  that is worth most to it at current prices, raising that place's price by the margin
  over its second-best option plus ``eps``; a firm holding the place is displaced.
- **Reverse step** (a cadre bids): a cadre with a free place whose price is above zero
  lowers the price to what draws the firm it is worth most to (or to zero). Without it,
  cadres with spare places could end priced above zero, which the optimum forbids.
- **Epsilon-scaling**: ``eps`` falls by a factor :data:`THETA` from a large value to 1
  while prices are kept, so each phase only repairs the last. Benefits are multiplied
  by ``n + 1``: every firm is within ``eps = 1`` of its best option at the end, the plan
  is then within ``n / (n + 1) < 1`` of the optimum, and with integer costs it is optimal.

A result is called optimal only when it is *certified*: :func:`certify` builds integer
cadre prices and firm profits from the plan alone (the least ones that satisfy every
dual constraint, by label correcting) and checks complementary slackness exactly. That
certificate is also the dual the province path prices pairs against
(:mod:`assign.priced`). When the auction runs out of work or the certificate fails, the
caller falls back to OR-Tools.

The kernels are compiled with numba (cached on disk).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

log = logging.getLogger(__name__)

EPS0 = 0
THETA = 6
"""Factor by which ``eps`` falls between scaling phases."""

WORK_LIMIT = 400
"""Bids and reverse steps allowed per arc before the auction gives up (then OR-Tools)."""

NO_PRICE = np.iinfo(np.int64).max // 4


# --- per-cadre heaps of places: min price first, a free place before a held one on ties ---

@njit(cache=True, inline="always")
def _less(hp, hf, a, b):
    return hp[a] < hp[b] or (hp[a] == hp[b] and hf[a] < 0 <= hf[b])


@njit(cache=True, inline="always")
def _swap(hp, hf, pos, a, b):
    hp[a], hp[b] = hp[b], hp[a]
    hf[a], hf[b] = hf[b], hf[a]
    if hf[a] >= 0:
        pos[hf[a]] = a
    if hf[b] >= 0:
        pos[hf[b]] = b


@njit(cache=True)
def _down(hp, hf, pos, base, size, s):
    while True:
        left = base + 2 * (s - base) + 1
        if left >= base + size:
            return s
        child = left
        if left + 1 < base + size and _less(hp, hf, left + 1, left):
            child = left + 1
        if _less(hp, hf, child, s):
            _swap(hp, hf, pos, s, child)
            s = child
        else:
            return s


@njit(cache=True)
def _fix(hp, hf, pos, base, size, s):
    """Restore the heap of places ``base .. base+size-1`` after place ``s`` changed."""
    moved = False
    while s > base:
        parent = base + (s - base - 1) // 2
        if _less(hp, hf, s, parent):
            _swap(hp, hf, pos, s, parent)
            s = parent
            moved = True
        else:
            break
    if not moved:
        _down(hp, hf, pos, base, size, s)


@njit(cache=True)
def _heapify(hp, hf, pos, off, size):
    """Make every cadre's places a heap."""
    for k in range(len(off)):
        for s in range(off[k] + size[k] // 2, off[k] - 1, -1):
            _down(hp, hf, pos, off[k], size[k], s)


@njit(cache=True)
def _second_price(hp, base, size):
    """Price of the second-cheapest place of a cadre (NO_PRICE if it has one place)."""
    if size < 2:
        return NO_PRICE
    p = hp[base + 1]
    if size > 2 and hp[base + 2] < p:
        p = hp[base + 2]
    return p


@njit(cache=True)
def _profit(f, asg, ben, hp, pos):
    return ben[asg[f]] - hp[pos[f]] if asg[f] >= 0 else 0


@njit(cache=True)
def _best_other(f, own, ptr, idx, ben, off, size, hp):
    """Best value to firm ``f`` of a cadre other than ``own`` at current prices (>= 0:
    staying uncovered is worth 0)."""
    best = 0
    for e in range(ptr[f], ptr[f + 1]):
        k = idx[e]
        if k == own or size[k] == 0:
            continue
        v = ben[e] - hp[off[k]]
        if v > best:
            best = v
    return best


@njit(cache=True)
def _auction(ptr, idx, ben, cptr, carc, afirm, off, size, hp, hf, pos, asg,
             eps0, theta, work_limit, stats):
    """Run the scaling phases from the given state (prices ``hp``, holders ``hf``, places
    ``pos`` and arcs ``asg`` of the firms). Returns the work done, or -1 when the work
    limit was reached."""
    n = len(ptr) - 1
    m = len(off)
    fq = np.empty(n + 1, np.int64)
    rq = np.empty(m + 1, np.int64)
    in_rq = np.zeros(m, np.bool_)
    work = 0
    eps = eps0
    while True:
        # start of a phase: release the firms that are not within eps of their best
        fh = ft = 0
        rh = rt = 0
        for f in range(n):
            own = idx[asg[f]] if asg[f] >= 0 else -1
            best = _best_other(f, own, ptr, idx, ben, off, size, hp)
            if asg[f] >= 0:
                if _profit(f, asg, ben, hp, pos) >= best - eps:
                    continue
                s = pos[f]
                hf[s] = -1
                pos[f] = -1
                asg[f] = -1
                _fix(hp, hf, pos, off[own], size[own], s)
                if hp[s] > 0 and not in_rq[own]:
                    in_rq[own] = True
                    rq[rt] = own
                    rt = (rt + 1) % (m + 1)
            elif best <= eps:
                continue
            fq[ft] = f
            ft = (ft + 1) % (n + 1)
        while fh != ft or rh != rt:
            while fh != ft:  # forward: uncovered firms bid
                f = fq[fh]
                fh = (fh + 1) % (n + 1)
                work += 1
                stats[0] += 1
                if work > work_limit:
                    return -1
                b1 = 0
                b2 = 0
                e1 = -1
                for e in range(ptr[f], ptr[f + 1]):
                    k = idx[e]
                    if size[k] == 0:
                        continue
                    v = ben[e] - hp[off[k]]
                    if v > b1:
                        b2 = b1
                        b1 = v
                        e1 = e
                    elif v > b2:
                        b2 = v
                if e1 < 0:
                    continue  # best left uncovered
                k = idx[e1]
                base = off[k]
                g = hf[base]
                if g >= 0:  # displaced
                    asg[g] = -1
                    pos[g] = -1
                    fq[ft] = g
                    ft = (ft + 1) % (n + 1)
                hp[base] += b1 - b2 + eps
                hf[base] = f
                pos[f] = base
                asg[f] = e1
                _fix(hp, hf, pos, base, size[k], base)
            while rh != rt:  # reverse: cadres with free places priced above zero
                k = rq[rh]
                rh = (rh + 1) % (m + 1)
                in_rq[k] = False
                base = off[k]
                while True:
                    s = -1
                    for t in range(base, base + size[k]):
                        if hf[t] < 0 and hp[t] > 0:
                            s = t
                            break
                    if s < 0:
                        break
                    work += 1
                    stats[1] += 1
                    if work > work_limit:
                        return -1
                    b1 = -NO_PRICE
                    b2 = -NO_PRICE
                    g = -1
                    eg = -1
                    for q in range(cptr[k], cptr[k + 1]):
                        e = carc[q]
                        f = afirm[e]
                        if asg[f] >= 0 and idx[asg[f]] == k:
                            continue
                        v = ben[e] - _profit(f, asg, ben, hp, pos)
                        if v > b1:
                            b2 = b1
                            b1 = v
                            g = f
                            eg = e
                        elif v > b2:
                            b2 = v
                    if b1 <= eps:
                        hp[s] = 0
                        _fix(hp, hf, pos, base, size[k], s)
                        continue
                    price = b2 - eps if b2 - eps > 0 else 0
                    if asg[g] >= 0:  # g leaves a place at another cadre
                        j = idx[asg[g]]
                        t = pos[g]
                        hf[t] = -1
                        freed = hp[t]
                        _fix(hp, hf, pos, off[j], size[j], t)
                        if freed > 0 and not in_rq[j]:
                            in_rq[j] = True
                            rq[rt] = j
                            rt = (rt + 1) % (m + 1)
                    hp[s] = price
                    hf[s] = g
                    pos[g] = s
                    asg[g] = eg
                    _fix(hp, hf, pos, base, size[k], s)
        if eps == 1 or theta == 0:
            return work
        eps = max(1, eps // theta)


@njit(cache=True)
def certify(ptr, idx, ben, capacity, asg, work_limit):
    """Least integer dual of a plan, or failure.

    ``ben[e] = reward[f] - cost[e]``; ``asg[f]`` is firm ``f``'s arc or -1. Computes the
    least cadre prices ``P >= 0`` with firm profits ``pi[f] = ben[asg[f]] - P[cadre]``
    (covered) or 0 (uncovered) such that ``pi[f] + P[k] >= ben[e]`` on every arc, by label
    correcting from ``P = 0``. The plan is optimal exactly when this exists with ``P = 0``
    on cadres with spare places, ``pi >= 0`` and loads within capacity (complementary
    slackness); a cycle of improving exchanges makes the prices grow until the work limit.

    Returns ``(status, P)``: status 0 certified, 1 over capacity, 2 a cadre with spare
    places must be priced (not optimal), 3 a covered firm is worth less than uncovered
    (not optimal), 4 work limit (not proven).
    """
    n = len(ptr) - 1
    m = len(capacity)
    P = np.zeros(m, np.int64)
    load = np.zeros(m, np.int64)
    for f in range(n):
        if asg[f] >= 0:
            load[idx[asg[f]]] += 1
    for k in range(m):
        if load[k] > capacity[k]:
            return 1, P
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
            return 3, P
        for e in range(ptr[f], ptr[f + 1]):
            if e == a:
                continue
            k = idx[e]
            need = ben[e] - pf
            if need > P[k]:
                if load[k] < capacity[k]:
                    return 2, P
                P[k] = need
                work += 1
                if work > work_limit:
                    return 4, P
                for r in range(fptr[k], fptr[k + 1]):
                    g = held[r]
                    if not inq[g]:
                        inq[g] = True
                        q[t] = g
                        t = (t + 1) % (n + 1)
    for f in range(n):
        if asg[f] >= 0 and ben[asg[f]] - P[idx[asg[f]]] < 0:
            return 3, P
    return 0, P


@dataclass
class AuctionState:
    """Prices and holders of every cadre place, for warm starts: a later solve of the same
    cadres and firms with more pairs starts from these prices (see :func:`auction`)."""

    places: np.ndarray  # (m + 1) offsets of each cadre's places
    price: np.ndarray
    holder: np.ndarray  # firm holding each place, -1 free
    scale: int  # benefits were multiplied by this


@dataclass
class AuctionResult:
    chosen: np.ndarray  # indices of the chosen pairs (sorted)
    status: str  # "optimal" (certified) or "unknown"
    prices: np.ndarray  # certified integer cadre prices (the dual), in cost units
    profit: np.ndarray  # certified firm profits, in cost units
    work: int
    certificate: int  # 0 certified; see :func:`certify`
    state: AuctionState | None


def auction(cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, capacity: np.ndarray,
            reward: np.ndarray, bid_reward: np.ndarray | None = None,
            warm: AuctionState | None = None, warm_eps: int | None = None) -> AuctionResult:
    """Maximise coverage reward minus cost over count-limited plans, and certify it.

    Args:
        cadre, firm: Cadre and firm index of each pair.
        cost: Integer cost of each pair (>= 0).
        capacity: Most firms each cadre may take.
        reward: Integer reward for covering each firm (the objective that is certified).
        bid_reward: Reward the auction bids with (default ``reward``). A smaller one keeps
            prices and the number of scaling phases small; the plan is still certified
            against ``reward`` and called optimal only if it passes.
        warm: State of an earlier auction on the same cadres and firms (pairs may have been
            added): prices are kept and the scaling starts at ``warm_eps`` (default: a
            quarter of a cost unit).

    Returns:
        An :class:`AuctionResult`; ``status`` is "optimal" only when certified.
    """
    m, n = len(capacity), len(reward)
    cadre = np.asarray(cadre, np.int64)
    firm = np.asarray(firm, np.int64)
    cost = np.asarray(cost, np.int64)
    bid_reward = reward if bid_reward is None else bid_reward
    scale = n + 1
    top = int(bid_reward.max(initial=0))
    if top * scale * 8 >= 2**62 or int(reward.max(initial=0)) * 4 >= 2**62:
        return _unknown(m, n, 5)
    # arcs by firm (CSR); original pair index kept
    order = np.argsort(firm, kind="stable")
    idx = cadre[order]
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(firm, minlength=n), out=ptr[1:])
    afirm = firm[order]
    ben = (bid_reward[afirm] - cost[order]) * scale
    # arcs by cadre
    carc = np.argsort(idx, kind="stable").astype(np.int64)
    cptr = np.zeros(m + 1, np.int64)
    degree = np.bincount(idx, minlength=m)
    np.cumsum(degree, out=cptr[1:])
    size = np.minimum(np.asarray(capacity, np.int64), degree).astype(np.int64)
    off = np.zeros(m, np.int64)
    off[1:] = np.cumsum(size)[:-1]
    total = int(size.sum())
    hp = np.zeros(total, np.int64)
    hf = np.full(total, -1, np.int64)
    pos = np.full(n, -1, np.int64)
    asg = np.full(n, -1, np.int64)
    old = np.diff(warm.places) if warm is not None else None
    if warm is not None and warm.scale == scale and len(old) == m and (old <= size).all():
        # the earlier places keep their prices and holders; new places are free at 0
        k = np.repeat(np.arange(m), old)
        new_at = off[k] + np.arange(len(k)) - warm.places[k]
        hp[new_at] = warm.price
        hf[new_at] = warm.holder
        held = new_at[warm.holder >= 0]
        holder_cadre = np.full(n, -1, np.int64)
        holder_cadre[hf[held]] = k[warm.holder >= 0]
        hit = idx == holder_cadre[afirm]
        asg[afirm[hit]] = np.flatnonzero(hit)
        pos[asg >= 0] = -1
        keep = asg[hf[held]] >= 0  # holders whose pair is still there
        hf[held[~keep]] = -1
        pos[hf[held[keep]]] = held[keep]
        _heapify(hp, hf, pos, off, size)
        eps0 = max(1, scale // 4) if warm_eps is None else int(warm_eps)
    else:
        eps0 = EPS0 if EPS0 else max(1, int(ben.max(initial=0)) // THETA)
    limit = WORK_LIMIT * (len(idx) + n + m)
    work = 0
    eps = eps0
    while True:
        stats = np.zeros(2, np.int64)
        t0 = time.perf_counter()
        done = _auction(ptr, idx, ben, cptr, carc, afirm, off, size, hp, hf, pos, asg,
                        eps, 0, limit - work, stats)
        log.debug("auction phase eps=%d: %d bids, %d reverse steps, %.2f s", eps, stats[0],
                  stats[1], time.perf_counter() - t0)
        if done < 0:
            work = -1
            break
        work += done
        if eps == 1:
            break
        eps = max(1, eps // THETA)
    state = AuctionState(np.r_[off, off[-1] + size[-1]] if m else np.zeros(1, np.int64),
                         hp, hf, scale)
    if work < 0:
        res = _unknown(m, n, 4)
        res.state = state
        return res
    true_ben = reward[afirm] - cost[order]
    code, prices = certify(ptr, idx, true_ben, np.asarray(capacity, np.int64), asg,
                           8 * (len(idx) + n + m))
    covered = asg >= 0
    profit = np.zeros(n, np.int64)
    profit[covered] = true_ben[asg[covered]] - prices[idx[asg[covered]]]
    chosen = np.sort(order[asg[covered]])
    return AuctionResult(chosen, "optimal" if code == 0 else "unknown", prices, profit,
                         work, int(code), state)


def _unknown(m: int, n: int, code: int) -> AuctionResult:
    return AuctionResult(np.zeros(0, np.int64), "unknown", np.zeros(m, np.int64),
                         np.zeros(n, np.int64), 0, code, None)
