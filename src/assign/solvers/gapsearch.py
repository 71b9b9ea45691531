"""A compiled neighbourhood search for the generalized assignment problem.

Shift moves (one firm to another cadre) and swap moves (two firms of two cadres trade
places) are evaluated in a numba kernel, tens of thousands to millions a second, on a
penalised objective: cost plus a weight per cadre times the load over its cap. The weights
rise on cadres left over their caps at a local optimum and fall while the plan keeps every
cap (strategic oscillation, after Yagiura, Ibaraki & Glover 2004), so the search crosses
infeasible plans to reach better feasible ones; the best plan that keeps every cap is
returned. Each firm's candidate cadres are its cheapest by Lagrangian cost
``cost + u_i * load`` (``u`` from a subgradient ascent on the relaxation of the caps, which
also gives a lower bound). When the weights stall, short ejection chains (a firm shifted
into a cadre pushes one of its firms on to a third cadre) and random kicks from the best
plan move the search elsewhere.

Only the firms placed in the given plan move, and count limits are never exceeded, so the
result covers the same firms and keeps every limit; its cost never exceeds the start's.
"""

from __future__ import annotations

import time

import numba
import numpy as np

INF_COST = np.int64(1) << 50
"""Cost marking a pair that is not admissible in the dense matrices."""


def lagrangian(cost: np.ndarray, load: np.ndarray, cap: np.ndarray, upper: float,
               iterations: int = 300) -> tuple[np.ndarray, float]:
    """Multipliers ``u >= 0`` of the caps from a subgradient ascent, and the best bound.

    The relaxation ``sum_j min_i (c_ij + u_i a_ij) - sum_i u_i b_i`` is a lower bound on the
    cost of any plan that places every firm and keeps every cap (``cost`` is ``m x n``,
    ``INF_COST`` where not admissible).

    Args:
        cost, load: ``m x n`` integer matrices.
        cap: Caps (``m``).
        upper: Cost of a known plan (Polyak step target).
        iterations: Subgradient steps.
    """
    m, n = cost.shape
    c = cost.astype(float)
    c[cost >= INF_COST] = np.inf
    a = load.astype(float)
    u = np.zeros(m)
    best_u, best = u.copy(), -np.inf
    step = 2.0
    cols = np.arange(n)
    since = 0
    for _ in range(iterations):
        red = c + u[:, None] * a
        pick = np.argmin(red, axis=0)
        value = float(red[pick, cols].sum() - u @ cap)
        if value > best + 1e-9:
            best, best_u, since = value, u.copy(), 0
        else:
            since += 1
            if since >= 20:
                step, since = step / 2, 0
        g = np.bincount(pick, weights=a[pick, cols], minlength=m) - cap
        norm = float(g @ g)
        if norm == 0 or step < 1e-6:
            break
        u = np.maximum(0.0, u + step * max(upper - value, 1e-6 * abs(upper) + 1) / norm * g)
    return best_u, best


def candidates(cost: np.ndarray, load: np.ndarray, u: np.ndarray, k: int) -> np.ndarray:
    """Each firm's ``k`` cadres of least Lagrangian cost (``k x n``; -1 pads firms with
    fewer admissible cadres)."""
    m, n = cost.shape
    k = min(k, m)
    red = cost.astype(float) + u[:, None] * load
    red[cost >= INF_COST] = np.inf
    order = np.argsort(red, axis=0, kind="stable")[:k]
    ok = np.isfinite(np.take_along_axis(red, order, axis=0))
    return np.where(ok, order, -1).astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _kernel(cost, load, cap, count, cand, x, loads, members, nmem, pos, w, best_x,
            best_cost, iters, seed, w_min, tabu, it0, tenure, w_up, w_down, chains):
    """Run ``iters`` tabu-search iterations on the state, in place: each applies the best
    shift or swap of the penalised objective that is not tabu (or that gives a better plan
    keeping every cap than any so far), then adapts the weights.

    Returns (best feasible cost found, iterations done)."""
    np.random.seed(seed)
    m = cap.shape[0]
    n = x.shape[0]
    kc = cand.shape[0]
    over = np.zeros(m)
    n_over = 0
    for i in range(m):
        over[i] = max(0.0, loads[i] - cap[i])
        if over[i] > 0:
            n_over += 1
    cur = 0
    for j in range(n):
        if x[j] >= 0:
            cur += cost[x[j], j]
    for it in range(it0, it0 + iters):
        bd = np.inf
        bj = -1
        bi2 = -1
        bj2 = -1
        ties = 0
        for j in range(n):
            i = x[j]
            if i < 0:
                continue
            cij = cost[i, j]
            oi_new = max(0.0, loads[i] - load[i, j] - cap[i])
            gi = w[i] * (oi_new - over[i])
            for r in range(kc):
                i2 = cand[r, j]
                if i2 < 0 or i2 == i:
                    continue
                # shift j: i -> i2
                if count[i2] < 0 or nmem[i2] < count[i2]:
                    o2_new = max(0.0, loads[i2] + load[i2, j] - cap[i2])
                    dc = cost[i2, j] - cij
                    d = dc + gi + w[i2] * (o2_new - over[i2])
                    ok = tabu[j, i2] <= it
                    if not ok:
                        # aspiration: a plan keeping every cap, better than the best
                        nv = n_over - (1 if over[i] > 0 and oi_new == 0 else 0) + (
                            1 if over[i2] == 0 and o2_new > 0 else 0)
                        ok = nv == 0 and cur + dc < best_cost
                    if ok:
                        if d < bd - 1e-9:
                            bd, bj, bi2, bj2, ties = d, j, i2, -1, 1
                        elif d <= bd + 1e-9:
                            ties += 1
                            if np.random.randint(ties) == 0:
                                bj, bi2, bj2 = j, i2, -1
                # swaps of j with the firms of i2 (j < j2 ordering not needed: both seen)
                for s in range(nmem[i2]):
                    j2 = members[i2, s]
                    ci2 = cost[i, j2]
                    if ci2 >= INF_COST_NB:
                        continue
                    li = loads[i] - load[i, j] + load[i, j2]
                    l2 = loads[i2] - load[i2, j2] + load[i2, j]
                    oi2 = max(0.0, li - cap[i])
                    o22 = max(0.0, l2 - cap[i2])
                    dc = cost[i2, j] + ci2 - cij - cost[i2, j2]
                    d = dc + w[i] * (oi2 - over[i]) + w[i2] * (o22 - over[i2])
                    if d > bd + 1e-9:
                        continue
                    ok = tabu[j, i2] <= it and tabu[j2, i] <= it
                    if not ok:
                        nv = n_over - (1 if over[i] > 0 and oi2 == 0 else 0) - (
                            1 if over[i2] > 0 and o22 == 0 else 0) + (
                            1 if over[i] == 0 and oi2 > 0 else 0) + (
                            1 if over[i2] == 0 and o22 > 0 else 0)
                        ok = nv == 0 and cur + dc < best_cost
                    if ok:
                        if d < bd - 1e-9:
                            bd, bj, bi2, bj2, ties = d, j, i2, j2, 1
                        else:
                            ties += 1
                            if np.random.randint(ties) == 0:
                                bj, bi2, bj2 = j, i2, j2
        bi3 = -1
        if bd >= -1e-9 and chains:
            # no improving shift or swap: ejection chains of two shifts, j1 into i2 and
            # one of i2's firms on to a third cadre i3
            for j in range(n):
                i = x[j]
                if i < 0:
                    continue
                oi_new = max(0.0, loads[i] - load[i, j] - cap[i])
                gi = w[i] * (oi_new - over[i])
                for r in range(kc):
                    i2 = cand[r, j]
                    if i2 < 0 or i2 == i or tabu[j, i2] > it:
                        continue
                    if count[i2] >= 0 and nmem[i2] >= count[i2]:
                        continue
                    l2 = loads[i2] + load[i2, j]
                    d1 = cost[i2, j] - cost[i, j] + gi
                    for s in range(nmem[i2]):
                        j2 = members[i2, s]
                        o2_new = max(0.0, l2 - load[i2, j2] - cap[i2])
                        d2 = d1 + w[i2] * (o2_new - over[i2]) - cost[i2, j2]
                        for r3 in range(kc):
                            i3 = cand[r3, j2]
                            if i3 < 0 or i3 == i2 or i3 == i or tabu[j2, i3] > it:
                                continue
                            if count[i3] >= 0 and nmem[i3] >= count[i3]:
                                continue
                            o3_new = max(0.0, loads[i3] + load[i3, j2] - cap[i3])
                            d = d2 + cost[i3, j2] + w[i3] * (o3_new - over[i3])
                            if d < bd - 1e-9:
                                bd, bj, bi2, bj2, bi3 = d, j, i2, j2, i3
        if bj < 0:
            continue
        i = x[bj]
        t = tenure + np.random.randint(tenure + 1)
        tabu[bj, i] = it + t
        _move(bj, i, bi2, x, loads, members, nmem, pos, load)
        cur += cost[bi2, bj] - cost[i, bj]
        if bj2 >= 0:
            to = i if bi3 < 0 else bi3
            tabu[bj2, bi2] = it + t
            _move(bj2, bi2, to, x, loads, members, nmem, pos, load)
            cur += cost[to, bj2] - cost[bi2, bj2]
            over[to] = max(0.0, loads[to] - cap[to])
        n_over = 0
        for r in (i, bi2):
            over[r] = max(0.0, loads[r] - cap[r])
        for r in range(m):
            if over[r] > 0:
                n_over += 1
        if n_over == 0:
            if cur < best_cost:
                best_cost = cur
                best_x[:] = x
            for r in range(m):
                w[r] = max(w_min[r], w[r] * w_down)
        else:
            for r in range(m):
                if over[r] > 0:
                    w[r] = w[r] * w_up
    return best_cost, iters


INF_COST_NB = INF_COST
W_UP, W_DOWN = 1.02, 0.9
"""Factors on a cadre's penalty weight per iteration over its cap, and on every weight
per iteration that keeps every cap (chosen on d10100 and d20200 among 1.02-1.1, 0.9-0.98)."""
TENURE = 0
"""Tabu tenure (0: n / 20, between 3 and 20, plus a random part as large)."""
CHAINS = True
"""Evaluate two-shift ejection chains when no shift or swap improves."""
RESTART, KICK = 2000, 5
"""Iterations (at least 5 n) without a better plan before a restart from the best one,
and firms moved at random then."""


@numba.njit(cache=True, nogil=True)
def _move(j, i, i2, x, loads, members, nmem, pos, load):
    """Move firm j from cadre i to cadre i2 (member lists, loads)."""
    p = pos[j]
    last = members[i, nmem[i] - 1]
    members[i, p] = last
    pos[last] = p
    nmem[i] -= 1
    members[i2, nmem[i2]] = j
    pos[j] = nmem[i2]
    nmem[i2] += 1
    loads[i] -= load[i, j]
    loads[i2] += load[i2, j]
    x[j] = i2


def search_dense(cost: np.ndarray, load: np.ndarray, cap: np.ndarray, count: np.ndarray,
                 start: np.ndarray, seconds: float, seed: int = 0, k: int = 12,
                 u: np.ndarray | None = None, max_iterations: int | None = None) -> np.ndarray:
    """Improve a plan that keeps every cap: returns the best such plan found (``n`` cadre
    indices, -1 for firms left out, exactly as in ``start``).

    Args:
        cost, load: ``m x n`` integer matrices (``INF_COST`` marks pairs not admissible).
        cap: Workload caps (``m``; -1 = none). count: Count limits (-1 = none).
        start: A plan keeping every limit: each firm's cadre or -1.
        seconds: Time budget.
        seed: Seed of the move order and kicks.
        k: Candidate cadres per firm.
        u: Lagrangian multipliers of the caps (computed when None).
        max_iterations: Stop after this many tabu-search iterations (then the result
            depends on the seed only, not on the machine's speed).
    """
    deadline = time.perf_counter() + seconds
    m, n = cost.shape
    cost = np.ascontiguousarray(cost, dtype=np.int64)
    load = np.ascontiguousarray(load, dtype=np.int64)
    capf = np.where(cap < 0, np.inf, cap).astype(np.float64)
    count = np.asarray(count, dtype=np.int64)
    x = np.asarray(start, dtype=np.int64).copy()
    placed = x >= 0
    start_cost = int(cost[x[placed], np.flatnonzero(placed)].sum())
    if m < 2 or not placed.any():
        return x
    if u is None:
        u, _ = lagrangian(cost, load, np.where(cap < 0, load.sum(axis=1), cap), start_cost)
    cand = candidates(cost, load, u, k)
    # weight of one unit over a cap: about the cost spread per unit of load
    finite = cost < INF_COST
    spread = float(np.ptp(cost[finite])) if finite.any() else 1.0
    w_min = np.full(m, 0.05 * max(spread, 1.0) / max(float(load[finite].mean()), 1.0))
    best_x = x.copy()
    best = start_cost
    tenure = TENURE if TENURE > 0 else max(3, min(n // 20, 20))
    patience = max(RESTART, 5 * n)
    rounds, chunk, since = 0, 50, 0
    rng = np.random.default_rng(seed)
    loads, members, nmem, pos = _state(x, load, m)
    w = w_min.copy()
    tabu = np.zeros((n, m), dtype=np.int64)
    limit = np.inf if max_iterations is None else max_iterations
    while time.perf_counter() < deadline and rounds < limit:
        t = time.perf_counter()
        before = best
        if max_iterations is not None:
            chunk = int(min(chunk, max_iterations - rounds))
        best, _ = _kernel(cost, load, capf, count, cand, x, loads, members, nmem, pos, w,
                          best_x, best, chunk, int(rng.integers(2**31 - 1)), w_min, tabu,
                          rounds, tenure, W_UP, W_DOWN, CHAINS)
        rounds += chunk
        since = 0 if best < before else since + chunk
        if since >= patience:
            # stalled: restart from the best plan, a few firms moved at random
            since = 0
            x = best_x.copy()
            movable = np.flatnonzero(x >= 0)
            for j in rng.choice(movable, size=min(len(movable), KICK), replace=False):
                opts = cand[:, j][cand[:, j] >= 0]
                x[j] = opts[rng.integers(len(opts))]
            loads, members, nmem, pos = _state(x, load, m)
            if (count >= 0).any() and (nmem > np.where(count < 0, n, count)).any():
                x = best_x.copy()
                loads, members, nmem, pos = _state(x, load, m)
            w = w_min.copy()
            tabu[:] = 0
        took = time.perf_counter() - t
        left = deadline - time.perf_counter()
        # about 0.2 s a call, never past the deadline
        if took > 0 and max_iterations is None:
            chunk = int(max(1, min(chunk * 0.2 / took, chunk * left / took * 0.9, 10_000)))
    return best_x


def _state(x: np.ndarray, load: np.ndarray, m: int):
    """Loads, member lists, member counts and positions of a plan."""
    n = len(x)
    placed = np.flatnonzero(x >= 0)
    loads = np.bincount(x[placed], weights=load[x[placed], placed], minlength=m).astype(float)
    members = np.full((m, n), -1, dtype=np.int64)
    nmem = np.zeros(m, dtype=np.int64)
    pos = np.zeros(n, dtype=np.int64)
    for j in placed.tolist():
        i = x[j]
        members[i, nmem[i]] = j
        pos[j] = nmem[i]
        nmem[i] += 1
    return loads, members, nmem, pos


def core_pairs(cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, load: np.ndarray,
               work: np.ndarray, chosen: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """The core of a workload-limited plan's pair table: for each firm the ``k`` cadres of
    least Lagrangian reduced cost (multipliers of the caps from :func:`lagrangian`), plus
    the plan's own pairs. A search restricted to the core keeps the plan's firms covered.

    Args:
        cadre, firm, cost, load: The admissible pairs (integer cost and load).
        work: Workload caps (-1 = none).
        chosen: A plan (pair indices) keeping every cap; its firms are the ones placed.
        k: Cadres kept per firm.

    Returns:
        A mask of the pairs kept, and the Lagrangian lower bound on the cost of placing
        the plan's firms (the pairs of other firms are dropped).
    """
    m = len(work)
    firms = np.unique(firm[chosen])
    col = np.full(int(firm.max(initial=-1)) + 1, -1, dtype=np.int64)
    col[firms] = np.arange(len(firms))
    on = col[firm] >= 0
    c = np.full((m, len(firms)), INF_COST, dtype=np.int64)
    a = np.zeros((m, len(firms)), dtype=np.int64)
    c[cadre[on], col[firm[on]]] = cost[on]
    a[cadre[on], col[firm[on]]] = load[on]
    cap = np.where(work < 0, a.sum(axis=1), work).astype(float)
    u, lb = lagrangian(c, a, cap, float(cost[chosen].sum()))
    red = c + u[:, None] * a
    red[c >= INF_COST] = np.inf
    rank = np.argsort(np.argsort(red, axis=0, kind="stable"), axis=0, kind="stable")
    keep = on.copy()
    keep[on] = rank[cadre[on], col[firm[on]]] < k
    keep[on] &= np.isfinite(red[cadre[on], col[firm[on]]])
    keep[chosen] = True
    return keep, lb


def search_pairs(cadre: np.ndarray, firm: np.ndarray, cost: np.ndarray, load: np.ndarray,
                 count: np.ndarray, work: np.ndarray, chosen: np.ndarray, seconds: float,
                 seed: int = 0, k: int = 12, max_iterations: int | None = None) -> np.ndarray:
    """:func:`search_dense` on a pair table: returns the improved plan as pair indices,
    covering the same firms as ``chosen`` and keeping every limit."""
    m = len(work)
    n = int(firm.max(initial=-1)) + 1
    c = np.full((m, n), INF_COST, dtype=np.int64)
    a = np.zeros((m, n), dtype=np.int64)
    c[cadre, firm] = cost
    a[cadre, firm] = load
    pair_of = np.full((m, n), -1, dtype=np.int64)
    pair_of[cadre, firm] = np.arange(len(cadre))
    x = np.full(n, -1, dtype=np.int64)
    x[firm[chosen]] = cadre[chosen]
    best = search_dense(c, a, work, count, x, seconds, seed, k, max_iterations=max_iterations)
    placed = np.flatnonzero(best >= 0)
    plan = pair_of[best[placed], placed]
    return np.sort(plan) if int(cost[plan].sum()) < int(cost[chosen].sum()) else chosen
