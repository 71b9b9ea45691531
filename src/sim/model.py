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
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from mesa import DataCollector, Model
from mesa.time import Event, Priority, Schedule

from assign import Pairing, Scenario
from assign.categories import CATEGORY_INDEX, CATEGORY_KEYS
from assign.errors import ScenarioWarning
from assign.geo import EARTH_RADIUS_KM

from .agents import CadreAgent, DelayLine, FirmAgent, PoolAgent, WorkQueue
from .arrivals import draw_arrivals
from .batches import BatchPlan, has_batches, plan_batches, serving_windows
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
        self.model.count_closed(issue)


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
        arr = draw_arrivals(np.random.default_rng(arrival_ss), rates, cfg.arrival.mix, cfg.days,
                            cfg.arrival.profile)
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
        self._rad_lat = np.radians(lat).tolist()  # NaN: location unknown
        self._rad_lon = np.radians(lon).tolist()
        self._n_cadres = len(cadres)
        self._road = _road_travel(scenario)  # road minutes when the scenario has roads
        self._road_minutes: np.ndarray | None = None
        self._trip_hours = self._pair_table_trips()
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
        self.working: dict[int, tuple[float, float]] = {}  # cadre -> (start, end) of its job
        start, end = serving_windows(scenario)
        self._windows = Counter(zip(start.tolist(), end.tolist(), strict=True))
        self._unrouted: list[int] = []  # issues of firms nobody serves (yet)
        self._build_agents(pairing)
        if cfg.travel:
            self._warn_unknown_travel()
        self.closed_count = 0
        self.resolved_count = 0  # issues raised after the warm-up and resolved so far
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
    def _build_agents(self, pairing: Pairing | BatchPlan | None) -> None:
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
        if cfg.service == "team" and (isinstance(pairing, BatchPlan) or has_batches(scenario)):
            raise ValueError("service 'team' does not model cadre batches (start_day/end_day) "
                             "yet; use service assigned or pooled")
        plan, given = (pairing, None) if isinstance(pairing, BatchPlan) else (None, pairing)
        if plan is None and has_batches(scenario):
            plan = plan_batches(scenario, cfg.days, given, assigned=shared is None)
        self.plan = plan
        serving = set(plan.periods[0].cadres) if plan is not None else set(range(len(cadres)))
        self.cadre_agents: list[CadreAgent] = []
        for i, (skills, unit) in enumerate(zip(cadres["skills"], cadres["home_unit"].fillna(""),
                                               strict=True)):
            held = frozenset(CATEGORY_INDEX[k] for k, _ in skills)
            queue = shared if shared is not None and i in serving else WorkQueue(self)
            self.cadre_agents.append(CadreAgent(self, i, held, self.home_units[unit], queue))
        self.serving = serving
        self.queues = [shared] if shared is not None else [c.server.queue for c in self.cadre_agents]
        self.queues += [p.queue for p in self.home_units.values()]
        self.queues += [p.queue for p in self.departments.values()]
        self.firm_queue: list[WorkQueue | None] = [shared] * len(firms)
        self.pairing = None
        self._period = 0
        if plan is not None:  # before any other event of that day
            for period in plan.periods[1:]:
                self.schedule_event(self._next_period, at=period.start, priority=Priority.HIGH)
        if cfg.service == "team":  # batches were refused above
            self._team_queues(pairing if isinstance(pairing, Pairing) else None)
            return
        if shared is not None:
            return
        if plan is not None:
            given = plan.periods[0].pairing
        elif given is None:
            from assign import solve

            given = solve(scenario)
        self.pairing = given
        self._pair(given)

    def _pair(self, pairing: Pairing | None) -> None:
        """Point each firm at the queue of its cadre (among those serving now)."""
        cadre_row = {cid: i for i, cid in enumerate(self.case.cadres["id"])}
        firm_row = {fid: j for j, fid in enumerate(self.case.firms["id"])}
        self.firm_queue = [None] * len(self.firm_agents)
        for firm in self.firm_agents:
            firm.cadre = None
        if pairing is None:
            return
        for cid, fid in zip(pairing.pairs["cadre_id"], pairing.pairs["firm_id"], strict=True):
            i = cadre_row[cid]
            if i not in self.serving:
                continue
            agent = self.cadre_agents[i]
            self.firm_agents[firm_row[fid]].cadre = agent
            self.firm_queue[firm_row[fid]] = agent.server.queue

    def _next_period(self) -> None:
        """A batch starts or ends: cadres join or leave, firms are paired anew, and the
        issues waiting for a cadre follow their firm."""
        assert self.plan is not None
        self.now = self.time
        self._period += 1
        period = self.plan.periods[self._period]
        old, new = self.serving, set(period.cadres)
        self.serving = new
        if self.config.service == "pooled":
            shared = self.queues[0]
            for i in sorted(old - new):
                server = self.cadre_agents[i].server
                if server in shared.idle:
                    shared.idle.remove(server)
                server.queue = WorkQueue(self)  # finishes the issue in hand, then nothing
                if not server.busy:
                    server.queue.idle.append(server)
            for i in sorted(new - old):
                server = self.cadre_agents[i].server
                server.queue.idle.remove(server)
                server.queue = shared
                if shared.feeder is not None:
                    shared.feeder.take_arrivals()
                if shared.jobs:
                    self.queued -= 1
                    server.start(shared.jobs.popleft())
                else:
                    shared.idle.append(server)
                    if shared.feeder is not None:
                        shared.feeder.wake_on_next_arrival()
            return
        self._pair(period.pairing)
        waiting = self._unrouted
        self._unrouted = []
        for agent in self.cadre_agents:
            jobs = agent.server.queue.jobs
            self.queued -= len(jobs)
            waiting.extend(jobs)
            jobs.clear()
        visited: set[int] = set()
        travel = self.config.travel
        firm = self.log.firm
        for issue in sorted(waiting):
            f = firm[issue]
            self._route(issue, travel and f not in visited)
            visited.add(f)

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
        zone_queue: dict[str, WorkQueue] = {}
        for zone, ids in team_members(pairing, scenario).items():
            if not ids:  # no team (infeasible plan): the zone's issues stay open
                continue
            queue = zone_queue[zone] = WorkQueue(self)
            for cid in ids:
                agent = self.cadre_agents[cadre_row[cid]]
                own = agent.server.queue
                own.idle.remove(agent.server)
                agent.server.queue = queue
                queue.idle.append(agent.server)
        zones = scenario.firms["zone"].fillna("").astype(str).str.strip()
        self.firm_queue = [zone_queue.get(z) for z in zones]
        self.queues += list(zone_queue.values())
        firm_row = {fid: j for j, fid in enumerate(scenario.firms["id"])}
        for fid, cid in zip(pairing.pairs["firm_id"], pairing.pairs["cadre_id"], strict=True):
            self.firm_agents[firm_row[fid]].cadre = self.cadre_agents[cadre_row[cid]]

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
        if queue is None:  # no cadre serves this firm: open until a later batch's does
            self._unrouted.append(issue)
            return
        log = self.log
        if log.collected[issue] != log.collected[issue]:  # NaN: not collected before
            log.collected[issue] = self.now if when is None else when
        log.travel[issue] = travel
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
            self.count_closed(issue)
        else:
            self.feedback[tier].push(self._closer, issue)  # type: ignore[arg-type]

    def count_closed(self, issue: int) -> None:
        """Count an issue closed now (after its report-back) in the live series."""
        self.closed_count += 1
        if self.log.tier[issue] != 3 and self.log.raised[issue] >= self._window[0]:
            self.resolved_count += 1

    def step(self) -> None:
        """Once a day: record the time series."""
        self._snapshot()
        self.datacollector.collect(self)

    def _snapshot(self) -> None:
        """Set the attributes the DataCollector records (issues raised and closed so far,
        open issues, share resolved, cadres busy now, utilisation so far, issues queued).

        ``resolution_rate`` is the final metric's definition applied up to now: issues
        raised since the warm-up and resolved by now (closed unresolved is not resolved),
        over issues raised since the warm-up.
        """
        self.raised = raised = self.raised_count()
        self.closed = self.closed_count
        self.open_issues = raised - self.closed_count
        in_window = raised - bisect.bisect_left(self.log.raised, self._window[0])
        self.resolution_rate = self.resolved_count / in_window if in_window else 0.0
        self.utilization = self.utilization_so_far()

    # --- helpers -------------------------------------------------------------------
    def raised_count(self) -> int:
        """Issues raised up to now."""
        return bisect.bisect_right(self.log.raised, self.time)

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
        missing = [math.isnan(a) or math.isnan(b) for a, b in zip(self._rad_lat, self._rad_lon,
                                                                   strict=True)]
        if not any(missing):
            return
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
        now = min(self.time, self.config.days)
        avail = self.hours_available_until(now)
        ahead = sum(self.measured_hours(max(s, now), e) for s, e in self.working.values())
        return min(1.0, (self.booked_hours - ahead) / avail) if avail > 0 else 0.0

    def busy_hours(self) -> float:
        """Cadre hours worked in the measured window."""
        return float(self.booked_hours)


def _first(ids, k: int = 5) -> str:
    """The first ``k`` ids, comma-separated, and how many more."""
    shown = ", ".join(str(x) for x in ids[:k])
    return shown + (f" and {len(ids) - k} more" if len(ids) > k else "")


def _road_travel(scenario: Scenario):
    """Cadres and firms snapped to the scenario's roads (None when travel is not by road)."""
    from assign.io.roads import RoadTravel
    from assign.io.scenario import uses_roads

    if not uses_roads(scenario):
        return None
    cfg = scenario.config
    assert scenario.roads is not None and cfg.roads is not None
    return RoadTravel.snap(scenario.roads, scenario.cadres, scenario.firms,
                           cfg.roads.access_kmh, cfg.assignment.snap_tolerance_m)
