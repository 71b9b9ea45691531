"""The scenario file schema (``scenario.yaml``), validated with pydantic.

Unknown keys are rejected, so a misspelt key is an error rather than a silent default.
The ``simulation`` section is kept as given here and validated by :mod:`sim`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

SHORTHANDS: dict[str, str] = {"roads": "path"}
"""Dotted keys whose value may be written as a plain string, and the key it stands for
(``roads: roads`` means ``roads: {path: roads}``). Overrides (``--set roads.access_kmh=20``)
expand a shorthand before they apply."""


def expand_shorthand(dotted: str, value: Any) -> Any:
    """``{key: value}`` when ``value`` is the plain-string shorthand of ``dotted``, else it."""
    key = SHORTHANDS.get(dotted)
    return {key: value} if key is not None and isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoadConfig(_Strict):
    """How the weekly load (hours) of a pair is estimated when no ``pairs.csv`` gives it.

    load = visits_per_week * (2 * distance_km / speed_kmh + hours_per_visit)
           + issues_per_week * hours_per_issue / proficiency
    """

    visits_per_week: float = Field(1.0, ge=0, description="Visits a cadre pays each firm a week.")
    speed_kmh: PositiveFloat = Field(30.0, description="Travel speed, km/h.")
    hours_per_visit: float = Field(1.0, ge=0, description="Hours spent at a firm per visit.")
    issues_per_week: float = Field(
        0.13, ge=0, description="Issues a firm raises a week when firms.csv has no rate_per_day."
    )
    hours_per_issue: float = Field(4.0, ge=0, description="Hours of work per issue at proficiency 1.")


class ConflictRule(_Strict):
    """A conflict-of-interest rule: no pair where the cadre's column equals the firm's."""

    cadre: str = Field(min_length=1, description="Column of cadres.csv, e.g. home_unit.")
    firm: str = Field(min_length=1, description="Column of firms.csv, e.g. regulator.")


class AssignmentConfig(_Strict):
    """The ``assignment`` section: limits and objective of the cadre-firm pairing."""

    mode: Literal["one_to_one", "one_to_many", "teams"] = Field(
        "one_to_one",
        description="one_to_one: each cadre serves at most one firm; teams: one task force "
        "(专班) per zone of firms (see assign.solvers.teams).",
    )
    max_firms_per_cadre: PositiveInt | None = Field(
        None, description="Default max_firms for cadres without one; absent means no count limit."
    )
    max_distance_km: PositiveFloat | None = Field(None, description="Longest admissible pair.")
    require_skills: Literal["none", "primary", "all"] = Field(
        "none", description="primary: the cadre holds the firm's first need; all: every need."
    )
    objective: Literal["distance", "cost", "travel_time"] = Field(
        "distance",
        description="distance: sum of km (road km with roads); cost: sum of pair costs; "
        "travel_time: sum of travel minutes.",
    )
    skill_gap_km: float = Field(
        10.0, ge=0, description="Cost of a pair (objective cost) per unmet share of needs, in km."
    )
    time_limit_s: PositiveFloat = Field(60.0, description="Solver time limit, seconds.")
    backend: Literal["auto", "flow", "cpsat"] = Field("auto", description="Solver backend.")
    workers: PositiveInt = Field(2, description="CP-SAT search workers.")
    load: LoadConfig = Field(default_factory=lambda: LoadConfig())
    # road travel (see assign.io.roads)
    distance: Literal["great_circle", "road"] | None = Field(
        None, description="How pairs are measured; default road when the scenario has roads."
    )
    max_travel_min: PositiveFloat | None = Field(
        None, description="Longest admissible trip from cadre to firm, minutes."
    )
    snap_tolerance_m: PositiveFloat = Field(
        1000.0, description="Farthest a cadre or firm may lie from the road network, metres."
    )

    # planning rules (see assign.rules)
    pinned: str | None = Field(None, description="pinned.csv (cadre_id, firm_id): pairs in the plan.")
    forbidden: str | None = Field(
        None, description="forbidden.csv (cadre_id, firm_id): pairs never in the plan.")
    conflicts: list[ConflictRule] = Field(
        default_factory=list, description="Pairs excluded when the two columns hold equal values.")
    previous: str | None = Field(None, description="Last round's pairing list (--previous).")
    change_cost: float | None = Field(
        None, ge=0, description="Cost per firm whose cadre changes (default: fewest changes first).")
    max_changes: NonNegativeInt | None = Field(None, description="Most firms whose cadre changes.")
    balance: Literal["none", "firms", "workload"] = Field(
        "none", description="Minimise the largest load (firm count or hours) after coverage.")
    max_cadres: PositiveInt | None = Field(None, description="Use at most this many cadres.")
    team_size: PositiveInt | None = Field(None, description="mode teams: members of every team.")
    team_size_min: PositiveInt | None = Field(None, description="mode teams: fewest members.")
    team_size_max: PositiveInt | None = Field(None, description="mode teams: most members.")

    @model_validator(mode="after")
    def _team_sizes(self) -> AssignmentConfig:
        check_team_config(self)
        return self


def check_team_config(cfg: AssignmentConfig) -> None:
    """Raise ValueError when the team size keys contradict each other (here, not with the
    teams solver, so that validating a configuration never loads a solver)."""
    if cfg.team_size is not None and (cfg.team_size_min is not None
                                      or cfg.team_size_max is not None):
        raise ValueError("give team_size, or team_size_min and/or team_size_max, not both "
                         "(to override with --set, also set the others to null)")
    lo, hi = cfg.team_size_min, cfg.team_size_max
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"team_size_min ({lo}) is larger than team_size_max ({hi})")


class RoadsConfig(_Strict):
    """The ``roads`` key: a road graph file and how to read it (a bare path is ``path``)."""

    path: str = Field(min_length=1, description="OSM XML (.osm/.gz/.bz2), GraphML or a folder.")
    service_roads: bool = Field(False, description="Keep OSM highway=service roads.")
    speeds_kmh: dict[str, PositiveFloat] = Field(
        default_factory=dict, description="Per road class speeds replacing the default table."
    )
    access_kmh: PositiveFloat = Field(
        15.0, description="Speed between a point and its nearest road node (snap distance)."
    )


class ScenarioConfig(_Strict):
    """A whole ``scenario.yaml``."""

    name: str = Field(min_length=1)
    description: str = ""
    cadres: str = Field(min_length=1, description="Path of cadres.csv, relative to the yaml.")
    firms: str = Field(min_length=1, description="Path of firms.csv, relative to the yaml.")
    pairs: str | None = Field(None, description="Optional explicit pair table.")
    cadres_sheet: str | None = Field(None, description="Sheet of an .xlsx cadre roster.")
    firms_sheet: str | None = Field(None, description="Sheet of an .xlsx firm list.")
    pairs_sheet: str | None = Field(None, description="Sheet of an .xlsx pair table.")
    coordinates: Literal["wgs84", "gcj02", "bd09"] = Field(
        "wgs84", description="Datum of lat/lon in the rosters; converted to WGS-84 on load."
    )
    roads: RoadsConfig | None = Field(None, description="Road graph for road travel.")

    @field_validator("roads", mode="before")
    @classmethod
    def _roads_path(cls, v: Any) -> Any:
        return expand_shorthand("roads", v)
    assignment: AssignmentConfig = Field(default_factory=lambda: AssignmentConfig())
    simulation: dict[str, Any] = Field(default_factory=dict)
