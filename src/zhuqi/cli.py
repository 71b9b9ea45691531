"""The ``zhuqi`` command: check, generate, solve, simulate, compare, dashboard.

Exit codes: 0 success (a plan is written, also with partial coverage), 1 no plan could be
made, 2 invalid input. Errors print as one red line (or a bullet list naming file, line
and column); ``--debug`` shows the traceback and the solvers' progress log.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assign import (
    generate_scenario,
    write_json,
    write_pairs,
)
from assign.candidates import build_candidates
from assign.io.export import with_manifest

from .options import EXIT_INVALID as EXIT_INVALID  # shared by every command module
from .options import EXIT_NO_PLAN as EXIT_NO_PLAN
from .options import EXIT_OK as EXIT_OK
from .options import Debug as Debug
from .options import PathArg as PathArg
from .options import SetOpt as SetOpt
from .options import _load as _load
from .options import app as app
from .options import busy as busy
from .options import err as err
from .options import out as out
from .options import print_json_out as print_json_out
from .options import run_guarded as run_guarded
from .runinfo import run_manifest


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        print(f"zhuqi {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print zhuqi's version and exit.",
    )] = False,
) -> None:
    pass

@app.command()
def check(
    path: PathArg,
    set_: SetOpt = None,
    manifest: Annotated[Path | None, typer.Option(
        help="A manifest (or JSON output): say whether its inputs still match PATH's files.")
    ] = None,
    debug: Debug = False,
) -> None:
    """Validate a scenario and report its size; with --manifest, compare inputs.

    Example: zhuqi check scenarios/yifeng-2020 --manifest out/pairs.csv.manifest.json
    """

    def body() -> int:
        if manifest is not None:
            from .cli_insight import check_inputs

            return check_inputs(manifest, path)
        scenario = _load(path, set_)
        _check_simulation(scenario)
        from assign.solvers.teams import link_candidates  # in teams mode links need no skills

        teams = scenario.config.assignment.mode == "teams"
        cand = link_candidates(scenario) if teams else build_candidates(scenario)
        table = Table(title=f"scenario {scenario.name}", show_header=False)
        table.add_row("cadres", str(len(scenario.cadres)))
        table.add_row("firms", str(len(scenario.firms)))
        table.add_row("admissible pairs", str(len(cand)))
        no_pair = int((cand.reason != "").sum())
        table.add_row("firms with no admissible cadre", str(no_pair))
        if teams:
            from .cli_teams import team_check_rows

            for row in team_check_rows(scenario):
                table.add_row(*row)
        for label, rows in rule_rows(scenario):
            table.add_row(label, rows)
        from assign.problem import RULES, compile_problem

        problem = compile_problem(scenario)
        table.add_row("rules used", ", ".join(RULES[r] for r in sorted(problem.uses)) or "none")
        table.add_row("backends able", ", ".join(problem.backends()) or "none")
        table.add_row("fingerprint", problem.fingerprint[:16])
        out.print(table)
        from assign.conflicts import pin_conflicts
        from assign.pins import pinned_candidates

        for c in pin_conflicts(scenario, pinned_candidates(scenario), scenario.previous):
            err.print(f"[yellow]warning:[/yellow] the rules conflict: {c}", highlight=False)
        out.print("[green]ok[/green]: the scenario is valid")
        return EXIT_OK

    run_guarded(debug, body)


def rule_rows(scenario: Any) -> list[tuple[str, str]]:
    """The planning rules a scenario uses, as (label, value) rows for ``check``."""
    cfg = scenario.config.assignment
    rows = []
    for label, df in (("pinned pairs", scenario.pinned), ("forbidden pairs", scenario.forbidden),
                      ("previous pairs", scenario.previous)):
        if df is not None:
            rows.append((label, str(len(df))))
    if cfg.conflicts:
        rows.append(("conflict rules", ", ".join(f"{r.cadre} = {r.firm}" for r in cfg.conflicts)))
    for key in ("max_cadres", "max_changes", "change_cost"):
        if getattr(cfg, key) is not None:
            rows.append((key, str(getattr(cfg, key))))
    if cfg.balance != "none":
        rows.append(("balance", cfg.balance))
    return rows


def _check_simulation(scenario: Any) -> None:
    try:
        from sim.config import simulation_config
    except ImportError:  # pragma: no cover - sim is part of the distribution
        return
    simulation_config(scenario)


@app.command()
def generate(
    folder: Annotated[Path, typer.Argument(help="Folder to write the scenario into.")],
    cadres: Annotated[int, typer.Option(min=1, help="Number of cadres.")] = 100,
    firms: Annotated[int, typer.Option(min=1, help="Number of firms.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    region: Annotated[str, typer.Option(help="liaoning | quanzhou | yifeng | zhangye")] = "liaoning",
    spread_km: Annotated[float, typer.Option(help="Spread around each city, km.")] = 15.0,
    mode: Annotated[str, typer.Option(help="one_to_one | one_to_many")] = "one_to_many",
    max_firms: Annotated[int | None, typer.Option(help="Firms per cadre at most.")] = None,
    max_distance_km: Annotated[float | None, typer.Option(help="Longest pair, km.")] = None,
    require_skills: Annotated[str, typer.Option(help="none | primary | all")] = "none",
    debug: Debug = False,
) -> None:
    """Write a synthetic scenario of any size, from a seed.

    Example: zhuqi generate out/liaoning-10pct --cadres 2600 --firms 255000 --max-firms 100
    --max-distance-km 10
    """

    def body() -> int:
        from assign import REGIONS
        from assign.config import AssignmentConfig

        if region not in REGIONS:
            raise ValueError(f"unknown region '{region}'; choose one of {', '.join(REGIONS)}")
        assignment: dict[str, Any] = {"mode": mode, "require_skills": require_skills}
        if max_firms is not None:
            assignment["max_firms_per_cadre"] = max_firms
        if max_distance_km is not None:
            assignment["max_distance_km"] = max_distance_km
        AssignmentConfig.model_validate(assignment)
        with busy(f"generating {cadres} cadres and {firms} firms"):
            path = generate_scenario(folder, cadres, firms, seed, region, spread_km, **assignment)
        err.print(f"wrote [bold]{path}[/bold]")
        return EXIT_OK

    run_guarded(debug, body)


@app.command("solve")
def solve_cmd(
    paths: Annotated[list[Path], typer.Argument(
        help="Scenario folder or its scenario.yaml; several (or a glob, or a folder of scenario "
        "folders) with --out-dir.", metavar="PATH...")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Pairing list: .csv, .json or .xlsx.")
    ] = None,
    summary: Annotated[Path | None, typer.Option(help="Summary JSON file.")] = None,
    map_file: Annotated[Path | None, typer.Option("--map", help="HTML map of the pairs.")] = None,
    tiles: Annotated[str, typer.Option(
        help="Map background: osm | amap | none | a tile URL template with {z}, {x}, {y} (an "
        "intranet server; add #gcj02 or #wgs84 for its coordinates, else guessed from the "
        "URL). Without tiles the road graph or the points' extent is drawn.")] = "osm",
    set_: SetOpt = None,
    backend: Annotated[str | None, typer.Option(
        help="auto | flow | cpsat | priced (the province path); one that cannot honour a rule "
        "the scenario uses is refused")] = None,
    time_limit: Annotated[float | None, typer.Option(
        help="Solver time limit, seconds of CP-SAT's deterministic time (the same plan on "
        "any machine and load; wall time may differ).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of CP-SAT and the searches (recorded in the "
                                           "manifest; the same seed gives the same plan).")] = 0,
    lang: Annotated[str | None, typer.Option(
        help="Column headers: en | zh (default: zh for .xlsx, en otherwise).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    previous: Annotated[Path | None, typer.Option(
        help="Last round's pairing list (.csv/.xlsx): change as few firms as possible.")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Batch: each scenario to DIR/NAME/.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Batch: scenarios at once. One scenario: local processes for its "
        "independent parts (groups of cadres and firms with no pair between them).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Batch: Dask scheduler address (tcp://HOST:8786); each scenario one task. One "
        "scenario without --out-dir: its independent parts on the cluster.")] = None,
    debug: Debug = False,
) -> None:
    """Pair cadres with firms: cover as many firms as possible, then least distance or cost.

    Exit code 1 (status infeasible) when the planning rules conflict; the conflicting
    rules are printed and recorded in the summary under "conflicts".

    Example: zhuqi solve scenarios/quanzhou-2020 --out pairs.csv --summary summary.json
    Batch: zhuqi solve scenarios/* --out-dir out/batch --workers 2 (or --scheduler ADDRESS)
    """
    if out_dir is not None or len(paths) > 1:
        from .cli_experiments import solve_batch_cmd

        return solve_batch_cmd(paths, out_dir, set_, backend, time_limit, lang or "en", json_,
                               workers, debug, scheduler)
    path = paths[0]

    def body() -> int:
        from assign import solve

        if lang not in (None, "en", "zh"):
            raise ValueError(f"--lang must be en or zh, not '{lang}'")
        if backend not in (None, "auto", "flow", "cpsat", "priced"):
            raise ValueError(f"--backend must be auto, flow, cpsat or priced, not '{backend}'")
        for target, kinds in ((out_file, (".csv", ".json", ".xlsx")), (map_file, (".html",))):
            if target is not None and target.suffix.lower() not in kinds:
                raise ValueError(f"{target}: use one of {', '.join(kinds)}")
        if map_file is not None:
            from assign.io.maps import tile_source

            tile_source(tiles)  # a bad --tiles is an input error before the solve
        started = time.time()
        if workers is not None and scheduler is not None:
            raise ValueError("give --workers or --scheduler, not both")
        scenario = _load(path, set_)
        t0 = time.perf_counter()
        with ExitStack() as stack, busy(f"solving {scenario.name}"):
            executor = None
            if scheduler is not None or (workers or 1) > 1:
                from sim.executors import make_executor

                executor = stack.enter_context(make_executor(workers, scheduler))
            pairing = solve(scenario, backend=backend, time_limit=time_limit,  # type: ignore[arg-type]
                            seed=seed, previous=previous, executor=executor)
        written = []
        man = run_manifest(scenario, {"previous": previous}, seed=seed, started=started)
        if pairing.is_feasible():
            if out_file is not None:
                written.append(write_pairs(pairing, out_file, lang, man))
            if map_file is not None:
                from assign.io.maps import write_map

                written.append(with_manifest(write_map(pairing, scenario, map_file, tiles,
                                                       lang or "en"), man))
        else:  # no plan: an earlier run's list or map must not stay beside this summary
            from assign.io.manifest import manifest_path

            for target in (t for t in (out_file, map_file) if t is not None):
                for f in (target, manifest_path(target)):
                    if f.is_file():
                        f.unlink()
                        err.print(f"removed [bold]{f}[/bold] (an earlier run's; no plan now)")
        if summary is not None:
            written.append(write_json(summary, pairing.summary(), man))
        if json_:
            import json

            out.print_json(json.dumps(pairing.summary(), ensure_ascii=False, default=str))
        else:
            _print_pairing(pairing, time.perf_counter() - t0)
        for w in written:
            err.print(f"wrote [bold]{w}[/bold]")
        return EXIT_OK if pairing.is_feasible() else EXIT_NO_PLAN

    run_guarded(debug, body)


def _print_pairing(pairing: Any, seconds: float) -> None:
    colour = {"optimal": "green", "feasible": "yellow"}.get(pairing.status, "red")
    t = Table(title="pairing", show_header=False)
    t.add_row("status", f"[{colour}]{pairing.status}[/{colour}]")
    t.add_row("backend", pairing.backend)
    t.add_row("firms covered", f"{pairing.assigned} of {pairing.assigned + len(pairing.uncovered)}")
    t.add_row("objective", f"{pairing.objective:,.3f}")
    t.add_row("bound", f"{pairing.bound:,.3f}")
    busy_cadres = int((pairing.cadre_loads["firms"] > 0).sum())
    t.add_row("cadres used", f"{busy_cadres} of {len(pairing.cadre_loads)}")
    if pairing.assigned:
        fair = pairing.fairness()
        t.add_row("firms per cadre", f"{fair['firms_min']}-{fair['firms_max']} "
                  f"(mean {fair['firms_mean']:.2f})")
        t.add_row("largest load", f"{fair['load_max']:.1f} h a week "
                  f"(Gini {fair['load_gini']:.3f})")
        t.add_row("largest km of a cadre", f"{fair['km_max']:.1f}")
    if pairing.changes is not None:
        t.add_row("changes", ", ".join(f"{k} {v}" for k, v in pairing.changes.items()))
    t.add_row("seconds", f"{seconds:.2f}")
    out.print(t)
    for text in pairing.conflicts:
        err.print(f"[bold red]conflict:[/bold red] {text}", highlight=False)
    if pairing.teams is not None and pairing.is_feasible():
        from .cli_teams import print_teams

        print_teams(out, pairing.teams)
    if len(pairing.uncovered) and not pairing.conflicts:
        counts = pairing.uncovered["reason"].value_counts()
        u = Table(title="uncovered firms")
        u.add_column("reason")
        u.add_column("firms", justify="right")
        for reason, n in counts.items():
            u.add_row(str(reason), str(n))
        out.print(u)


# the simulation commands register themselves on `app`
from . import cli_app as _cli_app  # noqa: E402,F401
from . import cli_experiments as _cli_experiments  # noqa: E402,F401
from . import cli_insight as _cli_insight  # noqa: E402,F401
from . import cli_sim as _cli_sim  # noqa: E402,F401
from . import cli_template as _cli_template  # noqa: E402,F401


def main() -> None:
    """Console-script entry point.

    A command that has finished leaves through :func:`exit_now`: its output is written
    and closed by then, and tearing down the interpreter (freeing every module and every
    object of a large run) took 0.4-0.7 s of CPU after the work was done. The cyclic
    garbage collector runs less often than by default (a command builds tables and models
    of hundreds of thousands of objects, few of them in cycles): at Liaoning's scale the
    default thresholds ran 383 collections, 0.4 s.
    """
    import gc

    gc.set_threshold(50_000, 20, 100)
    try:
        app(prog_name="zhuqi")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            exit_now(exc.code or 0)
        raise


def exit_now(code: int) -> None:
    """Exit with ``code`` as an interpreter shutdown would, without its teardown.

    Output streams are flushed and the ``atexit`` handlers run (logging's, weakref
    finalizers', coverage's); then ``os._exit``. Only when this is the one thread left
    and nothing traces or profiles the process: otherwise (a server, a pool not shut down,
    ``python -m cProfile`` writing its statistics after the command) the ordinary exit.
    """
    import atexit
    import os
    import sys
    import threading

    monitoring = getattr(sys, "monitoring", None)
    watched = sys.gettrace() is not None or sys.getprofile() is not None or (
        monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6)))
    if threading.active_count() > 1 or watched:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a broken pipe: as the normal exit
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
