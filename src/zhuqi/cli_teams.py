"""Printing task forces (``assignment.mode: teams``) in ``zhuqi solve``."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table


def print_teams(console: Console, teams: pd.DataFrame) -> None:
    """One row per team: zone, members, skills needed that members hold, firms linked, km
    (the skills by name are in the pairing workbook's teams sheet and the summary JSON)."""
    sizes = [len([m for m in str(ids).split(";") if m]) for ids in teams["member_ids"]]
    t = Table(title="task forces (专班)",
              caption=f"{sum(sizes)} cadres in {len(teams)} teams")
    for name, justify in (("team", "left"), ("zone", "left"), ("members", "right"),
                          ("skills covered", "left"), ("firms linked", "right"),
                          ("km", "right")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r, n in zip(teams.itertuples(index=False), sizes, strict=True):
        covered, needed = (len([k for k in str(v).split(";") if k])
                           for v in (r.skills_covered, r.skills_needed))
        t.add_row(str(r.team), str(r.zone), str(n), f"{covered} of {needed}",
                  f"{r.linked} of {r.zone_firms}", f"{r.distance_km:.1f}")
    console.print(t)
