"""An HTML map of a pairing (folium / Leaflet) that works offline.

Leaflet itself is inlined into the page (BSD-2, shipped in ``assign/static/leaflet``), so
markers, lines and popups render with no network; only the background tiles need one.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

import numpy as np

from ..pairing import Pairing
from .export import atomic_write
from .scenario import Scenario

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
]
"""Colours given to cadres in turn."""


JQUERY_SHIM = """
window.$ = window.$ || function (x) {
  if (typeof x === "string") {
    var t = document.createElement("template");
    t.innerHTML = x.trim();
    return [t.content.firstChild];
  }
  return {ready: function (f) { document.addEventListener("DOMContentLoaded", f); }};
};
"""
"""The two uses folium makes of jQuery (parse a popup's HTML, document ready), without it."""


def _leaflet_inline() -> str:
    base = resources.files("assign") / "static" / "leaflet"
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    return f"<style>{css}</style>\n<script>{js}</script>\n<script>{JQUERY_SHIM}</script>"


def pairing_map(pairing: Pairing, scenario: Scenario, tiles: bool = True):
    """A folium map: a marker per firm and cadre, a line per pair, one colour per cadre.

    Args:
        pairing: The plan to draw.
        scenario: Its scenario (for coordinates).
        tiles: Add OpenStreetMap tiles (fetched by the browser when online).
    """
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ValueError("maps need folium: pip install folium") from exc
    cadres = scenario.cadres.set_index("id")
    firms = scenario.firms.set_index("id")
    lat = np.concatenate([cadres["lat"].to_numpy(float), firms["lat"].to_numpy(float)])
    lon = np.concatenate([cadres["lon"].to_numpy(float), firms["lon"].to_numpy(float)])
    if np.isnan(lat).all():
        raise ValueError("the scenario has no coordinates to draw a map from")
    fmap = folium.Map(tiles="OpenStreetMap" if tiles else None, control_scale=True)
    fmap.default_js = []
    fmap.default_css = []
    fmap.get_root().header.add_child(folium.Element(_leaflet_inline()))  # type: ignore[attr-defined]
    fmap.fit_bounds([[np.nanmin(lat), np.nanmin(lon)], [np.nanmax(lat), np.nanmax(lon)]])
    colour = {cid: PALETTE[i % len(PALETTE)] for i, cid in enumerate(cadres.index)}
    esc = html.escape
    for row in pairing.pairs.itertuples(index=False):
        c, f = cadres.loc[row.cadre_id], firms.loc[row.firm_id]
        folium.PolyLine(
            [[c["lat"], c["lon"]], [f["lat"], f["lon"]]], color=colour[row.cadre_id], weight=2,
            opacity=0.8, tooltip=f"{esc(str(row.cadre_name))} → {esc(str(row.firm_name))}: "
            f"{row.distance_km:.1f} km",
        ).add_to(fmap)
    paired = pairing.firm_to_cadre()
    for fid, f in firms.iterrows():
        if np.isnan(f["lat"]):
            continue
        cid = paired.get(fid)
        popup = (f"<b>{esc(str(f['name']))}</b> ({esc(str(fid))})<br>"
                 + (f"cadre: {esc(str(cadres.at[cid, 'name']))}" if cid else "uncovered"))
        folium.CircleMarker(
            [f["lat"], f["lon"]], radius=5, color=colour.get(cid, "#000000") if cid else "#000000",
            fill=True, fill_opacity=0.9 if cid else 0.2, weight=1,
            popup=folium.Popup(popup, max_width=300), tooltip=esc(str(f["name"])),
        ).add_to(fmap)
    loads = pairing.cadre_loads.set_index("cadre_id")
    for cid, c in cadres.iterrows():
        if np.isnan(c["lat"]):
            continue
        n = int(loads.at[cid, "firms"]) if cid in loads.index else 0
        km = float(loads.at[cid, "distance_km"]) if cid in loads.index else 0.0
        popup = (f"<b>{esc(str(c['name']))}</b> ({esc(str(cid))})<br>{esc(str(c['home_unit']))}"
                 f"<br>{n} firms, {km:.1f} km in all")
        square = (f'<div style="width:12px;height:12px;background:{colour[cid]};'
                  'border:2px solid #fff;box-shadow:0 0 2px #000"></div>')
        folium.Marker(
            [c["lat"], c["lon"]], icon=folium.DivIcon(html=square, icon_size=(16, 16),
                                                      icon_anchor=(8, 8)),
            popup=folium.Popup(popup, max_width=300), tooltip=esc(str(c["name"])),
        ).add_to(fmap)
    return fmap


def write_map(pairing: Pairing, scenario: Scenario, path: str | Path, tiles: bool = True) -> Path:
    """Write the pairing map as one self-contained HTML file."""
    page = pairing_map(pairing, scenario, tiles).get_root().render()
    return atomic_write(path, lambda p: p.write_text(page, encoding="utf-8"))
