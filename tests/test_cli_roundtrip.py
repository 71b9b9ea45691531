"""End-to-end: every pairing list `zhuqi solve` writes, in either language and format, is
taken by every command that takes a pairing list (explain --pairing, simulate --pairs,
solve --previous, diff)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from zhuqi.cli import app

from .conftest import SCENARIOS

runner = CliRunner()
QZ = str(SCENARIOS / "quanzhou-2020")
TWO = ["--set", "assignment.max_firms_per_cadre=2"]


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    out = tmp_path_factory.mktemp("lists")
    paths = {}
    for lang in ("en", "zh"):
        for fmt in ("csv", "xlsx"):
            p = out / f"pairs-{lang}.{fmt}"
            res = runner.invoke(app, ["solve", QZ, *TWO, "--out", str(p), "--lang", lang])
            assert res.exit_code == 0, res.output
            paths[lang, fmt] = p
    return paths


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_command_takes_every_pairing_list(lists, lang, fmt, tmp_path):
    """Before: `solve --out x.xlsx` (Chinese by default) and a --lang zh CSV were refused by
    explain --pairing and simulate --pairs ("column 'cadre_id': required column is missing")."""
    p = str(lists[lang, fmt])
    res = runner.invoke(app, ["explain", QZ, *TWO, "--pairing", p, "--out",
                              str(tmp_path / "why.json")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["simulate", QZ, "--pairs", p, "--replications", "1",
                              "--days", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["solve", QZ, *TWO, "--previous", p, "--json"])
    assert res.exit_code == 0, res.output
    assert '"moved": 0' in res.output and '"kept": 26' in res.output  # 13 cadres x 2, same plan
    other = str(lists["zh" if lang == "en" else "en", "xlsx" if fmt == "csv" else "csv"])
    res = runner.invoke(app, ["diff", other, p])
    assert res.exit_code == 0, res.output
    assert "kept" in res.output and "26" in res.output
