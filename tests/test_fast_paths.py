"""The fast paths give the answers of the plain code they stand in for.

Each fast path (the loader's event-based YAML construction and pre-checks, the route search's
indexes and reach sets, the graph passes in rustworkx) is checked against the reference it
replaces: PyYAML's `yaml.load`, the regular expressions, a plain breadth-first search, networkx.
rustworkx is a dependency (the fast backend); its checks are skipped when it is
not installed (`tests/test_graph_algorithms.py` checks each graph algorithm alone).
"""

from __future__ import annotations

import datetime as dt
import math
import random

import networkx as nx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pathways.io.load as load
from bench.generate import generate
from pathways.analysis.gaps import find_gaps, single_points_of_failure
from pathways.analysis.graph import HAS_RUSTWORKX, build_referral_graph, use_backend
from pathways.analysis.routes import (
    Profile,
    Usable,
    _open_spans,
    _Reachability,
    _wait,
    route,
    wait_hours,
)
from pathways.model.inventory import Inventory, parse_hours

needs_rustworkx = pytest.mark.skipif(not HAS_RUSTWORKX, reason="rustworkx is not installed")


# --- YAML: events -> objects, as yaml.load -----------------------------------------------------

TRICKY = [
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "~", "null", "", "0", "-0", "+12",
    "0x1F", "0o17", "017", "0b101", "1_000", "1:20", "-1:20:30", "3.", ".5", "1e5", "1.5e+3",
    "1.0e5", ".inf", "-.Inf", ".NaN", "2025-01-15", "2025-02-30", "2025-1-5",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10", "=", "<<", "a: b", "- x", "#x", "x #y", "'q'", '"d"', "@", "`",
    "ünï", "a\tb", "12:30-14:00", "09:00-17:00", "24/7", "s000123", "health.cmr",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=30,
)


def _same(a, b):
    """Equal, with the same types all the way down (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _outcome(f, text):
    try:
        return ("ok", f(text))
    except Exception as e:  # the very exception matters: type and message
        return ("error", (type(e), str(e)))


def _assert_loads_alike(text):
    plain = _outcome(lambda t: yaml.load(t, Loader=load._LOADER), text)
    fast = _outcome(load._load_plain, text)
    if plain[0] == "ok":
        assert fast[0] == "ok" and _same(plain[1], fast[1]), text
    else:
        assert fast == plain, text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.sampled_from([None, True, False]), st.sampled_from([None, 2, 4]))
def test_event_loader_builds_what_yaml_load_builds(data, flow, indent):
    text = yaml.safe_dump(data, default_flow_style=flow, indent=indent, allow_unicode=True)
    _assert_loads_alike(text)


PIECES = [
    *TRICKY, "\n", "  ", ": ", "- ", "[", "]", "{", "}", ", ", "!!str ", "&a ", "*a", "---\n",
    "? ", "|\n  ", "!x ",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16))
def test_event_loader_matches_yaml_load_on_odd_texts(parts):
    _assert_loads_alike("".join(parts))


def test_event_loader_hands_unusual_documents_to_yaml_load():
    for text in [
        "a: !!str 1\n",
        "a: &x 1\nb: *x\n",
        "? [1, 2]\n: x\n",
        "<<: {a: 1}\n",
        "a: 1\n---\nb: 2\n",
        "= : 1\n",
        "a: 2025-02-30\n",
        "a: [1, 2\n",
        "",
        "# only a comment\n",
    ]:
        _assert_loads_alike(text)


def test_event_loader_on_a_synthetic_inventory(tmp_path):
    from bench.generate import write

    path = write(generate(200, seed=3), tmp_path / "s.yaml")
    text = path.read_text()
    assert _same(load._load_plain(text), yaml.load(text, Loader=load._LOADER))


# --- the loader's pre-checks -------------------------------------------------------------------

odd_text = st.text(st.sampled_from(list("[]{}& \t-\n:,?ab\u00a0\u2028x&\r")), max_size=60)


@settings(max_examples=500, deadline=None)
@given(odd_text, st.integers(0, 80))
def test_nesting_checks_agree_with_the_full_bound(text, limit):
    raw = text.encode("utf-8")
    flow = load._flow_depth(raw)
    assert load._nesting_exceeds(text, flow, limit) == (load._nesting_bound(raw, text) > limit)


@settings(max_examples=500, deadline=None)
@given(odd_text)
def test_anchor_check_agrees_with_the_pattern(text):
    assert load._has_anchor(text) == (load._ANCHOR.search(text) is not None)


def test_hours_parsed_once_give_the_same_services(tmp_path):
    from bench.generate import write

    path = write(generate(150, seed=4), tmp_path / "s.yaml")
    inv = load.read_site(path)
    raw = yaml.safe_load(path.read_text())
    from pathways.model.inventory import Service

    assert tuple(Service.model_validate(s) for s in raw["services"]) == inv.services


# --- opening hours -----------------------------------------------------------------------------

HOURS = [
    "24/7",
    "unknown",
    {"mon": "09:00-17:00", "tue": "09:00-17:00"},
    {"sat": "22:00-02:00"},
    {"sun": "23:30-24:00", "mon": "00:00-00:30"},
    {"wed": "closed"},
    {"fri": "08:00-12:00,13:00-17:00"},
    {"mon": "00:00-24:00", "tue": "24h"},
]


class _S:
    def __init__(self, hours):
        self.hours = parse_hours(hours)


@settings(max_examples=3000, deadline=None)
@given(
    st.sampled_from(HOURS),
    st.one_of(
        st.floats(-500, 1000, allow_nan=False),
        st.integers(0, 168 * 60).map(lambda m: m / 60),
        st.integers(0, 400).map(lambda h: h + 1e-12),
        st.integers(1, 400).map(lambda h: h - 1e-12),
    ),
)
def test_wait_from_spans_is_wait_hours(hours, t):
    s = _S(hours)
    if not s.hours.known or s.hours.is_24_7:
        assert wait_hours(s, t) == 0.0
    else:
        assert _wait(_open_spans(s.hours), t) == wait_hours(s, t)


# --- reach sets --------------------------------------------------------------------------------


def _bfs(succ, start, allowed):
    seen, frontier = {start}, [start]
    while frontier:
        nxt = []
        for u in frontier:
            for v in succ[u]:
                if v not in seen and (allowed is None or allowed(v)):
                    seen.add(v)
                    nxt.append(v)
        frontier = nxt
    return seen


@pytest.mark.parametrize("backend", ["networkx", pytest.param("rustworkx", marks=needs_rustworkx)])
@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 60),
    st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=200),
    st.sets(st.integers(0, 59), max_size=20),
    st.integers(1, 40),
)
def test_reach_sets_are_breadth_first_search(backend, n, edges, blocked, big):
    import pathways.analysis.routes as routes

    G = nx.DiGraph()
    G.add_nodes_from(f"n{i}" for i in range(n))
    G.add_edges_from((f"n{a}", f"n{b}") for a, b in edges if a < n and b < n and a != b)
    allowed_set = {f"n{i}" for i in range(n) if i not in blocked}
    before = routes.BIG_COMPONENT
    routes.BIG_COMPONENT = big  # small, so borrowing from large components is exercised
    try:
        with use_backend(backend):
            for allowed in (None, allowed_set.__contains__):
                reach = _Reachability(G, allowed)
                for start in G:
                    expected = _bfs(G.succ, start, allowed)
                    found = reach.beyond(start)
                    assert {v for v in G if v in found} == expected
    finally:
        routes.BIG_COMPONENT = before


def _inventory(n: int, seed: int) -> Inventory:
    data = generate(n, seed=seed)
    return Inventory.model_validate(data)


@needs_rustworkx
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_single_points_of_failure_match_networkx(seed):
    inv = _inventory(250, seed)
    G = build_referral_graph(inv, closed=[s.id for s in inv.services[::7]])
    from pathways.analysis.gaps import Options

    opts = Options(as_of=dt.date(2026, 6, 1))
    with use_backend("networkx"):
        reference = [g.to_dict() for g in single_points_of_failure(G, inv, opts)]
    with use_backend("rustworkx"):
        found = [g.to_dict() for g in single_points_of_failure(G, inv, opts)]
    assert reference and found == reference


# --- routes: the explanations rest on the same reach as a plain search --------------------------


def test_route_explanations_match_plain_reach():
    inv = _inventory(300, 5)
    G = build_referral_graph(inv)
    rng = random.Random(2)
    entries = [s.id for s in inv.services if s.entry_point]
    for _ in range(60):
        profile = Profile(
            entry=rng.choice(entries),
            hour=float(rng.randrange(24)),
            language=rng.choice([None, "fr", "ar"]),
            gender=rng.choice([None, "female", "male"]),
        )
        need = rng.choice(["health.cmr", "mhpss", "legal", "safety.shelter"])
        r = route(G, profile, need=need)
        usable = Usable(G, profile, always=[profile.entry])
        reach_all = _bfs(G.succ, profile.entry, None)
        reach_usable = _bfs(G.succ, profile.entry, usable.__contains__)
        for item in r.excluded:
            v, reason = item["service"], item["reason"]
            if reason.startswith("no referral route leads there"):
                assert v not in reach_all
            elif reason == "reachable only through services this profile cannot use":
                assert v in reach_all
                assert not any(u in reach_usable for u in G.predecessors(v))
            elif reason.startswith("reachable, but not sooner"):
                assert any(u in reach_usable for u in G.predecessors(v))


@needs_rustworkx
def test_gaps_are_the_same_whatever_the_backend():
    inv = _inventory(200, 6)
    with use_backend("networkx"):
        reference = [g.to_dict() for g in find_gaps(inv, as_of=dt.date(2026, 6, 1))]
    with use_backend("rustworkx"):
        assert [g.to_dict() for g in find_gaps(inv, as_of=dt.date(2026, 6, 1))] == reference
