"""Simulation commands of ``zhuqi``: simulate, compare, calibrate."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assign import read_pairing, write_csv, write_json
from assign.io.export import atomic_write, with_manifest

from .children import run_child
from .options import (
    EXIT_OK,
    Debug,
    PathArg,
    SetOpt,
    _load,
    app,
    busy,
    err,
    out,
    print_json_out,
    run_guarded,
)
from .runinfo import run_manifest

Seed = Annotated[int, typer.Option(help="Master seed; replication r uses (seed, r).")]
Reps = Annotated[int, typer.Option(min=1, help="Replications.")]
Days = Annotated[float | None, typer.Option(help="Horizon in days (default: the scenario's).")]
Workers = Annotated[
    int | None, typer.Option(min=1, help="Local processes (default: one per core).")
]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address, to run on a cluster.")
]


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields a callback (done, total)."""
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _config(scenario: Any, days: float | None) -> Any:
    from sim import simulation_config  # imported on use: `zhuqi solve` never loads Mesa

    extra = {} if days is None else {"days": days}
    return simulation_config(scenario, **extra)


def _metrics_table(title: str, metrics: dict[str, dict]) -> Table:
    from sim.metrics import format_ci

    t = Table(title=title)
    t.add_column("metric")
    t.add_column("mean", justify="right")
    t.add_column("95% CI", justify="right")
    for name, v in metrics.items():
        lo, hi = v["ci95"]
        t.add_row(name, f"{v['mean']:.4g}", format_ci(lo, hi))
    return t


@app.command()
def simulate(
    path: PathArg,
    pairs: Annotated[Path | None, typer.Option(help="Pairing list (cadre_id, firm_id).")] = None,
    days: Days = None,
    replications: Reps = 10,
    seed: Seed = 0,
    out_file: Annotated[Path | None, typer.Option("--out", help="Results JSON file.")] = None,
    json_: Annotated[bool, typer.Option(
        "--json", help="Print the results as JSON (instead of the table).")] = False,
    issues: Annotated[
        Path | None, typer.Option(help="Issue log of every run: .csv or .parquet.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Chart (PNG): open issues, times.")] = None,
    workers: Workers = 1,
    scheduler: Scheduler = None,
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """Simulate issues raised and solved; report metrics with 95% confidence intervals.

    Example: zhuqi simulate scenarios/zhangye-2022 --replications 20 --out out/sim.json
    """

    def body() -> int:
        if issues is not None and issues.suffix.lower() not in (".csv", ".parquet"):
            raise ValueError(f"{issues}: the issue log must be .csv or .parquet")
        started = time.time()
        scenario = _load(path, set_)
        config = _config(scenario, days)
        pairing = read_pairing(pairs, scenario) if pairs is not None else None
        from sim import simulate_scenario

        with progress_bar(f"simulating {scenario.name}") as update:
            result = simulate_scenario(
                scenario, pairing, config, replications, seed, workers or os.cpu_count() or 1,
                keep_issues=issues is not None or plot is not None, progress=update,
                scheduler=scheduler,
            )
        if not json_:
            out.print(_metrics_table(
                f"{scenario.name}: {config.days:g} days, {replications} replications",
                result.summary()["metrics"]))
        man = run_manifest(scenario, {"pairing": pairs}, seed=seed, started=started)
        if issues is not None and result.issues is not None:
            log = result.issues
            if issues.suffix.lower() == ".csv":
                err.print(f"wrote [bold]{write_csv(issues, log, man)}[/bold]")
            else:
                written = atomic_write(issues, lambda p: log.to_parquet(p))
                err.print(f"wrote [bold]{with_manifest(written, man)}[/bold]")
        return _write_results(result, out_file, plot, "simulation_figure", man, json_)

    run_guarded(debug, body)


@app.command()
def compare(
    path: PathArg,
    cadres: Annotated[str, typer.Option(help="Staffing levels, e.g. 30,60,103.")],
    days: Days = None,
    replications: Reps = 10,
    seed: Seed = 0,
    out_file: Annotated[Path | None, typer.Option("--out", help="Results JSON file.")] = None,
    json_: Annotated[bool, typer.Option(
        "--json", help="Print the results as JSON (instead of the table).")] = False,
    plot: Annotated[Path | None, typer.Option(help="Chart (PNG) against cadres.")] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    pick: Annotated[str, typer.Option(
        help="Which N cadres: best (an optimal plan with max_cadres N chooses) | first "
        "(the roster's first N).")] = "best",
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """Compare staffing levels: N cadres each, pairing re-solved, common random numbers.

    Example: zhuqi compare scenarios/zhangye-2022 --cadres 30,60,103 --plot out/staffing.png
    """

    def body() -> int:
        try:
            levels = [int(x) for x in cadres.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"--cadres must be whole numbers separated by commas, not "
                             f"'{cadres}'") from None
        if pick not in ("best", "first"):
            raise ValueError(f"--pick must be best or first, not '{pick}'")
        started = time.time()
        scenario = _load(path, set_)
        config = _config(scenario, days)
        from sim import compare_staffing

        with progress_bar(f"comparing {len(levels)} staffing levels") as update:
            result = compare_staffing(scenario, levels, replications, seed,
                                      workers or os.cpu_count() or 1, config, update, scheduler,
                                      pick)
        for lv in result.levels:
            if "warning" in lv:
                err.print(f"[yellow]warning:[/yellow] {lv['warning']}")
        t = Table(title=f"{scenario.name}: staffing levels ({replications} replications)")
        for col in ("cadres", "firms covered", "resolution rate", "mean days to resolve",
                    "utilisation"):
            t.add_column(col, justify="right")
        for lv in result.levels:
            m = lv["metrics"]

            def cell(name: str, m: dict = m) -> str:
                from sim.metrics import format_ci

                lo, hi = m[name]["ci95"]
                return f"{m[name]['mean']:.3g} {format_ci(lo, hi, '.3g')}"

            t.add_row(str(lv["cadres"]), str(lv["covered"]), cell("resolution_rate"),
                      cell("mean_time_to_resolve_days"), cell("cadre_utilization"))
        if not json_:
            out.print(t)
        man = run_manifest(scenario, seed=seed, started=started)
        return _write_results(result, out_file, plot, "comparison_figure", man, json_)

    run_guarded(debug, body)


def _write_results(result: Any, out_file: Path | None, plot: Path | None, figure: str,
                   manifest: dict | None = None, print_json: bool = False) -> int:
    """Write the JSON and the chart (``figure`` names the sim.plots function) if asked;
    print the JSON with ``--json``."""
    if print_json:
        print_json_out(result.to_json())
    if out_file is not None:
        err.print(f"wrote [bold]{write_json(out_file, result.to_json(), manifest)}[/bold]")
    if plot is not None:
        from sim import plots

        path = with_manifest(plots.save_figure(getattr(plots, figure)(result), plot), manifest)
        err.print(f"wrote [bold]{path}[/bold]")
    return EXIT_OK


def _parse_mix(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    mix = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        try:
            mix[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError(f"--mix takes CATEGORY=COUNT pairs separated by commas, not '{part}'")
    return mix


@app.command("calibrate")
def calibrate_cmd(
    path: PathArg,
    issues: Annotated[int, typer.Option(min=1, help="Issues reported over the period.")],
    days: Annotated[float, typer.Option(help="Length of the period, days.")],
    resolved: Annotated[int | None, typer.Option(help="Issues reported solved by its end.")] = None,
    mix: Annotated[str | None, typer.Option(help="Counts per category: financing=54,...")] = None,
    escalated: Annotated[
        float | None, typer.Option(help="Share not settled on the spot (0-1).")
    ] = None,
    replications: Reps = 20,
    seed: Seed = 0,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the fitted simulation section (YAML).")
    ] = None,
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """Fit arrival and resolution parameters to a programme's reported counts.

    Example: zhuqi calibrate scenarios/zhangye-2022 --issues 236 --days 120 --resolved 135
    --mix financing=54,cost_reduction=72,hiring=63,policy=27,other=20 --escalated 0.6
    """

    def body() -> int:
        started = time.time()
        scenario = _load(path, set_)
        if resolved is not None and not 0 <= resolved <= issues:
            raise ValueError("--resolved must be between 0 and --issues")
        if escalated is not None and not 0 <= escalated <= 1:
            raise ValueError("--escalated is a share between 0 and 1")
        from sim.calibrate import calibrate  # scipy.stats: imported only when needed

        with busy(f"calibrating {scenario.name}"):
            cal = calibrate(scenario, issues, days, resolved, _parse_mix(mix), escalated,
                            replications=replications, seed=seed)
        out.print(_metrics_table("with the fitted parameters", cal.achieved))
        lo, hi = cal.rate_ci95
        out.print(f"arrival rate {cal.simulation['arrival']['rate_per_firm_day']:.5f} per firm-day "
                  f"(95% CI {lo:.5f} to {hi:.5f})")
        text = yaml.safe_dump({"simulation": cal.simulation}, allow_unicode=True, sort_keys=False)
        if out_file is not None:
            atomic_write(out_file, lambda p: p.write_text(text, encoding="utf-8"))
            with_manifest(out_file, run_manifest(scenario, seed=seed, started=started))
            err.print(f"wrote [bold]{out_file}[/bold]")
        else:
            out.print(text, highlight=False, markup=False)
        return EXIT_OK

    run_guarded(debug, body)



@app.command()
def dashboard(
    path: PathArg,
    host: Annotated[str, typer.Option(help="Address to bind (localhost by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
    lang: Annotated[str, typer.Option(help="Labels: en | zh.")] = "en",
    dev_controls: Annotated[bool, typer.Option(
        help="Show Mesa's play / render interval and thread controls.")] = False,
    debug: Debug = False,
) -> None:
    """Open the researchers' dashboard (Mesa SolaraViz): controls, charts against days,
    Step / Play / Reset. Planners: see zhuqi app.

    Example: zhuqi dashboard scenarios/zhangye-2022 --port 8765 --lang zh
    """

    def body() -> int:
        import importlib.util
        import sys

        from sim import simulation_config

        scenario = _load(path, None)
        simulation_config(scenario)
        if importlib.util.find_spec("solara") is None:
            raise ValueError("the dashboard needs solara: pip install 'zhuqi[viz]'")
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(f"[yellow]warning:[/yellow] serving on {host}: reachable from other "
                      "machines")
        if lang not in ("en", "zh"):
            raise ValueError(f"--lang must be en or zh, not '{lang}'")
        _check_port_free(host, port)
        env = {**os.environ, "ZHUQI_DASHBOARD_SCENARIO": str(Path(path).resolve()),
               "ZHUQI_DASHBOARD_LANG": lang, "ZHUQI_DASHBOARD_DEV": "1" if dev_controls else ""}
        err.print(f"dashboard for [bold]{scenario.name}[/bold] at http://{host}:{port} "
                  "(Ctrl+C stops it)")
        cmd = [sys.executable, "-m", "solara", "run", "sim.app", "--host", host, "--port",
               str(port), "--production", "--no-open"]
        return run_child(cmd, env)

    run_guarded(debug, body)


def _check_port_free(host: str, port: int) -> None:
    """An input error (exit 2, like every command's) when ``port`` is taken, before the
    server starts (it used to exit 3 from inside the server)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ValueError(f"--port {port}: cannot serve on {host}:{port} "
                             f"({exc.strerror or exc}); choose another port") from None

