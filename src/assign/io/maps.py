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


TILE_SERVERS = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "wgs84",
            "&copy; OpenStreetMap contributors"),
    "amap": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
             "&x={x}&y={y}&z={z}", "gcj02", "&copy; 高德地图"),
}
"""Named tile servers: URL template, coordinate system of the tiles, attribution."""

GCJ02_HINTS = ("autonavi", "amap", "gaode", "qq.com", "tencent", "gtimg")
"""A tile URL naming one of these serves GCJ-02 tiles (Amap, Tencent); others WGS-84
(OpenStreetMap, Tianditu's ``_w`` layers, most intranet servers)."""

TEXT = {
    "en": {"cadre": "cadre", "covered": "firm with a cadre", "uncovered": "firm without a cadre",
           "pair": "pair (cadre → firm)", "roads": "roads", "extent": "extent of the points",
           "firms": "firms", "km": "km in all", "status": "plan", "of": "firms covered",
           "reason": "reason"},
    "zh": {"cadre": "干部", "covered": "已结对企业", "uncovered": "未覆盖企业", "pair": "结对（干部→企业）",
           "roads": "道路", "extent": "点位范围", "firms": "家企业", "km": "公里（合计）",
           "status": "方案状态", "of": "家企业已结对", "reason": "原因"},
}


def tile_source(tiles: str | bool | None) -> tuple[str, str, str] | None:
    """(URL template, coordinate system, attribution) for ``--tiles``, or None for none.

    ``tiles`` is True / "osm" (OpenStreetMap), "amap", False / None / "none" (no
    background tiles), or a URL template with ``{x}``, ``{y}``, ``{z}`` (an intranet tile
    server); a template's system is GCJ-02 when it names Amap or Tencent (see
    :data:`GCJ02_HINTS`), else WGS-84. Append ``#gcj02`` or ``#wgs84`` to say it outright.
    """
    if tiles is True:
        tiles = "osm"
    if not tiles or tiles == "none":
        return None
    if tiles in TILE_SERVERS:
        return TILE_SERVERS[tiles]
    url, _, system = str(tiles).partition("#")
    if not all(k in url for k in ("{x}", "{y}", "{z}")):
        raise ValueError(f"--tiles '{tiles}': give osm, amap, none or a URL template with "
                         "{x}, {y} and {z}")
    if not system:
        system = "gcj02" if any(h in url.lower() for h in GCJ02_HINTS) else "wgs84"
    if system not in ("wgs84", "gcj02"):
        raise ValueError(f"--tiles '{tiles}': coordinate system '{system}' is not wgs84 or gcj02")
    return url, system, "tiles: " + html.escape(url.split("/")[2] if "//" in url else url)


def pairing_map(pairing: Pairing, scenario: Scenario, tiles: str | bool | None = True,
                lang: str = "en"):
    """A folium map: a marker per firm and cadre, a line per pair, one colour per cadre,
    with a title, a legend and a metric scale.

    Args:
        pairing: The plan to draw.
        scenario: Its scenario (for coordinates, and the road graph drawn as background).
        tiles: Background tiles (see :func:`tile_source`); markers are drawn in the
            tiles' coordinate system. Without tiles the road graph is the background, or
            else an outline of the points' extent.
        lang: "en" or "zh" (title, legend and popups).
    """
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - folium is a dependency
        raise ValueError("maps need folium: pip install folium") from exc
    from ..candidates import REASONS_ZH
    from .crs import wgs84_to_gcj02

    words = TEXT["zh" if lang == "zh" else "en"]
    source = tile_source(tiles)
    system = source[1] if source else "wgs84"

    def place(lat, lon):
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        return wgs84_to_gcj02(lat, lon) if system == "gcj02" else (lat, lon)

    cadres = scenario.cadres.set_index("id").copy()
    firms = scenario.firms.set_index("id").copy()
    for t in (cadres, firms):
        t["lat"], t["lon"] = place(t["lat"].to_numpy(float), t["lon"].to_numpy(float))
    lat = np.concatenate([cadres["lat"].to_numpy(float), firms["lat"].to_numpy(float)])
    lon = np.concatenate([cadres["lon"].to_numpy(float), firms["lon"].to_numpy(float)])
    if np.isnan(lat).all():
        raise ValueError("the scenario has no coordinates to draw a map from")
    fmap = folium.Map(tiles=None, control_scale=False)
    if source is not None:
        folium.TileLayer(tiles=source[0], attr=source[2], name="tiles",
                         subdomains="1234" if "{s}" in source[0] else "abc").add_to(fmap)
    fmap.default_js = []
    fmap.default_css = []
    fmap.get_root().header.add_child(folium.Element(_leaflet_inline()))  # type: ignore[attr-defined]
    south, west, north, east = np.nanmin(lat), np.nanmin(lon), np.nanmax(lat), np.nanmax(lon)
    fmap.fit_bounds([[south, west], [north, east]])
    roads = scenario.roads
    if roads is not None and roads.n_edges:
        rlat, rlon = place(roads.lat, roads.lon)
        both = _has_reverse(roads)
        segments = [[[rlat[u], rlon[u]], [rlat[v], rlon[v]]]
                    for u, v in zip(roads.tail.tolist(), roads.head.tolist(), strict=True)
                    if u < v or not both]
        folium.PolyLine(segments, color="#9e9e9e", weight=1.5, opacity=0.7,
                        tooltip=words["roads"]).add_to(fmap)
    elif source is None:
        folium.Rectangle([[south, west], [north, east]], color="#555555", weight=1,
                         dash_array="6 4", fill=False, tooltip=words["extent"]).add_to(fmap)
    colour = {cid: PALETTE[i % len(PALETTE)] for i, cid in enumerate(cadres.index)}
    esc = html.escape
    for row in pairing.pairs.itertuples(index=False):
        c, f = cadres.loc[row.cadre_id], firms.loc[row.firm_id]
        folium.PolyLine(
            [[c["lat"], c["lon"]], [f["lat"], f["lon"]]], color=colour[row.cadre_id], weight=2,
            opacity=0.8, tooltip=f"{esc(str(row.cadre_name))} → {esc(str(row.firm_name))}: "
            f"{row.distance_km:.1f} {'公里' if lang == 'zh' else 'km'}",
        ).add_to(fmap)
    paired = pairing.firm_to_cadre()
    unc = pairing.uncovered.set_index("firm_id") if len(pairing.uncovered) else None
    for fid, f in firms.iterrows():
        if np.isnan(f["lat"]):
            continue
        cid = paired.get(fid)
        if cid:
            status = f"{words['cadre']}: {esc(str(cadres.at[cid, 'name']))}"
        else:
            status = words["uncovered"]
            if unc is not None and fid in unc.index:
                code = str(unc.at[fid, "reason"])
                why = REASONS_ZH.get(code, code) if lang == "zh" else str(unc.at[fid, "detail"])
                status += f"<br>{words['reason']}: {esc(why)}"
        popup = f"<b>{esc(str(f['name']))}</b> ({esc(str(fid))})<br>{status}"
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
        km = float(loads.at[cid, "distance_km"]) if cid in loads.index and "distance_km" in \
            loads.columns else 0.0
        popup = (f"<b>{esc(str(c['name']))}</b> ({esc(str(cid))})<br>{esc(str(c['home_unit']))}"
                 f"<br>{n} {words['firms']}, {km:.1f} {words['km']}")
        folium.Marker(
            [c["lat"], c["lon"]], icon=folium.DivIcon(html=_square(colour[cid]), icon_size=(16, 16),
                                                      icon_anchor=(8, 8)),
            popup=folium.Popup(popup, max_width=300), tooltip=esc(str(c["name"])),
        ).add_to(fmap)
    root = fmap.get_root()
    root.html.add_child(folium.Element(_title(pairing, scenario, words, lang)))  # type: ignore[attr-defined]
    root.html.add_child(folium.Element(_legend(words, roads is not None and roads.n_edges > 0,  # type: ignore[attr-defined]
                                               source is None)))
    fmap.add_child(_metric_scale())
    return fmap


def _metric_scale():
    """A Leaflet scale bar in metres and kilometres only (folium's shows miles too)."""
    from branca.element import MacroElement
    from jinja2 import Template

    class MetricScale(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}L.control.scale({imperial: false, metric: true})"
            ".addTo({{ this._parent.get_name() }});{% endmacro %}")

    return MetricScale()


def _has_reverse(roads) -> bool:
    """Whether every edge's reverse is an edge too (then each road is drawn once)."""
    fwd = set(zip(roads.tail.tolist(), roads.head.tolist(), strict=True))
    return all((v, u) in fwd for u, v in fwd)


def _square(colour: str) -> str:
    return (f'<div style="width:12px;height:12px;background:{colour};'
            'border:2px solid #fff;box-shadow:0 0 2px #000"></div>')


_BOX = ("position:fixed;z-index:1000;background:rgba(255,255,255,0.92);padding:6px 10px;"
        "border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,0.4);font:13px sans-serif;")


def _title(pairing: Pairing, scenario: Scenario, words: dict, lang: str) -> str:
    from .printing import STATUS_ZH

    name = html.escape(str(scenario.config.name))
    status = STATUS_ZH.get(pairing.status, pairing.status) if lang == "zh" else pairing.status
    total = pairing.assigned + len(pairing.uncovered)
    line = (f"{pairing.assigned}/{total} {words['of']}" if lang == "zh" else
            f"{pairing.assigned} of {total} {words['of']}")
    return (f'<div class="zhuqi-title" style="{_BOX}top:10px;left:50%;transform:translateX(-50%);">'
            f'<b>{name}</b> · {words["status"]}: {html.escape(status)} · {line}</div>')


def _legend(words: dict, roads: bool, extent: bool) -> str:
    rows = [
        (_square("#1f77b4"), words["cadre"]),
        ('<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
         'background:#1f77b4"></span>', words["covered"]),
        ('<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
         'border:1px solid #000;background:rgba(0,0,0,0.2)"></span>', words["uncovered"]),
        ('<span style="display:inline-block;width:18px;border-top:2px solid #1f77b4"></span>',
         words["pair"]),
    ]
    if roads:
        rows.append(('<span style="display:inline-block;width:18px;border-top:2px solid #9e9e9e">'
                     '</span>', words["roads"]))
    elif extent:
        rows.append(('<span style="display:inline-block;width:18px;border-top:1px dashed #555">'
                     '</span>', words["extent"]))
    body = "".join(f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
                   f'<span style="width:20px;display:inline-flex;justify-content:center">{mark}'
                   f'</span>{html.escape(text)}</div>' for mark, text in rows)
    return f'<div class="zhuqi-legend" style="{_BOX}bottom:24px;right:10px;">{body}</div>'


def write_map(pairing: Pairing, scenario: Scenario, path: str | Path,
              tiles: str | bool | None = True, lang: str = "en") -> Path:
    """Write the pairing map as one self-contained HTML file (see :func:`pairing_map`)."""
    page = pairing_map(pairing, scenario, tiles, lang).get_root().render()
    return atomic_write(path, lambda p: p.write_text(page, encoding="utf-8"))
