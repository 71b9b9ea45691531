"""The service model's fine-grained events, compiled: queues, servers, the escalation chain.

:class:`~sim.model.ServiceModel` keeps Mesa in charge of time: its steps, the daily
DataCollector record, collection rounds, batch changes and any event a user schedules
are Mesa events. Between two Mesa events the model hands the interval to :func:`run`,
which plays every arrival, job start and finish, hand-over and report-back due in it on
arrays, in a numba-compiled loop over a binary heap of ``(time, sequence)`` keys: the
same events, in the same order, that a Python object per queue and server would play,
without the fixed cost of a Python call per event.

The functions are compiled without numba's reference counting (``_nrt=False``): they
never allocate, and counting references on every array passed between them cost more than
the events themselves (1.3 s against 0.4 s for the 900,000 issues of the M/M/10 benchmark).

State lives in a handful of numpy arrays (the row and slot constants below name their
parts); the model owns them and reads results straight from them. Every function is
compiled once and cached on disk (``cache=True``): the first run after an install or a
change compiles (about 20 s on this 2-core machine at load 3); later processes load the compiled code.

Queues are FIFO lists of issue numbers linked through the issue's ``LINK`` slot (an
issue waits in at most one queue or hand-over line at a time); idle servers form a
stack per queue (the last to become idle is the first to get work). Hand-over and
report-back lines are queues too, at ``q`` columns ``si[LINES] + line``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from assign.geo import EARTH_RADIUS_KM

from .workclock import finish_time, next_working, work_hours

# --- issue floats (fi columns; one row an issue) ---------------------------------------------------------
RAISED, EFFORT, EFF1, EFF2, U_CADRE, U_HOME, U_DEPT = 0, 1, 2, 3, 4, 5, 6
COLLECTED, STARTED, ESCALATED, ESC_DEPT, RESOLVED, CLOSED = 7, 8, 9, 10, 11, 12
N_FI = 13
# --- issue ints (ii columns) -------------------------------------------------------------
FIRM, CATEGORY, TRAVEL, TIER, CADRE, HOME, LINK, DEST = 0, 1, 2, 3, 4, 5, 6, 7
N_II = 8
# --- float scalars (fs) ---------------------------------------------------------------
NOW, BOOKED, W0, W1, HPD, MEAN_HOURS, UNSKILLED, SPEED = 0, 1, 2, 3, 4, 5, 6, 7
P_SKILLED, P_UNSKILLED = 8, 9
MEAN_DAYS1, SOLVE1, FEEDBACK1, MEAN_DAYS2, SOLVE2, FEEDBACK2 = 10, 11, 12, 13, 14, 15
DELAY = 16  # five line delays: hand-over to home unit, to department; report-back 1, 2, 3
N_FS = 21
# --- int scalars (si) -------------------------------------------------------------------
NEXT, WAKE, QUEUED, BUSY, CLOSED_N, RESOLVED_N, HEAP_N, SEQ = 0, 1, 2, 3, 4, 5, 6, 7
TRAVEL_CFG, ESCALATE, FEEDER, UNROUTED_N, N_FIRMS, ROUND, LINES = 8, 9, 10, 11, 12, 13, 14
N_SI = 15
# --- queues (q rows; columns: queues, then the five lines) ------------------------------
HEAD, TAIL, LEN, IDLE = 0, 1, 2, 3
# --- servers (sv rows) ------------------------------------------------------------------
KIND, OWNER, QUEUE, CURRENT, IDLE_NEXT = 0, 1, 2, 3, 4  # KIND: 0 cadre, 1 pool
# --- cadres (cf, ci rows) ---------------------------------------------------------------
WSTART, WEND = 0, 1
SKILLS, HOME_POOL, CBUSY = 0, 1, 2
# --- pools (pl rows) --------------------------------------------------------------------
PTIER, PQUEUE, PINDEX = 0, 1, 2
# --- firms (fq rows) --------------------------------------------------------------------
FQUEUE, VISITED = 0, 1
# --- events: code = arg * 4 + kind ------------------------------------------------------
FINISH, RELEASE, ARRIVE = 0, 1, 2
# lines
HANDOVER1, HANDOVER2, FEEDBACK1_LINE = 0, 1, 2

_R = EARTH_RADIUS_KM

compiled = njit(cache=True, _nrt=False)  # type: ignore[call-overload]
"""The kernel's decorator: compiled once, cached on disk, no reference counting."""




@compiled
def measured_hours(fs, start, end):
    w0, w1 = fs[W0], fs[W1]
    lo = start if start > w0 else w0
    hi = end if end < w1 else w1
    if hi <= lo:
        return 0.0
    h = fs[HPD]
    if h >= 24.0:
        return 24.0 * (hi - lo)
    return work_hours(hi, h) - work_hours(lo, h)


@compiled
def ahead_hours(fs, cf, ci, now):
    """Booked cadre hours of the jobs in progress that fall after ``now``."""
    total = 0.0
    for c in range(ci.shape[1]):
        if ci[CBUSY, c]:
            s = cf[WSTART, c]
            total += measured_hours(fs, s if s > now else now, cf[WEND, c])
    return total


# --- the event heap ---------------------------------------------------------------------------
@compiled
def _less(ht, hk, a, b):
    return ht[a] < ht[b] or (ht[a] == ht[b] and hk[0, a] < hk[0, b])


@compiled
def _swap(ht, hk, a, b):
    ht[a], ht[b] = ht[b], ht[a]
    hk[0, a], hk[0, b] = hk[0, b], hk[0, a]
    hk[1, a], hk[1, b] = hk[1, b], hk[1, a]


@compiled
def heap_push(ht, hk, si, t, code):
    n = si[HEAP_N]
    if n >= ht.shape[0]:
        raise RuntimeError("simulation kernel: event heap full")
    si[SEQ] += 1
    ht[n] = t
    hk[0, n] = si[SEQ]
    hk[1, n] = code
    si[HEAP_N] = n + 1
    while n > 0:
        p = (n - 1) >> 1
        if _less(ht, hk, n, p):
            _swap(ht, hk, n, p)
            n = p
        else:
            break


@compiled
def heap_pop(ht, hk, si):
    """Remove the earliest event; returns its code."""
    code = hk[1, 0]
    n = si[HEAP_N] - 1
    si[HEAP_N] = n
    if n > 0:
        ht[0] = ht[n]
        hk[0, 0] = hk[0, n]
        hk[1, 0] = hk[1, n]
        i = 0
        while True:
            a = 2 * i + 1
            if a >= n:
                break
            b = a + 1
            m = b if b < n and _less(ht, hk, b, a) else a
            if _less(ht, hk, m, i):
                _swap(ht, hk, m, i)
                i = m
            else:
                break
    return code


# --- FIFO lists of issues ---------------------------------------------------------------------
@compiled
def fifo_append(q, ii, col, issue):
    ii[issue, LINK] = -1
    if q[LEN, col] == 0:
        q[HEAD, col] = issue
    else:
        ii[q[TAIL, col], LINK] = issue
    q[TAIL, col] = issue
    q[LEN, col] += 1


@compiled
def fifo_pop(q, ii, col):
    issue = q[HEAD, col]
    q[HEAD, col] = ii[issue, LINK]
    q[LEN, col] -= 1
    if q[LEN, col] == 0:
        q[HEAD, col] = -1
        q[TAIL, col] = -1
    return issue


@compiled
def idle_push(q, sv, col, s):
    sv[IDLE_NEXT, s] = q[IDLE, col]
    q[IDLE, col] = s


@compiled
def idle_remove(q, sv, col, s):
    """Take server ``s`` off the idle stack of queue ``col``; False when it is not there."""
    prev = -1
    cur = q[IDLE, col]
    while cur >= 0:
        if cur == s:
            if prev < 0:
                q[IDLE, col] = sv[IDLE_NEXT, cur]
            else:
                sv[IDLE_NEXT, prev] = sv[IDLE_NEXT, cur]
            sv[IDLE_NEXT, cur] = -1
            return True
        prev = cur
        cur = sv[IDLE_NEXT, cur]
    return False


# --- travel ---------------------------------------------------------------------------------
@compiled
def trip_hours(fs, si, geo, tk, tv, road, c, f):
    """Round-trip hours (as ``ServiceModel.trip_hours``): the pair table's, else the road's,
    else great-circle at ``speed_kmh``; 0 when nothing is known."""
    if tk.shape[0] > 0:
        key = c * si[N_FIRMS] + f
        j = np.searchsorted(tk, key)
        if j < tk.shape[0] and tk[j] == key:
            return tv[j]
    if road.shape[0] > 0:
        m = road[c, f]
        if math.isfinite(m):
            return 2.0 * m / 60.0
    a = c
    b = geo.shape[1] - si[N_FIRMS] + f  # firms follow the cadres
    la1, lo1, la2, lo2 = geo[0, a], geo[1, a], geo[0, b], geo[1, b]
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2) ** 2
    if h != h:
        return 0.0
    km = 2 * _R * math.asin(min(1.0, math.sqrt(h)))
    return 2.0 * km / fs[SPEED]


# --- the model's rules --------------------------------------------------------------------------
@compiled
def count_closed(fi, ii, fs, si, issue):
    si[CLOSED_N] += 1
    if ii[issue, TIER] != 3 and fi[issue, RAISED] >= fs[W0]:
        si[RESOLVED_N] += 1


@compiled
def close(fi, ii, fs, si, q, ht, hk, issue, tier, at):
    ii[issue, TIER] = tier
    fi[issue, CLOSED] = at
    if tier != 3:
        fi[issue, RESOLVED] = at
    if at <= fs[NOW]:
        count_closed(fi, ii, fs, si, issue)
    else:
        line = FEEDBACK1_LINE + tier - 1
        delay = fs[DELAY + line]
        if delay <= 0:
            count_closed(fi, ii, fs, si, issue)
        else:
            fifo_append(q, ii, si[LINES] + line, issue)
            heap_push(ht, hk, si, fs[NOW] + delay, line * 4 + RELEASE)


@compiled
def begin(fi, ii, fs, si, sv, cf, ci, pl, geo, tk, tv, road, s, issue):
    """Start ``issue`` on server ``s`` now; returns the day the work ends."""
    now = fs[NOW]
    owner = sv[OWNER, s]
    if sv[KIND, s] == 1:  # a home unit or department: calendar days
        if pl[PTIER, owner] == 1:
            return now + fs[MEAN_DAYS1] * fi[issue, EFF1]
        return now + fs[MEAN_DAYS2] * fi[issue, EFF2]
    c = owner
    h = fs[HPD]
    start = next_working(now, h) if h < 24.0 else now
    if fi[issue, STARTED] != fi[issue, STARTED]:
        fi[issue, STARTED] = start
    ii[issue, CADRE] = c
    hours = fs[MEAN_HOURS] * fi[issue, EFFORT]
    if not (ci[SKILLS, c] >> ii[issue, CATEGORY]) & 1:
        hours *= fs[UNSKILLED]
    if ii[issue, TRAVEL]:
        hours += trip_hours(fs, si, geo, tk, tv, road, c, ii[issue, FIRM])
    end = finish_time(start, hours, h) if h < 24.0 else start + hours / 24.0
    fs[BOOKED] += measured_hours(fs, start, end)
    cf[WSTART, c] = start
    cf[WEND, c] = end
    ci[CBUSY, c] = 1
    si[BUSY] += 1
    return end


@compiled
def start(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, s, issue):
    sv[CURRENT, s] = issue
    end = begin(fi, ii, fs, si, sv, cf, ci, pl, geo, tk, tv, road, s, issue)
    heap_push(ht, hk, si, end, s * 4 + FINISH)


@compiled
def push(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, col, issue):
    """Hand the issue to an idle server of queue ``col``, or queue it."""
    s = q[IDLE, col]
    if s >= 0:
        q[IDLE, col] = sv[IDLE_NEXT, s]
        sv[IDLE_NEXT, s] = -1
        start(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, s, issue)
    else:
        fifo_append(q, ii, col, issue)
        si[QUEUED] += 1


@compiled
def escalate(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, issue, pool):
    """Hand an issue over to ``pool`` (after the tier's hand-over delay)."""
    if pool < 0:
        close(fi, ii, fs, si, q, ht, hk, issue, 3, fs[NOW])
        return
    line = HANDOVER1 if pl[PTIER, pool] == 1 else HANDOVER2
    col = pl[PQUEUE, pool]
    delay = fs[DELAY + line]
    if delay <= 0:
        push(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, col, issue)
        return
    ii[issue, DEST] = col
    fifo_append(q, ii, si[LINES] + line, issue)
    heap_push(ht, hk, si, fs[NOW] + delay, line * 4 + RELEASE)


@compiled
def complete(fi, ii, fs, si, q, sv, cf, ci, pl, dept, ht, hk, geo, tk, tv, road, s, issue):
    """Settle the finished issue, or escalate it."""
    now = fs[NOW]
    owner = sv[OWNER, s]
    if sv[KIND, s] == 0:  # a cadre
        si[BUSY] -= 1
        ci[CBUSY, owner] = 0
        if not si[ESCALATE]:
            close(fi, ii, fs, si, q, ht, hk, issue, 0, now)
            return
        skilled = (ci[SKILLS, owner] >> ii[issue, CATEGORY]) & 1
        p = fs[P_SKILLED] if skilled else fs[P_UNSKILLED]
        if fi[issue, U_CADRE] < p:
            close(fi, ii, fs, si, q, ht, hk, issue, 0, now)
        else:
            fi[issue, ESCALATED] = now
            home = ci[HOME_POOL, owner]
            ii[issue, HOME] = pl[PINDEX, home] if home >= 0 else -1
            escalate(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, issue, home)
        return
    tier = pl[PTIER, owner]
    if tier == 1:
        u, solve, feedback = fi[issue, U_HOME], fs[SOLVE1], fs[FEEDBACK1]
    else:
        u, solve, feedback = fi[issue, U_DEPT], fs[SOLVE2], fs[FEEDBACK2]
    if u < solve:
        close(fi, ii, fs, si, q, ht, hk, issue, tier, now + feedback)
    elif tier == 1:
        fi[issue, ESC_DEPT] = now
        escalate(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, issue,
                 dept[ii[issue, CATEGORY]])
    else:
        close(fi, ii, fs, si, q, ht, hk, issue, 3, now + feedback)


@compiled
def route(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr, issue,
          travel, when):
    """Send an issue to its firm's queue (collected at ``when``), or keep it unrouted."""
    col = fq[FQUEUE, ii[issue, FIRM]]
    if col < 0:  # nobody serves the firm (yet)
        unr[si[UNROUTED_N]] = issue
        si[UNROUTED_N] += 1
        return
    if fi[issue, COLLECTED] != fi[issue, COLLECTED]:
        fi[issue, COLLECTED] = when
    ii[issue, TRAVEL] = travel
    push(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, col, issue)


@compiled
def take_arrivals(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr):
    """Route every issue raised up to now that is not routed yet (in raised order)."""
    k, now, n = si[NEXT], fs[NOW], fi.shape[0]
    travel = si[TRAVEL_CFG]
    while k < n and fi[k, RAISED] <= now:
        route(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr, k, travel,
              fi[k, RAISED])
        k += 1
    si[NEXT] = k


@compiled
def wake_on_next_arrival(fi, si, ht, hk):
    """Make sure an event fires at the next arrival not yet routed."""
    if not si[WAKE] and si[NEXT] < fi.shape[0]:
        si[WAKE] = 1
        heap_push(ht, hk, si, fi[si[NEXT], RAISED], ARRIVE)


@compiled
def route_batch(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr,
                issues):
    """Route ``issues`` now (a collection round): travel only for a firm's first issue."""
    si[ROUND] += 1
    r = si[ROUND]
    cfg = si[TRAVEL_CFG]
    now = fs[NOW]
    for k in range(issues.shape[0]):
        issue = issues[k]
        f = ii[issue, FIRM]
        travel = cfg if fq[VISITED, f] != r else 0
        fq[VISITED, f] = r
        route(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr, issue,
              travel, now)


@compiled
def next_job(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr, s, col):
    """Free server ``s`` takes the next issue of queue ``col`` (the shared queue first takes
    in the arrivals due), or waits idle for one."""
    feeder = si[FEEDER] == col
    if feeder:
        take_arrivals(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr)
    if q[LEN, col] > 0:
        si[QUEUED] -= 1
        start(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road, s,
              fifo_pop(q, ii, col))
    else:
        idle_push(q, sv, col, s)
        if feeder:
            wake_on_next_arrival(fi, si, ht, hk)


@compiled
def join(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr, s, col):
    """Server ``s`` starts serving queue ``col`` now (when busy: once its issue is done)."""
    sv[QUEUE, s] = col
    if sv[CURRENT, s] >= 0:
        return
    next_job(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr, s, col)


@compiled
def wake(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr):
    """Make sure an event fires at the next arrival not yet routed."""
    wake_on_next_arrival(fi, si, ht, hk)


@compiled
def drain(q, ii, si, col, out, k):
    """Move the issues waiting in queue ``col`` to ``out[k:]``; returns the new end."""
    while q[LEN, col] > 0:
        out[k] = fifo_pop(q, ii, col)
        si[QUEUED] -= 1
        k += 1
    return k


@compiled
def finish(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr, s):
    """Server ``s`` completes its issue and takes the next one."""
    issue = sv[CURRENT, s]
    sv[CURRENT, s] = -1
    complete(fi, ii, fs, si, q, sv, cf, ci, pl, dept, ht, hk, geo, tk, tv, road, s, issue)
    col = sv[QUEUE, s]
    next_job(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr, s, col)


@compiled
def arrive(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr):
    """Immediate collection: route every issue raised by now, then wait for the next (with
    one shared queue, only while a server is idle: else arrivals are taken in when a
    server looks for work)."""
    si[WAKE] = 0
    take_arrivals(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr)
    col = si[FEEDER]
    if col < 0 or q[IDLE, col] >= 0:
        wake_on_next_arrival(fi, si, ht, hk)


@compiled
def run(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr, bound,
        until):
    """Play every event before ``bound`` (Mesa's next event) and not after ``until``."""
    lines = si[LINES]
    while si[HEAP_N] > 0:
        t = ht[0]
        if t >= bound or t > until:
            break
        fs[NOW] = t
        code = heap_pop(ht, hk, si)
        kind = code & 3
        arg = code >> 2
        if kind == FINISH:
            finish(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr,
                   arg)
        elif kind == RELEASE:
            issue = fifo_pop(q, ii, lines + arg)
            if arg < FEEDBACK1_LINE:
                push(fi, ii, fs, si, q, sv, cf, ci, pl, ht, hk, geo, tk, tv, road,
                     ii[issue, DEST], issue)
            else:
                count_closed(fi, ii, fs, si, issue)
        else:
            arrive(fi, ii, fs, si, q, sv, cf, ci, pl, fq, ht, hk, geo, tk, tv, road, unr)


@compiled
def available_hours(fs, windows, t):
    """Cadre working hours from the warm-up to ``t`` (``windows``: rows start, end and
    number of cadres of each serving window)."""
    h, w0, w1 = fs[HPD], fs[W0], fs[W1]
    total = 0.0
    for j in range(windows.shape[1]):
        lo = max(windows[0, j], w0)
        hi = min(windows[1, j], t, w1)
        if hi > lo:
            total += windows[2, j] * (work_hours(hi, h) - work_hours(lo, h))
    return total


@compiled
def utilization(fs, cf, ci, windows, t):
    """Cadre hours worked over cadre hours available, from the warm-up to ``t`` (of a
    job in progress, only the part before ``t``)."""
    avail = available_hours(fs, windows, t)
    if avail <= 0:
        return 0.0
    return min(1.0, (fs[BOOKED] - ahead_hours(fs, cf, ci, t)) / avail)


@compiled
def snapshot(raised_at, fs, si, cf, ci, windows, time, in_window_from):
    """The daily series at ``time``: issues raised, closed, open, share resolved, cadres
    busy, utilisation so far, issues queued (``sim.model.SERIES``)."""
    raised = np.searchsorted(raised_at, time, side="right")
    closed = si[CLOSED_N]
    in_window = raised - in_window_from
    rate = si[RESOLVED_N] / in_window if in_window > 0 else 0.0
    util = utilization(fs, cf, ci, windows, min(time, fs[W1]))
    return raised, closed, raised - closed, rate, si[BUSY], util, si[QUEUED]


@compiled
def run_days(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr,
             raised_at, windows, in_window_from, first, last, bound, out):
    """Mesa's daily steps at ``first``, ``first + 1``, ... up to ``last``, all before
    ``bound`` (Mesa's next other event), played in one call: before each day the events
    due earlier (as :func:`run` with that day as the bound), then the day's record
    (:func:`snapshot`) in a row of ``out``. Returns the number of days recorded.

    The days are counted as Mesa's step schedule counts them (the previous day plus one),
    so the record has the same times, and the same values, as one step at a time."""
    day = first
    n = 0
    while day <= last and (n == 0 or day < bound) and n < out.shape[0]:
        run(fi, ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk, geo, tk, tv, road, unr, day,
            last)
        fs[NOW] = day
        raised, closed, opened, rate, busy, util, queued = snapshot(
            raised_at, fs, si, cf, ci, windows, day, in_window_from)
        out[n, 0] = day
        out[n, 1] = raised
        out[n, 2] = closed
        out[n, 3] = opened
        out[n, 4] = rate
        out[n, 5] = busy
        out[n, 6] = util
        out[n, 7] = queued
        n += 1
        day = day + 1.0
    return n
