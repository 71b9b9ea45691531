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
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from assign import Scenario, ScenarioError
from assign.categories import CATEGORIES
from assign.errors import Problem
from assign.io.scenario import validation_problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _partial_sections(cls, data: Any) -> Any:
        """A section given in part keeps its default for every key it does not name.

        A section whose default differs from its class's defaults (the department:
        2 servers, 10 days, settles all) would otherwise fall back to the class's defaults
        for the keys left out, so ``--set simulation.escalation.department.mean_days=10``
        would turn 2 servers into 1. Nested sections are merged the same way, level by level.
        """
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, info in cls.model_fields.items():
            given = out.get(name)
            if not isinstance(given, dict) or info.default_factory is None:
                continue
            default = info.default_factory()  # type: ignore[call-arg]
            if isinstance(default, BaseModel):
                out[name] = {**default.model_dump(exclude_defaults=True), **given}
        return out


class ProfileConfig(_Strict):
    """How the arrival rate varies over the run: a multiplier of every firm's rate.

    Piecewise by period (``multipliers[k]`` holds over ``[k, k + 1) x period_days``; after
    the list the last one holds, or the list starts over with ``repeat``), times a surge
    at the start decaying with a half-life (``1 + (surge - 1) x 2^(-t / half_life_days)``:
    the list of problems collected on arrival, 问题清单). Either part may be left out.
    """

    period_days: PositiveFloat | None = Field(None, description="Length of each period.")
    multipliers: list[NonNegativeFloat] | None = Field(
        None, description="Rate multiplier of each period, in order.")
    repeat: bool = Field(False, description="Start the list over after its last period.")
    surge: NonNegativeFloat = Field(1.0, description="Rate multiplier at day 0.")
    half_life_days: PositiveFloat | None = Field(
        None, description="Days for the surge's excess over 1 to halve.")

    @model_validator(mode="after")
    def _complete(self) -> ProfileConfig:
        if (self.period_days is None) != (self.multipliers is None):
            raise ValueError("period_days and multipliers go together")
        if self.multipliers is not None and not any(m > 0 for m in self.multipliers):
            raise ValueError("multipliers needs at least one value above 0")
        if self.surge != 1.0 and self.half_life_days is None:
            raise ValueError("a surge needs half_life_days")
        if self.multipliers is None and self.surge == 1.0:
            raise ValueError("give multipliers (with period_days) or a surge (with half_life_days)")
        return self


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
    profile: ProfileConfig | None = Field(
        None, description="Time-varying rate (None: constant)."
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
    sla_days: list[PositiveFloat] = Field(
        default_factory=lambda: [7.0, 30.0],
        description="N of the closed_within_Nd metrics (share closed within N days).",
    )

    @model_validator(mode="after")
    def _warmup_shorter(self) -> SimulationConfig:
        if self.warmup_days >= self.days:
            raise ValueError("warmup_days must be shorter than days")
        if len(set(self.sla_days)) != len(self.sla_days):
            raise ValueError("sla_days lists a value twice")
        return self


def simulation_config(scenario: Scenario, **overrides: Any) -> SimulationConfig:
    """Validate a scenario's ``simulation`` section (plus dotted ``overrides``).

    Raises:
        ScenarioError: naming the yaml (or ``--set``) key at fault.
    """
    from assign.io.scenario import apply_overrides

    data = apply_overrides(dict(scenario.config.simulation), overrides)
    ypath = scenario.path / "scenario.yaml" if scenario.path else None
    sets = {k: v for k, v in scenario.overrides.items() if k.startswith("simulation.")}
    sets.update({f"simulation.{k}": v for k, v in overrides.items()})
    try:
        config = SimulationConfig.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, ypath, sets, prefix=("simulation",))) from None
    if config.service == "team":
        from .batches import has_batches

        why = ("service 'team' needs assignment.mode 'teams'"
               if scenario.config.assignment.mode != "teams" else
               "service 'team' does not model cadre batches (start_day/end_day) yet; use "
               "service assigned or pooled" if has_batches(scenario) else None)
        if why is not None:
            where = ("--set simulation.service=team" if "simulation.service" in sets
                     else str(ypath) if ypath else "arguments")
            raise ScenarioError([Problem(where, why, key=None if where.startswith("--set")
                                         else "simulation.service")])
    return config
