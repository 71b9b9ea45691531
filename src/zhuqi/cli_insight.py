"""Commands that look into plans: explain, diff, tradeoff, and ``check --manifest``."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from assign.manifest import check_manifest

from .cli import EXIT_NO_PLAN, EXIT_OK, out


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
