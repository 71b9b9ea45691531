"""``ServiceModel``: firms raise issues, cadres collect and solve or escalate them.

Continuous time in days. Mesa owns time: its event list holds the daily steps (each
records the time series with Mesa's DataCollector), the collection rounds (daily 三个一
cycle, weekly visits), the starts and ends of cadre batches, and any event a user
schedules. The fine-grained events in between (arrivals under immediate collection, job
starts and completions, hand-overs along the escalation chain, report-backs) are played by
a compiled kernel (:mod:`sim.kernel`) on arrays: before each Mesa event fires, the model
runs the kernel's events that fall before it. Randomness comes from three independent
streams derived from one seed: arrivals, per-issue draws (efforts, solve chances), and
Mesa's own ``rng``, so staffing levels and policies compared with one seed see the same
issues.
"""

from __future__ import annotations

import heapq
import logging
import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from mesa import DataCollector, Model
from mesa.experimental.mesa_signals import ObservableSignals
from mesa.model import _mesa_logger as _MESA_LOG
from mesa.time import Priority, Schedule

from assign import Pairing, Scenario
from assign.categories import CATEGORY_INDEX, CATEGORY_KEYS
from assign.errors import ScenarioWarning
from assign.geo import EARTH_RADIUS_KM

from . import kernel as K
from .agents import CadreAgent, FirmAgent, PoolAgent, firm_agents
from .arrivals import draw_arrivals
from .batches import BatchPlan, has_batches, plan_batches, serving_windows
from .config import SimulationConfig, simulation_config
from .workclock import work_hours

SERIES = ("raised", "closed", "open_issues", "resolution_rate", "busy_cadres", "utilization",
          "queued")
"""The daily time series recorded with Mesa's DataCollector (see ``ServiceModel._snapshot``)."""

_FLOAT_SERIES = frozenset({"resolution_rate", "utilization"})
"""The series holding shares; the others are counts (ints)."""

_STEP_ROWS = 1 << 16
"""Most daily steps played in one kernel call (a buffer of this many records)."""

TIERS = {0: "cadre", 1: "home_unit", 2: "department", 3: "unresolved", -1: "open"}
"""Who closed an issue (``tier`` column of the issue log)."""


def _row(table: str, index: int):
    def get(self):
        return getattr(self, table)[:, index]

    return property(get)


class IssueLog:
    """Per-issue records while the model runs: views of the kernel's issue arrays
    (float columns: times and draws, NaN = not yet; int columns: -1 = none)."""

    raised = _row("fi", K.RAISED)
    effort = _row("fi", K.EFFORT)
    u_cadre = _row("fi", K.U_CADRE)
    u_home = _row("fi", K.U_HOME)
    u_dept = _row("fi", K.U_DEPT)
    collected = _row("fi", K.COLLECTED)
    started = _row("fi", K.STARTED)
    escalated = _row("fi", K.ESCALATED)
    escalated_department = _row("fi", K.ESC_DEPT)
    resolved = _row("fi", K.RESOLVED)
    closed = _row("fi", K.CLOSED)
    firm = _row("ii", K.FIRM)
    category = _row("ii", K.CATEGORY)
    travel = _row("ii", K.TRAVEL)
    tier = _row("ii", K.TIER)
    cadre = _row("ii", K.CADRE)
    home = _row("ii", K.HOME)

    def __init__(self, fi: np.ndarray, ii: np.ndarray) -> None:
        self.fi = fi
        self.ii = ii

    @property
    def effort_tier(self) -> tuple[np.ndarray, np.ndarray]:
        """Effort draws of the home-unit and department tiers."""
        return self.fi[:, K.EFF1], self.fi[:, K.EFF2]

    def __len__(self) -> int:
        return self.fi.shape[0]


def unit_draws(rng: np.random.Generator, distribution: str, cv: float, n: int) -> np.ndarray:
    """``n`` draws with mean 1 from the effort distribution."""
    if distribution == "exponential":
        return rng.exponential(1.0, n)
    if distribution == "lognormal" and cv > 0:
        s2 = math.log1p(cv * cv)
        return rng.lognormal(-s2 / 2.0, math.sqrt(s2), n)
    return np.ones(n)


class SeriesCollector(DataCollector):
    """Mesa's DataCollector for model attributes holding plain numbers.

    Mesa's own ``collect`` deep-copies every value it records, in case it is a mutable
    object; the series here are ints and floats, so they are appended as they are (the
    daily record is otherwise a fair share of a long run's time).
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(model_reporters={name: name for name in names})
        self._names = names

    def collect(self, model: Model) -> None:
        if self._validated:
            self._collection_steps.append(model.time)
            record = self.model_vars
            for name in self._names:
                record[name].append(getattr(model, name))
        else:
            super().collect(model)

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The series as Mesa's DataCollector gives them (one column a series, one row a
        record), each column made from its list in one call: the series are ints or
        floats, so the dtypes are those pandas infers from the lists."""
        columns = {}
        for name, values in self.model_vars.items():
            arr = np.array(values)
            if arr.dtype.kind not in "iuf" or arr.ndim != 1 or not len(arr):  # pandas' way
                return super().get_model_vars_dataframe()
            columns[name] = arr
        return pd.DataFrame(columns)

    def record_many(self, times: list[float], values: list[list]) -> None:
        """Append records taken at ``times`` (``values``: one list a series, in ``names``
        order), as ``record`` would one at a time."""
        if not self._validated:
            raise RuntimeError("record_many() follows a first collect()")
        self._collection_steps.extend(times)
        record = self.model_vars
        for name, column in zip(self._names, values):  # noqa: B905 (one column a name)
            record[name].extend(column)

    def record(self, time: float, values: tuple) -> None:
        """Append one record of the series (in ``names`` order) taken at ``time``."""
        if not self._validated:
            raise RuntimeError("record() follows a first collect()")
        self._collection_steps.append(time)
        record = self.model_vars
        for name, value in zip(self._names, values):  # noqa: B905 (one value a name)
            record[name].append(value)


class ServiceModel(Model):
    """The service model of one scenario under one pairing and one configuration.

    Args:
        scenario: The scenario (cadres, firms).
        pairing: Who serves which firm (needed for ``service: assigned``; solved when None),
            or a :class:`~sim.batches.BatchPlan` when cadres serve in batches (planned
            here when None; a plain pairing is then the first period's).
        config: The simulation settings (default: the scenario's ``simulation`` section).
        seed: An int or a :class:`numpy.random.SeedSequence`; the same seed gives the
            same run.
    """

    def __init__(
        self,
        scenario: Scenario,
        pairing: Pairing | BatchPlan | None = None,
        config: SimulationConfig | None = None,
        seed: int | np.random.SeedSequence = 0,
    ) -> None:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        arrival_ss, issue_ss, model_ss = ss.spawn(3)
        super().__init__(rng=np.random.default_rng(model_ss))
        self.case = scenario
        self.config = cfg = config or simulation_config(scenario)
        self.seed_entropy = ss.entropy
        self.seed_spawn_key = tuple(ss.spawn_key)
        firms, cadres = scenario.firms, scenario.cadres
        rates = firms["rate_per_day"].fillna(cfg.arrival.rate_per_firm_day).to_numpy(float)
        arr = draw_arrivals(np.random.default_rng(arrival_ss), rates, cfg.arrival.mix, cfg.days,
                            cfg.arrival.profile)
        n = len(arr)
        irng = np.random.default_rng(issue_ss)
        fi = np.full((n, K.N_FI), np.nan)  # one row an issue: its fields share cache lines
        fi[:, K.RAISED] = arr.time
        for col in (K.EFFORT, K.EFF1, K.EFF2):
            fi[:, col] = unit_draws(irng, cfg.effort.distribution, cfg.effort.cv, n)
        fi[:, K.U_CADRE:K.U_DEPT + 1] = irng.random((3, n)).T
        ii = np.full((n, K.N_II), -1, dtype=np.int32)
        ii[:, K.FIRM] = arr.firm
        ii[:, K.CATEGORY] = arr.category
        ii[:, K.TRAVEL] = 0
        self.log = IssueLog(fi, ii)
        self._raised = np.ascontiguousarray(arr.time, dtype=float)
        lat = np.concatenate([cadres["lat"].to_numpy(float), firms["lat"].to_numpy(float)])
        lon = np.concatenate([cadres["lon"].to_numpy(float), firms["lon"].to_numpy(float)])
        self._geo = np.radians(np.vstack([lat, lon]))  # NaN: location unknown
        self._rad_lat = self._geo[0].tolist()
        self._rad_lon = self._geo[1].tolist()
        self._n_cadres = len(cadres)
        self._road = _road_travel(scenario)  # road minutes when the scenario has roads
        self._road_minutes: np.ndarray | None = None
        self._trip_hours = self._pair_table_trips()
        # settings, kept as plain attributes
        self.hours_per_day = cfg.hours_per_day
        self.mean_hours = cfg.effort.mean_hours
        self.unskilled_factor = cfg.effort.unskilled_factor
        self.speed_kmh = cfg.speed_kmh
        self.escalation = cfg.escalation if cfg.escalation.enabled else None
        self._window = (cfg.warmup_days, cfg.days)
        self._in_window_from = int(np.searchsorted(self._raised, cfg.warmup_days))
        start, end = serving_windows(scenario)
        self._windows = Counter(zip(start.tolist(), end.tolist(), strict=True))
        self._windows_array = np.array([[s for s, _ in self._windows],
                                        [e for _, e in self._windows],
                                        list(self._windows.values())], float).reshape(3, -1)
        self._build_agents(pairing)
        self._build_kernel()
        if cfg.travel:
            self._warn_unknown_travel()
        if cfg.collection == "immediate":
            if cfg.service == "pooled":
                self._si[K.FEEDER] = self._shared
            if n:  # the first arrival, on the empty heap (as kernel.wake_on_next_arrival)
                self._si[K.WAKE] = 1
                self._si[K.HEAP_N] = self._si[K.SEQ] = 1
                self._ht[0] = self._raised[0]
                self._hk[:, 0] = (1, K.ARRIVE)
        else:
            every = 1.0 if cfg.collection == "daily" else 7.0
            self._collected_upto = 0
            self.collection = self.schedule_recurring(
                self.collect, Schedule(interval=every, start=every, end=cfg.days)
            )
        self._snapshot()
        self.datacollector = SeriesCollector(SERIES)  # attributes set by _snapshot
        self.datacollector.collect(self)

    # --- set-up ---------------------------------------------------------------
    def _build_agents(self, pairing: Pairing | BatchPlan | None) -> None:
        """Agents, and which queue each server serves: cadre ``i``'s own queue is ``i``,
        the shared queue (pooled service) ``C``, pool ``p``'s ``C + 1 + p``, team queues
        after those."""
        cfg, scenario = self.config, self.case
        cadres, firms = scenario.cadres, scenario.firms
        n_cadres = len(cadres)
        self.firm_agents: list[FirmAgent] = firm_agents(
            self, firms["rate_per_day"].fillna(cfg.arrival.rate_per_firm_day).tolist())
        units = sorted(set(cadres["home_unit"].fillna("").tolist()))
        self.home_units = {
            name: PoolAgent(self, i, 1, name or "(no home unit)", cfg.escalation.home_unit.servers,
                            i)
            for i, name in enumerate(units)
        }
        self.departments = {
            CATEGORY_INDEX[k]: PoolAgent(self, i, 2, k, cfg.escalation.department.servers,
                                         len(units) + i)
            for i, k in enumerate(CATEGORY_KEYS)
        }
        self._pools = [*self.home_units.values(), *self.departments.values()]
        self._shared = n_cadres if cfg.service == "pooled" else -1
        self._n_queues = n_cadres + 1 + len(self._pools)
        if cfg.service == "team" and (isinstance(pairing, BatchPlan) or has_batches(scenario)):
            raise ValueError("service 'team' does not model cadre batches (start_day/end_day) "
                             "yet; use service assigned or pooled")
        plan, given = (pairing, None) if isinstance(pairing, BatchPlan) else (None, pairing)
        if plan is None and has_batches(scenario):
            plan = plan_batches(scenario, cfg.days, given, assigned=self._shared < 0)
        self.plan = plan
        serving = set(plan.periods[0].cadres) if plan is not None else set(range(n_cadres))
        self.cadre_agents: list[CadreAgent] = []
        for i, (skills, unit) in enumerate(zip(cadres["skills"], cadres["home_unit"].fillna(""),
                                               strict=True)):
            held = frozenset(CATEGORY_INDEX[k] for k, _ in skills)
            self.cadre_agents.append(CadreAgent(self, i, held, self.home_units[unit]))
        self.serving = serving
        self._server_queue = [self._shared if self._shared >= 0 and i in serving else i
                              for i in range(n_cadres)]
        self._firm_queue = [self._shared] * len(firms)
        self.pairing = None
        self._period = 0
        if plan is not None:  # before any other event of that day
            for period in plan.periods[1:]:
                self.schedule_event(self._next_period, at=period.start, priority=Priority.HIGH)
        if cfg.service == "team":  # batches were refused above
            self._team_queues(pairing if isinstance(pairing, Pairing) else None)
            return
        if self._shared >= 0:
            return
        if plan is not None:
            given = plan.periods[0].pairing
        elif given is None:
            from assign import solve

            given = solve(scenario)
        self.pairing = given
        self._firm_queue = self._pair(given)

    def _build_kernel(self) -> None:
        """The kernel's arrays (see :mod:`sim.kernel` for their rows)."""
        cfg, n = self.config, len(self.log)
        n_cadres, n_firms = self._n_cadres, len(self.firm_agents)
        pools = self._pools
        n_queues = self._n_queues
        q = np.full((4, n_queues + 5), -1, dtype=np.int64)
        q[K.LEN] = 0
        n_servers = n_cadres + sum(p.servers for p in pools)
        sv = np.full((5, n_servers), -1, dtype=np.int64)
        sv[K.KIND, :n_cadres] = 0
        sv[K.OWNER, :n_cadres] = np.arange(n_cadres)
        sv[K.QUEUE, :n_cadres] = self._server_queue
        s = n_cadres
        for p in pools:
            sv[K.KIND, s:s + p.servers] = 1
            sv[K.OWNER, s:s + p.servers] = p.pool
            sv[K.QUEUE, s:s + p.servers] = n_cadres + 1 + p.pool
            s += p.servers
        order = getattr(self, "_idle_order", None)
        for s in range(n_servers):  # idle stacks: the last pushed is the first to work
            col = int(sv[K.QUEUE, s])
            if order is not None and col in order:
                continue
            sv[K.IDLE_NEXT, s] = q[K.IDLE, col]
            q[K.IDLE, col] = s
        for col, servers in (order or {}).items():
            for s in servers:
                sv[K.IDLE_NEXT, s] = q[K.IDLE, col]
                q[K.IDLE, col] = s
        cf = np.zeros((2, n_cadres))
        ci = np.zeros((3, n_cadres), dtype=np.int64)
        ci[K.SKILLS] = [sum(1 << k for k in a.skills) for a in self.cadre_agents]
        ci[K.HOME_POOL] = [a.home.pool if a.home is not None else -1 for a in self.cadre_agents]
        pl = np.array([[p.tier for p in pools], [n_cadres + 1 + p.pool for p in pools],
                       [p.index for p in pools]], dtype=np.int64).reshape(3, len(pools))
        dept = np.full(len(CATEGORY_KEYS), -1, dtype=np.int64)
        for k, p in self.departments.items():
            dept[k] = p.pool
        fq = np.zeros((2, n_firms), dtype=np.int64)
        fq[K.FQUEUE] = self._firm_queue
        cap = n_servers + n + 8  # every server busy, every issue in a line, one arrival
        ht = np.empty(cap)
        hk = np.empty((2, cap), dtype=np.int64)
        keys = sorted((c * n_firms + f, h) for (c, f), h in self._trip_hours.items())
        tk = np.array([k for k, _ in keys], dtype=np.int64)
        tv = np.array([h for _, h in keys], dtype=float)
        road = np.empty((0, 0))
        if self._road is not None and cfg.travel:
            self._road_minutes = self._road.minutes_matrix()
            road = np.ascontiguousarray(self._road_minutes, dtype=float)
        unr = np.empty(n, dtype=np.int64)
        esc = cfg.escalation
        fs = np.zeros(K.N_FS)
        fs[K.W0], fs[K.W1] = self._window
        fs[K.HPD] = cfg.hours_per_day
        fs[K.MEAN_HOURS] = cfg.effort.mean_hours
        fs[K.UNSKILLED] = cfg.effort.unskilled_factor
        fs[K.SPEED] = cfg.speed_kmh
        fs[K.P_SKILLED] = esc.cadre_solve_prob
        fs[K.P_UNSKILLED] = esc.unskilled_solve_prob
        fs[K.MEAN_DAYS1], fs[K.SOLVE1], fs[K.FEEDBACK1] = (
            esc.home_unit.mean_days, esc.home_unit.solve_prob, esc.home_unit.feedback_days)
        fs[K.MEAN_DAYS2], fs[K.SOLVE2], fs[K.FEEDBACK2] = (
            esc.department.mean_days, esc.department.solve_prob, esc.department.feedback_days)
        fs[K.DELAY:K.DELAY + 5] = (esc.home_unit.delay_days, esc.department.delay_days,
                                   esc.home_unit.feedback_days, esc.department.feedback_days,
                                   esc.department.feedback_days)
        si = np.zeros(K.N_SI, dtype=np.int64)
        si[K.TRAVEL_CFG] = bool(cfg.travel)
        si[K.ESCALATE] = self.escalation is not None
        si[K.FEEDER] = -1
        si[K.N_FIRMS] = n_firms
        si[K.LINES] = n_queues
        self._fs, self._si, self._q, self._sv, self._cf, self._ci = fs, si, q, sv, cf, ci
        self._fq, self._ht, self._hk, self._unr = fq, ht, hk, unr
        self._k = (self.log.fi, self.log.ii, fs, si, q, sv, cf, ci, pl, dept, fq, ht, hk,
                   self._geo, tk, tv, road, unr)

    def _pair(self, pairing: Pairing | None) -> list[int]:
        """Point each firm at the queue of its cadre (among those serving now); returns
        each firm's queue (-1: nobody serves it)."""
        firm_queue = [-1] * len(self.firm_agents)
        for firm in self.firm_agents:
            firm.cadre = None
        if pairing is None:
            return firm_queue
        rows = pd.Index(self.case.cadres["id"]).get_indexer(pairing.pairs["cadre_id"])
        cols = pd.Index(self.case.firms["id"]).get_indexer(pairing.pairs["firm_id"])
        for ids, found in ((pairing.pairs["cadre_id"], rows), (pairing.pairs["firm_id"], cols)):
            if (found < 0).any():
                raise KeyError(ids.to_numpy()[found < 0][0])
        serving, firms, cadres = self.serving, self.firm_agents, self.cadre_agents
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            if i in serving:
                firms[j].cadre = cadres[i]
                firm_queue[j] = i
        return firm_queue

    def _next_period(self) -> None:
        """A batch starts or ends: cadres join or leave, firms are paired anew, and the
        issues waiting for a cadre follow their firm."""
        assert self.plan is not None
        self._fs[K.NOW] = self.time
        self._period += 1
        period = self.plan.periods[self._period]
        old, new = self.serving, set(period.cadres)
        self.serving = new
        q, sv = self._q, self._sv
        if self._shared >= 0:
            shared = self._shared
            for i in sorted(old - new):  # finishes the issue in hand, then nothing
                K.idle_remove(q, sv, shared, i)
                sv[K.QUEUE, i] = i
                if sv[K.CURRENT, i] < 0:
                    K.idle_push(q, sv, i, i)
            for i in sorted(new - old):
                K.idle_remove(q, sv, int(sv[K.QUEUE, i]), i)
                K.join(*self._k, i, shared)
            return
        self._fq[K.FQUEUE] = self._pair(period.pairing)
        si, unr = self._si, self._unr
        k = int(si[K.UNROUTED_N])
        si[K.UNROUTED_N] = 0
        waiting = unr.copy()
        for i in range(self._n_cadres):
            k = K.drain(q, self.log.ii, si, int(sv[K.QUEUE, i]), waiting, k)
        K.route_batch(*self._k, np.sort(waiting[:k]))

    def _team_queues(self, pairing: Pairing | None) -> None:
        """Service ``team``: one queue per zone, served by its task force's members (the
        cadres' own queues are unused, so a member works only for its team)."""
        from assign.solvers.teams import team_members

        scenario = self.case
        if pairing is None:
            from assign import solve

            pairing = solve(scenario)
        self.pairing = pairing
        cadre_row = {cid: i for i, cid in enumerate(scenario.cadres["id"])}
        zone_queue: dict[str, int] = {}
        self._idle_order: dict[int, list[int]] = {}
        for zone, ids in team_members(pairing, scenario).items():
            if not ids:  # no team (infeasible plan): the zone's issues stay open
                continue
            col = zone_queue[zone] = self._n_queues
            self._n_queues += 1
            members = self._idle_order[col] = []
            for cid in ids:
                i = cadre_row[cid]
                self._server_queue[i] = col
                members.append(i)
        zones = scenario.firms["zone"].fillna("").astype(str).str.strip()
        self._firm_queue = [zone_queue.get(z, -1) for z in zones]
        firm_row = {fid: j for j, fid in enumerate(scenario.firms["id"])}
        for fid, cid in zip(pairing.pairs["firm_id"], pairing.pairs["cadre_id"], strict=True):
            self.firm_agents[firm_row[fid]].cadre = self.cadre_agents[cadre_row[cid]]

    # --- events ------------------------------------------------------------------
    def collect(self) -> None:
        """A collection round: take every issue raised since the last round."""
        self._fs[K.NOW] = self.time
        hi = int(np.searchsorted(self._raised, self.time, side="right"))
        K.route_batch(*self._k, np.arange(self._collected_upto, hi, dtype=np.int64))
        self._collected_upto = hi

    def _advance_time(self, until: float) -> None:
        """Mesa's loop over its event list, with the kernel's events in between: before
        each Mesa event (and up to ``until``) the kernel plays the events due earlier,
        so steps, collection rounds and user events see the model as of their time."""
        if until <= self.time:  # type: ignore[has-type]
            super()._advance_time(until)
            return
        events = self._event_list
        si, ht, fs, k = self._si, self._ht, self._fs, self._k
        run = K.run
        while True:
            try:
                event = events.pop_event()
            except IndexError:
                event = None
            bound = event.time if event is not None else math.inf
            if si[K.HEAP_N] and ht[0] < bound and ht[0] <= until:
                run(*k, bound, until)
            if event is None:
                break
            if event.time > until:
                events.add_event(event)
                break
            if event is self._default_schedule._current_event and self._steps_in_bulk():
                self._play_steps(event, until)
                continue
            self.time = event.time
            fs[K.NOW] = event.time
            event.execute()
        self.time = until
        fs[K.NOW] = until

    def _steps_in_bulk(self) -> bool:
        """Whether a run of Mesa's daily steps can be played in one compiled call: the
        step is this model's own (the daily record), Mesa's step schedule is its default
        (every 1.0, no end), and nothing watches the steps one by one (no observer of
        ``time``, Mesa's step log off)."""
        gen = self._default_schedule
        sched = gen.schedule
        return (getattr(self._user_step, "__func__", None) is ServiceModel.step
                and type(self)._do_step is Model._do_step
                and type(self.datacollector) is SeriesCollector
                and gen._active and not gen._paused and gen.function() is not None
                and sched.interval == 1.0 and sched.end is None and sched.count is None
                and not self._has_subscribers("time", ObservableSignals.CHANGED)
                and not _MESA_LOG.isEnabledFor(logging.INFO))

    def _play_steps(self, event, until: float) -> None:
        """Mesa's step ``event`` and the daily steps after it that come before Mesa's
        next other event (and not after ``until``), in one kernel call (:func:`kernel.run_days`):
        the same records at the same times, the same step count, and the step schedule's
        next event scheduled as Mesa schedules it after the last of them."""
        gen = self._default_schedule
        heap = self._event_list._events
        while heap and heap[0].CANCELED:  # as pop_event would drop them
            heapq.heappop(heap)
        bound = heap[0].time if heap else math.inf
        first = float(event.time)
        span = min(until, bound) - first
        rows = int(min(span, _STEP_ROWS)) + 1 if span < math.inf else _STEP_ROWS
        out = np.empty((max(rows, 1), 8))
        n = K.run_days(*self._k, self._raised, self._windows_array, self._in_window_from,
                       first, float(until), bound, out)
        rec = out[:n]
        cols = rec[:, 1:].T
        values = []
        for j, name in enumerate(SERIES):  # ints as Mesa's one-at-a-time record keeps them
            col = cols[j]
            values.append((col if name in _FLOAT_SERIES else col.astype(np.int64)).tolist())
        self.datacollector.record_many(rec[:, 0].tolist(), values)
        self.steps += n
        gen._execution_count += n
        day = float(rec[n - 1, 0])
        self.time = day
        self._fs[K.NOW] = day
        (self.raised, self.closed, self.open_issues, self.resolution_rate, _,
         self.utilization, _) = (v[-1] for v in values)
        next_time = day + gen._get_interval()  # as EventGenerator._execute_and_reschedule
        if not gen._should_stop(next_time):
            gen._schedule_next(next_time)
        else:
            gen._active = False
            gen._current_event = None
            self._event_generators.discard(gen)

    @property
    def now(self) -> float:
        """The time of the event being handled (the model's time between events)."""
        return float(self._fs[K.NOW])

    @property
    def queued(self) -> int:
        """Issues waiting in a queue now (cadres', home units', departments')."""
        return int(self._si[K.QUEUED])

    @property
    def busy_cadres(self) -> int:
        """Cadres working on an issue now."""
        return int(self._si[K.BUSY])

    @property
    def closed_count(self) -> int:
        """Issues closed so far (after any report-back delay)."""
        return int(self._si[K.CLOSED_N])

    @property
    def resolved_count(self) -> int:
        """Issues raised after the warm-up and resolved (reported back) so far."""
        return int(self._si[K.RESOLVED_N])

    @property
    def booked_hours(self) -> float:
        """Cadre hours of the jobs started so far, inside the measured window."""
        return float(self._fs[K.BOOKED])

    def step(self) -> None:
        """Once a day: record the time series."""
        values = self._snapshot()
        self.datacollector.record(self.time, values)

    def _snapshot(self) -> tuple:
        """Set the attributes the DataCollector records (issues raised and closed so far,
        open issues, share resolved, cadres busy now, utilisation so far, issues queued).

        ``resolution_rate`` is the final metric's definition applied up to now: issues
        raised since the warm-up and resolved by now (closed unresolved is not resolved),
        over issues raised since the warm-up.
        """
        values = K.snapshot(self._raised, self._fs, self._si, self._cf, self._ci,
                            self._windows_array, self.time, self._in_window_from)
        (self.raised, self.closed, self.open_issues, self.resolution_rate, _,
         self.utilization, _) = values
        return values

    # --- helpers -------------------------------------------------------------------
    def raised_count(self) -> int:
        """Issues raised up to now."""
        return int(np.searchsorted(self._raised, self.time, side="right"))

    def distance_km(self, cadre: int, firm: int) -> float:
        """Great-circle km between a cadre and a firm (NaN when either has no coordinates)."""
        a, b = cadre, self._n_cadres + firm
        la1, lo1, la2, lo2 = self._rad_lat[a], self._rad_lon[a], self._rad_lat[b], self._rad_lon[b]
        h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
            (lo2 - lo1) / 2) ** 2
        if h != h:  # NaN: a location is unknown
            return math.nan
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    def trip_hours(self, cadre: int, firm: int) -> float:
        """Hours of a visit's round trip from a cadre to a firm.

        The pair table's ``travel_min`` (one way) when it gives one, else twice the road
        minutes when the scenario has roads, else the great-circle distance at ``speed_kmh``;
        0 when none is known (warned about at set-up).
        """
        key = (cadre, firm)
        hours = self._trip_hours.get(key)
        if hours is None:
            minutes = self._road_trip_minutes(cadre, firm)
            if math.isfinite(minutes):
                hours = 2.0 * minutes / 60.0
            else:
                km = self.distance_km(cadre, firm)
                hours = 0.0 if km != km else 2.0 * km / self.speed_kmh
            self._trip_hours[key] = hours
        return hours

    def _road_trip_minutes(self, cadre: int, firm: int) -> float:
        """Road minutes from a cadre to a firm (inf without roads or off the network)."""
        if self._road is None:
            return math.inf
        if self._road_minutes is None:  # every cadre to every firm, once per scenario
            self._road_minutes = self._road.minutes_matrix()
        return float(self._road_minutes[cadre, firm])

    def _pair_table_trips(self) -> dict[tuple[int, int], float]:
        """Round-trip hours of the pairs whose ``travel_min`` the pair table gives."""
        pairs = self.case.pairs
        if pairs is None or "travel_min" not in pairs.columns:
            return {}
        known = pairs.dropna(subset=["travel_min"])
        cadre_row = {cid: i for i, cid in enumerate(self.case.cadres["id"])}
        firm_row = {fid: j for j, fid in enumerate(self.case.firms["id"])}
        return {
            (cadre_row[c], firm_row[f]): 2.0 * float(m) / 60.0
            for c, f, m in zip(known["cadre_id"], known["firm_id"], known["travel_min"],
                               strict=True)
            if c in cadre_row and f in firm_row
        }

    def served_pairs(self) -> list[tuple[int, int]] | None:
        """(cadre, firm) rows that can meet in this run; None when any cadre serves any firm."""
        if self.config.service == "pooled":
            return None
        if self.plan is None:
            return sorted({(c.index, f.index) for f in self.firm_agents
                           if (c := f.cadre) is not None})
        cadre_row = {cid: i for i, cid in enumerate(self.case.cadres["id"])}
        firm_row = {fid: j for j, fid in enumerate(self.case.firms["id"])}
        return sorted({(cadre_row[c], firm_row[f]) for p in self.plan.periods
                       if p.pairing is not None
                       for c, f in zip(p.pairing.pairs["cadre_id"], p.pairing.pairs["firm_id"],
                                       strict=True)})

    def _warn_unknown_travel(self) -> None:
        """Warn when visits have no travel time: a location missing and no ``travel_min``."""
        n = self._n_cadres
        unknown_at = np.isnan(self._geo).any(axis=0)  # cadres, then firms
        if not unknown_at.any():
            return
        missing = unknown_at.tolist()
        pairs = self.served_pairs()
        if pairs is None:  # pooled: every cadre with every firm (counted, not listed)
            cm, fm = sum(missing[:n]), sum(missing[n:])
            m = len(self.firm_agents)
            given = sum(1 for i, j in self._trip_hours if missing[i] or missing[n + j])
            count = cm * m + n * fm - cm * fm - given
            cadres = [i for i in range(n) if missing[i]] if m else []
            firms = [j for j in range(m) if missing[n + j]] if n else []
        else:
            unknown = [(i, j) for i, j in pairs
                       if (missing[i] or missing[n + j]) and (i, j) not in self._trip_hours]
            count = len(unknown)
            cadres = sorted({i for i, _ in unknown if missing[i]})
            firms = sorted({j for _, j in unknown if missing[n + j]})
        if count <= 0:
            return
        who = []
        if cadres:
            ids = self.case.cadres["id"].to_numpy()[cadres]
            who.append(f"cadres without coordinates: {_first(ids)}")
        if firms:
            ids = self.case.firms["id"].to_numpy()[firms]
            who.append(f"firms without coordinates: {_first(ids)}")
        warnings.warn(
            f"simulation: {count} cadre-firm pairs have no travel time ({'; '.join(who)})"
            "; their visits count no travel (give travel_min in the pair table to set it)",
            ScenarioWarning, stacklevel=3,
        )

    def measured_hours(self, start: float, end: float) -> float:
        """Working hours of [start, end] inside the measured window [warm-up, horizon]."""
        w0, w1 = self._window
        lo = start if start > w0 else w0
        hi = end if end < w1 else w1
        if hi <= lo:
            return 0.0
        h = self.hours_per_day
        if h >= 24.0:
            return 24.0 * (hi - lo)
        return work_hours(hi, h) - work_hours(lo, h)

    def run(self) -> ServiceModel:
        """Run to the horizon; returns the model."""
        self.run_until(self.config.days)
        return self

    # --- results ---------------------------------------------------------------------
    def issues(self) -> pd.DataFrame:
        """The issue log: one row per issue with every timestamp (NaN = not yet)."""
        log, sc = self.log, self.case
        # a trailing NaN: row -1 (no cadre, no home unit) reads as missing
        cadre_ids = np.append(sc.cadres["id"].to_numpy(dtype=object), np.nan)
        units = np.array([p.name for p in self.home_units.values()] + [np.nan], dtype=object)
        return pd.DataFrame(
            {
                "issue": np.arange(len(log.raised)),
                "firm_id": sc.firms["id"].to_numpy()[log.firm],
                "category": np.array(CATEGORY_KEYS, dtype=object)[log.category],
                "raised": log.raised.copy(),
                "collected": log.collected.copy(),
                "started": log.started.copy(),
                "escalated": log.escalated.copy(),
                "escalated_department": log.escalated_department.copy(),
                "resolved": log.resolved.copy(),
                "closed": log.closed.copy(),
                "closed_by": np.array([TIERS[t] for t in range(-1, 4)], dtype=object)[
                    log.tier + 1],
                "cadre_id": cadre_ids[log.cadre],
                "home_unit": units[log.home],
            }
        )

    def available_hours(self) -> float:
        """Cadre working hours in the measured window (each cadre while serving)."""
        return self.hours_available_until(self.config.days)

    def hours_available_until(self, t: float) -> float:
        """Cadre working hours from the warm-up to ``t``, each cadre while serving."""
        cfg = self.config
        h = cfg.hours_per_day
        total = 0.0
        for (start, end), n in self._windows.items():
            lo, hi = max(start, cfg.warmup_days), min(end, t, cfg.days)
            if hi > lo:
                total += n * (work_hours(hi, h) - work_hours(lo, h))
        return total

    def utilization_so_far(self) -> float:
        """Cadre hours worked over cadre hours available, from the warm-up to now.

        Hours are counted as they are worked: of a job still in progress, only the part
        before now.
        """
        return K.utilization(self._fs, self._cf, self._ci, self._windows_array,
                             min(self.time, self.config.days))

    def busy_hours(self) -> float:
        """Cadre hours worked in the measured window."""
        return self.booked_hours


def _first(ids, k: int = 5) -> str:
    """The first ``k`` ids, comma-separated, and how many more."""
    shown = ", ".join(str(x) for x in ids[:k])
    return shown + (f" and {len(ids) - k} more" if len(ids) > k else "")


def _road_travel(scenario: Scenario):
    """Cadres and firms snapped to the scenario's roads (None when travel is not by road)."""
    from assign.io.scenario import uses_roads

    if not uses_roads(scenario):
        return None
    from assign.io.roads import RoadTravel  # (with scipy's graph routines: only when used)

    cfg = scenario.config
    assert scenario.roads is not None and cfg.roads is not None
    return RoadTravel.snap(scenario.roads, scenario.cadres, scenario.firms,
                           cfg.roads.access_kmh, cfg.assignment.snap_tolerance_m)
