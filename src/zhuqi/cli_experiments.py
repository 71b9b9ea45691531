"""Experiment commands of ``zhuqi``: sweep, report, staff, and batch solves."""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from assign.io.export import with_manifest

from .options import (
    EXIT_INVALID,
    EXIT_NO_PLAN,
    EXIT_OK,
    Debug,
    PathArg,
    SetOpt,
    _load,
    app,
    err,
    out,
    print_json_out,
    run_guarded,
)
from .runinfo import run_manifest

Workers = Annotated[
    int | None, typer.Option(min=1, help="Local processes (default: one per core; 1 = in this "
                             "process).")
]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address (tcp://HOST:8786), to run on a cluster.")
]


@contextlib.contextmanager
def eta_bar(label: str) -> Iterator[Any]:
    """A Rich progress bar with elapsed time and ETA on stderr; yields (done, total) -> None."""
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _where(workers: int | None, scheduler: str | None) -> None:
    if workers is not None and scheduler is not None:
        raise ValueError("give --workers or --scheduler, not both")


@app.command()
def sweep(
    path: PathArg,
    design: Annotated[Path, typer.Option(help="Design YAML: factors or sample, replications, "
                                         "seed.")],
    store: Annotated[Path, typer.Option(help="Results store (SQLite); rerun to resume.")],
    workers: Workers = None,
    scheduler: Scheduler = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed",
                                               help="Run again the runs stored as failed.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """Run every design point x replication into a SQLite store; rerunning resumes.

    Example: zhuqi sweep scenarios/zhangye-2022 --design design.yaml --store results.sqlite
    """

    def body() -> int:
        from sim.design import load_design
        from sim.sweep import run_sweep

        _where(workers, scheduler)
        d = load_design(design)
        scenario = _load(path, set_)
        with eta_bar(f"sweeping {scenario.name}") as update:
            result = run_sweep(scenario, d, store, workers=workers, scheduler=scheduler,
                               retry_failed=retry_failed, progress=update)
        if json_:
            out.print_json(json.dumps(result.to_json(), ensure_ascii=False, default=str))
        else:
            t = Table(title=f"sweep of {scenario.name} ({result.executor})", show_header=False)
            t.add_row("runs in the design", str(result.total))
            t.add_row("already stored", str(result.skipped))
            t.add_row("run now", str(result.ran))
            t.add_row("ok", f"[green]{result.ok}[/green]")
            t.add_row("failed", f"[red]{result.failed}[/red]" if result.failed else "0")
            t.add_row("seconds", f"{result.seconds:.1f}")
            t.add_row("store", result.store)
            out.print(t)
        for point, rep, error in result.errors[:5]:
            err.print(f"[red]failed[/red] {json.dumps(point, ensure_ascii=False)} replication "
                      f"{rep}: {error}", highlight=False)
        if result.failed:
            err.print(f"[bold red]{result.failed} of {result.total} runs failed[/bold red] "
                      "(rerun with --retry-failed to try them again)")
            return EXIT_NO_PLAN
        return EXIT_OK

    run_guarded(debug, body)


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [x.strip() for x in text.split(",") if x.strip()]


def _cell(mean: float, lo: float, hi: float) -> str:
    from sim.metrics import format_ci

    if not math.isfinite(mean):
        return "-"
    return f"{mean:.4g} {format_ci(lo, hi)}"


def _print_versions(attrs: dict) -> None:
    """Say how many scenario fingerprints and model versions a store holds, and which is shown."""
    n_fp, n_mv = attrs.get("fingerprints", 0), attrs.get("model_versions", 0)
    versions, shown = attrs.get("versions", []), attrs.get("shown")
    line = (f"the store holds {n_fp} scenario fingerprint{'s' * (n_fp != 1)} and {n_mv} model "
            f"version{'s' * (n_mv != 1)}")
    if shown is not None:
        line += f"; showing {shown[0][:12]} ({shown[1]})"
    err.print(line)
    if len(versions) > 1:
        for v in versions:
            mark = "*" if shown is not None and (v["fingerprint"], v["model_version"]) == shown \
                else " "
            err.print(f" {mark} {v['fingerprint'][:12]}  {v['model_version']}  {v['runs']} ok, "
                      f"{v['failed']} failed, last {v['last']}")
        if shown is not None:
            err.print("[yellow]note:[/yellow] runs of other versions are left out: --all shows "
                      "each version in its own rows, --fingerprint PREFIX picks one")


@app.command()
def report(
    store: Annotated[Path, typer.Argument(help="Results store written by zhuqi sweep or staff.")],
    by: Annotated[str | None, typer.Option(help="Factors to group by, e.g. cadres,"
                                           "simulation.collection (default: all).")] = None,
    metric: Annotated[str | None, typer.Option(help="Metrics to show, comma-separated (default: "
                                               "all; the first is plotted).")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Summary table: .csv or .xlsx.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Chart (PNG) of the metric against a factor, "
                                              "with 95% CI bands.")] = None,
    x: Annotated[str | None, typer.Option(help="Factor on the chart's x axis (default: the first "
                                          "of --by).")] = None,
    latest: Annotated[bool, typer.Option("--latest/--all", help="Runs of the scenario and model "
                                         "version the store last wrote (default), or of every "
                                         "version, each in its own rows.")] = True,
    fingerprint: Annotated[str | None, typer.Option(help="Runs of the scenario whose fingerprint "
                                                    "begins with this (see the versions "
                                                    "listed).")] = None,
    debug: Debug = False,
) -> None:
    """Mean and 95% CI of every metric per design point (or per --by group), from a store.

    Runs of different scenario fingerprints or model versions are never pooled.

    Example: zhuqi report results.sqlite --by cadres --plot wait.png --metric mean_wait_days
    """

    def body() -> int:
        from sim.report import plot_summary, summarize, write_summary

        if out_file is not None and out_file.suffix.lower() not in (".csv", ".xlsx"):
            raise ValueError(f"{out_file}: the summary must be .csv or .xlsx")
        if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise ValueError(f"{plot}: the chart must be .png, .svg or .pdf")
        started = time.time()
        which = fingerprint if fingerprint is not None else "latest" if latest else "all"
        table = summarize(store, _split(by), _split(metric), which)
        factors = list(table.columns[: list(table.columns).index("runs")])
        metrics = [c for c in table.columns[len(factors) + 1:]
                   if not c.endswith(("_lo", "_hi"))]
        shown = metrics if metric else metrics[:4]
        _print_versions(table.attrs)
        t = Table(title=f"{store.name}: mean [95% CI] over ok runs")
        for col in [*factors, "runs", *shown]:
            t.add_column(col, justify="right")
        for _, row in table.iterrows():
            cells = [str(row[f])[:12] if f == "fingerprint" else str(row[f]) for f in factors]
            t.add_row(*cells, str(row["runs"]),
                      *[_cell(row[m], row[f"{m}_lo"], row[f"{m}_hi"]) for m in shown])
        out.print(t)
        if len(shown) < len(metrics):
            err.print(f"[dim]{len(metrics) - len(shown)} more metrics: pick with --metric, all "
                      "in --out[/dim]")
        if table.attrs.get("failed"):
            err.print(f"[yellow]warning:[/yellow] {table.attrs['failed']} failed runs are left out")
        man = run_manifest(None, {"store": store}, started=started)
        if out_file is not None:
            err.print(f"wrote [bold]{with_manifest(write_summary(table, out_file), man)}[/bold]")
        if plot is not None:
            axis = x or (factors[0] if factors else None)
            if axis is None:
                raise ValueError("--plot needs a factor for the x axis (--by or --x)")
            if axis not in factors:
                raise ValueError(f"--x: '{axis}' is not one of the grouping factors "
                                 f"({', '.join(factors)})")
            drawn = with_manifest(plot_summary(table, shown[0], axis, plot), man)
            err.print(f"wrote [bold]{drawn}[/bold]")
        return EXIT_OK

    run_guarded(debug, body)


@app.command()
def staff(
    path: PathArg,
    target: Annotated[str, typer.Option(help="Service target, e.g. 'mean_wait_days <= 0.5' or "
                                        "'closed_within_30d >= 0.9'.")],
    confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    min_: Annotated[int, typer.Option("--min", min=1, help="Fewest cadres to consider.")] = 1,
    max_: Annotated[int | None, typer.Option("--max", min=1, help="Most cadres to consider "
                                             "(default: the roster).")] = None,
    tolerance: Annotated[float, typer.Option(help="Indifference zone: a level whose CI lies "
                                             "within target +/- this is on the edge.")] = 0.01,
    max_replications: Annotated[int, typer.Option(min=2, help="Replications at most per "
                                                  "level.")] = 80,
    seed: Annotated[int, typer.Option(help="Master seed (common to all levels).")] = 0,
    pick: Annotated[str, typer.Option(help="A level's cadres: best (an optimal plan under the "
                                      "cadre budget picks them) or first (roster order).")] = "best",
    store: Annotated[Path | None, typer.Option(help="Results store: runs are kept and "
                                               "reused.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="The answer as a JSON file.")] = None,
    json_: Annotated[bool, typer.Option(
        "--json", help="Print the answer as JSON (instead of the table).")] = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """The fewest cadres whose mean metric meets a target with the stated confidence.

    Example: zhuqi staff scenarios/zhangye-2022 --target "mean_wait_days <= 0.5" --store s.sqlite
    """

    def body() -> int:
        from assign import write_json
        from sim.staff import find_staffing, parse_target

        _where(workers, scheduler)
        started = time.time()
        tgt = parse_target(target)
        if pick not in ("best", "first"):
            raise ValueError(f"--pick must be best or first, not '{pick}'")
        scenario = _load(path, set_)
        with eta_bar(f"staffing {scenario.name}") as update:
            res = find_staffing(scenario, tgt, confidence, min_, max_, tolerance, seed, store,
                                workers, scheduler, max_replications=max_replications,
                                progress=update, pick=pick)
        pct = f"{confidence:.0%}"
        t = Table(title=f"{scenario.name}: {tgt} ({pct} CI, tolerance {tolerance:g})")
        for col in ("cadres", "replications", f"mean [{pct} CI]", "decision", "stopped by"):
            t.add_column(col, justify="right")
        colours = {"pass": "green", "fail": "red", "edge": "yellow"}
        for n, lv in sorted(res.levels.items()):
            c = colours.get(lv.decision, "white")
            t.add_row(str(n), str(lv.replications), _cell(lv.mean, *lv.ci95),
                      f"[{c}]{lv.decision}[/{c}]", lv.stopped)
        if not json_:
            out.print(t)
        b = res.bracket
        err.print(f"[dim]offered load {b['offered_load']:.3g} cadres; first level tried "
                  f"{b['guess']} ({b['method']})[/dim]")
        for lo, hi in res.non_monotone:
            err.print(f"[yellow]warning:[/yellow] not monotone: {lo} cadres meet the target but "
                      f"{hi} do not")
        if json_:
            print_json_out(res.to_json())
        if out_file is not None:
            man = run_manifest(scenario, {"store": store}, seed=seed, started=started)
            err.print(f"wrote [bold]{write_json(out_file, res.to_json(), man)}[/bold]")
        if res.cadres is None:
            err.print(f"[bold red]no level up to {res.max_cadres} cadres meets {tgt}[/bold red]")
            return EXIT_NO_PLAN
        star = res.levels[res.cadres]
        (err if json_ else out).print(f"[bold green]{res.cadres} cadres[/bold green] meet {tgt}: "
                  f"{_cell(star.mean, *star.ci95)} over {star.replications} replications; "
                  f"{res.replications} runs in all")
        return EXIT_OK

    run_guarded(debug, body)


def solve_batch_cmd(paths: list[Path], out_dir: Path | None, sets: list[str] | None,
                    backend: str | None, time_limit: float | None, lang: str, json_: bool,
                    workers: int | None, debug: bool, scheduler: str | None = None) -> None:
    """``zhuqi solve A B C --out-dir DIR``: each scenario solved into DIR/NAME/, in this
    process, in ``--workers`` local processes or on the Dask cluster at ``--scheduler``."""

    def body() -> int:
        from assign import parse_overrides
        from assign.batch import batch_exit_code, solve_batch

        _where(workers, scheduler)
        if out_dir is None:
            raise ValueError("several scenarios need --out-dir DIR (each goes to DIR/NAME/)")
        if lang not in ("en", "zh"):
            raise ValueError(f"--lang must be en or zh, not '{lang}'")
        if backend not in (None, "auto", "flow", "cpsat"):
            raise ValueError(f"--backend must be auto, flow or cpsat, not '{backend}'")
        overrides = parse_overrides(sets or [])
        colours = {"optimal": "green", "feasible": "yellow"}

        def finished(row: dict[str, Any]) -> None:
            c = colours.get(row["status"], "red")
            err.print(f"  {row['scenario']}: [{c}]{row['status']}[/{c}] "
                      f"({row['seconds'] or 0:.2f} s)")

        with contextlib.ExitStack() as stack:
            executor = None
            if scheduler is not None:
                from sim.executors import DaskExecutor

                executor = stack.enter_context(DaskExecutor(scheduler))
            update = stack.enter_context(eta_bar("solving scenarios"))
            table = solve_batch(paths, out_dir, overrides, backend, time_limit, lang,
                                workers or 1, update, executor=executor, on_row=finished)
        if json_:
            out.print_json(table.to_json(orient="records", force_ascii=False))
        else:
            t = Table(title=f"batch of {len(table)} scenarios")
            for col in ("scenario", "status", "covered", "objective", "seconds", "error"):
                t.add_column(col, justify="left" if col in ("scenario", "error") else "right")
            for _, r in table.iterrows():
                c = colours.get(r["status"], "red")
                cov = "" if r["covered"] is None or r["covered"] != r["covered"] else (
                    f"{int(r['covered'])} of {int(r['firms'])}")
                obj = "" if r["objective"] is None or r["objective"] != r["objective"] else (
                    f"{r['objective']:,.3f}")
                t.add_row(str(r["scenario"]), f"[{c}]{r['status']}[/{c}]", cov, obj,
                          f"{r['seconds']:.2f}", str(r["error"])[:200])
            out.print(t)
        err.print(f"wrote [bold]{Path(out_dir) / 'batch.csv'}[/bold]")
        code = batch_exit_code(table)
        bad = int((~table["status"].isin(("optimal", "feasible"))).sum())
        if code != EXIT_OK:
            err.print(f"[bold red]{bad} of {len(table)} scenarios failed[/bold red]")
        return EXIT_INVALID if code == 2 else code

    run_guarded(debug, body)
