"""One browser session's work: its folder, rosters, settings, plans, pins and versions.

Everything here is a call to the library the CLI uses (``assign.load_scenario``,
``assign.solve``, ``assign.explain``, ``assign.diff_pairings``, ``assign.write_pairs``,
``sim.simulate_scenario``, ``sim.compare_staffing``, ``sim.find_staffing``); the session
only keeps the files it is given inside its own folder and remembers what was accepted.

The session's scenario is a ``scenario.yaml`` written into the session folder: the
opened scenario's keys with its file paths made absolute, the uploaded rosters in
place of its tables, and the planner's pins and forbidden pairs (added to the
scenario's own) as CSV files beside it. Loading that folder validates everything the
way ``zhuqi check`` does, so problems come back with file, sheet, row and column.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from assign import (
    Pairing,
    Problem,
    Scenario,
    ScenarioError,
    build_manifest,
    diff_pairings,
    explain,
    load_scenario,
    solve,
    write_pairs,
)
from assign.io.manifest import scenario_inputs

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""Largest roster accepted from the page (a county's roster is a few hundred kB)."""

ROSTER_SUFFIXES = (".xlsx", ".csv")
KINDS = ("cadres", "firms")
SETTING_KEYS = ("mode", "max_firms_per_cadre", "max_distance_km", "max_travel_min", "objective",
                "require_skills", "balance", "max_cadres")
"""The assignment settings the page offers (keys of the ``assignment`` section)."""


class Cancelled(Exception):
    """The planner stopped a long run."""


@dataclass(frozen=True)
class Version:
    """A plan the planner accepted, with what produced it."""

    number: int
    pairing: Pairing
    manifest: dict[str, Any]
    settings: dict[str, Any]
    pins: tuple[tuple[str, str], ...]
    forbids: tuple[tuple[str, str], ...]
    note: str


@dataclass(frozen=True)
class Proposal:
    """A re-solved plan shown against the plan on screen before it is accepted."""

    pairing: Pairing
    diff: pd.DataFrame
    counts: dict[str, int]


@dataclass
class Workspace:
    """One session's state. ``folder`` is the only place it writes."""

    folder: Path
    base: Path | None = None
    uploads: dict[str, Path] = field(default_factory=dict)
    upload_names: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    pins: list[tuple[str, str]] = field(default_factory=list)
    forbids: list[tuple[str, str]] = field(default_factory=list)
    scenario: Scenario | None = None
    problems: list[Problem] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    current: int | None = None
    proposal: Proposal | None = None

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    # -- rosters and settings ------------------------------------------------------------

    def open(self, path: str | Path) -> None:
        """Open a scenario folder (or its yaml): its tables, rules and settings."""
        p = Path(path)
        self.base = (p if p.is_dir() else p.parent).resolve()
        self.uploads.clear()
        self.upload_names.clear()
        self.settings.clear()
        self.reset_plans()
        self.reload()

    @property
    def ready(self) -> bool:
        """A scenario is open, or both rosters have been uploaded."""
        return self.base is not None or all(k in self.uploads for k in KINDS)

    def upload(self, kind: str, name: str, data: bytes) -> list[Problem]:
        """Take an uploaded roster (``kind`` cadres or firms) in place of the scenario's.

        The file is checked for size and type before it is written, and written only
        inside the session folder; then the scenario is reloaded and validated.

        Returns:
            The problems found (also kept in :attr:`problems`); empty when all is well.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        shown = safe_name(name)
        problem = check_upload(shown, data)
        if problem is not None:
            self.problems = [problem]
            return self.problems
        target = self.folder / "uploads" / kind / shown
        if target.parent.exists():
            for old in target.parent.iterdir():
                old.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.uploads[kind] = target
        self.upload_names[kind] = shown
        self.reset_plans()
        self.reload()
        return self.problems

    def set_setting(self, key: str, value: Any) -> None:
        """Change one assignment setting (None: the scenario's own value)."""
        if key not in SETTING_KEYS:
            raise ValueError(f"unknown setting {key!r}")
        if value is None or value == "":
            self.settings.pop(key, None)
        else:
            self.settings[key] = value
        self.reload()

    def setting(self, key: str) -> Any:
        """The value in force for an assignment setting."""
        if key in self.settings:
            return self.settings[key]
        if self.scenario is not None:
            return getattr(self.scenario.config.assignment, key)
        return None

    def reload(self) -> None:
        """Write the session's scenario.yaml and load it; problems land in :attr:`problems`."""
        self.scenario = None
        self.problems = []
        if not self.ready:
            return
        try:
            scenario = self._load(with_page_rules=False)
            if self.pins or self.forbids:
                self._write_rules(scenario)
                scenario = self._load(with_page_rules=True)
        except ScenarioError as exc:
            self.problems = list(exc.problems)
            return
        except (ValueError, FileNotFoundError) as exc:
            self.problems = [Problem("scenario.yaml", str(exc))]
            return
        self.scenario = scenario

    def _load(self, with_page_rules: bool) -> Scenario:
        data = self._yaml(with_page_rules)
        path = self.folder / "scenario" / "scenario.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        overrides = {f"assignment.{k}": v for k, v in self.settings.items()}
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_scenario(path, overrides)

    def _yaml(self, with_page_rules: bool) -> dict[str, Any]:
        if self.base is not None:
            from assign.io.scenario import resolve_yaml

            ypath = resolve_yaml(self.base)
            data = yaml.safe_load(ypath.read_text(encoding="utf-8")) or {}
        else:
            from assign.io.template import YAML_ZH  # the blank template's settings

            data = yaml.safe_load(YAML_ZH.format(folder=".", name="上传的名单"))
        base = self.base or self.folder
        data.setdefault("assignment", {})
        data["assignment"] = dict(data["assignment"] or {})

        def absolute(rel: str | None) -> str | None:
            return None if not rel else str((base / rel).resolve())

        for key in ("cadres", "firms", "pairs"):
            if data.get(key):
                data[key] = absolute(data[key])
        if isinstance(data.get("roads"), dict) and data["roads"].get("path"):
            data["roads"] = {**data["roads"], "path": absolute(data["roads"]["path"])}
        elif isinstance(data.get("roads"), str):
            data["roads"] = absolute(data["roads"])
        for key in ("pinned", "forbidden", "previous"):
            if data["assignment"].get(key):
                data["assignment"][key] = absolute(data["assignment"][key])
        for kind in KINDS:
            if kind in self.uploads:
                data[kind] = str(self.uploads[kind])
                data.pop(f"{kind}_sheet", None)
        if with_page_rules:
            for key, name in (("pinned", "pinned.csv"), ("forbidden", "forbidden.csv")):
                if (self.folder / "scenario" / name).is_file():
                    data["assignment"][key] = str(self.folder / "scenario" / name)
        return data

    def _write_rules(self, scenario: Scenario) -> None:
        """The scenario's pins and forbidden pairs plus the page's, as CSV files."""
        for df, extra, name in ((scenario.pinned, self.pins, "pinned.csv"),
                                (scenario.forbidden, self.forbids, "forbidden.csv")):
            path = self.folder / "scenario" / name
            rows = [] if df is None else [(str(c), str(f)) for c, f in
                                           zip(df["cadre_id"], df["firm_id"], strict=True)]
            if name == "pinned.csv":  # a firm pinned on the page leaves its file pin
                firms = {f for _, f in extra}
                rows = [r for r in rows if r[1] not in firms]
            rows += [r for r in extra if r not in rows]
            if rows:
                pd.DataFrame(rows, columns=["cadre_id", "firm_id"]).to_csv(
                    path, index=False, encoding="utf-8-sig")
            elif path.exists():
                path.unlink()

    # -- plans ---------------------------------------------------------------------------

    @property
    def plan(self) -> Pairing | None:
        """The plan on screen (the current accepted version)."""
        return None if self.current is None else self.versions[self.current].pairing

    def reset_plans(self) -> None:
        self.versions.clear()
        self.current = None
        self.proposal = None
        self.pins.clear()
        self.forbids.clear()
        for name in ("pinned.csv", "forbidden.csv"):
            (self.folder / "scenario" / name).unlink(missing_ok=True)

    def solve(self) -> Pairing:
        """Solve from scratch (as ``zhuqi solve``) and keep the plan as a new version."""
        scenario = self._need_scenario()
        started = time.time()
        pairing = solve(scenario)
        self._keep(pairing, "求解", started)
        return pairing

    def pin(self, cadre_id: str, firm_id: str) -> None:
        """Keep this pair in every plan from now on (the firm's other pins are dropped)."""
        self.pins = [p for p in self.pins if p[1] != firm_id] + [(cadre_id, firm_id)]
        self.forbids = [p for p in self.forbids if p != (cadre_id, firm_id)]
        self.reload()

    def forbid(self, cadre_id: str, firm_id: str) -> None:
        """Never pair this cadre with this firm."""
        self.forbids = [p for p in self.forbids if p != (cadre_id, firm_id)] + [(cadre_id, firm_id)]
        self.pins = [p for p in self.pins if p != (cadre_id, firm_id)]
        self.reload()

    def unpin(self, cadre_id: str, firm_id: str) -> None:
        """Drop a pin or a forbidden pair set on the page."""
        self.pins = [p for p in self.pins if p != (cadre_id, firm_id)]
        self.forbids = [p for p in self.forbids if p != (cadre_id, firm_id)]
        self.reload()

    def propose(self) -> Proposal:
        """Re-solve with the pins and forbidden pairs, changing as few firms as possible
        against the plan on screen; the result waits for :meth:`accept`."""
        scenario = self._need_scenario()
        plan = self.plan
        if plan is None:
            raise ValueError("solve first: there is no plan to adjust")
        previous = plan.pairs[["cadre_id", "firm_id"]].astype(str)
        new = solve(scenario, previous=previous)
        diff = diff_pairings(plan, new) if new.is_feasible() else diff_pairings(plan, plan).iloc[:0]
        counts = {s: int((diff["status"] == s).sum()) for s in ("kept", "moved", "added", "removed")}
        self.proposal = Proposal(new, diff, counts)
        return self.proposal

    def accept(self) -> Version:
        """Keep the proposal as a new version."""
        if self.proposal is None:
            raise ValueError("nothing to accept")
        version = self._keep(self.proposal.pairing, "调整后重新求解", time.time())
        self.proposal = None
        return version

    def discard(self) -> None:
        self.proposal = None

    def restore(self, number: int) -> None:
        """Go back to an accepted version: its plan, settings, pins and forbidden pairs."""
        k = next(i for i, v in enumerate(self.versions) if v.number == number)
        v = self.versions[k]
        self.settings = dict(v.settings)
        self.pins, self.forbids = list(v.pins), list(v.forbids)
        self.reload()
        self.current = k
        self.proposal = None

    def _keep(self, pairing: Pairing, note: str, started: float) -> Version:
        scenario = self._need_scenario()
        number = len(self.versions) + 1
        manifest = build_manifest(
            scenario_inputs(scenario), command=f"zhuqi app: {note} (version {number})",
            overrides=scenario.overrides, seed=0, started=started,
            seconds=time.time() - started)
        version = Version(number, pairing, manifest, dict(self.settings), tuple(self.pins),
                          tuple(self.forbids), note)
        self.versions.append(version)
        self.current = len(self.versions) - 1
        return version

    def _need_scenario(self) -> Scenario:
        if self.scenario is None:
            raise ValueError("the rosters have problems or are missing: fix them first")
        return self.scenario

    # -- why -----------------------------------------------------------------------------

    def why(self, firm_id: str, top: int = 3):
        """The explanation of one firm in the plan on screen (as ``zhuqi explain --firm``)."""
        scenario = self._need_scenario()
        if self.plan is None:
            raise ValueError("solve first")
        return explain(scenario, self.plan, firms=[firm_id], top=top)

    # -- files out -----------------------------------------------------------------------

    def export_xlsx(self) -> bytes:
        """The print-ready pairing list (the workbook ``zhuqi solve --out x.xlsx`` writes)."""
        v = self._version()
        path = self.folder / "exports" / f"配对名单-第{v.number}版.xlsx"
        return write_pairs(v.pairing, path, "zh", v.manifest).read_bytes()

    def export_map(self) -> bytes:
        """The plan's map as one HTML file (``zhuqi solve --map``)."""
        from assign.io.maps import write_map

        v = self._version()
        path = self.folder / "exports" / f"配对地图-第{v.number}版.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_map(v.pairing, self._need_scenario(), path).read_bytes()

    def export_explanation(self) -> bytes:
        """Why every pair (``zhuqi explain --out x.xlsx --lang zh``)."""
        from assign.insight.explain import write_explanation

        v = self._version()
        ex = explain(self._need_scenario(), v.pairing)
        path = self.folder / "exports" / f"配对说明-第{v.number}版.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        return Path(write_explanation(ex, path, "zh", v.manifest)).read_bytes()

    def export_manifest(self, number: int | None = None) -> bytes:
        """A version's manifest (inputs' SHA-256, versions, settings, time) as JSON."""
        import json

        v = self._version() if number is None else next(
            x for x in self.versions if x.number == number)
        data = {**v.manifest, "version": v.number, "note": v.note, "settings": v.settings,
                "pinned": [list(p) for p in v.pins], "forbidden": [list(p) for p in v.forbids]}
        return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")

    def _version(self) -> Version:
        if self.current is None:
            raise ValueError("solve first")
        return self.versions[self.current]

    # -- how many we need ----------------------------------------------------------------

    def simulate(self, replications: int = 10, seed: int = 0,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None):
        """Simulate the plan on screen (``zhuqi simulate``), one process."""
        from sim import simulate_scenario

        return simulate_scenario(self._need_scenario(), self.plan, replications=replications,
                                 seed=seed, progress=_progress(progress, cancelled))

    def compare(self, levels: list[int], replications: int = 10, seed: int = 0,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None):
        """Staffing levels side by side (``zhuqi compare``)."""
        from sim import compare_staffing

        return compare_staffing(self._need_scenario(), levels, replications=replications, seed=seed,
                                progress=_progress(progress, cancelled))

    def staff(self, target: str, seed: int = 0,
              progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None):
        """The least staffing meeting ``target`` (``zhuqi staff``)."""
        from sim.staff import find_staffing

        return find_staffing(self._need_scenario(), target, seed=seed, workers=1,
                             store=self.folder / "staff.sqlite",
                             progress=_progress(progress, cancelled))


def _progress(report: Callable[[int, int], None] | None,
              cancelled: Callable[[], bool] | None) -> Callable[[int, int], None]:
    def step(done: int, total: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()
        if report is not None:
            report(done, total)
    return step


_UNSAFE = re.compile(r"[^\w.\-() \u4e00-\u9fff]")


def safe_name(name: str) -> str:
    """A file name from the browser, reduced to its last part and safe characters."""
    base = Path(str(name).replace("\\", "/")).name.strip() or "roster"
    base = _UNSAFE.sub("_", base).lstrip(".") or "roster"
    stem, suffix = Path(base).stem[:80], Path(base).suffix.lower()
    return stem + suffix


def check_upload(name: str, data: bytes) -> Problem | None:
    """Whether an uploaded roster may be read: type by suffix and content, and size."""
    suffix = Path(name).suffix.lower()
    if suffix not in ROSTER_SUFFIXES:
        return Problem(name, f"upload_type:{suffix or '?'}")
    if len(data) > MAX_UPLOAD_BYTES:
        return Problem(name, f"upload_size:{len(data)}")
    if not data:
        return Problem(name, "the file is empty")
    if suffix == ".xlsx" and not data.startswith(b"PK\x03\x04"):
        return Problem(name, "upload_not_xlsx")
    if suffix == ".csv" and b"\x00" in data[:4096]:
        return Problem(name, "upload_not_csv")
    return None


def template_zip(lang: str = "zh") -> bytes:
    """The blank scenario of ``zhuqi template`` (yaml and two headed workbooks) as a zip."""
    import tempfile

    from assign.io.template import write_template

    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="zhuqi-template-") as tmp:
        paths = write_template(Path(tmp) / "template", lang)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in paths:
                zf.write(p, p.name)
    return buf.getvalue()
