"""Agents of the service model: firms, cadres, and the pools issues escalate to.

Issues are not agents: they are rows of the model's issue log (arrays while the model
runs, a DataFrame after). The queues, servers and hand-over lines that move issue numbers
between agents live in the model's compiled kernel (:mod:`sim.kernel`); an agent is the
handle a user holds: who it is, what it knows, and whether it is busy now.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mesa import Agent, Model
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals
from mesa.model import _mesa_logger as _MESA_LOG

from . import kernel as K

if TYPE_CHECKING:  # pragma: no cover
    from .model import ServiceModel


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


def firm_agents(model: ServiceModel, rates: list[float]) -> list[FirmAgent]:
    """One :class:`FirmAgent` a rate, as ``[FirmAgent(model, j, r) for j, r in
    enumerate(rates)]`` makes them: registered with the model in that order, with the same
    ``unique_id``s and attributes.

    A province has hundreds of thousands of firms, and Mesa registers an agent one call
    chain at a time (its signal, its debug message); when nothing listens to either (no
    observer of ``agents``, Mesa's debug log off, no agent datasets) the firms are made and
    registered as one batch instead.
    """
    if (FirmAgent._datasets or model._has_subscribers("agents", ModelSignals.AGENT_ADDED)
            or _MESA_LOG.isEnabledFor(logging.DEBUG)
            or type(model).register_agent is not Model.register_agent):
        return [FirmAgent(model, j, r) for j, r in enumerate(rates)]
    first = model.agent_id_counter
    new = object.__new__
    agents = []
    for j, r in enumerate(rates):
        a = new(FirmAgent)
        a.__dict__ = {"model": model, "unique_id": first + j, "pos": None, "index": j, "rate": r,
                      "cadre": None}
        agents.append(a)
    model.agent_id_counter = first + len(agents)
    batch = dict.fromkeys(agents)
    model._all_agents._agents.update(batch)  # what AgentSet.add does, for the batch
    if agents:
        if FirmAgent in model._agents_by_type:
            model._agents_by_type[FirmAgent]._agents.update(batch)
        else:
            model._agents_by_type[FirmAgent] = _HardKeyAgentSet(agents, random=model.random)
    return agents


class CadreAgent(Agent):
    """A cadre: collects issues, travels, works within daily hours, solves or escalates.

    Attributes:
        index: Row of the cadre in the scenario (and its server's number in the kernel).
        skills: Category indices the cadre holds.
        home: The cadre's home unit pool.
    """

    def __init__(self, model: ServiceModel, index: int, skills: frozenset[int],
                 home: PoolAgent | None) -> None:
        super().__init__(model)
        self.index = index
        self.skills = skills
        self.home = home

    @property
    def busy(self) -> bool:
        """Whether the cadre is working on an issue now."""
        return bool(self.model._ci[K.CBUSY, self.index])


class PoolAgent(Agent):
    """A home unit or functional department: parallel case handlers, calendar-day handling.

    Attributes:
        index: The pool's number within its tier.
        tier: 1 for a home unit, 2 for a functional department.
        name: Unit name or category key.
        servers: Number of case handlers.
        pool: The pool's number in the kernel (home units first, then departments).
    """

    def __init__(self, model: ServiceModel, index: int, tier: int, name: str, servers: int,
                 pool: int) -> None:
        super().__init__(model)
        self.index = index
        self.tier = tier
        self.name = name
        self.servers = servers
        self.pool = pool
        cfg = model.config.escalation
        self.settings = cfg.home_unit if tier == 1 else cfg.department
