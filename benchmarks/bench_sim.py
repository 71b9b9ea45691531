"""Simulation speed: M/M/c against Ciw and SimPy, Zhangye x 100, Liaoning's cadre count."""

from __future__ import annotations

import json
import re

from common import BENCH, PY, WORK, ZHUQI, run, save

from sim import mmc_mean_wait

MMC = BENCH / "scenarios" / "mmc-c10"


def mmc(days: int = 100_000) -> dict:
    """Whole processes on the same system: lambda 9, mu 1, c 10, ``days`` days."""
    out = WORK / "mmc.json"
    WORK.mkdir(parents=True, exist_ok=True)
    ours = run([*ZHUQI, "simulate", str(MMC), "--replications", "1", "--seed", "1",
                "--out", str(out), "--set", f"simulation.days={days}"])
    assert ours.code == 0, ours.stderr
    wait = json.loads(out.read_text())["metrics"]["mean_wait_days"]["mean"]
    args = ["9", "1", "10", str(days), "1000", "1"]
    simpy = run([PY, str(BENCH / "peers" / "mmc_simpy.py"), *args])
    ciw = run([PY, str(BENCH / "peers" / "mmc_ciw.py"), *args])
    assert simpy.code == 0 and ciw.code == 0, simpy.stderr + ciw.stderr
    return {
        "days": days,
        "erlang_c_wait": mmc_mean_wait(9.0, 1.0, 10),
        "zhuqi": {"seconds": ours.seconds, "peak_mib": ours.peak_mib, "mean_wait": wait},
        "simpy": {"seconds": simpy.seconds, "mean_wait": float(simpy.stdout.split()[0])},
        "ciw": {"seconds": ciw.seconds, "mean_wait": float(ciw.stdout.split()[0])},
        "ciw_over_zhuqi": ciw.seconds / ours.seconds,
        "simpy_over_zhuqi": simpy.seconds / ours.seconds,
    }


def zhangye(replications: int = 100) -> dict:
    """Zhangye, 120 days x 100 replications, as a whole `zhuqi simulate` process."""
    res = run([*ZHUQI, "simulate", "scenarios/zhangye-2022", "--replications",
               str(replications), "--workers", "2"])
    assert res.code == 0, res.stderr
    return {"replications": replications, "seconds": res.seconds, "peak_mib": res.peak_mib}


def liaoning(cadres: int = 19_000, firms: int = 190_000, days: int = 365) -> dict:
    """One replication at Liaoning's cadre count, 10 firms a cadre within 10 km.

    The pairing is solved once by `zhuqi solve` when the generated folder has none (timed
    apart: it is the assignment benchmark's business) and read back with `--pairs`. The
    whole `zhuqi simulate` process is timed, and its simulation part (models built, run
    and measured: `meta.run_seconds`) apart from imports, reading the rosters and pairs.
    """
    folder = WORK / f"liaoning-sim-{cadres}"
    pairs = folder / "pairs-solved.csv"
    if not (folder / "scenario.yaml").exists():
        gen = run([*ZHUQI, "generate", str(folder), "--cadres", str(cadres), "--firms",
                   str(firms), "--seed", "7", "--spread-km", "30", "--max-firms", "10",
                   "--max-distance-km", "10"])
        assert gen.code == 0, gen.stderr
    solved = None
    if not pairs.exists():
        solved = run([*ZHUQI, "solve", str(folder), "--out", str(pairs)])
        assert solved.code == 0, solved.stderr
    out = WORK / "liaoning-sim.json"
    res = run([*ZHUQI, "simulate", str(folder), "--pairs", str(pairs), "--replications", "1",
               "--out", str(out), "--set", f"simulation.days={days}"])
    assert res.code == 0, res.stderr
    data = json.loads(out.read_text())
    return {"cadres": cadres, "firms": firms, "days": days, "seconds": res.seconds,
            "simulation_seconds": data["meta"].get("run_seconds"),
            "peak_mib": res.peak_mib, "issues": data["metrics"]["issues_raised"]["mean"],
            "solve_seconds": solved.seconds if solved else None,
            "solve_peak_mib": solved.peak_mib if solved else None}


def main(quick: bool = False) -> dict:
    results = {
        "mmc": mmc(10_000 if quick else 100_000),
        "zhangye": zhangye(10 if quick else 100),
        "liaoning": liaoning(1_900, 19_000) if quick else liaoning(),
    }
    save("sim", results)
    return results


if __name__ == "__main__":
    import sys

    print(re.sub(r"\s+", " ", json.dumps(main("--quick" in sys.argv), indent=1)))
