"""A national run sketch: 31 generated provinces solved as one batch on a Dask cluster.

Generates 31 provinces (each a scenario folder: 100-400 cadres, 20 firms a cadre, the
four generator regions in turn, seeds 1-31; about 20-30 s of solving in all on one core),
starts a real cluster as separate processes (``dask scheduler`` and ``dask worker
--nworkers 2 --nthreads 1``, connected through a scheduler file), then times, as whole
processes and alternating:

- ``zhuqi solve P1 ... P31 --out-dir D --scheduler ADDR`` (each province one task), and
- ``zhuqi solve P1 ... P31 --out-dir D --workers 1`` (one after another, the reference),

and checks that both batch tables give every province the same status, coverage and
objective. Prints the seconds per province (from ``batch.csv``) and of the whole, and
writes them to ``benchmarks/results/national.json``.

A province at the real scale is one machine's job (see the full Liaoning figures); this
sketch is about the batch's mechanics and overheads at a scale this shared 2-core machine
holds. Usage: python benchmarks/national.py [--provinces N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import time

import pandas as pd
from common import PY, WORK, ZHUQI, run, save

from assign.generate import REGIONS, generate_scenario


def provinces(count: int) -> list[str]:
    folders = []
    regions = list(REGIONS)
    for k in range(1, count + 1):
        folder = WORK / "national" / f"province-{k:02d}"
        cadres = 100 + (k * 37) % 301
        if not (folder / "scenario.yaml").exists():
            generate_scenario(folder, cadres, 20 * cadres, seed=k, region=regions[k % len(regions)],
                              spread_km=10.0, mode="one_to_many", max_firms_per_cadre=30,
                              max_distance_km=10)
        folders.append(str(folder))
    return folders


def start_cluster(folder) -> tuple[list[subprocess.Popen], str]:
    sfile = folder / "scheduler.json"
    sfile.unlink(missing_ok=True)
    dask = [PY, "-m", "distributed.cli.dask_scheduler"]
    sched = subprocess.Popen([*dask, "--scheduler-file", str(sfile), "--port", "0",
                              "--no-dashboard"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        if sfile.exists() and sfile.stat().st_size:
            break
        time.sleep(0.1)
    address = json.loads(sfile.read_text())["address"]
    workers = subprocess.Popen([PY, "-m", "distributed.cli.dask_worker", "--scheduler-file",
                                str(sfile), "--nworkers", "2", "--nthreads", "1",
                                "--no-dashboard"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    return [workers, sched], address


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--provinces", type=int, default=31)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    folders = provinces(args.provinces)
    base = WORK / "national"
    procs, address = start_cluster(base)
    out: dict = {"provinces": len(folders), "address": address, "runs": []}
    tables = {}
    try:
        for r in range(args.repeat):
            for where, opt in (("dask", ["--scheduler", address]), ("local", ["--workers", "1"])):
                dest = base / f"out-{where}"
                t = run([*ZHUQI, "solve", *folders, "--out-dir", str(dest), *opt])
                assert t.code == 0, t.stderr[-2000:]
                table = pd.read_csv(dest / "batch.csv", encoding="utf-8-sig")
                tables[where] = table
                out["runs"].append({"where": where, "round": r, "seconds": round(t.seconds, 2),
                                    "peak_mib": round(t.peak_mib), "solve_seconds_sum":
                                    round(float(table["seconds"].sum()), 2)})
                print(f"{where}: whole batch {t.seconds:.1f} s wall ({t.peak_mib:.0f} MiB peak "
                      f"in the client), provinces' own solve seconds sum "
                      f"{table['seconds'].sum():.1f} s", flush=True)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=60)
    cols = ["scenario", "status", "firms", "covered", "objective"]
    pd.testing.assert_frame_equal(tables["dask"][cols], tables["local"][cols])
    per = tables["dask"][["scenario", "firms", "covered", "seconds"]].rename(
        columns={"seconds": "dask_s"})
    per["local_s"] = tables["local"]["seconds"]
    print(per.to_string(index=False))
    out["per_province"] = per.to_dict(orient="records")
    print("results equal (status, firms, covered, objective): True")
    save("national", out)


if __name__ == "__main__":
    main()
