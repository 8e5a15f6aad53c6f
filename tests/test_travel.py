"""Distances and travel times: ellipsoid, local projection, site modes, road graphs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod

from pathways.analysis import travel
from pathways.analysis.graph import build_referral_graph
from pathways.analysis.travel import (
    RoadNetwork,
    TravelModel,
    geodesic_km,
    load_road_graph,
    local_crs,
    project,
    travel_hours,
    travel_model,
)
from pathways.model.errors import InventoryError
from pathways.model.inventory import Travel
from tests.factories import make_inventory, referral, service

GEOD = Geod(ellps="WGS84")

# --- distances ---------------------------------------------------------------------------------


def test_geodesic_km_matches_pyproj_geod_for_numbers_and_arrays():
    rng = np.random.default_rng(3)
    lat1, lat2 = rng.uniform(-70, 70, 200), rng.uniform(-70, 70, 200)
    lon1, lon2 = rng.uniform(-180, 180, 200), rng.uniform(-180, 180, 200)
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(geodesic_km(lat1, lon1, lat2, lon2), d / 1000, rtol=1e-12)
    brussels_paris = geodesic_km(50.8503, 4.3517, 48.8566, 2.3522)
    assert isinstance(brussels_paris, float)
    assert brussels_paris == pytest.approx(264.0, abs=1.0)


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km"),
    [
        (50.85, 4.35, 900),
        (14.5, -3.0, 400),
        (42.3, 25.0, 300),
        (-33.9, 151.2, 400),
        (64.1, -21.9, 300),
    ],
)
def test_local_projection_distances_agree_with_the_ellipsoid(lat, lon, radius_km):
    """Planar metres in the local transverse Mercator, scale removed, match the geodesic."""
    rng = np.random.default_rng(7)
    az = rng.uniform(0, 360, 400)
    dist = rng.uniform(0, radius_km * 1000, 400)
    lons, lats, _ = GEOD.fwd(np.full(400, lon), np.full(400, lat), az, dist)
    crs = local_crs(lats, lons)
    x, y = project(lats, lons, crs)
    i, j = rng.integers(0, 400, 300), rng.integers(0, 400, 300)
    planar = np.hypot(x[i] - x[j], y[i] - y[j])
    _, _, true = GEOD.inv(lons[i], lats[i], lons[j], lats[j])
    far = true > 1000
    near = (np.abs(x[i]) < 250_000) & (np.abs(x[j]) < 250_000) & far
    assert np.max(np.abs(planar[near] / true[near] - 1)) < 1e-3  # the projection alone
    corrected = travel.geodesic_from_planar(planar, x[i], x[j])
    assert np.max(np.abs(corrected[far] / true[far] - 1)) < 5e-5


def test_degrees_are_never_metres():
    """One degree of longitude is ~71 km at 50°N but ~111 km at the equator: projected."""
    crs = local_crs([50.0, 50.0], [4.0, 5.0])
    x, _ = project([50.0, 50.0], [4.0, 5.0], crs)
    assert abs(x[1] - x[0]) == pytest.approx(geodesic_km(50, 4, 50, 5) * 1000, rel=1e-4)
    assert abs(x[1] - x[0]) < 75_000


def test_local_crs_across_the_antimeridian():
    crs = local_crs([-17.0, -18.0], [179.5, -179.5])
    x, _ = project([-17.0, -17.0], [179.5, -179.5], crs)
    assert abs(x[1] - x[0]) == pytest.approx(geodesic_km(-17, 179.5, -17, -179.5) * 1000, rel=1e-3)


# --- travel models -----------------------------------------------------------------------------


def test_mode_defaults_fill_what_the_site_does_not_say():
    assert travel_model(Travel(mode="walk")) == TravelModel("walk", 4.5, 1.3)
    assert travel_model(Travel(mode="car")).speed_kmh == 40.0
    assert travel_model(Travel(mode="walk", speed_kmh=3.0)).speed_kmh == 3.0
    custom = travel_model(Travel(mode="custom", speed_kmh=25, circuity=1.5))
    assert (custom.speed_kmh, custom.circuity) == (25, 1.5)
    assert TravelModel("car", 60, 1.0).hours(30) == pytest.approx(0.5)


def test_one_travel_model_for_routes_gaps_coverage_and_exports():
    """A site that names only its mode moves at that mode's speed everywhere (#19: the graph
    once read the schema's 18 km/h where coverage walked at 4.5 km/h, a 4x gap)."""
    from pathways.io.export.network import to_network

    inv = make_inventory(
        [
            service("a", ["health.cmr"], entry=True, location={"lat": 50.80, "lon": 4.30}),
            service("b", ["mhpss"], location={"lat": 50.90, "lon": 4.45}),
        ],
        [referral("a", "b")],
        travel={"mode": "walk"},
    )
    walk = geodesic_km(50.80, 4.30, 50.90, 4.45) * 1.3 / 4.5
    G = build_referral_graph(inv)  # no hook: the straight line of the same model
    assert G.edges["a", "b"]["travel"] == pytest.approx(walk, rel=1e-12)
    assert G.graph["travel"] == {
        "mode": "walk",
        "speed_kmh": 4.5,
        "circuity": 1.3,
        "network": "straight line",
    }
    exported = to_network([inv])
    assert exported.edges["a", "b"]["travel_hours"] == pytest.approx(walk, abs=1e-3)


def test_travel_hours_hook_for_the_referral_graph():
    inv = make_inventory(
        [
            service("a", ["health.cmr"], entry=True, location={"lat": 50.80, "lon": 4.30}),
            service("b", ["mhpss"], location={"lat": 50.90, "lon": 4.45}),
        ],
        [referral("a", "b")],
        travel={"mode": "walk"},
    )
    G = build_referral_graph(inv, travel_hours=travel_hours(inv))
    km = geodesic_km(50.80, 4.30, 50.90, 4.45)
    assert G.edges["a", "b"]["travel"] == pytest.approx(km * 1.3 / 4.5)


# --- road networks -----------------------------------------------------------------------------

ORIGIN = (14.0, -3.0)  # lat, lon
STEP_M = 1000.0


def grid_node(i: int, j: int) -> tuple[float, float]:
    """(lat, lon) of grid node i (east), j (north): exactly STEP_M apart along each axis."""
    lon, lat, _ = GEOD.fwd(ORIGIN[1], ORIGIN[0], 90, i * STEP_M)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, j * STEP_M)
    return float(lat), float(lon)


def write_osmnx_graphml(path, *, one_way=(), speed_kph=None, extra_island=False):
    """A 4x4 street grid saved the way `ox.save_graphml` does: every attribute as text."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    for i in range(4):
        for j in range(4):
            lat, lon = grid_node(i, j)
            G.add_node(f"{i}{j}", x=str(lon), y=str(lat), street_count="4")
    for i in range(4):
        for j in range(4):
            for di, dj in ((1, 0), (0, 1)):
                a, b = f"{i}{j}", f"{i + di}{j + dj}"
                if b not in G:
                    continue
                attrs = {"length": str(STEP_M), "osmid": "1", "oneway": "False"}
                if speed_kph:
                    attrs["speed_kph"] = str(speed_kph)
                G.add_edge(a, b, **attrs)
                if (a, b) not in one_way:
                    G.add_edge(b, a, **attrs)
    if extra_island:
        lat, lon = grid_node(10, 10)
        G.add_node("island", x=str(lon), y=str(lat))
    nx.write_graphml(G, path)
    return path


def test_road_graph_from_osmnx_graphml_has_numbers_back(tmp_path):
    G = load_road_graph(write_osmnx_graphml(tmp_path / "roads.graphml"))
    assert isinstance(G, nx.MultiDiGraph)
    assert isinstance(G.nodes["00"]["x"], float) and isinstance(G.nodes["00"]["y"], float)
    assert all(isinstance(d["length"], float) for _, _, d in G.edges(data=True))


def test_network_time_on_a_small_grid(tmp_path):
    net = RoadNetwork.from_file(
        write_osmnx_graphml(tmp_path / "roads.graphml"), TravelModel("walk", 4.5, 1.3)
    )
    (lat_a, lon_a), (lat_b, lon_b) = grid_node(0, 0), grid_node(3, 2)
    # five blocks of 1 km on the grid at 4.5 km/h; no access legs (both at nodes)
    assert net.hours_between(lat_a, lon_a, lat_b, lon_b) == pytest.approx(5 / 4.5, rel=1e-6)


def test_one_way_streets_make_travel_asymmetric(tmp_path):
    # the only way from 00 to 10 is around the block: 00 -> 01 -> 11 -> 10
    path = write_osmnx_graphml(tmp_path / "roads.graphml", one_way={("10", "00")})
    G = load_road_graph(path)
    G.remove_edge("00", "10")
    net = RoadNetwork(G, TravelModel("walk", 5.0, 1.3))
    a, b = grid_node(0, 0), grid_node(1, 0)
    assert net.hours_between(*b, *a) == pytest.approx(1 / 5.0)
    assert net.hours_between(*a, *b) == pytest.approx(3 / 5.0)


def test_cars_use_edge_speeds(tmp_path):
    path = write_osmnx_graphml(tmp_path / "roads.graphml", speed_kph=30)
    car = RoadNetwork.from_file(path, TravelModel("car", 80, 1.3))
    walk = car.with_model(TravelModel("walk", 5, 1.3))
    a, b = grid_node(0, 0), grid_node(0, 3)
    assert car.hours_between(*a, *b) == pytest.approx(3 / 30)
    assert walk.hours_between(*a, *b) == pytest.approx(3 / 5)


def test_access_legs_and_unconnected_places(tmp_path):
    net = RoadNetwork.from_file(
        write_osmnx_graphml(tmp_path / "roads.graphml", extra_island=True),
        TravelModel("walk", 4.5, 1.0),
    )
    # 300 m east of node 00 (between nodes): 300 m access to 00, then 3 blocks north
    lon, lat, _ = GEOD.fwd(grid_node(0, 0)[1], grid_node(0, 0)[0], 90, 300)
    assert net.hours_between(lat, lon, *grid_node(0, 3)) == pytest.approx(3.3 / 4.5, rel=1e-3)
    # the island node has no road to the grid: straight line x circuity instead
    island = grid_node(10, 10)
    km = geodesic_km(*grid_node(0, 0), *island)
    assert net.hours_between(*grid_node(0, 0), *island) == pytest.approx(km / 4.5)


def test_hours_to_nearest_is_one_search_and_matches_pairwise(tmp_path):
    net = RoadNetwork.from_file(
        write_osmnx_graphml(tmp_path / "roads.graphml"), TravelModel("walk", 4.5, 1.3)
    )
    targets = [grid_node(0, 0), grid_node(3, 3)]
    places = [grid_node(i, j) for i in range(4) for j in range(4)]
    got = net.hours_to_nearest(
        [p[0] for p in places],
        [p[1] for p in places],
        [t[0] for t in targets],
        [t[1] for t in targets],
    )
    want = [min(net.hours_between(*p, *t) for t in targets) for p in places]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    # hand answer: node 12 is 3 blocks from 00 and 3 from 33
    assert got[places.index(grid_node(1, 2))] == pytest.approx(3 / 4.5)
    none = net.hours_to_nearest([places[0][0]], [places[0][1]], [], [])
    assert math.isinf(none[0])


def test_network_travel_hours_for_the_referral_graph(tmp_path):
    roads = RoadNetwork.from_file(write_osmnx_graphml(tmp_path / "roads.graphml"))
    (la, loa), (lb, lob) = grid_node(0, 0), grid_node(2, 2)
    inv = make_inventory(
        [
            service("a", ["health.cmr"], entry=True, location={"lat": la, "lon": loa}),
            service("b", ["mhpss"], location={"lat": lb, "lon": lob}),
        ],
        [referral("a", "b")],
        travel={"mode": "walk"},
    )
    G = build_referral_graph(inv, travel_hours=travel_hours(inv, roads=roads))
    assert G.edges["a", "b"]["travel"] == pytest.approx(4 / 4.5)


def test_unreadable_or_projected_road_graphs_are_inventory_errors(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml", encoding="utf-8")
    with pytest.raises(InventoryError, match=r"bad\.graphml"):
        load_road_graph(bad)
    G = nx.MultiDiGraph(crs="epsg:32630")
    G.add_node("a", x="1", y="2")
    nx.write_graphml(G, tmp_path / "utm.graphml")
    with pytest.raises(InventoryError, match="unprojected"):
        load_road_graph(tmp_path / "utm.graphml")


def test_module_reads_nothing_from_the_network():
    source = travel.__loader__.get_source(travel.__name__)  # type: ignore[union-attr]
    assert "graph_from_place" not in source and "requests" not in source


@pytest.mark.parametrize(
    ("country", "box", "tolerance"),
    [
        ("IT", (37.0, 47.0, 6.6, 18.5), 1e-5),  # Aosta to Catania: 1,119 km
        ("ML", (10.0, 25.0, -12.0, 4.2), 1e-3),  # Mali: 1,800 km across
    ],
)
def test_coverage_distances_stay_right_across_a_whole_country(country, box, tolerance):
    """Coverage's nearest services (one local projection, its scale removed) agree with the
    ellipsoid over a country's whole extent (#19): the distance to the truly nearest target,
    by brute force on the ellipsoid, within `tolerance` (relative)."""
    from pathways.analysis.coverage import nearest_hours

    rng = np.random.default_rng(3)
    lat0, lat1, lon0, lon1 = box
    plat, plon = rng.uniform(lat0, lat1, 2000), rng.uniform(lon0, lon1, 2000)
    tlat, tlon = rng.uniform(lat0, lat1, 200), rng.uniform(lon0, lon1, 200)
    model = TravelModel("car", 60.0, 1.0)  # one km a minute: hours x 60 = km
    got = nearest_hours(plat, plon, tlat, tlon, {"x": np.ones(200, bool)}, model=model)["x"]
    true = geodesic_km(plat[:, None], plon[:, None], tlat[None, :], tlon[None, :]).min(axis=1)
    assert np.max(np.abs(got * 60.0 - true) / true) < tolerance, country
