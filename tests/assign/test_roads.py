"""Road travel: readers, snapping, bounded shortest paths, and road pairs in solve.

Independent references: networkx's ``dijkstra_path_length`` on the same graph, the
great-circle distance (a lower bound of road km), scipy's ``linear_sum_assignment`` on a
travel-time matrix built with networkx, and hand-written OSM files whose edges are known.
"""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from assign import ScenarioError, ScenarioWarning, load_scenario, solve
from assign.geo import haversine_km
from assign.io.roadgen import road_grid
from assign.io.roads import (
    DEFAULT_SPEEDS_KMH,
    RoadTravel,
    load_roads,
    network_from_frames,
    parse_maxspeed,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "roads"
BAYREUTH = DATA / "north-bayreuth.osm.gz"


@pytest.fixture(scope="module")
def bayreuth():
    return load_roads(BAYREUTH, str(BAYREUTH))


def test_osm_extract_keeps_car_roads(bayreuth):
    assert 4000 < bayreuth.n_nodes < 8000
    assert bayreuth.main.sum() > 0.8 * bayreuth.n_nodes
    assert (bayreuth.lat > 49.9).all() and (bayreuth.lon < 11.7).all()
    with_service = load_roads(BAYREUTH, "x", service_roads=True)
    assert with_service.n_edges > bayreuth.n_edges


def test_dijkstra_agrees_with_networkx_on_the_osm_extract(bayreuth):
    """Points on nodes: minutes and km exactly as networkx computes them."""
    g = bayreuth.to_networkx()
    rng = np.random.default_rng(3)
    main = np.flatnonzero(bayreuth.main)
    sources = rng.choice(main, 5, replace=False)
    targets = rng.choice(main, 40, replace=False)
    for idx, minutes, km in bayreuth.shortest(sources):
        for r, s in zip(idx, sources[idx], strict=True):
            assert minutes[r, targets[0]] == pytest.approx(
                nx.dijkstra_path_length(g, int(s), int(targets[0]), weight="minutes"), rel=1e-9)
            lengths, paths = nx.single_source_dijkstra(g, int(s), weight="minutes")
            for t in targets:
                assert minutes[r, t] == pytest.approx(lengths[t], rel=1e-9, abs=1e-9)
                path = paths[t]
                length = sum(g[a][b]["length_m"] for a, b in zip(path[:-1], path[1:], strict=True))
                assert km[r, t] == pytest.approx(length / 1000.0, rel=1e-6, abs=1e-6)


def test_one_way_streets_differ_each_way(bayreuth):
    keys = set(zip(bayreuth.tail.tolist(), bayreuth.head.tolist(), strict=True))
    one_way = [(u, v) for u, v in keys if (v, u) not in keys
               and bayreuth.main[u] and bayreuth.main[v]]
    assert len(one_way) > 50  # the motorway and the tagged one-way streets
    g = bayreuth.to_networkx()
    differ = 0
    for u, v in one_way[:20]:
        there = nx.dijkstra_path_length(g, u, v, weight="minutes")
        back = nx.dijkstra_path_length(g, v, u, weight="minutes")
        (_, t_uv, _), = bayreuth.shortest(np.array([u]))
        (_, t_vu, _), = bayreuth.shortest(np.array([v]))
        assert t_uv[0, v] == pytest.approx(there) and t_vu[0, u] == pytest.approx(back)
        differ += abs(there - back) > 1e-9
    assert differ == 20


OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="50.000" lon="11.000"/>
  <node id="2" lat="50.001" lon="11.000"/>
  <node id="3" lat="50.002" lon="11.000"/>
  <node id="4" lat="50.002" lon="11.001"/>
  <node id="5" lat="50.001" lon="11.001"/>
  <node id="6" lat="50.000" lon="11.001"/>
  <node id="7" lat="50.000" lon="11.002"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="primary"/><tag k="maxspeed" v="70"/><tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/>
    <tag k="highway" v="secondary"/><tag k="oneway" v="-1"/></way>
  <way id="13"><nd ref="5"/><nd ref="6"/><nd ref="5"/>
    <tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/></way>
  <way id="14"><nd ref="6"/><nd ref="1"/><tag k="highway" v="footway"/></way>
  <way id="15"><nd ref="6"/><nd ref="7"/><tag k="highway" v="service"/></way>
  <way id="16"><nd ref="2"/><nd ref="5"/><tag k="highway" v="unclassified"/>
    <tag k="access" v="private"/></way>
  <way id="17"><nd ref="6"/><nd ref="1"/><tag k="highway" v="motorway"/>
    <tag k="maxspeed" v="30 mph"/></way>
  <way id="18"><nd ref="2"/><nd ref="999"/><tag k="highway" v="trunk"/></way>
</osm>
"""


@pytest.mark.parametrize("suffix", [".osm", ".osm.gz", ".osm.bz2"])
def test_osm_tags_read_as_written(tmp_path, suffix):
    """Every edge of a hand-written extract, with its direction and speed, as OSM defines."""
    data = OSM.encode()
    path = tmp_path / f"town{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith("gz") else
                     bz2.compress(data) if suffix.endswith("bz2") else data)
    net = load_roads(path, str(path))
    ids = {(round(a, 6), round(b, 6)): k for k, (a, b) in enumerate(zip(net.lat, net.lon, strict=True))}
    osm = {1: (50.0, 11.0), 2: (50.001, 11.0), 3: (50.002, 11.0), 4: (50.002, 11.001),
           5: (50.001, 11.001), 6: (50.0, 11.001), 7: (50.0, 11.002)}
    node = {k: ids.get(v) for k, v in osm.items()}
    assert node[7] is None  # only on a service road (left out by default)
    speed = {}
    for u, v, m, t in zip(net.tail, net.head, net.length_m, net.minutes, strict=True):
        back = {val: key for key, val in node.items()}
        speed[(back[u], back[v])] = round(m / 1000 / (t / 60), 6)
    res, pri, sec = (DEFAULT_SPEEDS_KMH[k] for k in ("residential", "primary", "secondary"))
    want = {(1, 2): res, (2, 1): res, (2, 3): res, (3, 2): res,  # two-way
            (3, 4): 70.0,  # oneway=yes, maxspeed 70 (not the primary default)
            (5, 4): sec,  # oneway=-1: against the drawing direction only
            (5, 6): DEFAULT_SPEEDS_KMH["tertiary"], (6, 5): DEFAULT_SPEEDS_KMH["tertiary"],
            (6, 1): round(30 * 1.609344, 6)}  # motorway: one-way by default, mph converted
    assert speed == pytest.approx(want, rel=5e-3)  # times are whole 0.001 min (MINUTE_UNIT)
    assert pri != 70.0


def test_maxspeed_values():
    assert parse_maxspeed("50") == 50
    assert parse_maxspeed("CN:urban") == 50
    assert parse_maxspeed("60;80") == 60
    assert parse_maxspeed("none") is None and parse_maxspeed("signals") is None


def test_osm_bad_xml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.osm"
    path.write_text(OSM.replace("</way>\n  <way id=\"12\">", "</wy>\n  <way id=\"12\">", 1))
    with pytest.raises(ScenarioError, match=r"bad.osm, line \d+: not valid OSM XML"):
        load_roads(path, str(path))


def test_graphml_like_osmnx_agrees_with_networkx(tmp_path):
    nodes, edges = road_grid(30.0, 106.5, 12, 12, 300, seed=4, oneway=0.2)
    g = nx.MultiDiGraph()
    for r in nodes.itertuples():
        g.add_node(r.id, y=r.lat, x=r.lon)
    for e in edges.itertuples():
        attrs = {"length": e.length_m, "highway": "['residential', 'tertiary']"}
        if e.speed_kmh > 40:
            attrs["speed_kph"] = e.speed_kmh
        g.add_edge(e.u, e.v, **attrs)
        if e.oneway == "no":
            g.add_edge(e.v, e.u, **attrs)
    path = tmp_path / "roads.graphml"
    nx.write_graphml(g, path)
    net = load_roads(path, str(path))
    # the reference: same lengths, speeds as documented (speed_kph, else the highway class)
    ref = nx.DiGraph()
    for u, v, d in g.edges(data=True):
        kmh = d.get("speed_kph", DEFAULT_SPEEDS_KMH["residential"])
        w = d["length"] / 1000 / kmh * 60
        if not ref.has_edge(u, v) or ref[u][v]["w"] > w:
            ref.add_edge(u, v, w=w)
    key = {(round(a, 9), round(b, 9)): k for k, (a, b) in enumerate(zip(net.lat, net.lon, strict=True))}
    index = {r.id: key[(round(r.lat, 9), round(r.lon, 9))] for r in nodes.itertuples()}
    src = nodes["id"].iloc[[0, 70, 143]].tolist()
    (idx, minutes, _), = net.shortest(np.array([index[s] for s in src]))
    for r, s in zip(idx, src, strict=True):
        want = nx.single_source_dijkstra_path_length(ref, s, weight="w")
        for t, w in want.items():
            # each edge time is rounded to 0.001 min: at most half a unit per edge
            assert minutes[r, index[t]] == pytest.approx(w, abs=0.0005 * 40)


def test_folder_errors_name_file_line_and_column(tmp_path):
    folder = tmp_path / "roads"
    folder.mkdir()
    (folder / "nodes.csv").write_text("id,lat,lon\na,30,106\nb,30.01,106\n")
    (folder / "edges.csv").write_text("u,v,length_m,oneway\na,b,1100,yes\nb,c,10,no\na,b,5,maybe\n")
    with pytest.raises(ScenarioError) as info:
        load_roads(folder, str(folder))
    text = str(info.value)
    assert "edges.csv, line 3, column 'v': unknown node 'c'" in text
    assert "edges.csv, line 4, column 'oneway': 'maybe' is not yes, no or -1" in text


# --- a whole scenario with a road folder ---------------------------------------------------

YAML = """\
name: roads
cadres: cadres.csv
firms: firms.csv
roads: roads
assignment:
  mode: one_to_one
  objective: {objective}
  snap_tolerance_m: 400
{extra}"""


def grid_scenario(tmp_path, objective="travel_time", extra="", n_cadres=6, n_firms=6, seed=5,
                  on_nodes=True, firms_extra=()):
    nodes, edges = road_grid(38.93, 100.45, 15, 15, 400, seed=seed, oneway=0.15, drop=0.15)
    folder = tmp_path / "scn"
    (folder / "roads").mkdir(parents=True)
    nodes.to_csv(folder / "roads" / "nodes.csv", index=False)
    edges.to_csv(folder / "roads" / "edges.csv", index=False)
    # the grid's main component, as an independent networkx reference sees it
    ref = nx.DiGraph()
    for e in edges.itertuples():  # times in whole 0.001 min, as documented (MINUTE_UNIT)
        w = max(round(round(e.length_m, 1) / 1000 / e.speed_kmh * 60 / 0.001), 1) * 0.001
        ref.add_edge(e.u, e.v, w=w, m=e.length_m)
        if e.oneway == "no":
            ref.add_edge(e.v, e.u, w=w, m=e.length_m)
    main = max(nx.strongly_connected_components(ref), key=len)
    rng = np.random.default_rng(seed)
    pick = rng.choice(sorted(main), n_cadres + n_firms, replace=False)
    at = nodes.set_index("id").loc[pick]
    jitter = 0.0 if on_nodes else 0.0005
    lat = at["lat"].to_numpy() + rng.uniform(-jitter, jitter, len(pick))
    lon = at["lon"].to_numpy() + rng.uniform(-jitter, jitter, len(pick))
    cadres = pd.DataFrame({"id": [f"c{k}" for k in range(n_cadres)],
                           "lat": lat[:n_cadres], "lon": lon[:n_cadres]})
    firms = pd.DataFrame({"id": [f"f{k}" for k in range(n_firms)],
                          "lat": lat[n_cadres:], "lon": lon[n_cadres:]})
    for k, (la, lo) in enumerate(firms_extra):
        firms.loc[len(firms)] = [f"x{k}", la, lo]
    cadres.to_csv(folder / "cadres.csv", index=False)
    firms.to_csv(folder / "firms.csv", index=False)
    (folder / "scenario.yaml").write_text(YAML.format(objective=objective, extra=extra))
    return folder, ref, list(pick[:n_cadres]), list(pick[n_cadres:])


def test_travel_time_objective_matches_linear_sum_assignment(tmp_path):
    """Cadres and firms on nodes: the plan's minutes are networkx's, and its total is the
    optimum scipy finds on the networkx travel-time matrix."""
    folder, ref, cnodes, fnodes = grid_scenario(tmp_path)
    s = load_scenario(folder)
    pairing = solve(s)
    assert pairing.status == "optimal" and len(pairing.pairs) == 6
    cost = np.array([[nx.dijkstra_path_length(ref, c, f, weight="w") for f in fnodes]
                     for c in cnodes])
    r, c = linear_sum_assignment(cost)
    assert pairing.objective == pytest.approx(cost[r, c].sum(), rel=1e-6)
    for p in pairing.pairs.itertuples():
        ci, fi = int(p.cadre_id[1:]), int(p.firm_id[1:])
        assert p.travel_min == pytest.approx(cost[ci, fi], abs=0.01)
        assert p.distance_km >= p.crow_km - 1e-6  # road km never shorter than the crow's
    assert list(pairing.pairs.columns[5:8]) == ["distance_km", "crow_km", "travel_min"]


def test_road_km_at_least_great_circle_for_every_pair(tmp_path):
    folder, *_ = grid_scenario(tmp_path, objective="distance", on_nodes=False, n_cadres=8,
                               n_firms=12)
    s = load_scenario(folder)
    from assign.candidates import build_candidates

    cand = build_candidates(s)
    assert cand.by_road and len(cand) == 8 * 12
    c, f = s.cadres, s.firms
    crow = haversine_km(c["lat"].to_numpy()[cand.cadre], c["lon"].to_numpy()[cand.cadre],
                        f["lat"].to_numpy()[cand.firm], f["lon"].to_numpy()[cand.firm])
    assert (cand.distance_km >= crow - 1e-9).all()
    assert np.allclose(cand.crow_km, crow)


def test_max_travel_min_limits_pairs_and_says_by_road(tmp_path):
    folder, ref, cnodes, fnodes = grid_scenario(tmp_path, extra="  max_travel_min: 4\n")
    pairing = solve(load_scenario(folder))
    times = np.array([[nx.dijkstra_path_length(ref, c, f, weight="w") for f in fnodes]
                      for c in cnodes])
    reachable = (times <= 4).any(axis=0)
    assert (pairing.pairs["travel_min"] <= 4).all()
    lonely = {f"f{k}" for k in np.flatnonzero(~reachable)}
    assert lonely  # the grid is 5.6 km wide: some firms are out of a 4-minute reach
    got = pairing.uncovered.set_index("firm_id")
    assert lonely <= set(got.index)
    for f in lonely:
        assert got.loc[f, "reason"] == "no_cadre_in_reach"
        assert "by road" in got.loc[f, "detail"]


def test_off_network_firm_and_cadre(tmp_path):
    far = (38.93, 100.60)  # about 10 km east of the grid
    folder, *_ = grid_scenario(tmp_path, firms_extra=[far])
    pairing = solve(load_scenario(folder))
    row = pairing.uncovered.set_index("firm_id").loc["x0"]
    assert row["reason"] == "off_network"
    cadres = pd.read_csv(folder / "cadres.csv")
    cadres.loc[0, ["lat", "lon"]] = far
    cadres.to_csv(folder / "cadres.csv", index=False)
    with pytest.warns(ScenarioWarning, match=r"1 cadre\(s\) lie farther than 400 m .*c0"):
        s = load_scenario(folder)
    solve(s)  # the far cadre still travels, from the nearest node


def test_island_node_is_not_a_snap_target(tmp_path):
    """Nodes outside the largest strongly connected part are never snapped to."""
    nodes = pd.DataFrame({"id": ["a", "b", "c", "i1", "i2"],
                          "lat": [30.0, 30.01, 30.02, 30.05, 30.051],
                          "lon": [106.0, 106.0, 106.0, 106.0, 106.0]})
    edges = pd.DataFrame({"u": ["a", "b", "i1"], "v": ["b", "c", "i2"],
                          "length_m": [1112.0, 1112.0, 111.0]})
    net = network_from_frames(nodes, edges)
    assert net.main.sum() == 3
    node, snap = net.snap([30.0505], [106.0])
    assert net.lat[node[0]] == pytest.approx(30.02)
    assert snap[0] == pytest.approx(float(haversine_km(30.0505, 106.0, 30.02, 106.0)) * 1000)
    travel = RoadTravel.snap(net, pd.DataFrame({"lat": [30.0], "lon": [106.0]}),
                             pd.DataFrame({"lat": [30.0505, 30.02], "lon": [106.0, 106.0]}),
                             tolerance_m=1000)
    assert travel.firm_off.tolist() == [True, False]
    i, j, km, minutes = travel.pairs()
    assert j.tolist() == [1] and km[0] == pytest.approx(2.224)


def test_distance_road_without_roads_is_an_input_error(make_scenario):
    from tests.conftest import BASE_YAML

    folder = make_scenario(yaml=BASE_YAML + "  distance: road\n")
    with pytest.raises(ScenarioError, match="key 'assignment.distance'"):
        load_scenario(folder)


def test_subgraph_search_equals_whole_graph_search(monkeypatch):
    """The province path (searching only the disc in reach) finds exactly the same pairs."""
    import assign.io.roads as roads

    nodes, edges = road_grid(38.93, 100.45, 60, 60, 250, seed=2, oneway=0.1)
    edges.loc[::7, "length_m"] *= 0.5  # lengths shorter than the crow's: the bound must hold
    net = network_from_frames(nodes, edges)
    rng = np.random.default_rng(1)

    def points(k):
        return pd.DataFrame({"lat": rng.uniform(net.lat.min(), net.lat.max(), k),
                             "lon": rng.uniform(net.lon.min(), net.lon.max(), k)})

    travel = RoadTravel.snap(net, points(70), points(400))
    whole = travel.pairs(6.0)
    monkeypatch.setattr(roads, "SUBGRAPH_MIN_NODES", 0)
    monkeypatch.setattr(roads, "SUBGRAPH_BLOCK", 8)
    local = travel.pairs(6.0)
    assert len(whole[0]) > 500
    for a, b in zip(whole, local, strict=True):
        assert np.array_equal(a, b)


def test_fast_and_careful_folder_readers_agree(tmp_path, monkeypatch):
    import assign.io.roads as roads

    nodes, edges = road_grid(30.0, 106.5, 10, 10, 300, seed=6, oneway=0.3)
    edges.loc[::5, "speed_kmh"] = np.nan
    edges.loc[::7, "oneway"] = "-1"
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    edges.to_csv(tmp_path / "edges.csv", index=False)
    fast = load_roads(tmp_path, "x")
    monkeypatch.setattr(roads, "_fast_folder", lambda path: None)
    careful = load_roads(tmp_path, "x")
    for name in ("lat", "lon", "tail", "head", "length_m", "minutes"):
        assert np.array_equal(getattr(fast, name), getattr(careful, name)), name


def test_pinned_pairs_are_measured_by_road(tmp_path):
    folder, ref, cnodes, fnodes = grid_scenario(tmp_path)
    (folder / "pinned.csv").write_text("cadre_id,firm_id\nc0,f5\n")
    pairing = solve(load_scenario(folder, {"assignment.pinned": "pinned.csv"}))
    row = pairing.pairs.set_index("firm_id").loc["f5"]
    assert row["cadre_id"] == "c0"
    assert row["travel_min"] == pytest.approx(
        nx.dijkstra_path_length(ref, cnodes[0], fnodes[5], weight="w"), abs=0.01)
    assert row["distance_km"] >= row["crow_km"]
    assert pairing.pairs["travel_min"].notna().all()
