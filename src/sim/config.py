"""The ``simulation`` section of a scenario, validated with pydantic.

Every key has a default; unknown keys are errors. Times are in days, efforts in hours.

Escalation follows the closed loop 交办 → 办理 → 反馈 → 评价: what the cadre does not settle
goes, after a hand-over delay, to the cadre's home unit (派出单位); what the home unit does
not settle goes to the functional department (职能部门) that owns the issue's category.
Home units and departments are pools of parallel case handlers whose handling time is
calendar days (approvals, bank decisions), not cadre working hours.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from assign import Scenario, ScenarioError
from assign.categories import CATEGORIES
from assign.errors import Problem
from assign.scenario import validation_problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArrivalConfig(_Strict):
    """How firms raise issues: Poisson processes, one per firm, categories by weight."""

    rate_per_firm_day: float = Field(
        0.019, ge=0, description="Issues a firm raises a day (firms.csv rate_per_day overrides)."
    )
    mix: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {"financing": 54.0, "cost_reduction": 72.0, "hiring": 63.0,
                                 "policy": 27.0, "other": 20.0},
        description="Relative weight of each category (keys of the taxonomy).",
    )

    @model_validator(mode="after")
    def _known_categories(self) -> ArrivalConfig:
        unknown = [k for k in self.mix if k not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categories in mix: {', '.join(unknown)}")
        if not self.mix:
            raise ValueError("mix needs at least one category")
        return self


class EffortConfig(_Strict):
    """Hours a cadre works on one issue."""

    distribution: Literal["exponential", "lognormal", "fixed"] = "lognormal"
    mean_hours: PositiveFloat = 6.0
    cv: float = Field(1.0, ge=0, description="Coefficient of variation of the lognormal.")
    unskilled_factor: float = Field(
        2.0, ge=1, description="Effort multiplier when the cadre lacks the category."
    )


class TierConfig(_Strict):
    """A pool that takes escalated issues: a home unit, or a functional department."""

    servers: PositiveInt = Field(1, description="Cases handled in parallel (per unit).")
    mean_days: PositiveFloat = Field(5.0, description="Mean handling time, calendar days.")
    solve_prob: float = Field(0.8, ge=0, le=1, description="Chance the pool settles an issue.")
    delay_days: float = Field(1.0, ge=0, description="Hand-over (交办) delay before it queues.")
    feedback_days: float = Field(
        0.0, ge=0, description="Report-back and evaluation (反馈、评价) before it counts closed."
    )


class EscalationConfig(_Strict):
    """The closed loop: cadre, then home unit, then functional department."""

    enabled: bool = True
    cadre_solve_prob: float = Field(
        0.8, ge=0, le=1, description="Chance a cadre settles an issue in its skills."
    )
    unskilled_solve_prob: float = Field(
        0.3, ge=0, le=1, description="Chance a cadre settles an issue outside its skills."
    )
    home_unit: TierConfig = Field(default_factory=lambda: TierConfig())
    department: TierConfig = Field(
        default_factory=lambda: TierConfig(servers=2, mean_days=10.0, solve_prob=1.0,
                                           delay_days=2.0)
    )


class SimulationConfig(_Strict):
    """The whole ``simulation`` section."""

    days: PositiveFloat = 120.0
    warmup_days: float = Field(0.0, ge=0, description="Issues raised earlier are not counted.")
    arrival: ArrivalConfig = Field(default_factory=lambda: ArrivalConfig())
    collection: Literal["immediate", "daily", "weekly"] = "daily"
    service: Literal["assigned", "pooled", "team"] = Field(
        "assigned", description="assigned: each firm's cadre; pooled: one queue for all "
        "cadres; team: a zone's issues go to one queue served by its task force "
        "(assignment mode teams).")
    hours_per_day: float = Field(8.0, gt=0, le=24, description="Cadre working hours a day.")
    effort: EffortConfig = Field(default_factory=lambda: EffortConfig())
    escalation: EscalationConfig = Field(default_factory=lambda: EscalationConfig())
    travel: bool = True
    speed_kmh: PositiveFloat = Field(30.0, description="Travel speed, km/h.")

    @model_validator(mode="after")
    def _warmup_shorter(self) -> SimulationConfig:
        if self.warmup_days >= self.days:
            raise ValueError("warmup_days must be shorter than days")
        return self


def simulation_config(scenario: Scenario, **overrides: Any) -> SimulationConfig:
    """Validate a scenario's ``simulation`` section (plus dotted ``overrides``).

    Raises:
        ScenarioError: naming the yaml (or ``--set``) key at fault.
    """
    from assign.scenario import apply_overrides

    data = apply_overrides(dict(scenario.config.simulation), overrides)
    ypath = scenario.path / "scenario.yaml" if scenario.path else None
    sets = {k: v for k, v in scenario.overrides.items() if k.startswith("simulation.")}
    sets.update({f"simulation.{k}": v for k, v in overrides.items()})
    try:
        config = SimulationConfig.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, ypath, sets, prefix=("simulation",))) from None
    if config.service == "team" and scenario.config.assignment.mode != "teams":
        where = ("--set simulation.service=team" if "simulation.service" in sets
                 else str(ypath) if ypath else "arguments")
        raise ScenarioError([Problem(where, "service 'team' needs assignment.mode 'teams'",
                                     key=None if where.startswith("--set") else
                                     "simulation.service")])
    return config
