"""Experiment designs: which scenario variants to run, how often, from which seed.

A design file (YAML) names the factors and their values::

    factors:                      # full grid: every combination of these lists
      cadres: [4, 6, 8]           # staffing level (see pick)
      simulation.collection: [daily, weekly]
    sample:                       # or a space-filling sample (scipy.stats.qmc)
      n: 16
      method: sobol               # sobol | lhs
      ranges: {simulation.arrival.rate_per_firm_day: [0.01, 0.03]}
    replications: 10
    seed: 2024
    metrics: [resolution_rate, mean_wait_days]   # optional: keep only these
    common_random_numbers: true   # optional: design points share replication seeds
    pick: best                    # optional: a level's cadres: best (chosen by an optimal
                                  # plan under the cadre budget) or first (roster order)

``factors`` and ``sample`` may be combined (the grid crossed with the sample). Factor keys
are any ``--set`` key of the scenario (``assignment.*``, ``simulation.*``) or ``cadres``.
Every point is validated against the scenario before anything runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from assign import Scenario, ScenarioError
from assign.errors import Problem

CADRES = "cadres"
"""The factor that sets the staffing level."""

RESERVED = ("run_key", "point", "replication", "seed", "status", "error", "seconds", "worker",
            "finished", "fingerprint", "model_version", "versions", "executor")
"""Column names of the store that factors and metrics may not take."""


@dataclass(frozen=True)
class Design:
    """A validated experiment design.

    Attributes:
        factors: Grid factors: dotted scenario key (or ``cadres``) to its values.
        sample: ``{"n", "method", "ranges"}`` or None.
        replications: Replications of every design point.
        seed: Master seed S.
        metrics: Metrics to keep (None = every metric the model reports).
        common_random_numbers: Replication r shares its seed across design points.
        source: The design file (for messages and the manifest).
        pick: How a staffing level's cadres are chosen: ``best`` or ``first``.
    """

    factors: dict[str, list[Any]] = field(default_factory=dict)
    sample: dict[str, Any] | None = None
    replications: int = 10
    seed: int = 0
    metrics: tuple[str, ...] | None = None
    common_random_numbers: bool = True
    source: str = "design"
    pick: str = "best"

    @property
    def keys(self) -> list[str]:
        """Factor names, grid first, then sampled."""
        sampled = list((self.sample or {}).get("ranges", {}))
        return list(self.factors) + [k for k in sampled if k not in self.factors]

    def points(self) -> list[dict[str, Any]]:
        """Every design point (factor name to value), in a fixed order."""
        grid = [dict(zip(self.factors, combo, strict=True))
                for combo in itertools.product(*self.factors.values())] or [{}]
        if not self.sample:
            return grid
        sampled = sample_points(self.sample, self.seed)
        return [g | s for g in grid for s in sampled]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (as stored in the ``design`` table)."""
        return {"factors": self.factors, "sample": self.sample, "replications": self.replications,
                "seed": self.seed, "metrics": list(self.metrics) if self.metrics else None,
                "common_random_numbers": self.common_random_numbers, "pick": self.pick}


def sample_points(sample: dict[str, Any], seed: int) -> list[dict[str, float]]:
    """A scrambled Sobol' or Latin hypercube sample over the ranges (seeded)."""
    from scipy.stats import qmc

    keys = list(sample["ranges"])
    lo = np.array([sample["ranges"][k][0] for k in keys], float)
    hi = np.array([sample["ranges"][k][1] for k in keys], float)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5A4D,)))
    if sample["method"] == "sobol":
        unit = qmc.Sobol(len(keys), scramble=True, rng=rng).random(sample["n"])
    else:
        unit = qmc.LatinHypercube(len(keys), rng=rng).random(sample["n"])
    values = qmc.scale(unit, lo, hi) if len(keys) else unit
    return [{k: float(v) for k, v in zip(keys, row, strict=True)} for row in values]


_KEYS = {"factors", "sample", "replications", "seed", "metrics", "common_random_numbers", "pick"}


def load_design(path: str | Path) -> Design:
    """Read and check a design YAML file.

    Raises:
        ScenarioError: naming the file and key at fault.
    """
    path = Path(path)
    label = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([Problem(label, "the design file does not exist")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(label, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem(label, "the design must be a mapping of keys to values")])
    return design_from_dict(data, label)


def design_from_dict(data: dict[str, Any], label: str = "design") -> Design:
    """Check a design given as a dict (see the module docstring for the keys)."""
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(label, message, key=key))

    for key in data:
        if key not in _KEYS:
            bad(key, f"unknown key; use {', '.join(sorted(_KEYS))}")
    factors: dict[str, list[Any]] = {}
    raw = data.get("factors") or {}
    if not isinstance(raw, dict):
        bad("factors", "must map factor names to lists of values")
        raw = {}
    for name, values in raw.items():
        name = str(name)
        if not isinstance(values, list) or not values:
            bad(f"factors.{name}", "must be a non-empty list of values")
            continue
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
            bad(f"factors.{name}", "lists a value twice")
        if name == CADRES and not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                      for v in values):
            bad(f"factors.{name}", "staffing levels must be whole numbers of at least 1")
        factors[name] = values
    sample = data.get("sample")
    if sample is not None:
        sample = _check_sample(sample, bad)
    reps = data.get("replications", 10)
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        bad("replications", "must be a whole number of at least 1")
        reps = 1
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        bad("seed", "must be a whole number of at least 0")
        seed = 0
    metrics = data.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or not metrics
                                or not all(isinstance(m, str) for m in metrics)):
        bad("metrics", "must be a list of metric names")
        metrics = None
    crn = data.get("common_random_numbers", True)
    if not isinstance(crn, bool):
        bad("common_random_numbers", "must be true or false")
        crn = True
    pick = data.get("pick", "best")
    if pick not in ("best", "first"):
        bad("pick", f"must be best or first, not '{pick}'")
        pick = "best"
    names = list(factors) + list((sample or {}).get("ranges", {}))
    for name in names:
        if name in RESERVED:
            bad(f"factors.{name}", f"'{name}' is a column of the store; it cannot be a factor")
        elif name != CADRES and "." not in name:
            bad(f"factors.{name}", "use a dotted scenario key such as simulation.collection "
                "or assignment.max_distance_km, or cadres")
    if sample and set(factors) & set(sample.get("ranges", {})):
        bad("sample.ranges", "names a factor that is also in factors")
    if problems:
        raise ScenarioError(problems)
    return Design(factors, sample, reps, seed, tuple(metrics) if metrics else None, crn, label,
                  pick)


def _check_sample(sample: Any, bad) -> dict[str, Any] | None:
    if not isinstance(sample, dict):
        bad("sample", "must be a mapping with n, method and ranges")
        return None
    extra = set(sample) - {"n", "method", "ranges"}
    if extra:
        bad("sample", f"unknown keys {', '.join(sorted(map(str, extra)))}; use n, method, ranges")
    n = sample.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        bad("sample.n", "must be a whole number of at least 1")
    method = sample.get("method", "sobol")
    if method not in ("sobol", "lhs"):
        bad("sample.method", f"must be sobol or lhs, not '{method}'")
    ranges = sample.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        bad("sample.ranges", "must map factor names to [low, high]")
        return None
    clean = {}
    for key, r in ranges.items():
        ok = (isinstance(r, list) and len(r) == 2
              and all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
                      for x in r))
        if not ok or r[0] >= r[1]:
            bad(f"sample.ranges.{key}", "must be [low, high] with low below high")
            continue
        if str(key) == CADRES:
            bad(f"sample.ranges.{key}", "staffing levels are whole numbers: list them in factors")
        clean[str(key)] = [float(r[0]), float(r[1])]
    return {"n": n, "method": method, "ranges": clean}


# --- hashing: run keys and seeds ------------------------------------------------------


def canonical(obj: Any) -> str:
    """Canonical JSON text (sorted keys, no spaces) for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, tuple | set | frozenset):
        return list(v)
    return str(v)


def sha256(text: str) -> str:
    """Hex SHA-256 of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of a scenario's content: :func:`assign.fingerprint.fingerprint` (configuration
    with overrides, every table, rule files, previous plan, road graph).

    The same content gives the same hash wherever it was loaded from; a changed input of any
    kind gives a new one.
    """
    from assign.fingerprint import fingerprint

    return fingerprint(scenario)


def run_key(content: str, point: dict[str, Any], replication: int, seed: int,
            model_version: str) -> str:
    """The identity of a run: scenario content, design point, replication, seed, model."""
    return sha256(canonical({"scenario": content, "point": point, "replication": replication,
                             "seed": seed, "model": model_version}))


def run_seed(seed: int, content: str, point: dict[str, Any] | None, replication: int) -> int:
    """The seed of a run, derived by hashing (S, scenario content, [point,] replication).

    With common random numbers ``point`` is None: replication r of every design point
    sees the same issues. Never depends on order, worker or executor.
    """
    text = canonical({"S": seed, "scenario": content, "point": point, "replication": replication})
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1
