"""Synthetic scenarios of any size, from a seed: cadres and firms clustered around cities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .categories import CATEGORY_KEYS
from .geo import EARTH_RADIUS_KM
from .io.export import atomic_write, write_csv

REGIONS: dict[str, list[tuple[str, float, float]]] = {
    "liaoning": [
        ("Shenyang", 41.805, 123.431), ("Dalian", 38.914, 121.615), ("Anshan", 41.108, 122.994),
        ("Fushun", 41.880, 123.957), ("Benxi", 41.294, 123.766), ("Dandong", 40.125, 124.383),
        ("Jinzhou", 41.095, 121.127), ("Yingkou", 40.667, 122.235), ("Fuxin", 42.022, 121.670),
        ("Liaoyang", 41.268, 123.173), ("Panjin", 41.120, 122.071), ("Tieling", 42.290, 123.844),
        ("Chaoyang", 41.573, 120.451), ("Huludao", 40.711, 120.837),
    ],
    "quanzhou": [("Quanzhou", 24.874, 118.676), ("Nan'an", 24.960, 118.386),
                 ("Jinjiang", 24.781, 118.552), ("Anxi", 25.056, 118.186)],
    "yifeng": [("Yifeng", 28.393, 114.803)],
    "zhangye": [("Zhangye", 38.926, 100.455)],
}
"""City centres (name, lat, lon) that synthetic cadres and firms cluster around."""


def _scatter(rng: np.random.Generator, n: int, centres: np.ndarray, weights: np.ndarray,
             spread_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    city = rng.choice(len(centres), size=n, p=weights)
    north = rng.normal(0.0, spread_km, n)
    east = rng.normal(0.0, spread_km, n)
    lat = centres[city, 0] + np.degrees(north / EARTH_RADIUS_KM)
    lon = centres[city, 1] + np.degrees(east / (EARTH_RADIUS_KM * np.cos(np.radians(lat))))
    return np.round(np.clip(lat, -89.9, 89.9), 6), np.round(lon, 6), city


def _category_lists(rng: np.random.Generator, n: int, keys: list[str], most: int) -> list[str]:
    k = rng.integers(1, most + 1, n)
    draws = np.argsort(rng.random((n, len(keys))), axis=1)
    cats = np.array(keys, dtype=object)[draws]
    return [";".join(row[:kk]) for row, kk in zip(cats, k, strict=True)]


def synthetic_tables(
    cadres: int,
    firms: int,
    seed: int = 0,
    region: str = "liaoning",
    spread_km: float = 15.0,
    categories: list[str] | None = None,
    key_share: float = 0.1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random cadre and firm tables (columns as in cadres.csv and firms.csv).

    Args:
        cadres: Number of cadres.
        firms: Number of firms.
        seed: Seed of the random generator; the same seed gives the same tables.
        region: A key of :data:`REGIONS`; entities cluster around its cities.
        spread_km: Standard deviation of the distance from a city centre, per axis.
        categories: Category keys to draw skills and needs from (default: all).
        key_share: Share of firms marked priority 1 (key firms).
    """
    rng = np.random.default_rng(seed)
    keys = list(categories or CATEGORY_KEYS)
    cities = REGIONS[region]
    centres = np.array([(lat, lon) for _, lat, lon in cities])
    weights = np.linspace(2.0, 1.0, len(cities))
    weights /= weights.sum()
    clat, clon, ccity = _scatter(rng, cadres, centres, weights, spread_km)
    flat, flon, fcity = _scatter(rng, firms, centres, weights, spread_km)
    city_names = np.array([c[0] for c in cities], dtype=object)
    cw = len(str(cadres))
    fw = len(str(firms))
    cadre_df = pd.DataFrame(
        {
            "id": [f"C{i:0{cw}d}" for i in range(1, cadres + 1)],
            "name": [f"干部{i}" for i in range(1, cadres + 1)],
            "home_unit": city_names[ccity] + " bureau",
            "lat": clat,
            "lon": clon,
            "skills": _category_lists(rng, cadres, keys, 3),
        }
    )
    firm_df = pd.DataFrame(
        {
            "id": [f"F{i:0{fw}d}" for i in range(1, firms + 1)],
            "name": [f"企业{i}" for i in range(1, firms + 1)],
            "sector": city_names[fcity],
            "lat": flat,
            "lon": flon,
            "employees": rng.integers(10, 2000, firms),
            "priority": (rng.random(firms) < key_share).astype(int),
            "needs": _category_lists(rng, firms, keys, 2),
        }
    )
    return cadre_df, firm_df


def write_scenario(
    folder: str | Path,
    cadres: pd.DataFrame,
    firms: pd.DataFrame,
    name: str,
    description: str = "",
    assignment: dict[str, Any] | None = None,
    simulation: dict[str, Any] | None = None,
    pairs: pd.DataFrame | None = None,
) -> Path:
    """Write a scenario folder (scenario.yaml, cadres.csv, firms.csv[, pairs.csv])."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "cadres.csv", cadres)
    write_csv(folder / "firms.csv", firms)
    doc: dict[str, Any] = {
        "name": name,
        "description": description,
        "cadres": "cadres.csv",
        "firms": "firms.csv",
    }
    if pairs is not None:
        write_csv(folder / "pairs.csv", pairs)
        doc["pairs"] = "pairs.csv"
    doc["assignment"] = assignment or {}
    doc["simulation"] = simulation or {}
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    atomic_write(folder / "scenario.yaml", lambda p: p.write_text(text, encoding="utf-8"))
    return folder / "scenario.yaml"


def generate_scenario(
    folder: str | Path,
    cadres: int,
    firms: int,
    seed: int = 0,
    region: str = "liaoning",
    spread_km: float = 15.0,
    **assignment: Any,
) -> Path:
    """Generate and write a synthetic scenario; returns the path of its yaml."""
    c, f = synthetic_tables(cadres, firms, seed, region, spread_km)
    desc = (
        f"Synthetic scenario from `zhuqi generate` (seed {seed}): {cadres} cadres and {firms} "
        f"firms clustered around the cities of '{region}' (spread {spread_km} km)."
    )
    return write_scenario(folder, c, f, Path(folder).name, desc, assignment)
