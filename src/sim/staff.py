"""The smallest staffing that meets a service target, with stated confidence.

``find_staffing`` searches the number of cadres N (each level chosen by the assignment: the
cadre budget, or the first N cadres) for the smallest one whose mean metric meets a target
such as ``mean_wait_days <= 0.5`` or ``closed_within_30d >= 0.9``:

1. A starting guess from the offered load a = (issues a day) x (work per issue in cadre
   days): for a waiting-time target, the smallest c meeting it in the M/M/c queue (Erlang C);
   otherwise the smallest c keeping utilisation under 85%. Never below the capacity bound
   floor(a) + 1 unless the search finds a smaller level passes.
2. Bracketing from the guess by doubling steps, then bisection on integers.
3. At each level a sequential test: replications are added (5, 10, 20, ...) until the
   confidence interval of the mean lies wholly on one side of the target (``pass`` /
   ``fail``), or wholly inside the indifference zone target +/- tolerance (``edge``: on the
   edge, counted as not meeting the target), or the replication cap is reached (``edge``
   too; each level records why it ``stopped``).

Replication r of every level uses the same seed (common random numbers), so levels are
compared on the same issues. Runs go to a results store and are reused on the next call.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assign import Scenario

from .arrivals import cumulative
from .config import SimulationConfig, simulation_config
from .design import CADRES, canonical, scenario_hash
from .erlang import mmc_mean_wait
from .executors import Executor, make_executor
from .store import Store
from .sweep import (
    Progress,
    Shared,
    apply_point,
    choose_cadres,
    content_key,
    execute_tasks,
    manifest,
    plan_tasks,
    with_simulation,
)

_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Target:
    """A service target: ``metric >= value`` or ``metric <= value``."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def parse_target(text: str) -> Target:
    """Parse ``"METRIC >= VALUE"`` or ``"METRIC <= VALUE"``."""
    m = _TARGET.match(text or "")
    if not m:
        raise ValueError(f"--target must read 'METRIC >= VALUE' or 'METRIC <= VALUE', not '{text}'")
    try:
        value = float(m.group(3))
    except ValueError:
        raise ValueError(f"--target: '{m.group(3)}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"--target: '{m.group(3)}' is not a finite number")
    return Target(m.group(1), m.group(2), value)


@dataclass
class Level:
    """What the search learned about one staffing level."""

    cadres: int
    values: list[float] = field(default_factory=list)
    mean: float = math.nan
    ci95: tuple[float, float] = (math.nan, math.nan)
    decision: str = "untested"
    stopped: str = ""

    @property
    def replications(self) -> int:
        return len(self.values)

    def to_json(self) -> dict[str, Any]:
        return {"cadres": self.cadres, "metric": _f(self.mean), "ci95": [_f(x) for x in self.ci95],
                "replications": self.replications, "decision": self.decision,
                "stopped": self.stopped}


@dataclass
class StaffResult:
    """The answer of :func:`find_staffing`.

    Attributes:
        cadres: N*, the smallest level meeting the target (None if none up to the maximum).
        target: The target.
        confidence: Confidence level of the intervals.
        levels: Every level tried, by cadres.
        bracket: The offered load and the starting guess.
        non_monotone: Pairs (lower, higher) where the lower level met the target and the
            higher one clearly failed it.
        seconds: Wall time.
    """

    cadres: int | None
    target: Target
    confidence: float
    levels: dict[int, Level]
    bracket: dict[str, Any]
    non_monotone: list[tuple[int, int]]
    seconds: float
    min_cadres: int
    max_cadres: int

    @property
    def replications(self) -> int:
        """Replications used over all levels."""
        return sum(lv.replications for lv in self.levels.values())

    def at(self, cadres: int | None) -> Level | None:
        return None if cadres is None else self.levels.get(cadres)

    def to_json(self) -> dict[str, Any]:
        """``{cadres, metric, ci95, below: {cadres, metric, ci95}, replications, levels}``."""
        star, below = self.at(self.cadres), self.at(None if self.cadres is None else self.cadres - 1)
        return {
            "cadres": self.cadres,
            "metric": _f(star.mean) if star else None,
            "ci95": [_f(x) for x in star.ci95] if star else None,
            "below": ({"cadres": below.cadres, "metric": _f(below.mean),
                       "ci95": [_f(x) for x in below.ci95], "decision": below.decision}
                      if below else None),
            "replications": self.replications,
            "levels": [lv.to_json() for _, lv in sorted(self.levels.items())],
            "target": str(self.target),
            "confidence": self.confidence,
            "non_monotone": [list(p) for p in self.non_monotone],
            "bracket": self.bracket,
        }


def _f(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def offered_load(scenario: Scenario, config: SimulationConfig) -> tuple[float, float]:
    """(issues a day, work per issue in cadre-days at the stated mean effort); with a rate
    profile, the issues a day averaged over the run."""
    rates = scenario.firms["rate_per_day"].fillna(config.arrival.rate_per_firm_day)
    lam = float(rates.sum()) * cumulative(config.arrival.profile, config.days) / config.days
    return lam, config.effort.mean_hours / config.hours_per_day


def starting_guess(scenario: Scenario, config: SimulationConfig, target: Target,
                   most: int | None = None) -> dict[str, Any]:
    """The capacity bound and a first level to try (Erlang C for waiting-time targets),
    looking no further than ``most`` cadres (default: the roster)."""
    lam, work = offered_load(scenario, config)
    a = lam * work
    floor = int(math.floor(a)) + 1
    guess = max(floor, math.ceil(a / 0.85))
    method = "utilisation 85%"
    if target.metric == "mean_wait_days" and target.op == "<=" and lam > 0:
        mu = 1.0 / work
        c = floor
        most = max(floor, most if most is not None else len(scenario.cadres))
        while c < most and mmc_mean_wait(lam, mu, c) > target.value:
            c += 1
        guess, method = c, "Erlang C"
    return {"offered_load": a, "arrivals_per_day": lam, "capacity_bound": floor, "guess": guess,
            "method": method}


def find_staffing(
    scenario: Scenario,
    target: Target | str,
    confidence: float = 0.95,
    min_cadres: int = 1,
    max_cadres: int | None = None,
    tolerance: float = 0.01,
    seed: int = 0,
    store: str | Path | Store | None = None,
    workers: int | None = 1,
    scheduler: Any = None,
    config: SimulationConfig | None = None,
    initial_replications: int = 5,
    max_replications: int = 80,
    progress: Progress | None = None,
    executor: Executor | None = None,
    pick: str = "best",
) -> StaffResult:
    """The smallest number of cadres whose mean ``target.metric`` meets the target.

    Args:
        scenario: The scenario (its roster is the largest staffing considered).
        target: ``Target`` or text such as ``"mean_wait_days <= 0.5"``.
        confidence: Confidence level of the per-level intervals.
        min_cadres, max_cadres: Search range (default 1 to the roster's size).
        tolerance: Half-width of the indifference zone around the target (metric units).
        seed: Master seed; replication r uses the same seed at every level.
        store: SQLite results store (runs are stored and reused); a temporary one if None.
        workers, scheduler: Where runs execute (see :func:`sim.sweep.run_sweep`).
        config: Simulation settings replacing the scenario's ``simulation`` section.
        initial_replications: Replications first run at a level (doubled as needed).
        max_replications: Cap per level; a level still undecided there is an edge.
        progress: Called with (runs done, runs asked) as runs finish.
        executor: An executor to use instead of ``workers`` / ``scheduler``.
        pick: A level's cadres: ``best`` (chosen by an optimal plan under the cadre budget,
            once per level, in this process) or ``first`` (the roster's first N).
    """
    t0 = time.perf_counter()
    target = parse_target(target) if isinstance(target, str) else target
    if not 0.5 <= confidence < 1:
        raise ValueError("--confidence must be at least 0.5 and below 1")
    if tolerance < 0:
        raise ValueError("--tolerance must be at least 0")
    if initial_replications < 2 or max_replications < 2:
        raise ValueError("replications: at least 2 per level")
    initial_replications = min(initial_replications, max_replications)
    if config is not None:
        scenario = with_simulation(scenario, config)
    config = simulation_config(scenario)
    top = len(scenario.cadres)
    hi_cap = top if max_cadres is None else max_cadres
    if not 1 <= min_cadres <= hi_cap <= top:
        raise ValueError(f"--min/--max must satisfy 1 <= min <= max <= {top} (the roster's cadres)")
    for n in (min_cadres, hi_cap):
        apply_point(scenario, {CADRES: n})  # raises on an impossible level
    if pick not in ("best", "first"):
        raise ValueError(f"--pick must be best or first, not '{pick}'")
    content = content_key(scenario, pick)
    bracket = starting_guess(scenario, config, target, hi_cap)
    own_store = not isinstance(store, Store)
    if store is None:
        import tempfile

        tmp = tempfile.TemporaryDirectory(prefix="zhuqi-staff-")
        store_path: str | Path | Store = Path(tmp.name) / "staff.sqlite"
    else:
        tmp = None
        store_path = store
    st = store_path if isinstance(store_path, Store) else Store(store_path)
    ex = executor or make_executor(workers, scheduler)
    shared = Shared(scenario, content, None, scenario_hash(scenario))
    levels: dict[int, Level] = {}
    chosen: dict[int, tuple[str, ...] | None] = {}
    asked = [0, 0]

    def note(done: int, total: int) -> None:
        if progress:
            progress(asked[0] + done, asked[1])

    def runs(n: int, reps: range) -> list[float]:
        point = {CADRES: n}
        if n not in chosen:
            chosen[n] = choose_cadres(scenario, point, pick)
        tasks = plan_tasks(content, [point], reps, seed, True, {canonical(point): chosen[n]})
        have = st.values([t.run_key for t in tasks], target.metric)
        todo = [t for t in tasks if t.run_key not in have]
        asked[1] += len(todo)
        rows: list[dict[str, Any]] = []
        execute_tasks(st, shared, todo, ex, note, rows.append)
        asked[0] += len(todo)
        for row in rows:
            if row["status"] != "ok":
                raise RuntimeError(f"a run at {n} cadres (replication {row['replication']}) "
                                   f"failed: {row['error']}")
            if target.metric not in row["metrics"]:
                known = ", ".join(sorted(row["metrics"]))
                raise ValueError(f"--target: '{target.metric}' is not a metric the model "
                                 f"reports ({known})")
            have[row["run_key"]] = row["metrics"][target.metric]
        return [_nan(have[t.run_key]) for t in tasks]

    def evaluate(n: int) -> Level:
        if n in levels:
            return levels[n]
        lv = Level(n)
        reps = initial_replications
        while True:
            lv.values = runs(n, range(reps))
            lv.mean, lv.ci95, lv.decision = _decide(lv.values, target, confidence, tolerance)
            if lv.decision != "undecided":
                lv.stopped = ("indifference zone" if lv.decision == "edge"
                              else "CI clears the target")
                break
            if reps >= max_replications:
                lv.decision, lv.stopped = "edge", "replication cap"
                break
            reps = min(2 * reps, max_replications)
        levels[n] = lv
        return lv

    try:
        st.record_design("staff", scenario.name, content, [CADRES],
                         {"target": str(target), "confidence": confidence, "tolerance": tolerance,
                          "seed": seed, "min": min_cadres, "max": hi_cap},
                         manifest(scenario, content, None, {"bracket": bracket}, seed))
        star = _search(evaluate, min_cadres, hi_cap,
                       min(max(bracket["guess"], min_cadres), hi_cap))
        if star is not None and star > min_cadres:
            evaluate(star - 1)
    finally:
        if executor is None:
            ex.close()
        if own_store:
            st.close()
        if tmp is not None:
            tmp.cleanup()
    ordered = sorted(levels.values(), key=lambda lv: lv.cadres)
    non_monotone = [(a.cadres, b.cadres) for i, a in enumerate(ordered) for b in ordered[i + 1:]
                    if a.decision == "pass" and b.decision == "fail"]
    return StaffResult(star, target, confidence, levels, bracket, non_monotone,
                       time.perf_counter() - t0, min_cadres, hi_cap)


def _search(evaluate, lo_cap: int, hi_cap: int, guess: int) -> int | None:
    """Smallest level in [lo_cap, hi_cap] that passes, assuming passing is monotone."""
    passes = evaluate(guess).decision == "pass"
    step = 1
    if passes:
        hi = guess
        lo = lo_cap - 1  # a virtual failing level below the range
        n = guess
        while n > lo_cap:
            n = max(lo_cap, hi - step)
            if evaluate(n).decision == "pass":
                hi = n
                step *= 2
            else:
                lo = n
                break
    else:
        lo, found = guess, None
        n = guess
        while n < hi_cap:
            n = min(hi_cap, lo + step)
            if evaluate(n).decision == "pass":
                found = n
                break
            lo = n
            step *= 2
        if found is None:
            return None
        hi = found
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if evaluate(mid).decision == "pass":
            hi = mid
        else:
            lo = mid
    return hi


def _nan(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _decide(values: list[float], target: Target, confidence: float,
            tolerance: float) -> tuple[float, tuple[float, float], str]:
    """Mean, CI and decision: pass, fail, edge (inside the indifference zone) or undecided."""
    from scipy.special import stdtrit

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return (float(v.mean()) if len(v) else math.nan), (math.nan, math.nan), "undecided"
    m = float(v.mean())
    half = float(stdtrit(len(v) - 1, 0.5 + confidence / 2) * v.std(ddof=1) / math.sqrt(len(v)))
    lo, hi = m - half, m + half
    good_side = lo >= target.value if target.op == ">=" else hi <= target.value
    bad_side = hi < target.value if target.op == ">=" else lo > target.value
    if good_side:
        decision = "pass"
    elif bad_side:
        decision = "fail"
    elif target.value - tolerance <= lo and hi <= target.value + tolerance:
        decision = "edge"
    else:
        decision = "undecided"
    return m, (lo, hi), decision
