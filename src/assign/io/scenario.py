"""Loading a scenario: ``scenario.yaml`` plus the CSV tables it names.

A scenario is a folder holding ``scenario.yaml``; every function accepts the folder or
the yaml file. All problems in the input are collected and raised at once as a
:class:`~assign.errors.ScenarioError`, each naming file, line and column (or key).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .roads import RoadNetwork

from ..config import ScenarioConfig, expand_shorthand
from ..errors import Problem, ScenarioError, ScenarioWarning, raise_if
from .crs import to_wgs84
from .rule_tables import attach_rules, frame_rules, read_rule_tables
from .tables import ALIASES, Column, check_table, columns_of, decode, read_table

CADRE_COLUMNS = columns_of("cadres")
FIRM_COLUMNS = columns_of("firms")
PAIR_COLUMNS = columns_of("pairs")
"""The columns of each roster and the pair table, from :mod:`assign.io.schema`."""
OWN_COLUMNS = {"cadres": CADRE_COLUMNS, "firms": FIRM_COLUMNS}
"""zhuqi's own columns of the rosters (others are kept as text for the conflict rules)."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes:
        config: The parsed ``scenario.yaml`` (overrides applied).
        cadres: One row per cadre: id, name, home_unit, lat, lon, skills (tuple of
            (category, proficiency)), max_firms (NaN = no limit), max_workload (NaN = none), zone,
            start_day, end_day (the days a cadre serves in a simulation; NaN = whole run).
        firms: One row per firm: id, name, sector, lat, lon, employees, priority, needs
            (tuple of categories, primary first), zone, rate_per_day (NaN = scenario default).
        pairs: The explicit pair table (cadre_id, firm_id, cost, load) or None.
        path: The scenario folder (None for scenarios built in memory).
        pinned: Pairs the plan must hold (cadre_id, firm_id, note, line) or None.
        forbidden: Pairs the plan never holds (cadre_id, firm_id, reason, line) or None.
        previous: Last round's pairs (cadre_id, firm_id, line) for fewest changes, or None.
    """

    config: ScenarioConfig
    cadres: pd.DataFrame
    firms: pd.DataFrame
    pairs: pd.DataFrame | None = None
    path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    pinned: pd.DataFrame | None = None
    forbidden: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None
    roads: RoadNetwork | None = None
    """The road graph named by ``roads:`` (None without one)."""

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.config.name

    def with_cadres(self, n: int) -> Scenario:
        """Return this scenario keeping only its first ``n`` cadres (file order)."""
        cadres = self.cadres.iloc[:n].reset_index(drop=True)
        pairs = self.pairs
        if pairs is not None:
            pairs = pairs[pairs["cadre_id"].isin(cadres["id"])].reset_index(drop=True)
        pinned = self.pinned
        if pinned is not None:
            pinned = pinned[pinned["cadre_id"].isin(cadres["id"])].reset_index(drop=True)
        return replace(self, cadres=cadres, pairs=pairs, pinned=pinned)

    def with_config(self, **assignment: Any) -> Scenario:
        """Return this scenario with ``assignment`` keys replaced (validated)."""
        data = self.config.model_dump()
        data["assignment"].update(assignment)
        return replace(self, config=ScenarioConfig.model_validate(data))


def resolve_yaml(path: str | Path) -> Path:
    """Return the ``scenario.yaml`` of a folder, or the path itself if it is a file."""
    p = Path(path)
    if p.is_dir():
        return p / "scenario.yaml"
    return p


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings (dotted keys, YAML values) into a dict."""
    out: dict[str, Any] = {}
    problems = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(Problem("--set", f"'{item}' is not KEY=VALUE"))
            continue
        try:
            out[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            out[key.strip()] = value
    raise_if(problems)
    return out


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a nested dict (copying what it changes)."""
    data = _deepcopy(data)
    for dotted, value in overrides.items():
        node = data
        parts = dotted.split(".")
        for k, part in enumerate(parts[:-1]):
            child = expand_shorthand(".".join(parts[:k + 1]), node.get(part))
            if not isinstance(child, dict):
                child = {}
            node[part] = child
            node = child
        node[parts[-1]] = value
    return data


def _deepcopy(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _deepcopy(v) for k, v in d.items()}
    return d


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario.

    Args:
        path: The scenario folder or its yaml file.
        overrides: Dotted keys to replace, e.g. ``{"assignment.max_distance_km": 30}``.

    Returns:
        The validated :class:`Scenario`.

    Raises:
        ScenarioError: listing every problem found, each naming where it is.
    """
    overrides = dict(overrides or {})
    ypath = resolve_yaml(path)
    ylabel = str(ypath)
    data = _read_yaml(ypath, ylabel)
    data = apply_overrides(data, overrides)
    try:
        config = ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, ypath, overrides)) from None
    base = ypath.parent
    problems: list[Problem] = []

    def table(rel: str, columns: list[Column], kind: str, sheet: str | None = None,
              extra: bool = False) -> pd.DataFrame:
        df, found = read_table(base / rel, columns, str(base / rel), extra, sheet, ALIASES[kind])
        problems.extend(found)
        return df

    cadres = table(config.cadres, CADRE_COLUMNS, "cadres", config.cadres_sheet, extra=True)
    firms = table(config.firms, FIRM_COLUMNS, "firms", config.firms_sheet, extra=True)
    pairs = (table(config.pairs, PAIR_COLUMNS, "pairs", config.pairs_sheet) if config.pairs
             else None)
    rule_tables, found = read_rule_tables(Scenario(config, cadres, firms), base)
    problems.extend(found)
    raise_if(problems)
    cadres = _to_wgs84(_complete(cadres, CADRE_COLUMNS), config.coordinates)
    firms = _to_wgs84(_complete(firms, FIRM_COLUMNS), config.coordinates)
    labels = {"cadres": str(base / config.cadres), "firms": str(base / config.firms)}
    if pairs is not None:
        labels["pairs"] = str(base / (config.pairs or ""))
    network = _load_roads(config, base, ylabel)
    scenario = Scenario(config, cadres, firms, pairs, ypath.parent, overrides, roads=network)
    scenario = check_scenario(scenario, labels)
    labels.update({k: str(base / getattr(config.assignment, k)) for k in rule_tables})
    scenario = attach_rules(scenario, rule_tables, labels, ylabel, OWN_COLUMNS)
    if config.assignment.previous:
        from .previous import read_previous

        scenario = replace(scenario, previous=read_previous(base / config.assignment.previous,
                                                            scenario))
    if network is not None and uses_roads(scenario):
        _warn_off_network(scenario, labels["cadres"])
    return scenario


def uses_roads(scenario: Scenario) -> bool:
    """Whether pairs are measured by road (``assignment.distance``, default road with roads)."""
    mode = scenario.config.assignment.distance
    return scenario.roads is not None and mode != "great_circle"


def _load_roads(config: ScenarioConfig, base: Path, ylabel: str) -> RoadNetwork | None:
    if config.roads is None:
        if config.assignment.distance == "road":
            raise ScenarioError([Problem(ylabel, "distance 'road' needs a road graph (key 'roads')",
                                         key="assignment.distance")])
        return None
    from .roads import load_roads

    rc = config.roads
    return load_roads(base / rc.path, str(base / rc.path), rc.speeds_kmh, rc.service_roads)


def _warn_off_network(scenario: Scenario, label: str) -> None:
    from .roads import RoadTravel

    cfg = scenario.config
    assert scenario.roads is not None and cfg.roads is not None
    travel = RoadTravel.snap(scenario.roads, scenario.cadres, scenario.firms,
                             cfg.roads.access_kmh, cfg.assignment.snap_tolerance_m)
    far = np.flatnonzero(travel.cadre_off)
    if len(far):
        ids = ", ".join(f"{scenario.cadres['id'].iat[k]} ({travel.cadre_snap_m[k]:.0f} m)"
                        for k in far[:10])
        warnings.warn(
            f"{label}: {len(far)} cadre(s) lie farther than "
            f"{cfg.assignment.snap_tolerance_m:g} m from the road network: {ids}"
            f"{' ...' if len(far) > 10 else ''}; their trips start at the nearest road node",
            ScenarioWarning, stacklevel=3)


def build_scenario(
    cadres: pd.DataFrame,
    firms: pd.DataFrame,
    pairs: pd.DataFrame | None = None,
    name: str = "in-memory",
    pinned: pd.DataFrame | None = None,
    forbidden: pd.DataFrame | None = None,
    **assignment: Any,
) -> Scenario:
    """Build a scenario from DataFrames (for notebooks and tests), validated like files.

    Args:
        cadres: Cadre table with the columns of ``cadres.csv`` (skills as ``a;b`` text).
        firms: Firm table with the columns of ``firms.csv``.
        pairs: Optional pair table (cadre_id, firm_id, cost, load).
        name: Scenario name.
        pinned: Optional pinned pairs (cadre_id, firm_id[, note]).
        forbidden: Optional forbidden pairs (cadre_id, firm_id[, reason]).
        **assignment: Keys of the ``assignment`` section.
    """
    def as_text(df: pd.DataFrame) -> pd.DataFrame:
        return df.astype(object).where(df.notna(), "").astype(str).reset_index(drop=True)

    c, p1 = check_table(as_text(cadres), CADRE_COLUMNS, "cadres", extra=True)
    f, p2 = check_table(as_text(firms), FIRM_COLUMNS, "firms", extra=True)
    pr = None
    p3: list[Problem] = []
    if pairs is not None:
        pr, p3 = check_table(as_text(pairs), PAIR_COLUMNS, "pairs")
    rule_tables, p4 = frame_rules(pinned, forbidden)
    raise_if(p1 + p2 + p3 + p4)
    data = {"name": name, "cadres": "cadres", "firms": "firms", "assignment": assignment}
    if pairs is not None:
        data["pairs"] = "pairs"
    try:
        config = ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, None, {})) from None
    scenario = Scenario(config, _complete(c, CADRE_COLUMNS), _complete(f, FIRM_COLUMNS), pr)
    labels = {"cadres": "cadres", "firms": "firms", "pairs": "pairs"}
    scenario = check_scenario(scenario, labels)
    return attach_rules(scenario, rule_tables, labels, "arguments", OWN_COLUMNS)


def _to_wgs84(df: pd.DataFrame, system: str) -> pd.DataFrame:
    """The table with lat/lon converted from ``system`` (GCJ-02, BD-09) to WGS-84."""
    if system == "wgs84" or len(df) == 0:
        return df
    lat, lon = to_wgs84(df["lat"].to_numpy(float), df["lon"].to_numpy(float), system)
    return df.assign(lat=lat, lon=lon)


def _complete(df: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """Add absent optional columns with their neutral values."""
    df = df.copy()
    for col in columns:
        if col.name in df.columns:
            continue
        if col.kind in ("float", "int"):
            df[col.name] = np.nan
        elif col.kind in ("categories", "skills"):
            df[col.name] = pd.Series([()] * len(df), index=df.index, dtype=object)
        else:
            df[col.name] = ""
    if "name" in df.columns:
        df["name"] = df["name"].where(df["name"] != "", df["id"])
    return df


def check_scenario(scenario: Scenario, labels: dict[str, str]) -> Scenario:
    """Cross-table checks; returns the scenario with limits and defaults filled in."""
    cfg = scenario.config.assignment
    cadres, firms, pairs = scenario.cadres.copy(), scenario.firms.copy(), scenario.pairs
    problems: list[Problem] = []
    needs_coords = cfg.objective == "distance" or cfg.max_distance_km is not None
    if pairs is None:
        needs_coords = True
    for what, df in (("cadres", cadres), ("firms", firms)):
        lat_missing = df["lat"].isna().to_numpy()
        lon_missing = df["lon"].isna().to_numpy()
        for col, miss, other in (("lat", lat_missing, lon_missing), ("lon", lon_missing, lat_missing)):
            rows = np.flatnonzero(miss & (~other | needs_coords))[:20]
            reason = (
                "a location is needed (objective 'distance', a distance limit, or no pairs table)"
                if needs_coords
                else "give both lat and lon, or neither"
            )
            problems.extend(Problem(labels[what], reason, int(i) + 2, col) for i in rows)
    if pairs is not None:
        lines = np.arange(len(pairs)) + 2
        for col, ids in (("cadre_id", cadres["id"]), ("firm_id", firms["id"])):
            unknown = ~pairs[col].isin(ids).to_numpy()
            for i in np.flatnonzero(unknown)[:20]:
                problems.append(
                    Problem(labels["pairs"], f"unknown id '{pairs[col].iat[i]}'", int(lines[i]), col)
                )
        dup = pairs.duplicated(["cadre_id", "firm_id"]).to_numpy()
        for i in np.flatnonzero(dup)[:20]:
            problems.append(Problem(labels["pairs"], "pair listed twice", int(lines[i]), "firm_id"))
        if pairs["cost"].isna().any():
            i = int(np.flatnonzero(pairs["cost"].isna().to_numpy())[0])
            problems.append(Problem(labels["pairs"], "a value is required", int(lines[i]), "cost"))
    early = (cadres["end_day"] <= cadres["start_day"].fillna(0)).to_numpy()
    problems.extend(Problem(labels["cadres"], "end_day must come after start_day", int(i) + 2,
                            "end_day") for i in np.flatnonzero(early)[:20])
    if cfg.mode == "teams":
        problems += team_problems(cadres, firms, labels)
    raise_if(problems)
    if cfg.require_skills != "none" and all(len(n) == 0 for n in firms["needs"]):
        warnings.warn(
            f"{labels['firms']}: require_skills is '{cfg.require_skills}' but no firm lists needs",
            ScenarioWarning,
            stacklevel=3,
        )
    if cfg.mode == "one_to_one":
        over = cadres["max_firms"].fillna(1) > 1
        if over.any():
            warnings.warn(
                f"{labels['cadres']}: mode one_to_one caps max_firms at 1 "
                f"({int(over.sum())} cadres ask for more)",
                ScenarioWarning,
                stacklevel=3,
            )
        cadres["max_firms"] = cadres["max_firms"].clip(upper=1).fillna(1)
    elif cfg.max_firms_per_cadre is not None:
        cadres["max_firms"] = cadres["max_firms"].fillna(cfg.max_firms_per_cadre)
    firms["priority"] = firms["priority"].fillna(0).astype(np.int64)
    return replace(scenario, cadres=cadres, firms=firms)


def _read_yaml(ypath: Path, label: str) -> dict[str, Any]:
    if not ypath.is_file():
        raise ScenarioError([Problem(label, "file not found")])
    text = decode(ypath.read_bytes())
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise ScenarioError([Problem(label, f"not valid YAML: {exc}".splitlines()[0], row)]) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, "expected a mapping of keys to values")])
    return data


def _line_of(node: Any, loc: tuple) -> int | None:
    """Line (1-based) of the yaml node at ``loc``, or of its nearest parent found."""
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if k.value == str(part):
                line = k.start_mark.line + 1
                node = v
                break
        else:
            break
    return line


def validation_problems(
    exc: ValidationError,
    ypath: Path | None,
    overrides: dict[str, Any],
    prefix: tuple[str, ...] = (),
) -> list[Problem]:
    """Problems for a pydantic error on (a section of) a scenario yaml, with line numbers.

    Args:
        exc: The validation error.
        ypath: The yaml file (None for scenarios built in memory).
        overrides: ``--set`` keys applied to the data; errors on them name the option.
        prefix: Keys leading to the validated section (``("simulation",)``).
    """
    node = None
    if ypath is not None and ypath.is_file():
        try:
            node = yaml.compose(ypath.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError):
            node = None
    label = str(ypath) if ypath is not None else "arguments"
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(str(p) for p in err["loc"])
        key = ".".join(loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (misspelt?)"
        elif err["type"] == "literal_error":
            msg = f"'{err.get('input')}' is not allowed; {msg[0].lower()}{msg[1:]}"
        elif "input" in err and not isinstance(err["input"], dict):
            msg = f"{msg} (got {err['input']!r})"
        if key in overrides:
            problems.append(Problem(f"--set {key}={overrides[key]}", msg))
        else:
            problems.append(Problem(label, msg, _line_of(node, loc) if node else None, key=key))
    return problems


def team_problems(cadres: pd.DataFrame, firms: pd.DataFrame, labels: dict[str, str]
                  ) -> list[Problem]:
    """Input problems of a teams scenario: every firm needs a zone."""
    blank = (firms["zone"].fillna("").astype(str).str.strip() == "").to_numpy()
    rows = np.flatnonzero(blank)
    problems = [Problem(labels["firms"], "mode teams needs a zone for every firm", int(i) + 2,
                        "zone") for i in rows[:20]]
    if len(rows) > 20:
        problems.append(Problem(labels["firms"], f"... and {len(rows) - 20} more rows like these",
                                column="zone"))
    return problems
