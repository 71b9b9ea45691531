"""diff: per-firm changes against a plain dictionary comparison; files in en and zh headers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from assign import ScenarioError, solve, write_pairs
from assign.insight.diff import diff_counts, diff_pairings, read_plan
from zhuqi.cli import app


def _plans(seed: int):
    rng = np.random.default_rng(seed)
    firms = [f"f{i}" for i in range(30)]
    cadres = [f"c{i}" for i in range(6)]
    old = {f: cadres[rng.integers(6)] for f in firms if rng.random() < 0.8}
    new = {f: (c if rng.random() < 0.6 else cadres[rng.integers(6)]) for f, c in old.items()
           if rng.random() < 0.85}
    new.update({f: cadres[rng.integers(6)] for f in firms if f not in old and rng.random() < 0.5})
    km = {(f, c): float(rng.integers(1, 50)) for f in firms for c in cadres}

    def table(d):
        return pd.DataFrame({"cadre_id": list(d.values()), "firm_id": list(d),
                             "distance_km": [km[(f, c)] for f, c in d.items()],
                             "cost": [km[(f, c)] for f, c in d.items()]})

    return old, new, table(old), table(new), km


@pytest.mark.parametrize("seed", range(5))
def test_statuses_and_deltas_match_a_dictionary_comparison(seed):
    old, new, a, b, km = _plans(seed)
    d = diff_pairings(a, b).set_index("firm_id")
    for f in set(old) | set(new):
        want = ("kept" if old.get(f) == new.get(f) else "moved" if f in old and f in new
                else "removed" if f in old else "added")
        assert d.at[f, "status"] == want
        delta = (km[(f, new[f])] if f in new else 0.0) - (km[(f, old[f])] if f in old else 0.0)
        assert d.at[f, "distance_delta_km"] == pytest.approx(delta)
        assert d.at[f, "from_cadre_id"] == old.get(f, "")
        assert d.at[f, "to_cadre_id"] == new.get(f, "")
    assert len(d) == len(set(old) | set(new))
    assert d["distance_delta_km"].sum() == pytest.approx(b["distance_km"].sum() - a["distance_km"].sum())
    c = diff_counts(d.reset_index())
    assert sum(c.values()) == len(d) and c["kept"] == sum(old.get(f) == new[f] for f in new)


def test_files_with_chinese_headers_and_the_cli(tmp_path, make_scenario):
    from assign import load_scenario

    sc = load_scenario(make_scenario())
    p1 = solve(sc)
    sc2 = sc.with_config(max_firms_per_cadre=1)
    p2 = solve(sc2)
    write_pairs(p1, tmp_path / "a.csv", lang="zh")
    write_pairs(p2, tmp_path / "b.xlsx")
    assert list(read_plan(tmp_path / "a.csv")["firm_id"]) == list(p1.pairs["firm_id"])
    res = CliRunner().invoke(app, ["diff", str(tmp_path / "a.csv"), str(tmp_path / "b.xlsx"),
                                   "--out", str(tmp_path / "d.csv")])
    assert res.exit_code == 0, res.output
    d = pd.read_csv(tmp_path / "d.csv", encoding="utf-8-sig")
    assert set(d["status"]) <= {"kept", "moved", "added", "removed"}
    assert (tmp_path / "d.csv.manifest.json").is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("cadre_id,firm_id\nc1,f1\nc2,f1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="line 3.*paired twice"):
        read_plan(bad)
    res = CliRunner().invoke(app, ["diff", str(bad), str(tmp_path / "a.csv")])
    assert res.exit_code == 2
