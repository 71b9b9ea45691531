"""The staffing search against closed forms on the pooled M/M/c configuration."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from assign import load_scenario
from sim.staff import _decide, find_staffing, parse_target, starting_guess
from sim.store import Store
from tests.sim.sweep_helpers import erlang_c_by_sum, smallest_c_for_wait, write_mmc_scenario
from zhuqi.cli import app

LAM, MU = 4.0, 1.0


@pytest.fixture(scope="module")
def mmc_folder(tmp_path_factory):
    return write_mmc_scenario(tmp_path_factory.mktemp("staff") / "mmc", cadres=12, lam=LAM,
                              mu=MU, days=400, warmup=50)


def test_wait_target_gives_the_erlang_c_answer(mmc_folder, tmp_path):
    """Mean wait <= 0.3 days at lambda 4, mu 1: Erlang C says c = 6 (5 waits 0.554, 6 waits
    0.142); the search must find 6 and show 5 failing or on the edge."""
    expected = smallest_c_for_wait(LAM, MU, 0.3)
    assert expected == 6 and erlang_c_by_sum(5, 4.0) / (5 - 4.0) > 0.5
    res = find_staffing(load_scenario(mmc_folder), "mean_wait_days <= 0.3", seed=1,
                        store=tmp_path / "s.sqlite")
    assert res.cadres == expected
    out = res.to_json()
    assert out["below"]["cadres"] == expected - 1
    assert out["below"]["decision"] in ("fail", "edge")
    assert out["ci95"][1] <= 0.3 < out["below"]["ci95"][1]
    assert out["replications"] == sum(lv["replications"] for lv in out["levels"])
    assert set(out) >= {"cadres", "metric", "ci95", "below", "replications", "levels"}
    assert res.non_monotone == []


def test_utilisation_target_walks_up_and_bisects(mmc_folder):
    """Utilisation <= 0.6 needs c >= lambda / (0.6 mu) = 6.67, so 7; the starting guess (85%
    utilisation) is 5, so the search must step up past it and bisect back."""
    scenario = load_scenario(mmc_folder)
    res = find_staffing(scenario, "cadre_utilization <= 0.6", seed=2)
    assert res.cadres == math.ceil(LAM / (0.6 * MU)) == 7
    assert res.bracket["guess"] == 5
    assert {5, 6, 7} <= set(res.levels)
    assert res.levels[6].decision == "fail" and res.levels[7].decision == "pass"


def test_stored_runs_are_reused(mmc_folder, tmp_path):
    store = tmp_path / "s.sqlite"
    args = ["staff", str(mmc_folder), "--target", "mean_wait_days <= 0.3", "--seed", "1",
            "--store", str(store), "--workers", "1", "--out", str(tmp_path / "a.json")]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "6 cadres" in first.output
    with Store(store) as st:
        n = st.count()
    second = CliRunner().invoke(app, args[:-1] + [str(tmp_path / "b.json")])
    assert second.exit_code == 0, second.output
    with Store(store) as st:
        assert st.count() == n  # nothing ran again
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    assert a["levels"] == b["levels"] and a["cadres"] == 6


def test_no_level_meets_an_impossible_target(mmc_folder):
    res = CliRunner().invoke(app, ["staff", str(mmc_folder), "--target",
                                   "mean_wait_days <= -1", "--max", "8", "--max-replications", "4",
                                   "--workers", "1"])
    assert res.exit_code == 1
    assert "no level up to 8 cadres" in res.output


@pytest.mark.parametrize("text", ["wait < 3", "mean_wait_days >= x", ">= 2", "a == 1"])
def test_bad_targets_are_invalid_input(mmc_folder, text):
    with pytest.raises(ValueError, match="--target"):
        parse_target(text)
    res = CliRunner().invoke(app, ["staff", str(mmc_folder), "--target", text])
    assert res.exit_code == 2


def test_unknown_metric_is_invalid_input(mmc_folder):
    res = CliRunner().invoke(app, ["staff", str(mmc_folder), "--target", "speed >= 1",
                                   "--workers", "1"])
    assert res.exit_code == 2
    assert "not a metric the model reports" in res.output


def test_sequential_decisions():
    t = parse_target("m >= 0.5")
    assert _decide([0.9, 0.91, 0.89], t, 0.95, 0.01)[2] == "pass"
    assert _decide([0.1, 0.11, 0.09], t, 0.95, 0.01)[2] == "fail"
    assert _decide([0.4, 0.6, 0.5], t, 0.95, 0.01)[2] == "undecided"
    assert _decide([0.5, 0.5001, 0.4999, 0.5], t, 0.95, 0.01)[2] == "edge"


def test_starting_guess_is_erlang_c(mmc_folder):
    from sim import simulation_config

    scenario = load_scenario(mmc_folder)
    g = starting_guess(scenario, simulation_config(scenario), parse_target("mean_wait_days <= 0.05"))
    assert g["offered_load"] == pytest.approx(4.0)
    assert g["capacity_bound"] == 5
    assert g["guess"] == smallest_c_for_wait(LAM, MU, 0.05) == 7
