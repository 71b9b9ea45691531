"""The flow's independent parts solved on an executor: the same plan as in one process,
checked against scipy's Hungarian solver, with lost tasks solved again."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from assign.solvers import flow
from assign.solvers.flow import solve_flow


class LossyExecutor:
    """Runs tasks in this process in reverse order, losing every second one (as a killed
    worker would), and running one task twice (as Dask may)."""

    def __init__(self):
        self.tasks = 0

    def map_unordered(self, fn, shared, tasks):
        tasks = list(tasks)
        self.tasks = len(tasks)
        for n, task in enumerate(reversed(tasks)):
            if n % 2:
                yield task, None, RuntimeError("worker died")
            else:
                yield task, fn(shared, task), None
        yield tasks[0], fn(shared, tasks[0]), None


def _islands(rng, islands=5):
    """Cadres and firms in separate islands (no pair between islands): per island, a few
    cadres with capacities and firms each with pairs to some of its island's cadres."""
    ci, fj, cost, caps = [], [], [], []
    m = n = 0
    for _ in range(islands):
        mc, nf = int(rng.integers(2, 5)), int(rng.integers(3, 9))
        caps.extend(rng.integers(1, 4, mc).tolist())
        for f in range(nf):
            for c in range(mc):
                if rng.random() < 0.6:
                    ci.append(m + c)
                    fj.append(n + f)
                    cost.append(int(rng.integers(0, 50)))
        m, n = m + mc, n + nf
    return (np.array(ci), np.array(fj), np.array(cost, np.int64), np.array(caps, np.int64),
            m, n)


def _hungarian(ci, fj, cost, caps, m, n):
    """Most firms covered, then least cost, by scipy's Hungarian solver on the cadres' places
    (each cadre repeated ``capacity`` times), a missing pair at a prohibitive cost."""
    slots = np.repeat(np.arange(m), caps)
    big = 10**6
    w = np.full((n, len(slots)), 10 * big)
    for c, f, k in zip(ci, fj, cost, strict=True):
        w[f, slots == c] = k - big  # every pair beats leaving the firm out
    rows, cols = linear_sum_assignment(w)
    used = w[rows, cols] < 0
    return int(used.sum()), int((w[rows, cols][used] + big).sum())


@pytest.mark.parametrize("seed", range(8))
def test_groups_on_an_executor_give_the_same_plan(seed, monkeypatch, caplog):
    rng = np.random.default_rng(seed)
    ci, fj, cost, caps, m, n = _islands(rng)
    ranks = np.zeros(n, np.int64)
    monkeypatch.setattr(flow, "GROUP_PAIRS", 4)  # every island a group of its own
    alone, status = solve_flow(ci, fj, cost, caps, ranks)
    lossy = LossyExecutor()
    spread, status2 = solve_flow(ci, fj, cost, caps, ranks, executor=lossy)
    assert status == status2 == "optimal"
    assert lossy.tasks > 1
    assert "lost by the executor (RuntimeError: worker died); solved here" in caplog.text
    assert spread.tolist() == alone.tolist()
    assert len(np.unique(fj[spread])) == len(spread)
    assert (np.bincount(ci[spread], minlength=m) <= caps).all()
    assert (len(spread), int(cost[spread].sum())) == _hungarian(ci, fj, cost, caps, m, n)


def test_groups_on_local_processes(monkeypatch):
    """Real worker processes (sim's ProcessExecutor): the same plan."""
    from sim.executors import ProcessExecutor

    rng = np.random.default_rng(11)
    ci, fj, cost, caps, m, n = _islands(rng, islands=6)
    ranks = rng.integers(0, 2, n)
    monkeypatch.setattr(flow, "GROUP_PAIRS", 4)
    alone, _ = solve_flow(ci, fj, cost, caps, ranks)
    with ProcessExecutor(2) as ex:
        spread, status = solve_flow(ci, fj, cost, caps, ranks, executor=ex)
    assert status == "optimal"
    assert spread.tolist() == alone.tolist()


def test_cli_one_scenario_with_workers_solves_its_parts_in_processes(tmp_path, monkeypatch):
    """``zhuqi solve S --workers 2``: the scenario's groups go to two local processes (the
    groups are counted), and the summary is the one of the run in one process."""
    import json
    import sys

    from typer.testing import CliRunner

    import assign
    from zhuqi.cli import app

    assign.solve  # noqa: B018 - loads assign.solve (the package's names load when first used)
    calls: list[bool] = []
    monkeypatch.setattr(flow, "GROUP_PAIRS", 50)
    monkeypatch.setattr(sys.modules["assign.solve"], "solve_flow",
                        _counting(flow.solve_flow, calls))
    runner = CliRunner()
    out = {}
    for name, extra in (("one", []), ("two", ["--workers", "2"])):
        res = runner.invoke(app, ["solve", "scenarios/yifeng-2020", "--backend", "flow",
                                  "--summary", str(tmp_path / f"{name}.json"), *extra])
        assert res.exit_code == 0, res.output
        out[name] = json.loads((tmp_path / f"{name}.json").read_text())
    assert calls == [False, True]  # no executor, then one
    for key in ("status", "assigned", "objective"):
        assert out["one"][key] == out["two"][key]


def _counting(fn, calls):
    def wrapped(*args, **kw):
        calls.append((args[5] if len(args) > 5 else kw.get("executor")) is not None)
        return fn(*args, **kw)
    return wrapped
