"""Agents of the service model: firms, cadres, and the pools issues escalate to.

Issues are not agents: they are rows of the model's issue log (plain lists while the
model runs, a DataFrame after). Agents move issue numbers between queues and servers.
Every callback given to Mesa's event list is a bound method of an object the model
holds, because Mesa keeps only weak references to scheduled callables.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from mesa import Agent

from .workclock import finish_time, next_working

if TYPE_CHECKING:  # pragma: no cover
    from .model import ServiceModel


class WorkQueue:
    """FIFO queue of issue numbers shared by one or more servers.

    Attributes:
        jobs: Issues waiting.
        idle: Servers waiting for work.
        feeder: The model when it feeds this queue lazily (pooled, immediate collection):
            arrivals are then taken in when a server looks for work, and an arrival event is
            scheduled only while some server is idle.
    """

    __slots__ = ("model", "jobs", "idle", "feeder")

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.jobs: deque[int] = deque()
        self.idle: list[Server] = []
        self.feeder: ServiceModel | None = None

    def push(self, issue: int) -> None:
        """Hand the issue to an idle server, or queue it."""
        if self.idle:
            self.idle.pop().start(issue)
        else:
            self.jobs.append(issue)
            self.model.queued += 1

    def __len__(self) -> int:
        return len(self.jobs)


class Server:
    """One handler working through a :class:`WorkQueue`, one issue at a time."""

    __slots__ = ("owner", "queue", "current", "__weakref__")

    def __init__(self, owner: CadreAgent | PoolAgent, queue: WorkQueue) -> None:
        self.owner = owner
        self.queue = queue
        self.current = -1
        queue.idle.append(self)

    def start(self, issue: int) -> None:
        """Begin work on ``issue`` now (or at the next working instant)."""
        self.current = issue
        model = self.owner.model
        model.at(self.finish, self.owner.begin(issue, model.now))

    def finish(self) -> None:
        """Complete the current issue and take the next one."""
        issue, self.current = self.current, -1
        self.owner.complete(issue)
        queue = self.queue
        if queue.feeder is not None:
            queue.feeder.take_arrivals()
        if queue.jobs:
            queue.model.queued -= 1
            self.start(queue.jobs.popleft())
        else:
            queue.idle.append(self)
            if queue.feeder is not None:
                queue.feeder.wake_on_next_arrival()

    @property
    def busy(self) -> bool:
        """Whether the server is working on an issue."""
        return self.current >= 0


class DelayLine:
    """Issues in transit for a constant delay (hand-over, report-back).

    With one delay for all, issues leave in the order they entered, so a deque and one
    scheduled release per issue suffice.
    """

    __slots__ = ("model", "delay", "items", "__weakref__")

    def __init__(self, model: ServiceModel, delay: float) -> None:
        self.model = model
        self.delay = delay
        self.items: deque[tuple[WorkQueue, int]] = deque()

    def push(self, target: WorkQueue, issue: int) -> None:
        """Deliver ``issue`` to ``target`` after the delay."""
        if self.delay <= 0:
            target.push(issue)
            return
        self.items.append((target, issue))
        self.model.at(self.release, self.model.now + self.delay)

    def release(self) -> None:
        """Deliver the oldest issue in transit."""
        target, issue = self.items.popleft()
        target.push(issue)


class FirmAgent(Agent):
    """A firm raising issues as a Poisson process (drawn in vectors by the model).

    Attributes:
        index: Row of the firm in the scenario.
        rate: Issues a day.
        cadre: The cadre that serves it (assigned service), or None.
    """

    def __init__(self, model: ServiceModel, index: int, rate: float) -> None:
        super().__init__(model)
        self.index = index
        self.rate = rate
        self.cadre: CadreAgent | None = None


class CadreAgent(Agent):
    """A cadre: collects issues, travels, works within daily hours, solves or escalates.

    Attributes:
        index: Row of the cadre in the scenario.
        skills: Category indices the cadre holds.
        home: The cadre's home unit pool.
    """

    def __init__(self, model: ServiceModel, index: int, skills: frozenset[int],
                 home: PoolAgent | None, queue: WorkQueue) -> None:
        super().__init__(model)
        self.index = index
        self.skills = skills
        self.home = home
        self.server = Server(self, queue)

    def begin(self, issue: int, now: float) -> float:
        """Start ``issue``: record the start and return the day work on it ends."""
        m = self.model
        h = m.hours_per_day
        start = next_working(now, h) if h < 24.0 else now
        log = m.log
        if math.isnan(log.started[issue]):
            log.started[issue] = start
        log.cadre[issue] = self.index
        hours = m.mean_hours * log.effort[issue]
        if log.category[issue] not in self.skills:
            hours *= m.unskilled_factor
        if log.travel[issue]:
            hours += m.trip_hours(self.index, log.firm[issue])
        end = finish_time(start, hours, h) if h < 24.0 else start + hours / 24.0
        m.booked_hours += m.measured_hours(start, end)
        m.working[self.index] = (start, end)
        m.busy_cadres += 1
        return end

    def complete(self, issue: int) -> None:
        """Settle the issue or escalate it to the home unit."""
        m = self.model
        m.busy_cadres -= 1
        del m.working[self.index]
        now = m.now
        esc = m.escalation
        if esc is None:
            m.close(issue, 0, now)
            return
        skilled = m.log.category[issue] in self.skills
        p = esc.cadre_solve_prob if skilled else esc.unskilled_solve_prob
        if m.log.u_cadre[issue] < p:
            m.close(issue, 0, now)
        else:
            m.log.escalated[issue] = now
            m.log.home[issue] = self.home.index if self.home is not None else -1
            m.escalate(issue, self.home)

    @property
    def busy(self) -> bool:
        """Whether the cadre is working on an issue now."""
        return self.server.busy


class PoolAgent(Agent):
    """A home unit or functional department: parallel case handlers, calendar-day handling.

    Attributes:
        index: The pool's number within its tier.
        tier: 1 for a home unit, 2 for a functional department.
        name: Unit name or category key.
    """

    def __init__(self, model: ServiceModel, index: int, tier: int, name: str, servers: int) -> None:
        super().__init__(model)
        self.index = index
        self.tier = tier
        self.name = name
        self.queue = WorkQueue(model)
        self.servers = [Server(self, self.queue) for _ in range(servers)]
        cfg = model.config.escalation
        self.settings = cfg.home_unit if tier == 1 else cfg.department

    def begin(self, issue: int, now: float) -> float:
        """Start a case: handling takes ``mean_days`` times the issue's effort draw."""
        return now + self.settings.mean_days * self.model.log.effort_tier[self.tier - 1][issue]

    def complete(self, issue: int) -> None:
        """Settle the case, pass it up to the department, or close it unresolved."""
        m = self.model
        u = m.log.u_home[issue] if self.tier == 1 else m.log.u_dept[issue]
        if u < self.settings.solve_prob:
            m.close(issue, self.tier, m.now + self.settings.feedback_days)
        elif self.tier == 1:
            m.log.escalated_department[issue] = m.now
            m.escalate(issue, m.departments[m.log.category[issue]])
        else:
            m.close(issue, 3, m.now + self.settings.feedback_days)
