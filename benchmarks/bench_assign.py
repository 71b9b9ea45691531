"""Province-size assignment: zhuqi's CLI against a bare cKDTree + min-cost-flow pipeline."""

from __future__ import annotations

import json

from common import BENCH, PY, WORK, ZHUQI, run, save

# Liaoning's steward programme: 26,000 stewards, 2.55 million market entities; 100 firms a
# cadre within 10 km. The spread around the 14 cities is chosen so that the density of
# cadres (and so the number of pairs a firm has, about 45-50) is the same at both scales.
SCALES = {
    "tenth": {"cadres": 2_600, "firms": 255_000, "spread_km": 10.0},
    "full": {"cadres": 26_000, "firms": 2_550_000, "spread_km": 31.0},
}


def scenario(scale: str) -> str:
    folder = WORK / f"liaoning-{scale}"
    if not (folder / "scenario.yaml").exists():
        p = SCALES[scale]
        gen = run([*ZHUQI, "generate", str(folder), "--cadres", str(p["cadres"]), "--firms",
                   str(p["firms"]), "--seed", "1", "--spread-km", str(p["spread_km"]),
                   "--max-firms", "100", "--max-distance-km", "10"])
        assert gen.code == 0, gen.stderr
    return str(folder)


def compare(scale: str, with_peer: bool = True, repeat: int = 1) -> dict:
    """zhuqi's CLI against the bare pipeline, ``repeat`` times each, alternating (zhuqi,
    bare, zhuqi, bare, ...) so that a change in the machine's load falls on both; the
    ratio is of the summed times, and each pair's own ratio is kept."""
    folder = scenario(scale)
    summary = WORK / f"liaoning-{scale}-summary.json"
    ours_t, bare_t, ours_mib, bare_mib = [], [], [], []
    s: dict = {}
    b: dict = {}
    for _ in range(repeat if with_peer else 1):
        summary.unlink(missing_ok=True)
        ours = run([*ZHUQI, "solve", folder, "--summary", str(summary)])
        if ours.code != 0:  # e.g. killed for want of memory: a result to report, not a crash
            return {**SCALES[scale], "zhuqi": {"seconds": ours.seconds,
                                               "peak_mib": ours.peak_mib,
                                               "exit_code": ours.code,
                                               "stderr": ours.stderr[-2000:]}}
        s = json.loads(summary.read_text())
        ours_t.append(ours.seconds)
        ours_mib.append(ours.peak_mib)
        if with_peer:
            bare = run([PY, str(BENCH / "peers" / "assign_bare.py"), folder, "100", "10"])
            assert bare.code == 0, bare.stderr
            b = json.loads(bare.stdout)
            bare_t.append(bare.seconds)
            bare_mib.append(bare.peak_mib)
    out = {
        **SCALES[scale],
        "zhuqi": {"seconds": sum(ours_t) / len(ours_t), "runs_s": ours_t,
                  "peak_mib": max(ours_mib), "assigned": s["assigned"],
                  "total_km": s["objective"], "status": s["status"],
                  "pairs": s["meta"]["candidate_pairs"], "pricing": s["meta"].get("pricing")},
    }
    if with_peer:
        out["bare"] = {"seconds": sum(bare_t) / len(bare_t), "runs_s": bare_t,
                       "peak_mib": max(bare_mib), **{k: v for k, v in b.items()
                                                      if k != "seconds"}}
        out["zhuqi_over_bare"] = sum(ours_t) / sum(bare_t)
        out["pair_ratios"] = [o / r for o, r in zip(ours_t, bare_t, strict=True)]
        out["same_coverage"] = b["assigned"] == s["assigned"]
        out["km_difference"] = abs(b["total_km"] - s["objective"])
    return out


def main(full: bool = False, repeat: int = 1) -> dict:
    results = {"tenth": compare("tenth", repeat=repeat)}
    if full:
        results["full"] = compare("full", with_peer=False)
    save("assign", results)
    return results


if __name__ == "__main__":
    import sys

    print(json.dumps(main("--full" in sys.argv), indent=1))
