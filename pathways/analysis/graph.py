"""The referral graph: services as nodes, referral routes as directed edges.

`build_referral_graph` is the one conversion from an `Inventory` to networkx; analyses read the
graph (and the `Service` / `Referral` records kept on its nodes and edges) and never the file.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import networkx as nx
from pyproj import Geod

from pathways.model._gc import pausing_collector
from pathways.model.inventory import Inventory, Point, Service, Travel

TravelHours = Callable[[Service, Service], float]
"""Hours a survivor needs to get from one service to another."""

_GEOD = Geod(ellps="WGS84")


def distance_km(a: Point, b: Point) -> float:
    """Distance on the WGS84 ellipsoid, in kilometres."""
    return float(_GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2]) / 1000.0


def straight_line_hours(travel: Travel) -> TravelHours:
    """Travel time as the crow flies x the site's circuity / its speed (true locations)."""

    def hours(a: Service, b: Service) -> float:
        return distance_km(a.location, b.location) * travel.circuity / travel.speed_kmh

    return hours


PHONE_MODES = frozenset({"phone", "accompanied-call"})
"""Referral modes that need a working phone line at the referring service."""


@pausing_collector
def build_referral_graph(
    inventory: Inventory,
    *,
    closed: Iterable[str] = (),
    travel_hours: TravelHours | None = None,
) -> nx.DiGraph:
    """A `DiGraph` of one site's services and referrals.

    `G.graph` keeps the `inventory` and the `travel_hours` function for route queries.
    Nodes are service ids with the `Service` under `"service"` plus scalar attributes
    (`name`, `entry_point`, `categories`); edges carry the `Referral` under `"referral"`, the
    categories the route serves (`needs`), `mode`, `delay` and `travel` (hours; straight line
    unless `travel_hours` is given; none from a helpline, which survivors call from wherever
    they are). Services listed in `closed` are left out, with the routes
    through them: the "what if it closes" graph. Phone referrals from a service without
    phone coverage (`phone_network: none`) are left out too.
    """
    closed = set(closed)
    travel = travel_hours or straight_line_hours(inventory.site.travel)
    remote = {s.id for s in inventory.services if is_remote(s)}
    # a phone referral cannot leave a place without mobile coverage
    no_phone = {s.id for s in inventory.services if s.phone_network == "none"}
    kept = [
        r
        for r in inventory.referrals
        if r.source_id not in closed
        and r.target_id not in closed
        and not (r.source_id in no_phone and r.mode in PHONE_MODES)
    ]
    if travel_hours is None:
        hours = _straight_line_hours_of(inventory, kept, remote)
    else:
        hours = [
            0.0
            if r.source_id in remote
            else travel(inventory.by_id[r.source_id], inventory.by_id[r.target_id])
            for r in kept
        ]
    G = nx.DiGraph(
        site=inventory.site.id,
        closed=tuple(sorted(closed)),
        inventory=inventory,
        travel_hours=travel,
    )
    for s in inventory.services:
        if s.id in closed:
            continue
        G.add_node(
            s.id,
            service=s,
            name=s.name,
            entry_point=s.entry_point,
            categories=s.categories,
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
        for r, t in zip(kept, hours, strict=True)
    )
    return G


def _straight_line_hours_of(
    inventory: Inventory, referrals: Sequence[Any], remote: set[str]
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
    travel = inventory.site.travel
    hours = np.asarray(metres, dtype=float) / 1000.0 * travel.circuity / travel.speed_kmh
    return [
        0.0 if r.source_id in remote else float(h) for r, h in zip(referrals, hours, strict=True)
    ]


def is_remote(s: Service) -> bool:
    """A helpline: survivors call it from wherever they are, so no travel starts from it."""
    return set(s.categories) <= {"hotline"}


def service(G: nx.DiGraph, node: str) -> Service:
    """The `Service` record of a node."""
    return G.nodes[node]["service"]


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
    `reached` is `reached_from(G, sources)` when the caller already has it.
    """
    sources = [s for s in sources if s in G]
    if reached is None:
        reached = reached_from(G, sources)
    found = {s for s in sources if service(G, s).has(category)}
    sub = category + "."
    pred = G._pred
    for v in providers(G, category):
        if v in found:
            continue
        if any(
            u in reached and any(n == category or n.startswith(sub) for n in e["needs"])
            for u, e in pred[v].items()
        ):
            found.add(v)
    return found


def reached_from(G: nx.DiGraph, sources: Iterable[str]) -> set[str]:
    """Every service reachable from any of `sources` (themselves included): one BFS for all."""
    return _bfs(G._succ, sources)  # the raw dict-of-dicts: 2x faster than the views


def reaching(G: nx.DiGraph, targets: Iterable[str]) -> set[str]:
    """Every service from which any of `targets` can be reached (themselves included)."""
    return _bfs(G._pred, targets)


def _bfs(adj: Any, starts: Iterable[str]) -> set[str]:
    seen = {s for s in starts if s in adj}
    frontier = list(seen)
    while frontier:
        nxt = []
        for u in frontier:
            for v in adj[u]:
                if v not in seen:
                    seen.add(v)
                    nxt.append(v)
        frontier = nxt
    return seen


# --- dominators, for single points of failure --------------------------------------------------

Backend = Literal["auto", "rustworkx", "python", "networkx"]

BACKEND: Backend = "auto"
"""Which code finds dominators (the heavy pass of single points of failure): "networkx" (the
reference), "python" (the same algorithm on integer lists, several times faster), "rustworkx"
(`pip install referral-atlas[fast]`, faster still) or "auto": rustworkx when installed, else
"python". All give the same answers (dominators are unique). Read at call time."""

ACCELERATED = ("single_point_of_failure",)
"""The gap kinds whose passes run on `graph_backend()`."""


def graph_backend() -> str:
    """The backend in use: `BACKEND`, with "auto" resolved."""
    if BACKEND != "auto":
        return BACKEND
    return "rustworkx" if importlib.util.find_spec("rustworkx") is not None else "python"


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


def immediate_dominators(
    succ: Sequence[Sequence[int]], pred: Sequence[Sequence[int]], start: int
) -> list[int]:
    """Immediate dominator of every node reachable from `start` (-1 for the others; `start`
    maps to itself), on a graph of integer nodes given as successor and predecessor lists.

    The algorithm of Cooper, Harvey and Kennedy (2006), as `networkx.immediate_dominators`,
    on plain lists instead of dicts of views.
    """
    n = len(succ)
    order: list[int] = []  # post-order of a depth-first search from start
    visited = bytearray(n)
    visited[start] = 1
    stack = [(start, iter(succ[start]))]
    while stack:
        v, edges = stack[-1]
        for w in edges:
            if not visited[w]:
                visited[w] = 1
                stack.append((w, iter(succ[w])))
                break
        else:
            stack.pop()
            order.append(v)
    rank = [-1] * n
    for i, v in enumerate(order):
        rank[v] = i
    idom = [-1] * n
    idom[start] = start
    order.pop()
    order.reverse()
    changed = True
    while changed:
        changed = False
        for u in order:
            new = -1
            for v in pred[u]:
                if idom[v] == -1:
                    continue
                if new == -1:
                    new = v
                    continue
                a, b = v, new
                while a != b:
                    while rank[a] < rank[b]:
                        a = idom[a]
                    while rank[b] < rank[a]:
                        b = idom[b]
                new = a
            if idom[u] != new:
                idom[u] = new
                changed = True
    return idom


def rustworkx_dominators(
    succ: Sequence[Sequence[int]], start: int, base: Any = None
) -> dict[int, int]:
    """`immediate_dominators` by rustworkx (start maps to itself; unreachable nodes absent).

    `base` is a `rustworkx.PyDiGraph` already holding the first nodes and edges of `succ`
    (copied, not changed); the nodes after it and their edges are added to the copy.
    """
    import rustworkx as rx

    g = base.copy() if base is not None else rx.PyDiGraph()
    first = g.num_nodes()
    g.add_nodes_from(range(len(succ) - first))
    g.add_edges_from_no_data([(u, v) for u in range(first, len(succ)) for v in succ[u]])
    return dict(rx.immediate_dominators(g, start))


def rustworkx_graph(succ: Sequence[Sequence[int]]) -> Any:
    """A `rustworkx.PyDiGraph` of an integer graph given as successor lists."""
    import rustworkx as rx

    g = rx.PyDiGraph()
    g.add_nodes_from(range(len(succ)))
    g.add_edges_from_no_data([(u, v) for u, vs in enumerate(succ) for v in vs])
    return g
