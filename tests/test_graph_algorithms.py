"""The graph algorithms of `pathways.analysis.graph` give plain networkx's answers, whichever
library runs them (rustworkx is optional: its runs are skipped when it is not installed).

Each function is checked on random small digraphs against a reference written with networkx's
simplest calls (`descendants` per source on the allowed subgraph, Kosaraju's components) or
straight from the definition (a node dominates another when removing it cuts the other off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import generate
from pathways.analysis.gaps import Options, single_points_of_failure
from pathways.analysis.graph import (
    HAS_RUSTWORKX,
    build_referral_graph,
    dominators,
    entry_points,
    reachable_from,
    reachable_providers,
    reaching,
    service,
    strong_components,
    use_backend,
)
from pathways.model.inventory import Inventory

BACKENDS = [
    "networkx",
    pytest.param(
        "rustworkx",
        marks=pytest.mark.skipif(not HAS_RUSTWORKX, reason="rustworkx is not installed"),
    ),
]


@st.composite
def digraphs(draw: st.DrawFn) -> nx.DiGraph:
    """Up to 12 services with up to 40 routes (self-loops and cycles included)."""
    n = draw(st.integers(1, 12))
    nodes = [f"s{i}" for i in range(n)]
    pick = st.sampled_from(nodes)
    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    G.add_edges_from(draw(st.lists(st.tuples(pick, pick), max_size=40)))
    return G


@st.composite
def searches(draw: st.DrawFn) -> tuple[nx.DiGraph, list[str], set[str] | None]:
    """A graph, some starts (one perhaps not in the graph) and the allowed nodes (or None)."""
    G = draw(digraphs())
    nodes = sorted(G)
    starts = draw(st.lists(st.sampled_from([*nodes, "elsewhere"]), max_size=4))
    allowed = draw(st.none() | st.sets(st.sampled_from(nodes)))
    return G, starts, allowed


def _reference_reach(
    G: nx.DiGraph, starts: list[str], allowed: set[str] | None, step: Callable[..., set[str]]
) -> set[str]:
    """Each start and its descendants (or ancestors) in the graph of the allowed nodes."""
    found: set[str] = set()
    for s in starts:
        if s not in G:
            continue
        H = G if allowed is None else G.subgraph(allowed | {s})
        found |= {s} | step(H, s)
    return found


def _allowed(allowed: set[str] | None) -> Callable[[str], bool] | None:
    return None if allowed is None else allowed.__contains__


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=300, deadline=None)
@given(searches())
def test_reachable_from_is_descendants(backend, case):
    G, starts, allowed = case
    with use_backend(backend):
        found = reachable_from(G, starts, allowed=_allowed(allowed))
    assert found == _reference_reach(G, starts, allowed, nx.descendants)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=300, deadline=None)
@given(searches())
def test_reaching_is_ancestors(backend, case):
    G, targets, allowed = case
    with use_backend(backend):
        found = reaching(G, targets, allowed=_allowed(allowed))
    assert found == _reference_reach(G, targets, allowed, nx.ancestors)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=300, deadline=None)
@given(searches())
def test_forbidding_a_node_never_makes_another_reachable(backend, case):
    G, starts, allowed = case
    with use_backend(backend):
        everywhere = reachable_from(G, starts)
        restricted = reachable_from(G, starts, allowed=_allowed(allowed))
    assert restricted <= everywhere


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=300, deadline=None)
@given(searches())
def test_strong_components_are_kosaraju_components(backend, case):
    G, _, allowed = case
    H = G if allowed is None else G.subgraph(allowed)
    expected = {frozenset(c) for c in nx.kosaraju_strongly_connected_components(H)}
    with use_backend(backend):
        found = strong_components(G, allowed=_allowed(allowed))
    assert len(found) == len(expected)
    assert {frozenset(c) for c in found} == expected


def _reference_dominators(G: nx.DiGraph, root: str) -> dict[str, str]:
    """From the definition: d dominates v (reachable from root) when v is not reachable from
    root without d; the immediate dominator is the strict dominator closest to v, the one
    with the most dominators of its own."""
    below = nx.descendants(G, root) - {root}

    def cut_off_by(d: str) -> set[str]:
        return below - nx.descendants(nx.restricted_view(G, [d], []), root)

    strict: dict[str, set[str]] = {root: set()}
    for v in below:
        strict[v] = {root} | {d for d in below - {v} if v in cut_off_by(d)}
    return {v: max(strict[v], key=lambda d: len(strict[d])) for v in below}


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=300, deadline=None)
@given(digraphs(), st.data())
def test_dominators_are_those_of_the_definition(backend, G, data):
    roots = data.draw(st.lists(st.sampled_from(sorted(G)), min_size=1, max_size=3, unique=True))
    with use_backend(backend):
        found = dominators(G.succ, roots)
    assert found == {root: _reference_dominators(G, root) for root in roots}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_node_with_routes_only_through_a_hub_is_dominated_by_it(backend):
    succ = {
        "entry": ["hub"],
        "hub": ["a", "b"],
        "a": ["care"],
        "b": ["care"],
        "care": [],
        "alone": ["care"],
    }
    with use_backend(backend):
        trees = dominators(succ, ["entry", "alone"])
    assert trees == {
        "entry": {"hub": "entry", "a": "hub", "b": "hub", "care": "hub"},
        "alone": {"care": "alone"},
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_changed_graph_or_a_view_is_not_answered_from_an_earlier_search(backend):
    G = nx.DiGraph([("a", "b")])
    G.add_node("c")
    with use_backend(backend):
        assert reachable_from(G, ["a"]) == {"a", "b"}
        assert reachable_from(G.reverse(copy=False), ["b"]) == {"a", "b"}
        assert reachable_from(G.subgraph(["a", "c"]), ["a"]) == {"a"}
        G.add_edge("b", "d")  # graphs are not changed once built, but one that grows is seen to
        assert reachable_from(G, ["a"]) == {"a", "b", "d"}
        assert reaching(G, ["d"]) == {"a", "b", "d"}


def test_rustworkx_asked_for_but_missing_says_how_to_install_it(monkeypatch):
    import pathways.analysis.graph as graph

    monkeypatch.setattr(graph, "HAS_RUSTWORKX", False)
    with use_backend("auto"):
        assert graph.graph_backend() == "networkx"
    with use_backend("rustworkx"), pytest.raises(ImportError, match=r"pip install rustworkx"):
        graph.graph_backend()


# --- in use: the single points of failure the dominators find ----------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [1, 4])
def test_closing_a_single_point_of_failure_cuts_its_entry_points_off(backend, seed):
    """Each service a `single_point_of_failure` gap names cuts the entry points it lists off
    from the categories it lists; closing a service no gap names cuts nobody off."""
    inv = Inventory.model_validate(generate(150, seed=seed))
    G = build_referral_graph(inv)
    with use_backend(backend):
        gaps = single_points_of_failure(G, inv, Options(as_of=dt.date(2026, 6, 1)))
    assert gaps
    named = {g.services[0]: g.details["entry_points"] for g in gaps}
    for node, by_category in named.items():
        after = build_referral_graph(inv, closed=[node])
        for category, entries in by_category.items():
            for e in entries:
                assert not reachable_providers(after, category, [e]), (node, category, e)
    entries = entry_points(G)
    categories = sorted({c for n in G for c in service(G, n).categories})
    for node in sorted(set(G) - set(named) - set(entries))[::7]:
        after = build_referral_graph(inv, closed=[node])
        for e in entries:
            reached = reachable_from(G, [e])
            reached_after = reachable_from(after, [e])
            for c in categories:
                if reachable_providers(G, c, [e], reached=reached):
                    assert reachable_providers(after, c, [e], reached=reached_after), (node, c, e)
