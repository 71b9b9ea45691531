"""Commands that look into plans: explain, diff, tradeoff, and ``check --manifest``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assign.manifest import check_manifest

from .cli import EXIT_NO_PLAN, EXIT_OK, Debug, PathArg, SetOpt, _load, app, busy, err, out, run_guarded
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
    lang: Annotated[str, typer.Option(help="Sentences and headers: zh | en.")] = "zh",
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

    def body() -> int:
        from assign.explain import explain, write_explanation

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
        imp = ex.improvement
        err.print(f"[yellow]warning:[/yellow] the pairing is not optimal: the optimum covers "
                  f"{imp['firms']} more firms and saves {imp['objective']:.3f} {ex.unit}; "
                  "extra costs below are against the given pairing")
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
        c = Table(title="bottleneck cadres: one more place is worth")
        for col in ("cadre", "firms", "firms gained", f"{ex.unit} saved"):
            c.add_column(col, justify="left" if col == "cadre" else "right")
        for r in cad.itertuples(index=False):
            c.add_row(r.cadre_id, str(r.firms), str(r.firms_gained), f"{r.marginal_value:.3f}")
        out.print(c)


@app.command("diff")
def diff_cmd(
    old: Annotated[Path, typer.Argument(help="The earlier pairing list (.csv or .xlsx).")],
    new: Annotated[Path, typer.Argument(help="The later pairing list.")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Per-firm changes: .csv or .xlsx.")
                        ] = None,
    lang: Annotated[str, typer.Option(help="Headers of --out: en | zh.")] = "en",
    debug: Debug = False,
) -> None:
    """What changed between two pairing lists: per firm kept, moved, added or removed.

    Example: zhuqi diff out/round1.csv out/round2.csv --out out/changes.xlsx
    """

    def body() -> int:
        from assign.diff import diff_counts, diff_pairings, write_diff

        if lang not in ("en", "zh"):
            raise ValueError(f"--lang must be en or zh, not '{lang}'")
        if out_file is not None and out_file.suffix.lower() not in (".csv", ".xlsx"):
            raise ValueError(f"{out_file}: use one of .csv, .xlsx")
        started = time.time()
        diff = diff_pairings(old, new)
        counts = diff_counts(diff)
        t = Table(title=f"{old.name} -> {new.name}")
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
