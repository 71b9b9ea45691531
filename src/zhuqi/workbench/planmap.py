"""The plan on an ipyleaflet map: cadres, firms, a line per pair, uncovered firms, legend.

The background works offline: when the scenario has a road graph its roads are drawn
as thin grey lines under the plan; OpenStreetMap tiles are added on top of that only
when asked for (they need the internet). Firms are clickable: ``on_firm(firm_id)``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import numpy as np

from assign import Pairing, Scenario
from assign.io.maps import PALETTE

from .text import reason_text, t

UNCOVERED = "#d62728"
ROAD = "#b0b0b0"
MAX_ROAD_LINES = 20_000
"""Road stretches drawn at most (a county's graph; larger ones are thinned evenly)."""


def road_lines(scenario: Scenario) -> list[list[tuple[float, float]]]:
    """The scenario's road graph as line segments (each undirected stretch once)."""
    net = scenario.roads
    if net is None or net.n_edges == 0:
        return []
    a, b = np.minimum(net.tail, net.head), np.maximum(net.tail, net.head)
    keys = np.unique(np.stack([a, b], axis=1), axis=0)
    if len(keys) > MAX_ROAD_LINES:
        keys = keys[np.linspace(0, len(keys) - 1, MAX_ROAD_LINES).astype(int)]
    lat, lon = net.lat, net.lon
    return [[(float(lat[i]), float(lon[i])), (float(lat[j]), float(lon[j]))] for i, j in keys]


def fit_zoom(bounds, width_px: int = 700, height_px: int = 520) -> int:
    """The largest web-map zoom at which ``bounds`` fit in the map's box (Leaflet's
    fitBounds, worked out here because ipyleaflet's needs the browser's event loop)."""
    (lat0, lon0), (lat1, lon1) = bounds

    def y(lat: float) -> float:  # Web Mercator, in world widths
        s = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
        return 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)

    dx = max(abs(lon1 - lon0) / 360.0, 1e-9)
    dy = max(abs(y(lat0) - y(lat1)), 1e-9)
    zoom = math.floor(min(math.log2(width_px / (256 * dx)), math.log2(height_px / (256 * dy))))
    return int(max(1, min(zoom, 16)))


def colours(scenario: Scenario) -> dict[str, str]:
    """One colour per cadre, in roster order (as the HTML map gives them)."""
    return {str(cid): PALETTE[i % len(PALETTE)] for i, cid in enumerate(scenario.cadres["id"])}


def plan_map(scenario: Scenario, pairing: Pairing | None, lang: str = "zh",
             on_firm: Callable[[str], None] | None = None, tiles: bool = False):
    """An ``ipyleaflet.Map`` of the plan (or of the rosters alone before solving).

    The map's ``selection`` attribute is a layer group for :func:`highlight`."""
    import ipyleaflet as L

    cadres = scenario.cadres
    firms = scenario.firms
    lat = np.concatenate([cadres["lat"].to_numpy(float), firms["lat"].to_numpy(float)])
    lon = np.concatenate([cadres["lon"].to_numpy(float), firms["lon"].to_numpy(float)])
    ok = ~(np.isnan(lat) | np.isnan(lon))
    bounds = ([float(lat[ok].min()), float(lon[ok].min())],
              [float(lat[ok].max()), float(lon[ok].max())]) if ok.any() else ([0, 0], [0, 0])
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    basemap = L.basemaps.OpenStreetMap.Mapnik if tiles else None
    m = L.Map(center=center, zoom=fit_zoom(bounds), scroll_wheel_zoom=False, attribution_control=tiles,
              layout={"height": "560px", "width": "100%"},
              **({"basemap": basemap} if basemap else {}))
    if not tiles:
        for layer in list(m.layers):
            m.remove(layer)
        m.layers = ()
    roads = road_lines(scenario)
    if roads:
        m.add(L.Polyline(locations=roads, color=ROAD, weight=1, opacity=0.7, fill=False,
                         name="roads"))
    colour = colours(scenario)
    where_c = {str(r.id): (float(r.lat), float(r.lon)) for r in cadres.itertuples()}
    where_f = {str(r.id): (float(r.lat), float(r.lon)) for r in firms.itertuples()}
    paired: dict[str, str] = {}
    if pairing is not None and pairing.is_feasible():
        lines: dict[str, list] = {}
        for row in pairing.pairs.itertuples(index=False):
            c, f = str(row.cadre_id), str(row.firm_id)
            paired[f] = c
            if not (np.isnan(where_c[c][0]) or np.isnan(where_f[f][0])):
                lines.setdefault(c, []).append([where_c[c], where_f[f]])
        for c, segs in lines.items():
            m.add(L.Polyline(locations=segs, color=colour[c], weight=2, opacity=0.8, fill=False))
    uncovered: set[str] = set()
    reasons: dict[str, str] = {}
    if pairing is not None:
        uncovered = set(pairing.uncovered["firm_id"].astype(str))
        reasons = dict(zip(pairing.uncovered["firm_id"].astype(str),
                           pairing.uncovered["reason"].astype(str), strict=True))
    markers = []
    for r in firms.itertuples():
        fid = str(r.id)
        if np.isnan(where_f[fid][0]):
            continue
        cid = paired.get(fid)
        style = ({"color": UNCOVERED, "fill_color": "#ffffff", "fill_opacity": 0.6, "weight": 3}
                 if fid in uncovered else
                 {"color": colour[cid] if cid else "#555555",
                  "fill_color": colour[cid] if cid else "#999999", "fill_opacity": 0.9,
                  "weight": 1})
        mk = L.CircleMarker(location=where_f[fid], radius=5, **style)
        if fid in uncovered:  # its reason, on the map
            from ipywidgets import HTML

            mk.popup = HTML(value=f"<b>{html.escape(str(r.name))}</b>（{fid}）<br>"
                            f"{html.escape(reason_text(reasons.get(fid, ''), lang))}")
        markers.append(mk)
    for r in cadres.itertuples():
        cid = str(r.id)
        if np.isnan(where_c[cid][0]):
            continue
        square = (f'<div style="width:12px;height:12px;background:{colour[cid]};'
                  'border:2px solid #fff;box-shadow:0 0 2px #000"></div>')
        icon = L.DivIcon(html=square, icon_size=[16, 16], icon_anchor=[8, 8])
        markers.append(L.Marker(location=where_c[cid], icon=icon, draggable=False,
                                title=f"{r.name}（{r.home_unit}）" if r.home_unit else str(r.name)))
    m.add(L.LayerGroup(layers=markers))
    if on_firm is not None:  # the map's click, to the firm under it (layers' own clicks do
        # not reach Python under solara 1.58 with jupyter-leaflet 0.20)
        ids = np.array([str(i) for i in firms["id"]])
        flat, flon = firms["lat"].to_numpy(float), firms["lon"].to_numpy(float)

        def clicked(**event) -> None:
            if event.get("type") != "click":
                return
            fid = firm_at(ids, flat, flon, event["coordinates"], m.zoom)
            if fid is not None:
                on_firm(fid)

        m.on_interaction(clicked)
    m.selection = L.LayerGroup(layers=[])
    m.add(m.selection)
    legend = {t("legend_cadre", lang): "#1f77b4", t("legend_firm", lang): "#ff7f0e",
              t("legend_uncovered", lang): UNCOVERED}
    m.add(L.LegendControl(legend, title=t("map", lang), position="topright"))
    m.add(L.ScaleControl(position="bottomleft", imperial=False))
    return m


def firm_at(ids: np.ndarray, lat: np.ndarray, lon: np.ndarray, where, zoom: float,
            pixels: float = 10.0) -> str | None:
    """The firm drawn nearest a clicked point, if within ``pixels`` at ``zoom``."""
    if not len(ids):
        return None
    per_degree = 256 * 2 ** float(zoom) / 360.0  # pixels per degree of longitude
    dy = (lat - where[0]) * per_degree / max(math.cos(math.radians(where[0])), 1e-6)
    dx = (lon - where[1]) * per_degree
    d = np.hypot(dx, dy)
    d[np.isnan(d)] = np.inf
    k = int(np.argmin(d))
    return str(ids[k]) if d[k] <= pixels else None


def highlight(m, scenario: Scenario, firm_id: str | None) -> None:
    """Ring the chosen firm on a map made by :func:`plan_map`."""
    import ipyleaflet as L

    group = m.selection
    if not firm_id:
        group.layers = []
        return
    row = scenario.firms.loc[scenario.firms["id"].astype(str) == firm_id]
    if row.empty or np.isnan(float(row["lat"].iat[0])):
        group.layers = []
        return
    where = (float(row["lat"].iat[0]), float(row["lon"].iat[0]))
    group.layers = [L.CircleMarker(location=where, radius=11, color="#000000", weight=3,
                                   fill=False)]
