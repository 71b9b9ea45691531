"""``make bench``: every benchmark, a table on screen, JSON in benchmarks/results/.

Usage: python benchmarks/run.py [--quick] [--full] [--only sim|assign|gap]
       [--assign-repeat N] [--gap-seconds S] [--gap-instances NAME ...]

Every speed figure is a ratio against a peer measured in the same run (the machine is
shared and noisy); absolute seconds are shown for the targets stated in seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_assign  # noqa: E402
import bench_gap  # noqa: E402
import bench_sim  # noqa: E402


def table(rows: list[tuple[str, str, str, str]]) -> str:
    head = "| benchmark | target | measured | met |\n| --- | --- | --- | --- |\n"
    return head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"

QUICK_GAP = ["c05100", "d05100", "e05100"]
"""The C/D/E instances of a ``--quick`` run (all 45 otherwise)."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    ap.add_argument("--full", action="store_true", help="also the full Liaoning assignment")
    ap.add_argument("--only", choices=["sim", "assign", "gap"])
    ap.add_argument("--assign-repeat", type=int, default=1,
                    help="runs of zhuqi and the bare pipeline each, alternating")
    ap.add_argument("--gap-seconds", type=float, default=None,
                    help="seconds per C/D/E instance (default 60; 5 with --quick)")
    ap.add_argument("--gap-instances", nargs="*")
    a = ap.parse_args()
    rows = []
    if a.only in (None, "sim"):
        s = bench_sim.main(a.quick)
        m = s["mmc"]
        rows.append((f"M/M/c {m['days']:,} days: Ciw time / zhuqi time", ">= 10",
                     f"{m['ciw_over_zhuqi']:.2f} (zhuqi {m['zhuqi']['seconds']:.1f} s, Ciw "
                     f"{m['ciw']['seconds']:.1f} s)", yes(m["ciw_over_zhuqi"] >= 10)))
        rows.append(("M/M/c: SimPy time / zhuqi time", ">= 3",
                     f"{m['simpy_over_zhuqi']:.2f} (SimPy {m['simpy']['seconds']:.1f} s)",
                     yes(m["simpy_over_zhuqi"] >= 3)))
        rows.append(("M/M/c mean wait (Erlang C 0.6687 d)", "agrees",
                     f"zhuqi {m['zhuqi']['mean_wait']:.4f}, SimPy {m['simpy']['mean_wait']:.4f}, "
                     f"Ciw {m['ciw']['mean_wait']:.4f}",
                     yes(abs(m["zhuqi"]["mean_wait"] - m["erlang_c_wait"]) < 0.03)))
        z = s["zhangye"]
        rows.append((f"Zhangye 120 d x {z['replications']} replications", "< 10 s",
                     f"{z['seconds']:.1f} s", yes(z["seconds"] < 10)))
        li = s["liaoning"]
        rows.append((f"{li['cadres']:,} cadres, {li['firms']:,} firms, {li['days']} d, 1 run "
                     f"({li['issues']:,.0f} issues)", "< 8 s, < 4 GiB",
                     f"{li['seconds']:.1f} s (simulation {li['simulation_seconds']:.1f} s), "
                     f"{li['peak_mib'] / 1024:.2f} GiB",
                     yes(li["seconds"] < 8 and li["peak_mib"] < 4096)))
    if a.only in (None, "assign"):
        r = bench_assign.main(a.full, a.assign_repeat)
        t = r["tenth"]
        rows.append((f"Assignment, a tenth ({t['cadres']:,} x {t['firms']:,}, "
                     f"{t['zhuqi']['pairs']:,} pairs): zhuqi time / bare pipeline", "<= 0.5",
                     f"{t['zhuqi_over_bare']:.2f} (runs: "
                     + ", ".join(f"{x:.2f}" for x in t["pair_ratios"])
                     + f"; zhuqi {t['zhuqi']['seconds']:.1f} s, bare "
                     f"{t['bare']['seconds']:.1f} s); same coverage: {t['same_coverage']}, "
                     f"km differ by {t['km_difference']:.3f}",
                     yes(t["zhuqi_over_bare"] <= 0.5 and t["same_coverage"])))
        if "full" in r:
            f = r["full"]
            z = f["zhuqi"]
            how = (f"exit code {z['exit_code']}" if "exit_code" in z else
                   f"{z['status']}, {z['assigned']:,} firms covered, {z['pairs']:,} pairs"
                   + (f", {z['pricing']['rounds']} pricing rounds" if z.get("pricing") else ""))
            rows.append((f"Assignment, full ({f['cadres']:,} x {f['firms']:,})",
                         "< 600 s, < 16 GiB",
                         f"{z['seconds']:.0f} s, {z['peak_mib'] / 1024:.1f} GiB; {how}",
                         yes("exit_code" not in z and z["status"] == "optimal"
                             and z["seconds"] < 600 and z["peak_mib"] < 16384)))
    if a.only in (None, "gap"):
        quick = a.quick and not a.gap_instances
        g = bench_gap.main(QUICK_GAP if quick else a.gap_instances,
                           a.gap_seconds or (5.0 if a.quick else 60.0))
        o = g["orlib"]
        rows.append(("gap1-gap12 (60 instances) proven optimal, each < 10 s", "60 of 60",
                     f"{o['proven_optimal']} proven, {o['at_optimum']} at the optimum, slowest "
                     f"{o['max_seconds']:.1f} s", yes(o["proven_optimal"] == 60)))
        c = g["cde"]
        rows.append((f"C/D/E ({len(c['rows'])} instances, {c['seconds_per_instance']:.0f} s "
                     "each): mean gap to best known", "<= 0.1%",
                     f"{c['mean_gap_pct']:.3f}% (plain CP-SAT {c['cpsat_mean_gap_pct']:.3f}%)",
                     yes(c["mean_gap_pct"] <= 0.1)))
        rows.append(("C/D/E: worst gap", "<= 0.3%", f"{c['max_gap_pct']:.3f}%",
                     yes(c["max_gap_pct"] <= 0.3)))
        rows.append(("C/D/E: never worse than plain CP-SAT", "all",
                     str(c["never_worse_than_cpsat"]), yes(c["never_worse_than_cpsat"])))
    print(table(rows))
    if a.only in (None, "gap"):
        print()
        print(gap_table(g["cde"]["rows"]))


def gap_table(rows: list[dict]) -> str:
    """Per-instance GAP results as a markdown table."""
    head = ("| instance | best known | zhuqi | gap | plain CP-SAT | gap | zhuqi bound |\n"
            "| --- | --- | --- | --- | --- | --- | --- |\n")
    return head + "\n".join(
        f"| {r['instance']} | {r['best_known']} | {r['zhuqi']:.0f} | {r['zhuqi_gap_pct']:.2f}% "
        f"| {r['cpsat']:.0f} | {r['cpsat_gap_pct']:.2f}% | {r['zhuqi_bound']:.0f} |"
        for r in rows)


if __name__ == "__main__":
    main()
