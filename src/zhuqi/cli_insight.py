"""Commands that look into plans: explain, diff, tradeoff, and ``check --manifest``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assign.io.export import lang_for
from assign.io.manifest import check_manifest

from .options import EXIT_NO_PLAN, EXIT_OK, Debug, PathArg, SetOpt, _load, app, busy, err, out, run_guarded
from .runinfo import run_manifest


def check_inputs(manifest: Path, path: Path) -> int:
    """Print whether the inputs recorded in ``manifest`` still match; 0 if all do, else 1."""
    rows = check_manifest(manifest, path)
    t = Table(title=f"inputs of {manifest}")
    for col in ("role", "file", "status"):
        t.add_column(col)
    colour = {"same": "green", "changed": "red", "missing": "red"}
    for r in rows:
        c = colour[r["status"]]
        t.add_row(r["role"], r["path"], f"[{c}]{r['status']}[/{c}]")
    out.print(t)
    bad = [r for r in rows if r["status"] != "same"]
    if bad:
        out.print(f"[red]{len(bad)} of {len(rows)} inputs differ[/red] from the manifest")
        return EXIT_NO_PLAN
    out.print(f"[green]ok[/green]: all {len(rows)} inputs match the manifest")
    return EXIT_OK


@app.command("explain")
def explain_cmd(
    path: PathArg,
    pairing: Annotated[Path, typer.Option(help="The pairing list to explain (cadre_id, firm_id).")],
    firm: Annotated[list[str] | None, typer.Option(help="Explain this firm (repeatable).")] = None,
    cadre: Annotated[list[str] | None, typer.Option(
        help="Report this cadre and price it as an alternative for every firm (repeatable).")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Alternatives per firm.")] = 3,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Explanation: .json, .csv or .xlsx.")] = None,
    lang: Annotated[str | None, typer.Option(
        help="Column headers and sheet names: en | zh (default: zh for .xlsx, en otherwise; "
        "workbooks always open with 说明).")] = None,
    time_limit: Annotated[float, typer.Option(
        help="Seconds per pinned re-solve (workload limits only).")] = 5.0,
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """Why this pairing: each firm's next-best cadres with the exact extra cost, the
    cheapest fix for each uncovered firm, and what one more place per cadre is worth.

    Example: zhuqi explain scenarios/quanzhou-2020 --pairing out/quanzhou-pairs.csv --firm
    QZ-F02 --out out/why.xlsx
    """
    lang = lang_for(out_file, lang)

    def body() -> int:
        from assign.insight.explain import explain, write_explanation

        if lang not in ("en", "zh"):
            raise ValueError(f"--lang must be en or zh, not '{lang}'")
        if out_file is not None and out_file.suffix.lower() not in (".json", ".csv", ".xlsx"):
            raise ValueError(f"{out_file}: use one of .json, .csv, .xlsx")
        started = time.time()
        scenario = _load(path, set_)
        plan = _read_plan(pairing, scenario)
        with busy(f"explaining {scenario.name}"):
            ex = explain(scenario, plan, firm, cadre, top, time_limit)
        _print_explanation(ex, lang)
        if out_file is not None:
            man = run_manifest(scenario, {"pairing": pairing}, started=started)
            err.print(f"wrote [bold]{write_explanation(ex, out_file, lang, man)}[/bold]")
        return EXIT_OK

    run_guarded(debug, body)


def _read_plan(path: Path, scenario: Any) -> Any:
    """A pairing list for the scenario (the extra columns zhuqi writes are expected)."""
    import warnings

    from assign import read_pairing

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ignoring unknown columns.*")
        return read_pairing(path, scenario)


def _print_explanation(ex: Any, lang: str, rows: int = 12) -> None:
    if not ex.optimal:
        from assign.insight.explain import improvement_text

        text = improvement_text(ex.improvement, ex.unit, "en").removeprefix("Note: ")
        err.print(f"[yellow]warning:[/yellow] {text.rstrip('.')}; extra costs below are "
                  "against the given pairing")
    t = Table(title=f"next-best cadres ({ex.backend}, {ex.unit})")
    for col in ("firm", "cadre", "alternative", "extra", "why not"):
        t.add_column(col, justify="right" if col == "extra" else "left")
    shown = ex.firms.head(rows)
    alts = ex.alternatives.set_index("firm_id")
    for r in shown.itertuples(index=False):
        g = alts.loc[[r.firm_id]] if r.firm_id in alts.index else None
        first = True
        for a in ([] if g is None else g.itertuples()):
            extra = "" if not a.admissible else (
                f"{a.extra_cost:+.3f}" + (f" (uncovers {a.uncovers})" if a.uncovers else ""))
            t.add_row(r.firm_id if first else "", r.cadre_id if first else "", a.cadre_id,
                      extra, a.why)
            first = False
    out.print(t)
    if len(ex.firms) > rows:
        out.print(f"[dim]... {len(ex.firms) - rows} more firms (use --out for all)[/dim]")
    if len(ex.uncovered):
        u = Table(title="uncovered firms")
        for col in ("firm", "reason", "cheapest fix"):
            u.add_column(col)
        for r in ex.uncovered.head(rows).itertuples(index=False):
            u.add_row(r.firm_id, r.reason, r.fix)
        out.print(u)
    cad = ex.cadres.sort_values(["firms_gained", "marginal_value"], ascending=False).head(5)
    cad = cad[(cad["firms_gained"] > 0) | (cad["marginal_value"] > 0)]
    if len(cad):
        c = Table(title="bottleneck cadres: what one more place is worth")
        for col in ("cadre", "firms", "one more place"):
            c.add_column(col, justify="right" if col == "firms" else "left")
        for r in cad.itertuples(index=False):
            effect = (f"covers {r.covers} ({-r.marginal_value:+.3f} {ex.unit})"
                      if r.firms_gained > 0 else f"saves {r.marginal_value:.3f} {ex.unit}")
            c.add_row(r.cadre_id, str(r.firms), effect)
        out.print(c)


@app.command("diff")
def diff_cmd(
    old: Annotated[Path, typer.Argument(help="The earlier pairing list (.csv or .xlsx).")],
    new: Annotated[Path, typer.Argument(help="The later pairing list.")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Per-firm changes: .csv or .xlsx.")
                        ] = None,
    lang: Annotated[str | None, typer.Option(
        help="Headers of --out: en | zh (default: zh for .xlsx, en otherwise).")] = None,
    debug: Debug = False,
) -> None:
    """What changed between two pairing lists: per firm kept, moved, added or removed.

    Example: zhuqi diff out/round1.csv out/round2.csv --out out/changes.xlsx
    """
    lang = lang_for(out_file, lang)

    def body() -> int:
        from assign.insight.diff import diff_counts, diff_pairings, write_diff

        if lang not in ("en", "zh"):
            raise ValueError(f"--lang must be en or zh, not '{lang}'")
        if out_file is not None and out_file.suffix.lower() not in (".csv", ".xlsx"):
            raise ValueError(f"{out_file}: use one of .csv, .xlsx")
        started = time.time()
        diff = diff_pairings(old, new)
        counts = diff_counts(diff)
        out.print(f"{old} -> {new}", highlight=False)
        t = Table(title="what changed")
        t.add_column("firms")
        t.add_column("count", justify="right")
        for status, n in counts.items():
            t.add_row(status, str(n))
        t.add_row("total distance change (km)", f"{diff['distance_delta_km'].sum():+.3f}")
        t.add_row("total cost change", f"{diff['cost_delta'].sum():+.3f}")
        out.print(t)
        moved = diff[diff["status"] == "moved"].head(10)
        if len(moved):
            mt = Table(title="moved (first 10)")
            for col in ("firm", "from", "to", "km change"):
                mt.add_column(col, justify="right" if col == "km change" else "left")
            for r in moved.itertuples(index=False):
                mt.add_row(r.firm_id, r.from_cadre_id, r.to_cadre_id,
                           f"{r.distance_delta_km:+.3f}")
            out.print(mt)
        if out_file is not None:
            man = run_manifest(None, {"old": old, "new": new}, started=started)
            err.print(f"wrote [bold]{write_diff(diff, out_file, lang, man)}[/bold]")
        return EXIT_OK

    run_guarded(debug, body)


@app.command("tradeoff")
def tradeoff_cmd(
    path: PathArg,
    between: Annotated[str, typer.Option(
        help="Two objectives: distance | cost | balance | workload | skill | changes.")
    ] = "distance,balance",
    points: Annotated[int, typer.Option(min=2, help="Most points (bounds) on the front.")] = 10,
    out_file: Annotated[Path | None, typer.Option("--out", help="The front as CSV.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Chart of the front (PNG).")] = None,
    plans: Annotated[Path | None, typer.Option(
        help="Folder for each point's pairing list (point-01.csv, ...).")] = None,
    previous: Annotated[Path | None, typer.Option(
        help="The previous pairing list (for the 'changes' objective).")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per CP-SAT solve.")] = None,
    seed: Annotated[int, typer.Option(help="CP-SAT seed.")] = 0,
    set_: SetOpt = None,
    debug: Debug = False,
) -> None:
    """The Pareto front between two objectives: each point an optimal plan for one bound
    on the second, endpoints the single-objective optima, dominated points dropped.

    Example: zhuqi tradeoff scenarios/quanzhou-2020 --between distance,workload --out
    out/front.csv --plot out/front.png --plans out/front-plans
    """

    def body() -> int:
        from assign import write_pairs
        from assign.insight.tradeoff import front_figure, tradeoff, write_front

        if out_file is not None and out_file.suffix.lower() != ".csv":
            raise ValueError(f"{out_file}: the front is written as .csv")
        started = time.time()
        scenario = _load(path, set_)
        prev = _read_plan(previous, scenario) if previous is not None else None
        with busy(f"tracing the front of {scenario.name}"):
            res = tradeoff(scenario, between, points, prev, time_limit, seed)
        if len(res.front) == 0:
            err.print("[red]no plan covers the firms within the limits[/red]")
            return EXIT_NO_PLAN
        a, b = res.between
        t = Table(title=f"{scenario.name}: {a} against {b}, {len(res.front)} points")
        for col in ("point", a, b, "covered", "status"):
            t.add_column(col, justify="right")
        for i, r in enumerate(res.front.itertuples(index=False), 1):
            t.add_row(str(i), f"{getattr(r, a):,.3f}", f"{getattr(r, b):,.3f}", str(r.covered),
                      r.status)
        out.print(t)
        man = run_manifest(scenario, {"previous": previous}, seed=seed, started=started)
        if out_file is not None:
            err.print(f"wrote [bold]{write_front(res, out_file, man)}[/bold]")
        if plot is not None:
            from assign.io.export import with_manifest
            from sim.plots import save_figure

            written = with_manifest(save_figure(front_figure(res), plot), man)
            err.print(f"wrote [bold]{written}[/bold]")
        if plans is not None:
            for i, plan in enumerate(res.plans, 1):
                write_pairs(plan, plans / f"point-{i:02d}.csv", manifest=man)
            err.print(f"wrote [bold]{len(res.plans)}[/bold] pairing lists to [bold]{plans}[/bold]")
        return EXIT_OK

    run_guarded(debug, body)
