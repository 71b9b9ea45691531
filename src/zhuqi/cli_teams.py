"""Task forces (``assignment.mode: teams``) in ``zhuqi check`` and ``zhuqi solve``."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from assign import Scenario
from assign.solvers.teams import TeamProblem, explain_infeasible, team_sizes


def team_check_rows(scenario: Scenario) -> list[tuple[str, str]]:
    """Rows for ``zhuqi check``: zones, team sizes, and whether the teams can be formed.

    The pair counts above them apply every pair rule; in teams mode skills are a rule of
    the team, not of each link.
    """
    tp = TeamProblem.of(scenario)
    lo, hi = team_sizes(scenario.config.assignment)
    conflicts = explain_infeasible(tp, seconds=10.0)
    rows = [("zones (one team each)", str(len(tp.zones))),
            ("team size", str(lo) if hi == lo else f"{lo} to {hi if hi is not None else 'any'}"),
            ("teams can be formed", "yes" if conflicts is None else "[red]no[/red]")]
    rows += [("conflict", c) for c in conflicts or []]
    return rows


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
