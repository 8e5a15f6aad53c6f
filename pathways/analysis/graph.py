"""The referral graph: services as nodes, referral routes as directed edges.

`build_referral_graph` is the one conversion from an `Inventory` to networkx; analyses read the
graph (and the `Service` / `Referral` records kept on its nodes and edges) and never the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import networkx as nx
from pyproj import Geod

try:
    import rustworkx as rx
except ImportError:  # optional: `pip install rustworkx`
    HAS_RUSTWORKX = False
else:
    HAS_RUSTWORKX = True

from pathways.analysis.travel import straight_line_hours, travel_model
from pathways.model import clock
from pathways.model._gc import pausing_collector
from pathways.model.inventory import Inventory, Point, Referral, Service

TravelHours = Callable[[Service, Service], float]
"""Hours a survivor needs to get from one service to another."""

_GEOD = Geod(ellps="WGS84")


def distance_km(a: Point, b: Point) -> float:
    """Distance on the WGS84 ellipsoid, in kilometres."""
    return float(_GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2]) / 1000.0


PHONE_MODES = frozenset({"phone", "accompanied-call"})
"""Referral modes that need a working phone line at the referring service."""


@pausing_collector
def build_referral_graph(
    inventory: Inventory,
    *,
    closed: Iterable[str] = (),
    travel_hours: TravelHours | None = None,
    as_of: dt.date | None = None,
) -> nx.DiGraph:
    """A `DiGraph` of one site's services and referrals.

    `G.graph` keeps the `inventory` and the `travel_hours` function for route queries, and
    `travel`: which travel model it is (`TravelModel.to_dict`), for the analyses to say so.
    Nodes are service ids with the `Service` under `"service"` plus scalar attributes
    (`name`, `entry_point`, `categories`); edges carry the `Referral` under `"referral"`, the
    categories the route serves (`needs`), `mode`, `delay` and `travel` (hours; straight line
    unless `travel_hours` is given; none from a helpline, which survivors call from wherever
    they are). Services listed in `closed` are left out, with the routes through them: the
    "what if it closes" graph; so are services suspended on `as_of` (default today), listed in
    `G.graph["suspended"]`. Phone referrals from a service without phone coverage
    (`phone_network: none`) are left out too.
    """
    suspended = suspended_services(inventory, as_of or clock.today())
    closed = set(closed) | suspended
    travel = travel_hours or straight_line_hours(travel_model(inventory))
    kept = _routes_kept(inventory, closed)
    G = nx.DiGraph(
        site=inventory.site.id,
        closed=tuple(sorted(closed)),
        suspended=tuple(sorted(suspended)),
        inventory=inventory,
        travel_hours=travel,
        travel=getattr(travel, "travel", {"network": "given"}),
    )
    G.add_nodes_from(
        (
            s.id,
            {
                "service": s,
                "name": s.name,
                "entry_point": s.entry_point,
                "categories": s.categories,
            },
        )
        for s in inventory.services
        if s.id not in closed
    )
    G.add_edges_from(
        (
            r.source_id,
            r.target_id,
            {
                "referral": r,
                "needs": inventory.referral_targets(r),
                "mode": r.mode,
                "delay": r.delay,
                "travel": t,
            },
        )
        for r, t in zip(kept, _hand_off_hours(inventory, kept, travel_hours), strict=True)
    )
    return G


def suspended_services(inventory: Inventory, day: dt.date) -> set[str]:
    """The ids of the services suspended on `day` (`Service.suspended`)."""
    return {s.id for s in inventory.services if s.suspended is not None and s.suspended_on(day)}


def _routes_kept(inventory: Inventory, closed: set[str]) -> list[Referral]:
    """The referrals between open services, but phone referrals from a place without mobile
    coverage."""
    no_phone = {s.id for s in inventory.services if s.phone_network == "none"}
    return [
        r
        for r in inventory.referrals
        if r.source_id not in closed
        and r.target_id not in closed
        and not (r.source_id in no_phone and r.mode in PHONE_MODES)
    ]


def _hand_off_hours(
    inventory: Inventory, referrals: Sequence[Referral], travel_hours: TravelHours | None
) -> list[float]:
    """Travel hours of each referral: by `travel_hours`, else in a straight line; none from a
    helpline."""
    remote = {s.id for s in inventory.services if is_remote(s)}
    if travel_hours is None:
        return _straight_line_hours_of(inventory, referrals, remote)
    by_id = inventory.by_id
    return [
        0.0 if r.source_id in remote else travel_hours(by_id[r.source_id], by_id[r.target_id])
        for r in referrals
    ]


def _straight_line_hours_of(
    inventory: Inventory, referrals: Sequence[Referral], remote: set[str]
) -> list[float]:
    """`straight_line_hours` of every referral (0 from a helpline), in one call to PROJ.

    The same numbers: `Geod.inv` computes each pair alike whether given one or many, and the
    arithmetic is done in the same order.
    """
    import numpy as np

    by_id = inventory.by_id
    a = [by_id[r.source_id].location for r in referrals]
    b = [by_id[r.target_id].location for r in referrals]
    if not referrals:
        return []
    _, _, metres = _GEOD.inv(
        np.array([p.lon for p in a]),
        np.array([p.lat for p in a]),
        np.array([p.lon for p in b]),
        np.array([p.lat for p in b]),
    )
    hours = travel_model(inventory).hours(np.asarray(metres, dtype=float) / 1000.0)
    return [
        0.0 if r.source_id in remote else float(h) for r, h in zip(referrals, hours, strict=True)
    ]


def is_remote(s: Service) -> bool:
    """A helpline: survivors call it from wherever they are, so no travel starts from it."""
    return set(s.categories) <= {"hotline"}


def service(G: nx.DiGraph, node: str) -> Service:
    """The `Service` record of a node."""
    s: Service = G.nodes[node]["service"]
    return s


def entry_points(G: nx.DiGraph) -> list[str]:
    """Service ids where survivors can arrive directly, in a stable order."""
    return sorted(n for n, d in G.nodes(data=True) if d["entry_point"])


def providers(G: nx.DiGraph, category: str) -> list[str]:
    """Service ids offering a category (or a sub-category of it), in a stable order.

    Indexed once per graph (graphs are not changed after `build_referral_graph`).
    """
    index = G.graph.get("_providers")
    if index is None or index[0] != G.number_of_nodes():
        by_cat: dict[str, list[str]] = {}
        for n in sorted(G):
            for c in service(G, n).categories:
                parts = c.split(".")
                for k in range(1, len(parts) + 1):
                    by_cat.setdefault(".".join(parts[:k]), []).append(n)
        index = (G.number_of_nodes(), {c: sorted(set(v)) for c, v in by_cat.items()})
        G.graph["_providers"] = index
    return list(index[1].get(category, ()))


def serves_need(G: nx.DiGraph, u: str, v: str, category: str) -> bool:
    """Does the route u -> v hand a survivor over for this category?"""
    return any(n == category or n.startswith(category + ".") for n in G.edges[u, v]["needs"])


def reachable_providers(
    G: nx.DiGraph, category: str, sources: Iterable[str], *, reached: set[str] | None = None
) -> set[str]:
    """Providers of `category` a survivor arriving at any of `sources` can be referred to.

    A provider counts when it is itself a source, or when a route serving the category leads
    to it from a service the sources reach (earlier hand-offs may be for any need).
    `reached` is `reachable_from(G, sources)` when the caller already has it.
    """
    sources = [s for s in sources if s in G]
    if reached is None:
        reached = reachable_from(G, sources)
    offering = providers(G, category)
    found = set(offering).intersection(sources)  # `Service.has(category)`, indexed
    sub = category + "."
    pred = G.pred
    for v in offering:
        if v in found:
            continue
        if any(
            u in reached and any(n == category or n.startswith(sub) for n in e["needs"])
            for u, e in pred[v].items()
        ):
            found.add(v)
    return found


# --- graph algorithms: each in one function, from networkx or rustworkx ------------------------

Backend = Literal["auto", "rustworkx", "networkx"]

BACKEND: Backend = "auto"
"""Which library runs the graph algorithms below (reach, strongly connected components,
dominators): "networkx" (the reference), "rustworkx" (`pip install rustworkx`,
several times faster on whole graphs) or "auto": rustworkx when installed, else networkx.
Both give the same answers. Read at call time."""

ACCELERATED = ("unreachable", "single_point_of_failure", "deterrent")
"""The gap kinds whose passes run on `graph_backend()`."""

Node = TypeVar("Node", bound=Hashable)


def graph_backend() -> str:
    """The backend in use: `BACKEND`, with "auto" resolved."""
    if BACKEND == "rustworkx" and not HAS_RUSTWORKX:
        raise ImportError("BACKEND is 'rustworkx': pip install rustworkx")
    if BACKEND != "auto":
        return BACKEND
    return "rustworkx" if HAS_RUSTWORKX else "networkx"


@contextmanager
def use_backend(name: Backend) -> Iterator[None]:
    """Run a block with another `BACKEND` (for comparisons and tests)."""
    global BACKEND
    before = BACKEND
    BACKEND = name
    try:
        yield
    finally:
        BACKEND = before


def reachable_from(
    G: nx.DiGraph, sources: Iterable[Node], *, allowed: Callable[[Node], bool] | None = None
) -> set[Node]:
    """Every node reachable from any of `sources` (themselves included, when in the graph),
    entering only nodes `allowed` says yes to (all if None): one breadth-first search."""
    return _breadth_first(G, sources, allowed, forward=True)


def reaching(
    G: nx.DiGraph, targets: Iterable[Node], *, allowed: Callable[[Node], bool] | None = None
) -> set[Node]:
    """Every node from which any of `targets` can be reached (themselves included), through
    `allowed` nodes only (all if None): `reachable_from` against the edges."""
    return _breadth_first(G, targets, allowed, forward=False)


def _breadth_first(
    G: nx.DiGraph,
    starts: Iterable[Node],
    allowed: Callable[[Node], bool] | None,
    *,
    forward: bool,
) -> set[Node]:
    """The one breadth-first search: `networkx.bfs_layers` or `rustworkx.bfs_layers`, from
    every start at once. The starts themselves need not be allowed."""
    first = list(dict.fromkeys(s for s in starts if s in G))
    if not first:
        return set()
    keep = None if allowed is None else _either(set(first).__contains__, allowed)
    if graph_backend() == "rustworkx":
        numbered = _numbered(G)
        g = numbered.graph if forward else numbered.reversed()
        if keep is not None:
            g = numbered.without(g, keep)
        layers = rx.bfs_layers(g, [numbered.index[s] for s in first])
        nodes = numbered.nodes
        return {nodes[i] for layer in layers for i in layer}
    H = G if forward else G.reverse(copy=False)
    if keep is not None:
        H = nx.subgraph_view(H, filter_node=keep)
    return {v for layer in nx.bfs_layers(H, first) for v in layer}


def _either(a: Callable[[Node], bool], b: Callable[[Node], bool]) -> Callable[[Node], bool]:
    return lambda v: a(v) or b(v)


def strong_components(
    G: nx.DiGraph, *, allowed: Callable[[Node], bool] | None = None
) -> list[set[Node]]:
    """The strongly connected components of the graph of the `allowed` nodes (all if None),
    in no particular order."""
    if graph_backend() == "rustworkx":
        numbered = _numbered(G)
        g = numbered.graph if allowed is None else numbered.without(numbered.graph, allowed)
        nodes = numbered.nodes
        return [{nodes[i] for i in c} for c in rx.strongly_connected_components(g)]
    H = G if allowed is None else nx.subgraph_view(G, filter_node=allowed)
    return list(nx.strongly_connected_components(H))


def dominators(
    succ: Mapping[Node, Iterable[Node]], roots: Iterable[Node]
) -> dict[Node, dict[Node, Node]]:
    """For each of `roots`, the immediate dominator of every node reachable from it, the root
    left out (as `networkx.immediate_dominators` gives them since networkx 3.5).

    The graph is given by the successors of each node (`G.succ` for a networkx graph; a plain
    dict is much quicker to build than a graph), and converted once for all the roots.
    """
    if graph_backend() == "rustworkx":
        numbered = _Numbered(succ, ((u, v) for u, vs in succ.items() for v in vs))
        nodes = numbered.nodes
        found: dict[Node, dict[Node, Node]] = {}
        for root in roots:
            start = numbered.index[root]
            idom = rx.immediate_dominators(numbered.graph, start)
            found[root] = {nodes[v]: nodes[d] for v, d in idom.items() if v != start}
        return found
    G = nx.from_dict_of_lists(succ, create_using=nx.DiGraph)
    trees: dict[Node, dict[Node, Node]] = {root: nx.immediate_dominators(G, root) for root in roots}
    for root, tree in trees.items():
        tree.pop(root, None)  # networkx before 3.5 maps it to itself
    return trees


class _Numbered:
    """A graph in rustworkx: its nodes numbered in the order given, the graph and (on first
    use) its reverse."""

    def __init__(self, nodes: Iterable[Any], edges: Iterable[tuple[Any, Any]]) -> None:
        self.nodes = list(nodes)
        self.index = {v: i for i, v in enumerate(self.nodes)}
        self.graph: rx.PyDiGraph[None, None] = rx.PyDiGraph()
        self.graph.add_nodes_from([None] * len(self.nodes))
        index = self.index
        self.graph.extend_from_edge_list([(index[u], index[v]) for u, v in edges])
        self._reversed: rx.PyDiGraph[None, None] | None = None

    def reversed(self) -> rx.PyDiGraph[None, None]:
        """The graph with every edge turned around."""
        if self._reversed is None:
            self._reversed = self.graph.copy()
            self._reversed.reverse()
        return self._reversed

    def without(
        self, g: rx.PyDiGraph[None, None], keep: Callable[[Any], bool]
    ) -> rx.PyDiGraph[None, None]:
        """A copy of `g` (node numbers unchanged) without the nodes `keep` says no to."""
        h = g.copy()
        h.remove_nodes_from([i for i, v in enumerate(self.nodes) if not keep(v)])
        return h


def _numbered(G: nx.DiGraph) -> _Numbered:
    """`G` in rustworkx, kept in `G.graph` like the graph's other indexes (graphs are not
    changed once built: one that gains or loses nodes is converted afresh). Not for views,
    which share their graph's `G.graph`."""
    if nx.is_frozen(G):
        return _Numbered(G, G.edges)
    key = G.number_of_nodes()  # not number_of_edges(), which counts them every time
    found = G.graph.get("_rustworkx")
    if found is None or found[0] != key:
        found = G.graph["_rustworkx"] = (key, _Numbered(G, G.edges))
    numbered: _Numbered = found[1]
    return numbered
