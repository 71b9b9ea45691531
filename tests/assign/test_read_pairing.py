"""read_pairing reads back what zhuqi writes, in either language."""

from __future__ import annotations

import pytest

from assign import load_scenario, read_pairing, solve, write_pairs
from tests.conftest import ROOT


@pytest.mark.parametrize("name,lang", [("pairs.xlsx", "zh"), ("pairs.xlsx", "en"), ("pairs.csv", "zh")])
def test_pairing_list_reads_back(tmp_path, name, lang):
    """A list written with Chinese headers (干部编号, 企业编号) reads back with the same pairs.

    Before the fix, ``zhuqi explain --pairing 结对名单.xlsx`` (Chinese headers, the default
    for workbooks) failed with "required column is missing"."""
    scenario = load_scenario(ROOT / "scenarios" / "quanzhou-2020")
    pairing = solve(scenario)
    path = write_pairs(pairing, tmp_path / name, lang=lang)
    back = read_pairing(path, scenario)
    written = sorted(zip(pairing.pairs["cadre_id"], pairing.pairs["firm_id"], strict=True))
    assert sorted(zip(back.pairs["cadre_id"], back.pairs["firm_id"], strict=True)) == written
    assert len(written) == 31
