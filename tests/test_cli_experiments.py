"""End-to-end: zhuqi sweep / report exit codes and outputs, and batch solves."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from typer.testing import CliRunner

from assign import load_scenario
from assign.geo import haversine_km
from tests.conftest import SCENARIOS
from tests.sim.sweep_helpers import store_rows, write_design, write_mmc_scenario
from zhuqi.cli import app

runner = CliRunner()


@pytest.fixture
def swept(tmp_path):
    """A small sweep with one failing design point (no firm within 0.0001 km)."""
    folder = write_mmc_scenario(tmp_path / "mmc", cadres=4, firms=6, service="assigned",
                                days=60, warmup=0)
    design = write_design(tmp_path / "design.yaml", """\
factors:
  cadres: [2, 4]
  assignment.max_distance_km: [0.0001, 50]
replications: 3
seed: 5
""")
    store = tmp_path / "r.sqlite"
    res = runner.invoke(app, ["sweep", str(folder), "--design", str(design), "--store",
                              str(store), "--workers", "1"])
    return folder, design, store, res


def test_sweep_records_failures_and_exits_1_with_a_count(swept):
    folder, design, store, res = swept
    assert res.exit_code == 1, res.output
    assert "6 of 12 runs failed" in res.output
    rows = store_rows(store)
    assert len(rows) == 12
    assert (rows.status == "failed").sum() == 6
    again = runner.invoke(app, ["sweep", str(folder), "--design", str(design), "--store",
                                str(store), "--workers", "1", "--json"])
    assert again.exit_code == 1
    out = json.loads(again.stdout)
    assert (out["skipped"], out["ran"], out["failed"]) == (12, 0, 6)


def test_report_means_and_cis_match_the_runs(swept, tmp_path):
    """The summary is checked against an independent computation with scipy.stats.t."""
    from scipy import stats

    _, _, store, _ = swept
    out_csv = tmp_path / "summary.csv"
    plot = tmp_path / "plot.png"
    res = runner.invoke(app, ["report", str(store), "--by", "cadres", "--metric",
                              "resolution_rate,issues_raised", "--out", str(out_csv),
                              "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    assert "6 failed runs are left out" in res.output
    table = pd.read_csv(out_csv, encoding="utf-8-sig")
    assert list(table.columns) == ["cadres", "runs", "resolution_rate", "resolution_rate_lo",
                                   "resolution_rate_hi", "issues_raised", "issues_raised_lo",
                                   "issues_raised_hi"]
    rows = store_rows(store)
    for _, row in table.iterrows():
        v = rows[(rows.status == "ok") & (rows.cadres == row["cadres"])]["resolution_rate"]
        lo, hi = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v))
        assert row["runs"] == len(v) == 3
        assert row["resolution_rate"] == pytest.approx(v.mean())
        assert (row["resolution_rate_lo"], row["resolution_rate_hi"]) == pytest.approx((lo, hi))
    assert plot.stat().st_size > 1000
    for written in (out_csv, plot):
        man = json.loads((written.parent / (written.name + ".manifest.json")).read_text())
        assert man["inputs"][0]["role"] == "store"
    bad = runner.invoke(app, ["report", str(store), "--by", "nope"])
    assert bad.exit_code == 2 and "'nope' is not a factor" in bad.output
    missing = runner.invoke(app, ["report", str(tmp_path / "absent.sqlite")])
    assert missing.exit_code == 2


def test_sweep_invalid_input_exits_2_and_writes_nothing(tmp_path):
    folder = write_mmc_scenario(tmp_path / "mmc", cadres=3)
    design = write_design(tmp_path / "design.yaml", "factors: {cadres: [2, 7]}\n")
    store = tmp_path / "r.sqlite"
    res = runner.invoke(app, ["sweep", str(folder), "--design", str(design), "--store",
                              str(store)])
    assert res.exit_code == 2
    flat = res.output.replace("\n", "")  # Rich wraps long paths at the terminal width
    assert "design.yaml" in flat and "staffing level 7" in flat
    assert not store.exists()
    both = runner.invoke(app, ["sweep", str(folder), "--design", str(design), "--store",
                               str(store), "--workers", "2", "--scheduler", "tcp://x:1"])
    assert both.exit_code == 2 and "not both" in both.output


def _lsa_distance(folder) -> float:
    """Optimal one-to-one total distance by scipy's linear_sum_assignment."""
    s = load_scenario(folder)
    cost = np.array([[haversine_km(c.lat, c.lon, f.lat, f.lon) for f in s.firms.itertuples()]
                     for c in s.cadres.itertuples()])
    r, c = linear_sum_assignment(cost)
    return float(cost[r, c].sum())


def _one_to_one(tmp_path, name: str, seed: int):
    """A small one-to-one scenario with random coordinates, every pair admissible."""
    rng = np.random.default_rng(seed)
    folder = tmp_path / "in" / name
    folder.mkdir(parents=True)
    n = 6
    lat, lon = 30 + rng.uniform(0, 0.2, 2 * n), 110 + rng.uniform(0, 0.2, 2 * n)
    (folder / "cadres.csv").write_text("id,lat,lon\n" + "".join(
        f"c{i},{lat[i]:.5f},{lon[i]:.5f}\n" for i in range(n)))
    (folder / "firms.csv").write_text("id,lat,lon\n" + "".join(
        f"f{i},{lat[n + i]:.5f},{lon[n + i]:.5f}\n" for i in range(n)))
    (folder / "scenario.yaml").write_text(f"name: {name}\ncadres: cadres.csv\nfirms: firms.csv\n"
                                          "assignment: {mode: one_to_one}\n")
    return folder


def test_batch_with_a_broken_scenario_in_the_middle(tmp_path):
    a = _one_to_one(tmp_path, "a", 1)
    broken = tmp_path / "in" / "b-broken"
    shutil.copytree(a, broken)
    (broken / "scenario.yaml").write_text("name: b\ncadres: cadres.csv\nfirms: firms.csv\n"
                                          "assignment: {mode: one_to_one, max_firms: 3}\n")
    c = _one_to_one(tmp_path, "c", 2)
    out = tmp_path / "out"
    res = runner.invoke(app, ["solve", str(a), str(broken), str(c), "--out-dir", str(out)])
    assert res.exit_code == 1, res.output
    assert "1 of 3 scenarios failed" in res.output
    table = pd.read_csv(out / "batch.csv", encoding="utf-8-sig")
    assert table["scenario"].tolist() == ["a", "b-broken", "c"]
    assert table["status"].tolist() == ["optimal", "invalid", "optimal"]
    assert "max_firms" in table.loc[1, "error"]
    for name, folder in (("a", a), ("c", c)):
        assert table.set_index("scenario").loc[name, "objective"] == pytest.approx(
            _lsa_distance(folder), rel=1e-4)
        pairs = pd.read_csv(out / name / "pairs.csv", encoding="utf-8-sig")
        assert len(pairs) == 6
        manifest = json.loads((out / name / "manifest.json").read_text())
        sha = {e["role"]: e["sha256"] for e in manifest["inputs"]}
        assert sha["cadres"] == hashlib.sha256((folder / "cadres.csv").read_bytes()).hexdigest()
        summary = json.loads((out / name / "summary.json").read_text())
        assert summary["status"] == "optimal" and summary["manifest"]["inputs"]
        assert (out / name / "pairs.csv.manifest.json").exists()
    assert not (out / "b-broken").exists()
    # a folder of scenario folders, two processes: the same table
    out2 = tmp_path / "out2"
    again = runner.invoke(app, ["solve", str(tmp_path / "in"), "--out-dir", str(out2),
                                "--workers", "2"])
    assert again.exit_code == 1
    t2 = pd.read_csv(out2 / "batch.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(t2.drop(columns=["seconds", "out"]),
                                  table.drop(columns=["seconds", "out"]))


def test_batch_exit_codes_all_ok_and_all_invalid(tmp_path):
    out = tmp_path / "out"
    ok = runner.invoke(app, ["solve", str(SCENARIOS / "nanan-2020"),
                             str(SCENARIOS / "quanzhou-2020"), "--out-dir", str(out)])
    assert ok.exit_code == 0, ok.output
    assert (out / "nanan-2020" / "pairs.csv").exists()
    assert (out / "quanzhou-2020" / "summary.json").exists()
    bad = runner.invoke(app, ["solve", str(tmp_path / "nowhere"), str(tmp_path / "nothing*"),
                              "--out-dir", str(tmp_path / "out3")])
    assert bad.exit_code == 2
    assert pd.read_csv(tmp_path / "out3" / "batch.csv")["status"].tolist() == ["invalid"] * 2
    several = runner.invoke(app, ["solve", str(SCENARIOS / "nanan-2020"),
                                  str(SCENARIOS / "quanzhou-2020")])
    assert several.exit_code == 2 and "--out-dir" in several.output
