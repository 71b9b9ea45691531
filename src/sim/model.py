"""``ServiceModel``: firms raise issues, cadres collect and solve or escalate them.

Continuous time in days on Mesa's event list: arrivals (immediate collection) or a
recurring collection round (daily 三个一 cycle, weekly visits), job completions, and
hand-overs along the escalation chain. Randomness comes from three independent streams
derived from one seed: arrivals, per-issue draws (efforts, solve chances), and Mesa's own
``rng``, so staffing levels and policies compared with one seed see the same issues.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from mesa import DataCollector, Model
from mesa.time import Event, Schedule

from assign import Pairing, Scenario
from assign.categories import CATEGORY_INDEX, CATEGORY_KEYS
from assign.geo import EARTH_RADIUS_KM

from .agents import CadreAgent, DelayLine, FirmAgent, PoolAgent, WorkQueue
from .arrivals import draw_arrivals
from .config import SimulationConfig, simulation_config
from .workclock import work_hours

SERIES = ("raised", "closed", "open_issues", "resolution_rate", "busy_cadres", "utilization",
          "queued")
"""The daily time series recorded with Mesa's DataCollector (see ``ServiceModel._snapshot``)."""

TIERS = {0: "cadre", 1: "home_unit", 2: "department", 3: "unresolved", -1: "open"}
"""Who closed an issue (``tier`` column of the issue log)."""


@dataclass
class IssueLog:
    """Per-issue records while the model runs (plain lists: fast scalar access)."""

    raised: list[float]
    firm: list[int]
    category: list[int]
    effort: list[float]
    effort_tier: tuple[list[float], list[float]]
    u_cadre: list[float]
    u_home: list[float]
    u_dept: list[float]
    travel: list[bool] = field(default_factory=list)
    collected: list[float] = field(default_factory=list)
    started: list[float] = field(default_factory=list)
    escalated: list[float] = field(default_factory=list)
    escalated_department: list[float] = field(default_factory=list)
    resolved: list[float] = field(default_factory=list)
    closed: list[float] = field(default_factory=list)
    tier: list[int] = field(default_factory=list)
    cadre: list[int] = field(default_factory=list)
    home: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.raised)
        nan = [math.nan] * n
        self.travel = [False] * n
        for name in ("collected", "started", "escalated", "escalated_department", "resolved",
                     "closed"):
            setattr(self, name, list(nan))
        self.tier = [-1] * n
        self.cadre = [-1] * n
        self.home = [-1] * n


def unit_draws(rng: np.random.Generator, distribution: str, cv: float, n: int) -> np.ndarray:
    """``n`` draws with mean 1 from the effort distribution."""
    if distribution == "exponential":
        return rng.exponential(1.0, n)
    if distribution == "lognormal" and cv > 0:
        s2 = math.log1p(cv * cv)
        return rng.lognormal(-s2 / 2.0, math.sqrt(s2), n)
    return np.ones(n)


class _Closer:
    """Counts issues closed (after any report-back delay) for the live time series."""

    __slots__ = ("model",)

    def __init__(self, model: ServiceModel) -> None:
        self.model = model

    def push(self, issue: int) -> None:
        self.model.closed_count += 1


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


class ServiceModel(Model):
    """The service model of one scenario under one pairing and one configuration.

    Args:
        scenario: The scenario (cadres, firms).
        pairing: Who serves which firm (needed for ``service: assigned``; solved when None).
        config: The simulation settings (default: the scenario's ``simulation`` section).
        seed: An int or a :class:`numpy.random.SeedSequence`; the same seed gives the
            same run.
    """

    def __init__(
        self,
        scenario: Scenario,
        pairing: Pairing | None = None,
        config: SimulationConfig | None = None,
        seed: int | np.random.SeedSequence = 0,
    ) -> None:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        arrival_ss, issue_ss, model_ss = ss.spawn(3)
        super().__init__(rng=np.random.default_rng(model_ss))
        self.now = 0.0  # the time of the event being handled (see ``at``)
        self._pending: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._advance_at = math.inf
        self._advance_event: Event | None = None
        self._until = math.inf
        self.case = scenario
        self.config = cfg = config or simulation_config(scenario)
        self.seed_entropy = ss.entropy
        self.seed_spawn_key = tuple(ss.spawn_key)
        firms, cadres = scenario.firms, scenario.cadres
        rates = firms["rate_per_day"].fillna(cfg.arrival.rate_per_firm_day).to_numpy(float)
        arr = draw_arrivals(np.random.default_rng(arrival_ss), rates, cfg.arrival.mix, cfg.days)
        n = len(arr)
        irng = np.random.default_rng(issue_ss)
        draws = [unit_draws(irng, cfg.effort.distribution, cfg.effort.cv, n) for _ in range(3)]
        u = irng.random((3, n))
        self.log = IssueLog(
            arr.time.tolist(), arr.firm.tolist(), arr.category.tolist(), draws[0].tolist(),
            (draws[1].tolist(), draws[2].tolist()), u[0].tolist(), u[1].tolist(), u[2].tolist(),
        )
        lat = np.concatenate([cadres["lat"].to_numpy(float), firms["lat"].to_numpy(float)])
        lon = np.concatenate([cadres["lon"].to_numpy(float), firms["lon"].to_numpy(float)])
        self._rad_lat = np.radians(np.nan_to_num(lat)).tolist()
        self._rad_lon = np.radians(np.nan_to_num(lon)).tolist()
        self._n_cadres = len(cadres)
        self._road = _road_travel(scenario)  # road minutes when the scenario has roads
        self._road_minutes: np.ndarray | None = None
        # settings read on every event, kept as plain attributes
        self.hours_per_day = cfg.hours_per_day
        self.mean_hours = cfg.effort.mean_hours
        self.unskilled_factor = cfg.effort.unskilled_factor
        self.speed_kmh = cfg.speed_kmh
        self.escalation = cfg.escalation if cfg.escalation.enabled else None
        self._window = (cfg.warmup_days, cfg.days)
        self.queued = 0
        self.busy_cadres = 0
        self.booked_hours = 0.0
        self._build_agents(pairing)
        self.closed_count = 0
        self._closer = _Closer(self)
        esc = cfg.escalation
        self.handover = {1: DelayLine(self, esc.home_unit.delay_days),
                         2: DelayLine(self, esc.department.delay_days)}
        self.feedback = {t: DelayLine(self, d) for t, d in
                         ((1, esc.home_unit.feedback_days), (2, esc.department.feedback_days),
                          (3, esc.department.feedback_days))}
        self._next = 0
        self._wake_pending = False
        if cfg.collection == "immediate":
            if cfg.service == "pooled":
                self.queues[0].feeder = self
            if n:
                self._wake_pending = True
                self.at(self._arrive, float(arr.time[0]))
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
    def _build_agents(self, pairing: Pairing | None) -> None:
        cfg, scenario = self.config, self.case
        cadres, firms = scenario.cadres, scenario.firms
        self.firm_agents = [FirmAgent(self, j, r) for j, r in enumerate(
            firms["rate_per_day"].fillna(cfg.arrival.rate_per_firm_day).tolist())]
        units = sorted(set(cadres["home_unit"].fillna("").tolist()))
        self.home_units = {
            name: PoolAgent(self, i, 1, name or "(no home unit)", cfg.escalation.home_unit.servers)
            for i, name in enumerate(units)
        }
        self.departments = {
            CATEGORY_INDEX[k]: PoolAgent(self, i, 2, k, cfg.escalation.department.servers)
            for i, k in enumerate(CATEGORY_KEYS)
        }
        shared = WorkQueue(self) if cfg.service == "pooled" else None
        self.cadre_agents: list[CadreAgent] = []
        for i, (skills, unit) in enumerate(zip(cadres["skills"], cadres["home_unit"].fillna(""),
                                               strict=True)):
            held = frozenset(CATEGORY_INDEX[k] for k, _ in skills)
            queue = shared if shared is not None else WorkQueue(self)
            self.cadre_agents.append(CadreAgent(self, i, held, self.home_units[unit], queue))
        self.queues = [shared] if shared is not None else [c.server.queue for c in self.cadre_agents]
        self.queues += [p.queue for p in self.home_units.values()]
        self.queues += [p.queue for p in self.departments.values()]
        self.firm_queue: list[WorkQueue | None]
        if shared is not None:
            self.firm_queue = [shared] * len(firms)
            return
        if pairing is None:
            from assign import solve

            pairing = solve(scenario)
        self.pairing = pairing
        cadre_row = {cid: i for i, cid in enumerate(cadres["id"])}
        firm_row = {fid: j for j, fid in enumerate(firms["id"])}
        self.firm_queue = [None] * len(firms)
        for cid, fid in zip(pairing.pairs["cadre_id"], pairing.pairs["firm_id"], strict=True):
            agent = self.cadre_agents[cadre_row[cid]]
            self.firm_agents[firm_row[fid]].cadre = agent
            self.firm_queue[firm_row[fid]] = agent.server.queue

    # --- events ------------------------------------------------------------------
    def _arrive(self) -> None:
        """Immediate collection: route every issue raised by now, then wait for the next.

        With one shared queue (pooled service) the next arrival is scheduled only while a
        cadre is idle; otherwise arrivals are taken in when a cadre looks for work.
        """
        self._wake_pending = False
        self.take_arrivals()
        feeder_queue = self.queues[0] if self.queues[0].feeder is not None else None
        if feeder_queue is None or feeder_queue.idle:
            self.wake_on_next_arrival()

    def take_arrivals(self) -> None:
        """Route every issue raised up to now that is not routed yet (in raised order)."""
        times = self.log.raised
        k, now = self._next, self.now
        travel = self.config.travel
        while k < len(times) and times[k] <= now:
            self._route(k, travel, times[k])
            k += 1
        self._next = k

    def wake_on_next_arrival(self) -> None:
        """Make sure an event fires at the next arrival not yet routed."""
        if not self._wake_pending and self._next < len(self.log.raised):
            self._wake_pending = True
            self.at(self._arrive, self.log.raised[self._next])

    def collect(self) -> None:
        """A collection round: take every issue raised since the last round."""
        self.now = self.time
        hi = bisect.bisect_right(self.log.raised, self.time)
        visited: set[int] = set()
        travel = self.config.travel
        firm = self.log.firm
        for k in range(self._collected_upto, hi):
            f = firm[k]
            self._route(k, travel and f not in visited)
            visited.add(f)
        self._collected_upto = hi

    def _route(self, issue: int, travel: bool, when: float | None = None) -> None:
        queue = self.firm_queue[self.log.firm[issue]]
        if queue is None:  # no cadre serves this firm: the issue stays open
            return
        self.log.collected[issue] = self.now if when is None else when
        self.log.travel[issue] = travel
        queue.push(issue)

    def at(self, function, time: float) -> None:
        """Schedule ``function`` at ``time`` on the model's own event heap.

        Fine-grained events (arrivals, completions, hand-overs) go on a heap of plain
        ``(time, sequence, function)`` tuples, which compare in C; Mesa's event list holds
        one :meth:`_advance` event at the heap's earliest time, so Mesa still decides when
        model time moves, and steps, collection rounds and any event a user schedules keep
        their order with the model's own events. Times are never in the past here (they
        come from arrivals ahead of now or from non-negative durations).
        """
        self._seq += 1
        heapq.heappush(self._pending, (time, self._seq, function))
        if time < self._advance_at:  # the heap's head moved earlier: wake Mesa there
            if self._advance_event is not None:
                self._advance_event.cancel()
            self._wake(time)

    def _wake(self, time: float) -> None:
        self._advance_at = time
        self._advance_event = Event(time, self._advance)
        self._event_list.add_event(self._advance_event)

    def _advance(self) -> None:
        """Run the model's own events due before Mesa's next event and the run's end."""
        self._advance_at = -math.inf  # events scheduled meanwhile: the loop sees them
        self._advance_event = None
        pending = self._pending
        mesa_events = self._event_list._events
        bound = mesa_events[0].time if mesa_events else math.inf
        until = self._until
        pop = heapq.heappop
        while pending:
            t = pending[0][0]
            if t >= bound or t > until:
                break
            self.now = t
            pop(pending)[2]()
        self.now = self.time
        if pending:
            self._wake(pending[0][0])
        else:
            self._advance_at = math.inf

    def _advance_time(self, until: float) -> None:
        # Mesa's loop over its event list; the end of the run bounds :meth:`_advance`.
        self._until = until
        super()._advance_time(until)
        self.now = self.time

    def escalate(self, issue: int, pool: PoolAgent | None) -> None:
        """Hand an issue over to the next tier (after the tier's hand-over delay)."""
        if pool is None:
            self.close(issue, 3, self.now)
            return
        self.handover[pool.tier].push(pool.queue, issue)

    def close(self, issue: int, tier: int, at: float) -> None:
        """Record who closed the issue and when (resolved, or closed unresolved)."""
        log = self.log
        log.tier[issue] = tier
        if tier == 3:
            log.closed[issue] = at
        else:
            log.resolved[issue] = at
            log.closed[issue] = at
        if at <= self.now:
            self.closed_count += 1
        else:
            self.feedback[tier].push(self._closer, issue)  # type: ignore[arg-type]

    def step(self) -> None:
        """Once a day: record the time series."""
        self._snapshot()
        self.datacollector.collect(self)

    def _snapshot(self) -> None:
        """Set the attributes the DataCollector records (issues raised and closed so far,
        open issues, share closed, cadres busy now, utilisation so far, issues queued)."""
        self.raised = raised = self.raised_count()
        self.closed = self.closed_count
        self.open_issues = raised - self.closed_count
        self.resolution_rate = self.closed_count / raised if raised else 0.0
        self.utilization = self.utilization_so_far()

    # --- helpers -------------------------------------------------------------------
    def raised_count(self) -> int:
        """Issues raised up to now."""
        return bisect.bisect_right(self.log.raised, self.time)

    def distance_km(self, cadre: int, firm: int) -> float:
        """Great-circle km between a cadre and a firm (0 without coordinates)."""
        a, b = cadre, self._n_cadres + firm
        la1, lo1, la2, lo2 = self._rad_lat[a], self._rad_lon[a], self._rad_lat[b], self._rad_lon[b]
        h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
            (lo2 - lo1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    def travel_hours(self, cadre: int, firm: int) -> float:
        """Hours of a visit's travel there and back: twice the road minutes with roads,
        else the great-circle km at ``speed_kmh`` each way."""
        if self._road is not None:
            if self._road_minutes is None:  # every cadre to every firm, once per scenario
                self._road_minutes = self._road.minutes_matrix()
            minutes = float(self._road_minutes[cadre, firm])
            if math.isfinite(minutes):
                return 2.0 * minutes / 60.0
        return 2.0 * self.distance_km(cadre, firm) / self.speed_kmh

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
        cadre_ids = sc.cadres["id"].to_numpy()
        units = [p.name for p in self.home_units.values()]
        cadre = np.array(log.cadre, dtype=np.int64)
        home = np.array(log.home, dtype=np.int64)
        return pd.DataFrame(
            {
                "issue": np.arange(len(log.raised)),
                "firm_id": sc.firms["id"].to_numpy()[np.array(log.firm, dtype=np.int64)],
                "category": np.array(CATEGORY_KEYS, dtype=object)[
                    np.array(log.category, dtype=np.int64)],
                "raised": log.raised,
                "collected": log.collected,
                "started": log.started,
                "escalated": log.escalated,
                "escalated_department": log.escalated_department,
                "resolved": log.resolved,
                "closed": log.closed,
                "closed_by": np.array([TIERS[t] for t in range(-1, 4)], dtype=object)[
                    np.array(log.tier, dtype=np.int64) + 1],
                "cadre_id": pd.Series(cadre_ids[np.maximum(cadre, 0)]).where(cadre >= 0),
                "home_unit": pd.Series(np.array(units, dtype=object)[np.maximum(home, 0)]).where(
                    home >= 0),
            }
        )

    def available_hours(self) -> float:
        """Cadre working hours in the measured window."""
        cfg = self.config
        per = work_hours(cfg.days, cfg.hours_per_day) - work_hours(cfg.warmup_days,
                                                                   cfg.hours_per_day)
        return per * len(self.cadre_agents)

    def utilization_so_far(self) -> float:
        """Cadre hours booked over cadre hours available, from the warm-up to now."""
        cfg = self.config
        now = min(self.time, cfg.days)
        avail = (work_hours(now, cfg.hours_per_day) - work_hours(
            min(cfg.warmup_days, now), cfg.hours_per_day)) * len(self.cadre_agents)
        return min(1.0, self.busy_hours() / avail) if avail > 0 else 0.0

    def busy_hours(self) -> float:
        """Cadre hours worked in the measured window."""
        return float(self.booked_hours)


def _road_travel(scenario: Scenario):
    """Cadres and firms snapped to the scenario's roads (None when travel is not by road)."""
    from assign.roads import RoadTravel
    from assign.scenario import uses_roads

    if not uses_roads(scenario):
        return None
    cfg = scenario.config
    return RoadTravel.snap(scenario.roads, scenario.cadres, scenario.firms,
                           cfg.roads.access_kmh, cfg.assignment.snap_tolerance_m)
