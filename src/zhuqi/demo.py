"""``make demo``: solve the seed scenarios and show where the pairing lists went."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assign import load_scenario, solve, write_json, write_pairs
from assign.io.manifest import build_manifest, scenario_inputs

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def main(argv: list[str] | None = None) -> int:
    """Solve every scenario under ``scenarios/`` and print a summary table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"), help="Output folder.")
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS, help="Scenario folders.")
    args = parser.parse_args(argv)
    console = Console(width=110)
    table = Table(title="zhuqi demo: seed scenarios")
    for col in ("scenario", "cadres", "firms", "covered", "status", "total", "backend", "s"):
        table.add_column(col, justify="left" if col in ("scenario", "status") else "right")
    written = []
    for folder in sorted(p for p in args.scenarios.iterdir() if (p / "scenario.yaml").exists()):
        started = time.time()
        with console.status(f"solving {folder.name}"):
            scenario = load_scenario(folder)
            pairing = solve(scenario)
        target = args.out / scenario.name
        man = build_manifest(scenario_inputs(scenario), command="make demo", seed=0,
                             started=started, seconds=time.time() - started)
        written.append(write_pairs(pairing, target / "pairs.csv", manifest=man))
        write_json(target / "summary.json", pairing.summary(), man)
        unit = "km" if scenario.config.assignment.objective == "distance" else "cost"
        table.add_row(
            scenario.name, str(len(scenario.cadres)), str(len(scenario.firms)),
            str(pairing.assigned), pairing.status, f"{pairing.objective:,.1f} {unit}",
            pairing.backend, f"{pairing.seconds:.2f}",
        )
    console.print(table)
    for w in written:
        console.print(f"pairing list: [bold]{w}[/bold] (summary beside it)")
    _simulate(console, args.out)
    return 0


def _simulate(console: Console, out: Path) -> None:
    """Zhangye's calibrated simulation, when the sim package is present."""
    try:
        from sim import simulate_scenario
        from sim.metrics import format_ci
    except ImportError:  # pragma: no cover
        return
    started = time.time()
    scenario = load_scenario(SCENARIOS / "zhangye-2022")
    with console.status("simulating zhangye-2022, 10 replications (the first run compiles "
                        "the simulation kernel)"):
        result = simulate_scenario(scenario, replications=10, seed=1)
    table = Table(title="zhangye-2022: 120 days, 10 replications (mean, 95% CI)")
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    for name, v in result.summary()["metrics"].items():
        lo, hi = v["ci95"]
        table.add_row(name, f"{v['mean']:.3f}", format_ci(lo, hi, ".3f"))
    console.print(table)
    man = build_manifest(scenario_inputs(scenario), command="make demo", seed=1,
                         started=started, seconds=time.time() - started)
    path = write_json(out / "zhangye-2022" / "simulation.json", result.to_json(), man)
    console.print(f"simulation results: [bold]{path}[/bold]")


if __name__ == "__main__":
    raise SystemExit(main())
