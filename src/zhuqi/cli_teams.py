"""Printing task forces (``assignment.mode: teams``) in ``zhuqi solve``."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from assign.categories import label


def print_teams(console: Console, teams: pd.DataFrame) -> None:
    """One row per team: zone, members, skills covered, firms linked, km."""
    sizes = [len([m for m in str(ids).split(";") if m]) for ids in teams["member_ids"]]
    t = Table(title="task forces (专班)",
              caption=f"{sum(sizes)} cadres in {len(teams)} teams")
    for name, justify in (("team", "left"), ("zone", "left"), ("members", "right"),
                          ("skills covered", "left"), ("firms linked", "right"),
                          ("km", "right")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r, n in zip(teams.itertuples(index=False), sizes, strict=True):
        skills = "、".join(label(k, "zh") for k in str(r.skills_covered).split(";") if k)
        t.add_row(str(r.team), str(r.zone), str(n), skills,
                  f"{r.linked} of {r.zone_firms}", f"{r.distance_km:.1f}")
    console.print(t)
