"""Distances and travel times: on the ellipsoid, in a local metric projection, or on roads.

Degrees are never used as if they were metres. Three ways to measure:

- `geodesic_km`: exact distances on the WGS84 ellipsoid (pyproj `Geod`), vectorised.
- `local_crs` + `project`: a transverse Mercator centred on the data, in metres, for nearest-
  neighbour searches (scipy `cKDTree`); `geodesic_from_planar` then removes the projection's
  scale (which grows to 0.2 % 400 km from the centre): the result is within 0.002 % of the
  geodesic up to 900 km away.
- `RoadNetwork`: a road graph read from a GraphML file written by OSMnx (`ox.save_graphml`),
  loaded with networkx (OSMnx itself is not needed and nothing is downloaded).

A travel time is a distance x the site's circuity (how much longer roads are than the straight
line) / its speed, by the site's mode (`TravelModel`). `travel_hours(inventory)` makes the
`f(service_a, service_b) -> hours` function `pathways.analysis.graph.build_referral_graph` accepts
as
`travel_hours=`, so routes and `time_critical` gaps use the same model (or the road network).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import numpy.typing as npt
from pyproj import CRS, Geod, Transformer

from pathways.i18n import number, t
from pathways.model.errors import InventoryError, display_path
from pathways.model.inventory import Inventory, Service, Site, Travel

Mode = Literal["walk", "transit", "car", "custom"]
FloatArray = npt.NDArray[np.float64]
TravelHours = Callable[[Service, Service], float]

MODE_DEFAULTS: dict[str, tuple[float, float]] = {
    "walk": (4.5, 1.3),
    "transit": (18.0, 1.3),
    "car": (40.0, 1.3),
    "custom": (18.0, 1.3),
}
"""(speed in km/h, circuity) of each mode, used when a site's `travel` does not give them.

Walking 4.5 km/h; urban public transport about 18 km/h door to door (waits included); a car on
mixed urban and rural roads about 40 km/h. Circuity 1.3 is a common road-network detour factor.
"""

_GEOD = Geod(ellps="WGS84")
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class TravelModel:
    """How fast survivors move at a site: mode, door-to-door speed and detour factor."""

    mode: Mode = "transit"
    speed_kmh: float = 18.0
    circuity: float = 1.3

    def hours(self, km: Any) -> Any:
        """Travel time in hours for a straight-line distance in km (a number or an array)."""
        return km * self.circuity / self.speed_kmh

    @property
    def metres_per_hour(self) -> float:
        """Straight-line metres covered per hour (speed / circuity)."""
        return self.speed_kmh * 1000.0 / self.circuity

    def to_dict(self, *, roads: bool = False) -> dict[str, Any]:
        """What an analysis says of the travel times it used (JSON)."""
        return {
            "mode": self.mode,
            "speed_kmh": self.speed_kmh,
            "circuity": None if roads else self.circuity,
            "network": "roads" if roads else "straight line",
        }

    def describe(self, lang: str = "en", *, roads: bool = False) -> str:
        """`transit, 18 km/h, straight line x 1.3` (or `..., road network`), in `lang`."""
        how = (
            t("cov_cli_road", lang)
            if roads
            else t("cov_cli_straight", lang, c=number(self.circuity, lang, 1))
        )
        digits = 0 if float(self.speed_kmh).is_integer() else 1
        speed = f"{number(self.speed_kmh, lang, digits)} km/h"
        return f"{t('travel_' + self.mode, lang)}, {speed}, {how}"


def travel_model(travel: Travel | Site | Inventory) -> TravelModel:
    """The travel model of a site: what its `travel` says, the mode's defaults for the rest.

    `travel: {mode: walk}` means walking speed, not the schema's default transit speed: a field
    the file does not set comes from `MODE_DEFAULTS` for the mode.
    """
    if isinstance(travel, Inventory):
        travel = travel.site
    if isinstance(travel, Site):
        travel = travel.travel
    speed, circuity = MODE_DEFAULTS[travel.mode]
    given = travel.model_fields_set
    return TravelModel(
        travel.mode,
        travel.speed_kmh if "speed_kmh" in given else speed,
        travel.circuity if "circuity" in given else circuity,
    )


# --- distances ---------------------------------------------------------------------------------


def geodesic_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Distance on the WGS84 ellipsoid in km; numbers or arrays (broadcast)."""
    x1, y1, x2, y2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    if x1.ndim == 0:
        return float(_GEOD.inv(float(x1), float(y1), float(x2), float(y2))[2]) / 1000.0
    flat = [np.ascontiguousarray(v).ravel() for v in (x1, y1, x2, y2)]
    _, _, d = _GEOD.inv(flat[0], flat[1], flat[2], flat[3])
    return np.asarray(d).reshape(x1.shape) / 1000.0


def local_crs(lats: Any, lons: Any) -> CRS:
    """A transverse Mercator in metres centred on the points (WGS84 ellipsoid, scale 1).

    Like a UTM zone, but centred on the data, so a site that straddles two zones is measured
    as well as one in the middle of a zone.
    """
    lats = np.asarray(lats, dtype=float)
    lons = np.asarray(lons, dtype=float)
    if lats.size == 0:
        raise ValueError("local_crs needs at least one point")
    lat0 = float(np.clip((np.nanmin(lats) + np.nanmax(lats)) / 2, -80, 80))
    lon0 = _mid_longitude(lons)
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k_0=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )


def _mid_longitude(lons: FloatArray) -> float:
    """The middle of the longitudes' range, across the antimeridian when that is shorter."""
    lo, hi = float(np.nanmin(lons)), float(np.nanmax(lons))
    if hi - lo <= 180:
        return (lo + hi) / 2
    shifted = np.where(lons < 0, lons + 360, lons)
    mid = (float(shifted.min()) + float(shifted.max())) / 2
    return mid - 360 if mid > 180 else mid


def geodesic_from_planar(metres: Any, xa: Any, xb: Any) -> Any:
    """Ellipsoidal metres from planar metres in `local_crs`, given both ends' eastings.

    A transverse Mercator stretches distances by about 1 + x²/2R² at easting x; averaged
    along a segment from xa to xb that is 1 + (xa² + xa·xb + xb²)/6R².
    """
    xa = np.asarray(xa, dtype=float)
    xb = np.asarray(xb, dtype=float)
    return metres / (1.0 + (xa * xa + xa * xb + xb * xb) / (6.0 * EARTH_RADIUS_M**2))


@lru_cache(maxsize=32)
def _transformer(crs_wkt: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", CRS.from_wkt(crs_wkt), always_xy=True)


def project(lats: Any, lons: Any, crs: CRS) -> tuple[FloatArray, FloatArray]:
    """(x, y) in metres of WGS84 points in a projected CRS (vectorised)."""
    x, y = _transformer(crs.to_wkt()).transform(
        np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    )
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


# --- straight-line travel between services -----------------------------------------------------


def straight_line_hours(model: TravelModel) -> TravelHours:
    """`f(a, b) -> hours`: geodesic distance between the services' true locations x circuity
    / speed. For `build_referral_graph(..., travel_hours=f)`."""

    def hours(a: Service, b: Service) -> float:
        km = geodesic_km(a.location.lat, a.location.lon, b.location.lat, b.location.lon)
        return float(model.hours(km))

    hours.travel = model.to_dict()  # type: ignore[attr-defined]  # what the graph says it used
    return hours


def travel_hours(inventory: Inventory, *, roads: RoadNetwork | None = None) -> TravelHours:
    """The `travel_hours` hook for `build_referral_graph`: the site's mode, on roads if given.

    Uses the services' true locations: routes are computed inside the program; what they
    show goes through `pathways.public.privacy`.
    """
    model = travel_model(inventory)
    if roads is None:
        return straight_line_hours(model)
    return roads.travel_hours(model)


# --- road networks -----------------------------------------------------------------------------

_FLOAT_NODE_ATTRS = ("x", "y", "lat", "lon", "street_count")
_FLOAT_EDGE_ATTRS = ("length", "speed_kph", "travel_time", "grade", "grade_abs")


def load_road_graph(path: str | Path) -> nx.MultiDiGraph:
    """A road graph from a GraphML file written by OSMnx (`ox.save_graphml`), read offline.

    Nodes need `x` (longitude) and `y` (latitude); edges need `length` (metres). OSMnx stores
    every attribute as text: the numeric ones are converted back here. Raises InventoryError
    naming the file and what is missing.
    """
    path = Path(path)
    try:
        G = nx.read_graphml(path, force_multigraph=True)
    except (OSError, nx.NetworkXError, ValueError, SyntaxError) as e:
        raise InventoryError(
            f"{display_path(path)}: not a readable GraphML road graph ({e})"
        ) from None
    if not isinstance(G, nx.MultiDiGraph):
        G = nx.MultiDiGraph(G)
    crs = str(G.graph.get("crs", "epsg:4326")).lower()
    if crs not in ("epsg:4326", "wgs84", "+init=epsg:4326"):
        raise InventoryError(
            f"{display_path(path)}: the road graph is in {crs}; save it unprojected "
            "(EPSG:4326, as `ox.graph_from_*` returns it) before `ox.save_graphml`"
        )
    for node, data in G.nodes(data=True):
        _floats(data, _FLOAT_NODE_ATTRS)
        if "x" not in data or "y" not in data:
            raise InventoryError(f"{display_path(path)}: node {node} has no x/y coordinates")
    for u, v, data in G.edges(data=True):
        _floats(data, _FLOAT_EDGE_ATTRS)
        if "length" not in data:
            raise InventoryError(f"{display_path(path)}: edge {u} -> {v} has no length")
    return G


def _floats(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in data:
            try:
                data[name] = float(data[name])
            except (TypeError, ValueError):
                del data[name]


class RoadNetwork:
    """A road graph ready for travel-time queries: nodes indexed in metres, edge times by mode.

    `hours_between(lat1, lon1, lat2, lon2)` is door to door: a straight-line access leg (at
    the mode's speed and circuity) to the nearest node, the fastest path on roads, and an
    egress leg. Cars use each edge's `travel_time` or `speed_kph` when OSMnx added them
    (`ox.add_edge_speeds`, `ox.add_edge_travel_times`); other modes move at the mode's speed.
    Places the roads do not connect fall back to the straight-line estimate.
    """

    def __init__(self, G: nx.MultiDiGraph, model: TravelModel | None = None) -> None:
        from scipy.spatial import cKDTree

        self.G = G
        self.model = model or TravelModel()
        self.nodes = list(G.nodes)
        lat = np.array([G.nodes[n]["y"] for n in self.nodes], dtype=float)
        lon = np.array([G.nodes[n]["x"] for n in self.nodes], dtype=float)
        if not len(self.nodes):
            raise InventoryError("the road graph has no nodes")
        self.crs = local_crs(lat, lon)
        x, y = project(lat, lon, self.crs)
        self._tree = cKDTree(np.column_stack([x, y]))
        self._index = {n: i for i, n in enumerate(self.nodes)}
        self._weighted = self._with_times(G, self.model)
        self._reverse = self._weighted.reverse(copy=True)
        self._from_node = lru_cache(maxsize=4096)(self._dijkstra)

    @classmethod
    def from_file(cls, path: str | Path, model: TravelModel | None = None) -> RoadNetwork:
        """Read an OSMnx GraphML file (see `load_road_graph`)."""
        return cls(load_road_graph(path), model)

    @staticmethod
    def _with_times(G: nx.MultiDiGraph, model: TravelModel) -> nx.DiGraph:
        """A simple DiGraph whose edges hold `seconds`: the fastest parallel edge."""
        mps = model.speed_kmh / 3.6
        D = nx.DiGraph()
        D.add_nodes_from(G.nodes)
        for u, v, data in G.edges(data=True):
            if model.mode == "car" and data.get("travel_time", 0) > 0:
                seconds = data["travel_time"]
            elif model.mode == "car" and data.get("speed_kph", 0) > 0:
                seconds = data["length"] / (data["speed_kph"] / 3.6)
            else:
                seconds = data["length"] / mps
            if not D.has_edge(u, v) or seconds < D.edges[u, v]["seconds"]:
                D.add_edge(u, v, seconds=seconds)
        return D

    def with_model(self, model: TravelModel) -> RoadNetwork:
        """The same roads for another travel mode."""
        return RoadNetwork(self.G, model)

    def nearest_nodes(self, lats: Any, lons: Any) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Index of the nearest node (in `self.nodes`) and the distance to it in metres."""
        x, y = project(lats, lons, self.crs)
        d, i = self._tree.query(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]))
        return np.asarray(i, dtype=np.intp), np.asarray(d, dtype=float)

    def _access_hours(self, metres: Any) -> Any:
        return self.model.hours(np.asarray(metres) / 1000.0)

    def _dijkstra(self, source: int) -> dict[Any, float]:
        lengths: dict[Any, float] = nx.single_source_dijkstra_path_length(
            self._weighted, self.nodes[source], weight="seconds"
        )
        return lengths

    def hours_between(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        """Door-to-door hours from one place to another over the roads."""
        (a,), (da,) = self.nearest_nodes([lat1], [lon1])
        (b,), (db,) = self.nearest_nodes([lat2], [lon2])
        seconds = self._from_node(int(a)).get(self.nodes[b])
        if seconds is None:
            return float(self.model.hours(geodesic_km(lat1, lon1, lat2, lon2)))
        return float(self._access_hours(da) + seconds / 3600.0 + self._access_hours(db))

    def travel_hours(self, model: TravelModel | None = None) -> TravelHours:
        """`f(a, b) -> hours` between two services' true locations, for the referral graph."""
        net = self if model is None or model == self.model else self.with_model(model)

        def hours(a: Service, b: Service) -> float:
            return net.hours_between(a.location.lat, a.location.lon, b.location.lat, b.location.lon)

        hours.travel = net.model.to_dict(roads=True)  # type: ignore[attr-defined]
        return hours

    def hours_to_nearest(
        self, lats: Any, lons: Any, target_lats: Any, target_lons: Any
    ) -> FloatArray:
        """Hours from each place to the nearest target over the roads (inf if none connects).

        One multi-source Dijkstra from the targets on the reversed graph, then an array
        lookup per place: no loop over the places.
        """
        lats = np.atleast_1d(np.asarray(lats, dtype=float))
        out = np.full(lats.shape, math.inf)
        if len(np.atleast_1d(target_lats)) == 0 or lats.size == 0:
            return out
        t_nodes, t_dist = self.nearest_nodes(target_lats, target_lons)
        best: dict[int, float] = {}
        for node, metres in zip(t_nodes.tolist(), t_dist.tolist(), strict=True):
            seconds = float(self._access_hours(metres)) * 3600.0
            best[node] = min(best.get(node, math.inf), seconds)
        node_seconds = np.full(len(self.nodes), math.inf)
        # A virtual source joined to each target node by its egress time: exact multi-source.
        R = self._reverse
        source = ("__targets__",)
        R.add_node(source)
        try:
            for node, seconds in best.items():
                R.add_edge(source, self.nodes[node], seconds=seconds)
            lengths = nx.single_source_dijkstra_path_length(R, source, weight="seconds")
        finally:
            R.remove_node(source)
        for node, seconds in lengths.items():
            if node != source:
                node_seconds[self._index[node]] = seconds
        p_nodes, p_dist = self.nearest_nodes(lats, lons)
        return np.asarray(self._access_hours(p_dist) + node_seconds[p_nodes] / 3600.0)
