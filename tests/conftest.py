"""Shared fixtures: tiny scenario folders written from text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# a wide terminal for Rich, so that messages checked by the tests are not wrapped
os.environ["COLUMNS"] = "240"

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DATA = Path(__file__).resolve().parent / "data"

BASE_YAML = """\
name: tiny
description: two cadres, three firms
cadres: cadres.csv
firms: firms.csv
assignment:
  mode: one_to_many
  max_firms_per_cadre: 2
  max_distance_km: 50
  require_skills: primary
  objective: distance
"""
BASE_CADRES = """\
id,name,home_unit,lat,lon,skills,max_firms
c1,甲,水务局,38.90,100.40,financing;hiring,
c2,乙,工信局,38.95,100.50,cost_reduction,1
"""
BASE_FIRMS = """\
id,name,lat,lon,priority,needs
f1,企业一,38.91,100.41,1,financing
f2,企业二,38.94,100.49,0,cost_reduction;hiring
f3,企业三,38.92,100.45,0,hiring
"""


@pytest.fixture
def make_scenario(tmp_path: Path):
    """Write a scenario folder; keyword arguments replace files (None removes one)."""

    def make(
        yaml: str | None = BASE_YAML,
        cadres: str | bytes | None = BASE_CADRES,
        firms: str | bytes | None = BASE_FIRMS,
        **extra: str | bytes,
    ) -> Path:
        folder = tmp_path / "scn"
        folder.mkdir(exist_ok=True)
        files = {"scenario.yaml": yaml, "cadres.csv": cadres, "firms.csv": firms, **extra}
        for name, text in files.items():
            if text is None:
                continue
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            (folder / name).write_bytes(data)
        return folder

    return make
